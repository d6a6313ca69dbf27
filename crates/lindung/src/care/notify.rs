//! Email to case workers when a picture linked to their case is seen again. The message says
//! only that, where, and which case (its pseudonymous reference); nothing of the content.
//! Sending is optional: without `LINDUNG_SMTP_URL` the alerts stay in the UI only.

use lettre::message::Mailbox;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::{assignment, case};
use crate::access::entities::user;
use crate::store::Store;

pub use crate::mail::Mailer;

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
            mailer
                .send(
                    to,
                    &format!("Case {}: a picture was seen again", found.reference),
                    format!(
                        "A picture linked to case {} was seen again ({source}).\n\nOpen the case in Lindung to see its alerts: /care/{}\n",
                        found.reference, found.id
                    ),
                )
                .await?;
            sent += 1;
        }
    }
    Ok(sent)
}
