//! Requests of the access matrix, and sending them as each caller: with a bearer token, with a
//! session cookie (and its CSRF token on changes), or with a session but no CSRF token.

use serde_json::Value;

use super::fixtures::{Caller, Fixtures, Mode};

/// A request body.
pub enum Body {
    None,
    Json(Value),
    /// A page form (the session's CSRF token is added when sent with a session).
    Form(Vec<(&'static str, String)>),
    Csv(String),
    /// A multipart form with one file field.
    File(&'static str, Vec<u8>),
}

pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub body: Body,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Req {
        Req {
            method: "GET",
            path: path.into(),
            body: Body::None,
        }
    }
    pub fn json(method: &'static str, path: impl Into<String>, body: Value) -> Req {
        Req {
            method,
            path: path.into(),
            body: Body::Json(body),
        }
    }
    pub fn empty(method: &'static str, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            body: Body::None,
        }
    }
    pub fn form(path: impl Into<String>, fields: &[(&'static str, &str)]) -> Req {
        Req {
            method: "POST",
            path: path.into(),
            body: Body::Form(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()),
        }
    }
}

/// Whether a route is a page (HTML, its guard sends an anonymous GET to log in).
pub fn is_page(route: &str) -> bool {
    let path = route.split_once(' ').map_or(route, |(_, p)| p);
    !["/api/", "/h/", "/m/", "/c/", "/metrics"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// The start of an answer, for a difference's message.
pub fn brief(body: &str) -> String {
    let text: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
    text
}

impl Fixtures<'_> {
    /// Sends `req` with a raw bearer token, or with no credentials.
    pub fn send_as(&self, req: &Req, token: Option<&str>) -> (u16, String) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let Some(auth) = auth {
            headers.push(("Authorization", auth));
        }
        self.send_with(req, headers, None)
    }

    pub fn send(&self, req: &Req, caller: &Caller, mode: Mode) -> (u16, String) {
        match mode {
            Mode::Token => self.send_as(req, Some(&caller.token)),
            Mode::Session => self.send_session(req, caller, true),
        }
    }

    pub fn send_without_csrf(&self, req: &Req, caller: &Caller) -> (u16, String) {
        self.send_session(req, caller, false)
    }

    fn send_session(&self, req: &Req, caller: &Caller, with_csrf: bool) -> (u16, String) {
        let mut headers = vec![("Cookie", format!("lindung_session={}", caller.session))];
        if with_csrf && req.method != "GET" && !matches!(req.body, Body::Form(_)) {
            headers.push(("X-CSRF-Token", caller.csrf.clone()));
        }
        let csrf = with_csrf.then_some(caller.csrf.as_str());
        self.send_with(req, headers, csrf)
    }

    fn send_with(
        &self,
        req: &Req,
        mut headers: Vec<(&str, String)>,
        csrf: Option<&str>,
    ) -> (u16, String) {
        let boundary = "matrixboundary4Fq7";
        let body: Vec<u8> = match &req.body {
            Body::None => Vec::new(),
            Body::Json(value) => {
                headers.push(("Content-Type", "application/json".to_owned()));
                value.to_string().into_bytes()
            }
            Body::Form(fields) => {
                headers.push((
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ));
                let mut pairs: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", crate::support::urlencode(v)))
                    .collect();
                if let Some(csrf) = csrf {
                    pairs.push(format!("csrf={}", crate::support::urlencode(csrf)));
                }
                pairs.join("&").into_bytes()
            }
            Body::Csv(text) => {
                headers.push(("Content-Type", "text/csv".to_owned()));
                text.clone().into_bytes()
            }
            Body::File(field, bytes) => {
                headers.push((
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ));
                let mut body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .into_bytes();
                body.extend_from_slice(bytes);
                if let Some(csrf) = csrf {
                    body.extend_from_slice(
                        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}").as_bytes(),
                    );
                }
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                body
            }
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = self.server.raw(req.method, &req.path, &headers, &body);
        (status, body)
    }
}
