//! Removal checks: each URL fetched on a schedule, judged gone by status, by a host that no
//! longer resolves, or by content that no longer holds the reported file, and counted as
//! removed only when enough checks in a row say so, or when an analyst confirms it.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::hotline::config::HotlineConfig;
use crate::hotline::entities::{check, file, report, url as url_row};
use crate::hotline::network::{self, FetchError};
use crate::hotline::views::open_report;
use crate::hotline::{HotlineContext, HotlineError, ReportStatus, add_event};
use crate::store::Store;

/// The result of fetching a URL once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    Online(u16),
    /// Removed, with how it was seen.
    Gone(&'static str, Option<u16>),
    /// Could not tell (refused address, timeout, server error): not counted as removal.
    Unknown(String),
}

/// Whether a fetched body is still one of the report's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    Yes,
    /// A picture, but not the reported one.
    No,
    /// Not a picture (a web page around it, a video): the hashes cannot tell.
    CannotTell,
}

/// Compares a fetched body with the report's files: the same MD5 or SHA-256, or a picture
/// whose PDQ hash is within distance 31 of a reported one.
pub async fn still_holds(body: Vec<u8>, files: &[file::Model]) -> Holds {
    let digests = lindung_media::Digests::of(&body);
    let md5 = crate::helpers::hex(&digests.md5);
    let sha256 = crate::helpers::hex(&digests.sha256);
    if files
        .iter()
        .any(|f| f.md5.as_deref() == Some(&md5) || f.sha256.as_deref() == Some(&sha256))
    {
        return Holds::Yes;
    }
    let reported: Vec<pdq::Hash256> = files
        .iter()
        .filter_map(|f| f.pdq.as_deref().and_then(|h| pdq::Hash256::parse(h).ok()))
        .collect();
    let seen = tokio::task::spawn_blocking(move || {
        lindung_media::Fingerprinter::new(lindung_media::Options::default())
            .fingerprint_bytes(&body)
            .ok()
    })
    .await
    .ok()
    .flatten();
    match seen {
        None => Holds::CannotTell,
        Some(fp) if reported.iter().any(|h| h.distance(&fp.pdq.hash) <= 31) => Holds::Yes,
        Some(_) => Holds::No,
    }
}

/// Fetches a URL and decides whether its content is gone: 404 or 410, a name that no longer
/// resolves, or (when the report has file hashes) a picture at the URL that is no longer the
/// reported one. A web page around the picture cannot be judged by hashes and counts as online.
pub async fn probe(
    config: &HotlineConfig,
    target: &url::Url,
    files: &[file::Model],
) -> CheckOutcome {
    match network::fetch(config, target).await {
        Ok(fetched) if fetched.status == 404 => CheckOutcome::Gone("http_404", Some(404)),
        Ok(fetched) if fetched.status == 410 => CheckOutcome::Gone("http_410", Some(410)),
        Ok(fetched) if (200..300).contains(&fetched.status) => {
            let status = fetched.status;
            let hashed = files
                .iter()
                .any(|f| f.pdq.is_some() || f.md5.is_some() || f.sha256.is_some());
            if hashed && still_holds(fetched.body, files).await == Holds::No {
                CheckOutcome::Gone("content_changed", Some(status))
            } else {
                CheckOutcome::Online(status)
            }
        }
        Ok(fetched) => CheckOutcome::Unknown(format!("HTTP {}", fetched.status)),
        Err(FetchError::NoSuchHost) => CheckOutcome::Gone("dns_failure", None),
        Err(e) => CheckOutcome::Unknown(e.to_string()),
    }
}

/// What older versions recorded for a first failure to resolve; it says "gone" too.
const NO_SUCH_HOST: &str = "no_such_host";

/// The evidence of a removal an analyst confirmed.
pub const ANALYST_CONFIRMED: &str = "analyst_confirmed";

/// Whether a recorded check outcome says the content is gone.
fn says_gone(outcome: &str) -> bool {
    matches!(
        outcome,
        "http_404" | "http_410" | "content_changed" | "dns_failure" | NO_SUCH_HOST
    )
}

/// How many checks in a row, this one included, must find the URL gone: `checks.confirmations`;
/// for a name that no longer resolves at least two, as the hotline's own resolver may fail once.
fn confirmations_needed(config: &HotlineConfig, how: &str) -> u64 {
    let wanted = u64::from(config.checks.confirmations.max(1));
    if how == "dns_failure" {
        wanted.max(2)
    } else {
        wanted
    }
}

/// Whether the `count` checks of the URL before this one all found it gone.
async fn gone_before(
    db: &impl sea_orm::ConnectionTrait,
    url_id: i64,
    count: u64,
) -> Result<bool, DbErr> {
    if count == 0 {
        return Ok(true);
    }
    let previous = check::Entity::find()
        .filter(check::Column::UrlId.eq(url_id))
        .order_by_desc(check::Column::Id)
        .limit(count)
        .all(db)
        .await?;
    Ok(previous.len() as u64 == count && previous.iter().all(|c| says_gone(&c.outcome)))
}

/// Checks one URL and records the outcome; true when it now counts as removed, which takes
/// `checks.confirmations` checks in a row that find it gone (a host that answers 404 once and
/// then serves the file again is not counted). When the last URL of a report goes, the report
/// is `removed` and its time to removal is fixed.
pub async fn check_url(ctx: &HotlineContext, target: &url_row::Model) -> Result<bool, DbErr> {
    let HotlineContext { store, config, .. } = ctx;
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(target.report_id))
        .all(store.db())
        .await?;
    let outcome = match url::Url::parse(&target.url) {
        Ok(parsed) => probe(config, &parsed, &files).await,
        Err(e) => CheckOutcome::Unknown(e.to_string()),
    };
    let at = now();
    let (name, status) = match &outcome {
        CheckOutcome::Online(s) => ("online".to_owned(), Some(i32::from(*s))),
        CheckOutcome::Gone(how, s) => ((*how).to_owned(), s.map(i32::from)),
        CheckOutcome::Unknown(why) => {
            tracing::info!(url_id = target.id, reason = %why, "removal check inconclusive");
            ("unknown".to_owned(), None)
        }
    };
    let removed = match &outcome {
        CheckOutcome::Gone(how, _) => {
            let before = confirmations_needed(config, how) - 1;
            gone_before(store.db(), target.id, before).await?
        }
        _ => false,
    };
    let txn = store.write().await?;
    check::ActiveModel {
        url_id: Set(target.id),
        checked_at: Set(at),
        outcome: Set(name.clone()),
        http_status: Set(status),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut update: url_row::ActiveModel = target.clone().into();
    update.last_checked_at = Set(Some(at));
    update.update(&txn).await?;
    if removed {
        mark_removed(&txn, target, &name, at, None).await?;
    }
    txn.commit().await?;
    Ok(removed)
}

/// Marks a URL removed with its evidence and, when it was the report's last URL online, the
/// report too, fixing its time to removal.
async fn mark_removed(
    txn: &DatabaseTransaction,
    target: &url_row::Model,
    evidence: &str,
    at: time::OffsetDateTime,
    user_id: Option<i32>,
) -> Result<(), DbErr> {
    url_row::Entity::update_many()
        .col_expr(url_row::Column::Status, "removed".into())
        .col_expr(url_row::Column::RemovalEvidence, Some(evidence).into())
        .col_expr(url_row::Column::RemovedAt, Some(at).into())
        .filter(url_row::Column::Id.eq(target.id))
        .exec(txn)
        .await?;
    add_event(
        txn,
        target.report_id,
        "url.removed",
        format!("url {}: {evidence}", target.id),
        user_id,
    )
    .await?;
    let still_online = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(target.report_id))
        .filter(url_row::Column::Status.eq("online"))
        .one(txn)
        .await?;
    if still_online.is_none() {
        report::Entity::update_many()
            .col_expr(
                report::Column::Status,
                ReportStatus::Removed.as_str().into(),
            )
            .col_expr(report::Column::RemovedAt, Some(at).into())
            .col_expr(report::Column::UpdatedAt, at.into())
            .filter(report::Column::Id.eq(target.report_id))
            .exec(txn)
            .await?;
        add_event(
            txn,
            target.report_id,
            "report.removed",
            "every URL is gone",
            user_id,
        )
        .await?;
    }
    Ok(())
}

/// An analyst confirms that a URL of a report is gone (seen by other means than the checks),
/// audited with the analyst as actor.
pub async fn confirm_removal(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    url_id: i64,
) -> Result<(), HotlineError> {
    let (txn, _) = open_report(store, actor, principal, id).await?;
    let found = url_row::Entity::find_by_id(url_id)
        .one(&txn)
        .await?
        .filter(|u| u.report_id == id)
        .ok_or_else(|| HotlineError::Invalid("url_id", "the report has no such URL".into()))?;
    if found.status == "removed" {
        return Err(HotlineError::Conflict(
            "already_removed",
            "the URL already counts as removed".into(),
        ));
    }
    mark_removed(&txn, &found, ANALYST_CONFIRMED, now(), actor.user_id).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.url.confirm_removal",
            "hotline_report",
            id.to_string(),
        )
        .detail("url_id", url_id),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(pdq: Option<String>, md5: Option<String>) -> file::Model {
        file::Model {
            id: 1,
            report_id: 1,
            pdq,
            md5,
            sha256: None,
            known_bank: None,
            known_category: None,
            has_evidence: false,
        }
    }

    fn testdata(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../testdata/pdq/data/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("testdata")
    }

    #[tokio::test]
    async fn a_page_still_holds_the_file_by_digest_or_near_picture_and_cannot_tell_from_html() {
        let original = testdata("bridge-mods/aaa-orig.jpg");
        let fp = lindung_media::Fingerprinter::new(lindung_media::Options::default())
            .fingerprint_bytes(&original)
            .expect("hash");
        let by_md5 = [reported(None, Some(crate::helpers::hex(&fp.digests.md5)))];
        let by_pdq = [reported(Some(fp.pdq.hash.to_string()), None)];
        assert_eq!(still_holds(original.clone(), &by_md5).await, Holds::Yes);
        // A re-encoded copy is the same picture.
        let copy = testdata("bridge-mods/blur-a-little.jpg");
        assert_eq!(still_holds(copy, &by_pdq).await, Holds::Yes);
        let other = testdata("misc-images/c.png");
        assert_eq!(still_holds(other.clone(), &by_pdq).await, Holds::No);
        assert_eq!(still_holds(other, &by_md5).await, Holds::No);
        let page = b"<html><body><img src=/p/1.jpg></body></html>".to_vec();
        assert_eq!(still_holds(page, &by_pdq).await, Holds::CannotTell);
    }
}
