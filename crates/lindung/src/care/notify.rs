//! Email to case workers when a picture linked to their case is seen again. The message says
//! only that, where, and which case (its pseudonymous reference); nothing of the content.
//! Sending is optional: without `LINDUNG_SMTP_URL` the alerts stay in the UI only.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::{assignment, case};
use crate::access::entities::user;
use crate::store::Store;

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
}

/// Emails the workers assigned to `cases` that a linked picture reappeared. Errors are
/// returned for the caller to log; a mail that fails is not retried (the alert stays in the UI).
pub async fn email_workers(
    mailer: &Mailer,
    store: &Store,
    cases: &[i64],
    source: &str,
) -> Result<usize, String> {
    let db_error = |e: DbErr| e.to_string();
    let mut sent = 0;
    for &case_id in cases {
        let Some(found) = case::Entity::find_by_id(case_id)
            .one(store.db())
            .await
            .map_err(db_error)?
        else {
            continue;
        };
        let workers: Vec<i32> = assignment::Entity::find()
            .filter(assignment::Column::CaseId.eq(case_id))
            .all(store.db())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        let recipients = user::Entity::find()
            .filter(user::Column::Id.is_in(workers))
            .filter(user::Column::Disabled.eq(false))
            .all(store.db())
            .await
            .map_err(db_error)?;
        for recipient in recipients {
            let Ok(to) = recipient.email.parse::<Mailbox>() else {
                continue;
            };
            let message = Message::builder()
                .from(mailer.from.clone())
                .to(to)
                .subject(format!("Case {}: a picture was seen again", found.reference))
                .body(format!(
                    "A picture linked to case {} was seen again ({source}).\n\nOpen the case in Lindung to see its alerts: /care/{}\n",
                    found.reference, found.id
                ))
                .map_err(|e| e.to_string())?;
            mailer
                .transport
                .send(message)
                .await
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
    }
    Ok(sent)
}
