//! Finding what a submission repeats: the banks' first match for each file (with the category
//! it was banked with), the report open for intake that already has one of its URLs or files,
//! and the links from a new report to the decided reports it repeats.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::config::CATEGORIES;
use super::entities::{file, link, report, url as url_row};
use super::input::{Checked, FileHashes};
use super::*;
use crate::banks::matcher::{Matcher, Scope};

/// The first match of a file in the banks of `scope`, with the bank and the content's category.
pub(super) fn match_file(
    matcher: &Matcher,
    scope: &Scope,
    hashes: &FileHashes,
) -> Option<crate::banks::matcher::BankMatch> {
    let by_pdq = hashes.pdq.as_deref().and_then(|h| {
        let hash = pdq::Hash256::parse(h).ok()?;
        matcher
            .lookup_pdq(&[hash], None, scope)
            .into_iter()
            .min_by_key(|m| m.distance)
    });
    by_pdq
        .or_else(|| {
            hashes
                .md5
                .as_deref()
                .and_then(|h| matcher.lookup_digest("md5", h, scope).into_iter().next())
        })
        .or_else(|| {
            hashes
                .sha256
                .as_deref()
                .and_then(|h| matcher.lookup_digest("sha256", h, scope).into_iter().next())
        })
}

/// What a submission repeats: the report open for intake it joins, if any, and the reports no
/// longer open for intake (assessed, notice sent, removed, closed) that have one of its URLs or
/// files, which a new report is linked to instead.
pub(super) struct Repeats {
    pub(super) open: Option<report::Model>,
    pub(super) earlier: Vec<i64>,
}

/// The reports of `organisation` that already have one of these URLs or files.
pub(super) async fn find_duplicate(
    txn: &DatabaseTransaction,
    organisation_id: i32,
    checked: &Checked,
) -> Result<Repeats, DbErr> {
    let keys: Vec<String> = checked.urls.iter().map(network::url_key).collect();
    let mut report_ids: Vec<i64> = url_row::Entity::find()
        .filter(url_row::Column::UrlKey.is_in(keys))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| u.report_id)
        .collect();
    let mut any_file = Condition::any();
    for f in &checked.files {
        if let Some(h) = &f.pdq {
            any_file = any_file.add(file::Column::Pdq.eq(h.clone()));
        }
        if let Some(h) = &f.md5 {
            any_file = any_file.add(file::Column::Md5.eq(h.clone()));
        }
        if let Some(h) = &f.sha256 {
            any_file = any_file.add(file::Column::Sha256.eq(h.clone()));
        }
    }
    if !checked.files.is_empty() {
        report_ids.extend(
            file::Entity::find()
                .filter(any_file)
                .all(txn)
                .await?
                .into_iter()
                .map(|f| f.report_id),
        );
    }
    if report_ids.is_empty() {
        return Ok(Repeats {
            open: None,
            earlier: Vec::new(),
        });
    }
    let open_statuses: Vec<ReportStatus> = ReportStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.open_for_intake())
        .collect();
    let open = report::Entity::find()
        .filter(report::Column::Id.is_in(report_ids.clone()))
        .filter(report::Column::OrganisationId.eq(organisation_id))
        .filter(report::Column::Status.is_in(open_statuses.clone()))
        .order_by_asc(report::Column::Id)
        .lock_exclusive()
        .one(txn)
        .await?;
    let earlier = report::Entity::find()
        .filter(report::Column::Id.is_in(report_ids))
        .filter(report::Column::OrganisationId.eq(organisation_id))
        .filter(report::Column::Status.is_not_in(open_statuses))
        .order_by_asc(report::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(Repeats { open, earlier })
}

/// Links a new report to the earlier reports it repeats, on both timelines.
pub(super) async fn link_earlier(
    txn: &DatabaseTransaction,
    report_id: i64,
    earlier: &[i64],
    at: time::OffsetDateTime,
) -> Result<(), DbErr> {
    for &earlier_id in earlier {
        link::ActiveModel {
            report_id: Set(report_id),
            earlier_report_id: Set(earlier_id),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        add_event(
            txn,
            report_id,
            "report.linked",
            format!("repeats report {earlier_id}, which takes no more submissions"),
            None,
        )
        .await?;
        add_event(
            txn,
            earlier_id,
            "report.repeated",
            format!("report {report_id} repeats a URL or file of this one"),
            None,
        )
        .await?;
    }
    Ok(())
}

/// The reports linked to `report_id`: those it repeats and those that repeat it.
pub(super) async fn linked(
    db: &impl sea_orm::ConnectionTrait,
    report_id: i64,
) -> Result<Vec<(i64, LinkRelation)>, DbErr> {
    let rows = link::Entity::find()
        .filter(
            Condition::any()
                .add(link::Column::ReportId.eq(report_id))
                .add(link::Column::EarlierReportId.eq(report_id)),
        )
        .order_by_asc(link::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|l| match l.report_id == report_id {
            true => (l.earlier_report_id, LinkRelation::Earlier),
            false => (l.report_id, LinkRelation::Later),
        })
        .collect())
}

/// Each file's first bank match, and the NCMEC category it was banked with.
pub(super) struct MatchedFiles {
    pub(super) matches: Vec<Option<crate::banks::matcher::BankMatch>>,
    pub(super) categories: Vec<Option<String>>,
}

impl MatchedFiles {
    /// Matches in the hotline's own banks only: a report must not tell a platform (through
    /// `known_content`) or an analyst (through the bank's name) what another organisation's
    /// private banks or the system's banks hold.
    pub(super) async fn find(
        txn: &DatabaseTransaction,
        matcher: &Matcher,
        organisation_id: i32,
        files: &[FileHashes],
    ) -> Result<Self, DbErr> {
        let scope = Scope::organisation(organisation_id);
        let matches: Vec<_> = files
            .iter()
            .map(|f| match_file(matcher, &scope, f))
            .collect();
        // The categories of the matched contents, in one query.
        let known: std::collections::HashMap<i64, String> =
            crate::banks::entities::content::Entity::find()
                .filter(
                    crate::banks::entities::content::Column::Id
                        .is_in(matches.iter().flatten().map(|m| m.content_id)),
                )
                .all(txn)
                .await?
                .into_iter()
                .filter(|c| CATEGORIES.contains(&c.category.as_str()))
                .map(|c| (c.id, c.category))
                .collect();
        let categories = matches
            .iter()
            .map(|m| m.as_ref().and_then(|m| known.get(&m.content_id).cloned()))
            .collect();
        Ok(MatchedFiles {
            matches,
            categories,
        })
    }

    /// How many files the banks already know.
    pub(super) fn known(&self) -> usize {
        self.matches.iter().flatten().count()
    }
}
