//! Re-upload alerts: when a picture linked to a child's case is matched again, the case's
//! workers hear of it (on screen, and by mail when mail is set up), at most once per case,
//! signal and day, and with nothing of the match beyond where it was seen.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::CareError;
use super::entities::{alert, assignment, linked_signal};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::banks::events::{Listening, MatchEvent, MatchListener};
use crate::helpers::now;
use crate::mail::Mailer;
use crate::store::Store;

/// How long the set of linked signals is trusted before it is read again: a link made in another
/// process raises alerts here at most this much later.
pub const LINK_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// The signals linked to any case, kept in memory so that lookups (most of which match nothing
/// linked) cost no database read.
#[derive(Debug, Default)]
struct LinkCache {
    current: std::sync::RwLock<
        Option<(
            std::time::Instant,
            std::sync::Arc<std::collections::HashSet<i64>>,
        )>,
    >,
}

impl LinkCache {
    /// Those of `signal_ids` that are linked to a case.
    pub async fn linked(&self, store: &Store, signal_ids: &[i64]) -> Result<Vec<i64>, DbErr> {
        let known = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(at, set)| (at.elapsed() < LINK_CACHE_TTL, std::sync::Arc::clone(set)));
        let set = match known {
            Some((true, set)) => set,
            known => {
                let set = match linked_signal::Entity::find().all(store.db()).await {
                    Ok(rows) => std::sync::Arc::new(
                        rows.into_iter()
                            .map(|l| l.signal_id)
                            .collect::<std::collections::HashSet<i64>>(),
                    ),
                    // While the database cannot be reached, the last set serves for another TTL:
                    // lookups must not each wait for the pool to give up on it.
                    Err(e) if crate::store::unreachable(&e) => match known {
                        Some((_, stale)) => stale,
                        None => return Err(e),
                    },
                    Err(e) => return Err(e),
                };
                *self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((std::time::Instant::now(), std::sync::Arc::clone(&set)));
                set
            }
        };
        Ok(signal_ids
            .iter()
            .copied()
            .filter(|id| set.contains(id))
            .collect())
    }
}

/// Re-upload alerts: told of every lookup that matched, it raises an alert on each case linked
/// to a matched signal and emails the case's workers. A failure is logged; it never fails the
/// lookup.
#[derive(Debug)]
pub struct ReuploadAlerts {
    store: Store,
    links: LinkCache,
    mailer: Option<Mailer>,
}

impl ReuploadAlerts {
    pub fn new(store: Store, mailer: Option<Mailer>) -> Self {
        ReuploadAlerts {
            store,
            links: LinkCache::default(),
            mailer,
        }
    }

    async fn raise(&self, event: &MatchEvent) {
        let ids: Vec<i64> = event.matches.iter().map(|m| m.signal_id).collect();
        let raised = async {
            let linked = self.links.linked(&self.store, &ids).await?;
            alert_on_matches(
                &self.store,
                &linked,
                LOOKUP_ALERT_SOURCE,
                Some(event.asked_by.organisation_id),
            )
            .await
        };
        match raised.await {
            Ok(cases) if !cases.is_empty() => {
                if let Some(mailer) = self.mailer.clone() {
                    // Mail goes out after the answer: a slow mail server never slows a lookup.
                    let store = self.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = super::notify::email_workers(
                            &mailer,
                            &store,
                            &cases,
                            LOOKUP_ALERT_SOURCE,
                        )
                        .await
                        {
                            tracing::error!(error = %e, "alert email not sent");
                        }
                    });
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "care alerts not raised"),
        }
    }
}

/// Where an alert raised by a platform's or analyst's lookup says the picture was seen.
const LOOKUP_ALERT_SOURCE: &str = "api lookup";

impl MatchListener for ReuploadAlerts {
    fn matched<'a>(&'a self, event: &'a MatchEvent) -> Listening<'a> {
        Box::pin(self.raise(event))
    }
}

/// Raises an alert on each case linked to any of `signal_ids`: the child's picture was seen
/// again. A case gets at most one alert per signal per day, however often it matches (the
/// database's unique index decides, so lookups made at once cannot both raise one). Returns the
/// cases that got a new alert.
pub async fn alert_on_matches(
    store: &Store,
    signal_ids: &[i64],
    source: &str,
    organisation_id: Option<i32>,
) -> Result<Vec<i64>, DbErr> {
    if signal_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut links: Vec<(i64, i64)> = linked_signal::Entity::find()
        .filter(linked_signal::Column::SignalId.is_in(signal_ids.iter().copied()))
        .all(store.db())
        .await?
        .into_iter()
        .map(|l| (l.case_id, l.signal_id))
        .collect();
    links.sort_unstable();
    links.dedup();
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    let day = at.date().to_string();
    let txn = store.write().await?;
    let mut cases = Vec::new();
    for (case_id, signal_id) in links {
        let raised = alert::Entity::insert(alert::ActiveModel {
            case_id: Set(case_id),
            source: Set(source.to_owned()),
            organisation_id: Set(organisation_id),
            at: Set(at),
            seen_at: Set(None),
            signal_id: Set(Some(signal_id)),
            day: Set(Some(day.clone())),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                alert::Column::CaseId,
                alert::Column::SignalId,
                alert::Column::Day,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if raised > 0 {
            cases.push(case_id);
        }
    }
    cases.dedup();
    if cases.is_empty() {
        txn.commit().await?;
        return Ok(cases);
    }
    audit::commit_with(
        txn,
        &Actor::anonymous(Some("matcher".into())),
        AuditEvent::new("care.alert", "care_case", None)
            .detail("cases", cases.len())
            .detail("source", source),
    )
    .await?;
    Ok(cases)
}

/// An alert as a case worker sees it: that the picture reappeared, and where; nothing of the
/// content.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub case_id: i64,
    pub source: String,
    pub at: String,
    pub seen: bool,
}

/// The unseen alerts of the cases the caller is assigned to, newest first.
pub async fn my_alerts(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
) -> Result<Vec<AlertView>, CareError> {
    let txn = store.write().await?;
    let mine: Vec<i64> = assignment::Entity::find()
        .filter(assignment::Column::UserId.eq(principal.user_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.case_id)
        .collect();
    let alerts = alert::Entity::find()
        .filter(alert::Column::CaseId.is_in(mine))
        .filter(alert::Column::SeenAt.is_null())
        .order_by_desc(alert::Column::Id)
        .all(&txn)
        .await?;
    let views: Vec<AlertView> = alerts
        .into_iter()
        .map(|a| AlertView {
            id: a.id,
            case_id: a.case_id,
            source: a.source,
            at: crate::helpers::rfc3339(a.at),
            seen: a.seen_at.is_some(),
        })
        .collect();
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.alerts.read", "care_alert", None).detail("alerts", views.len()),
    )
    .await?;
    Ok(views)
}
