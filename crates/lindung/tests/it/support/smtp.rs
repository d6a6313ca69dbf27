//! A minimal SMTP server for tests: it accepts every message and keeps it, with the
//! commands that carried it (so tests can read the recipients).

/// A minimal SMTP server that keeps every message (with its recipients) it is given.
pub fn sink() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&messages);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut writer = stream.try_clone().expect("clone");
            let mut reader = BufReader::new(stream);
            let _ = writer.write_all(b"220 sink ESMTP\r\n");
            let mut message = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let command = line.to_ascii_uppercase();
                let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                    b"250-sink\r\n250 OK\r\n"
                } else if command.starts_with("DATA") {
                    let _ = writer.write_all(b"354 go on\r\n");
                    let mut body = String::new();
                    while reader.read_line(&mut body).unwrap_or(0) > 0
                        && !body.ends_with("\r\n.\r\n")
                    {}
                    message.push_str(&body);
                    kept.lock()
                        .expect("lock")
                        .push(std::mem::take(&mut message));
                    b"250 OK\r\n"
                } else if command.starts_with("QUIT") {
                    let _ = writer.write_all(b"221 bye\r\n");
                    break;
                } else {
                    message.push_str(&line);
                    b"250 OK\r\n"
                };
                let _ = writer.write_all(reply);
                line.clear();
            }
        }
    });
    (port, messages)
}

/// The body of a kept message, decoded when it was sent as base64.
pub fn body_text(message: &str) -> String {
    use base64::Engine;
    let Some((head, body)) = message.split_once("\r\n\r\n") else {
        return message.to_owned();
    };
    if !head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        return body.to_owned();
    }
    let joined: String = body
        .lines()
        .take_while(|l| *l != ".")
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(joined.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| body.to_owned())
}
