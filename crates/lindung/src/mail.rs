//! Outgoing email over SMTP (lettre), shared by care alerts and hotline notices. Sending is
//! optional: without `LINDUNG_SMTP_URL` nothing is sent.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where to send mail from, and through which server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// `url` as lettre reads it: `smtp://host:25` (plain, for a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://…` (TLS).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("LINDUNG_SMTP_URL: {e}"))?
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("LINDUNG_SMTP_FROM: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// From `LINDUNG_SMTP_URL` and `LINDUNG_SMTP_FROM`, if set.
    pub fn from_environment() -> Result<Option<Self>, String> {
        match std::env::var("LINDUNG_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var("LINDUNG_SMTP_FROM")
                    .unwrap_or_else(|_| "lindung@localhost".to_owned());
                Self::new(url.trim(), &from).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Sends one plain-text message.
    pub async fn send(&self, to: Mailbox, subject: &str, body: String) -> Result<(), String> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
