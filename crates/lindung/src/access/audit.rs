//! The append-only audit log. Each entry stores the hash of the previous entry and its own hash
//! over its fields, so deleting, inserting or editing a row breaks the chain at that row, and
//! `lindung audit verify` names it. Entries never hold sensitive values: only ids, actions and
//! non-identifying details.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, DbErr, EntityTrait, QueryOrder,
};
use serde_json::{Map, Value};

use super::Principal;
use super::entities::audit_entry;
use crate::helpers::{now, sha256_hex};
use crate::store::{GENESIS_HASH, Store, advance_chain, lock_chain};

/// Who did something, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    /// `user:<id>`, `cli`, `setup`, `system` or `anonymous`.
    pub label: String,
    /// The client address for web requests; the command name for the CLI.
    pub source: Option<String>,
}

impl Actor {
    pub fn cli(command: &str) -> Self {
        Actor {
            user_id: None,
            label: "cli".into(),
            source: Some(command.into()),
        }
    }

    pub fn user(principal: &Principal, source: Option<String>) -> Self {
        Actor {
            user_id: Some(principal.user_id),
            label: format!("user:{}", principal.user_id),
            source,
        }
    }

    /// The server itself, on a schedule (`task` names the job).
    pub fn system(task: &str) -> Self {
        Actor {
            user_id: None,
            label: "system".into(),
            source: Some(task.into()),
        }
    }

    pub fn anonymous(source: Option<String>) -> Self {
        Actor {
            user_id: None,
            label: "anonymous".into(),
            source,
        }
    }

    /// A member of the public (a reporter, a person who self-reports). Their address is never
    /// recorded: `route` says only which public form they used.
    pub fn public(route: &str) -> Self {
        Actor::anonymous(Some(route.into()))
    }
}

/// What happened to which record.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    pub details: Map<String, Value>,
}

impl AuditEvent {
    pub fn new(action: &str, record_type: &str, record_id: impl Into<Option<String>>) -> Self {
        AuditEvent {
            action: action.into(),
            record_type: record_type.into(),
            record_id: record_id.into(),
            details: Map::new(),
        }
    }

    /// Adds a non-sensitive detail (an id, a count, a role; never a hash of reported content, a
    /// name or a secret).
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

/// The prefix of an entry hash keyed with the audit key.
const KEYED: &str = "m1:";

/// An entry's hash: HMAC-SHA-256 under the audit key (which is not in the database) of its
/// fields and the hash before it.
fn entry_hash(key: &[u8; 32], entry: &audit_entry::Model) -> String {
    let mac = crate::store::keys::keyed_digest(key, canonical(entry).as_bytes());
    format!("{KEYED}{}", crate::helpers::hex(&mac))
}

/// The hash an entry written before the chain was keyed has (plain SHA-256).
fn unkeyed_hash(entry: &audit_entry::Model) -> String {
    sha256_hex(canonical(entry).as_bytes())
}

fn canonical(entry: &audit_entry::Model) -> String {
    let at = crate::helpers::rfc3339(entry.at);
    let canonical = serde_json::json!([
        entry.prev_hash,
        at,
        entry.actor_user_id,
        entry.actor,
        entry.action,
        entry.record_type,
        entry.record_id,
        entry.source,
        entry.details,
    ]);
    canonical.to_string()
}

/// Appends the entry that describes a transaction's work and commits both.
pub async fn commit_with(
    txn: sea_orm::DatabaseTransaction,
    actor: &Actor,
    event: AuditEvent,
) -> Result<(), DbErr> {
    append(&txn, actor, event).await?;
    txn.commit().await
}

/// Records one entry on its own, for actions whose write is outside the database (a read,
/// a file sent) or already committed.
pub async fn record(store: &Store, actor: &Actor, event: AuditEvent) -> Result<(), DbErr> {
    commit_with(store.write().await?, actor, event).await
}

/// Ends a transaction that recorded a refusal (an audited denial, a wrong-PIN count): keeps what
/// it recorded, then returns the refusal.
pub async fn keep_refusal<T, E: From<DbErr>>(
    txn: sea_orm::DatabaseTransaction,
    refusal: E,
) -> Result<T, E> {
    txn.commit().await?;
    Err(refusal)
}

/// Appends an entry inside the caller's transaction, so the record and its audit entry commit
/// together or not at all.
pub async fn append(
    txn: &DatabaseTransaction,
    actor: &Actor,
    event: AuditEvent,
) -> Result<(), DbErr> {
    let (_, prev_hash) = lock_chain(txn, "audit").await?;
    // The transaction does not know its store: the deployment id in the database says which of
    // the keys this process loaded is this database's.
    let deployment = crate::store::deployment_of(txn).await?;
    let key = crate::store::keys::registered_audit_key(&deployment).ok_or_else(|| {
        DbErr::Custom("the audit key of this database is not loaded (open the store first)".into())
    })?;
    let mut entry = audit_entry::Model {
        id: 0,
        at: now(),
        actor_user_id: actor.user_id,
        actor: actor.label.clone(),
        action: event.action,
        record_type: event.record_type,
        record_id: event.record_id,
        source: actor.source.clone(),
        details: Value::Object(event.details).to_string(),
        prev_hash,
        entry_hash: String::new(),
    };
    entry.entry_hash = entry_hash(&key, &entry);
    let hash = entry.entry_hash.clone();
    audit_entry::ActiveModel {
        at: Set(entry.at),
        actor_user_id: Set(entry.actor_user_id),
        actor: Set(entry.actor),
        action: Set(entry.action),
        record_type: Set(entry.record_type),
        record_id: Set(entry.record_id),
        source: Set(entry.source),
        details: Set(entry.details),
        prev_hash: Set(entry.prev_hash),
        entry_hash: Set(entry.entry_hash),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    advance_chain(txn, "audit", &hash).await
}

/// The outcome of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The first entry that does not fit, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole log in id order and checks every link and every entry's own hash, and that
/// the newest entry is the one the chain head records (so deleting the last rows is caught).
pub async fn verify(store: &Store) -> Result<ChainReport, DbErr> {
    use sea_orm::PaginatorTrait;
    // Only reads: a snapshot that holds no writer back while the whole chain is walked.
    let txn = store.read().await?;
    let mut pages = audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .paginate(&txn, 1000);
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut entries = 0u64;
    while let Some(page) = pages.fetch_and_next().await? {
        for entry in page {
            entries += 1;
            if entry.prev_hash != expected_prev {
                return Ok(ChainReport {
                    entries,
                    first_broken: Some((
                        entry.id,
                        "its previous-entry hash does not match the entry before it (a row was deleted or inserted)".into(),
                    )),
                });
            }
            if entry_hash(store.audit_key(), &entry) != entry.entry_hash {
                return Ok(ChainReport {
                    entries,
                    first_broken: Some((
                        entry.id,
                        "its contents do not match its keyed hash (the row was edited, or the chain was rebuilt without the key)".into(),
                    )),
                });
            }
            expected_prev = entry.entry_hash;
        }
    }
    let head = chain_head(&txn).await?;
    if head != expected_prev {
        return Ok(ChainReport {
            entries,
            first_broken: Some((
                -1,
                "the newest entries are missing (the chain head records a later entry)".into(),
            )),
        });
    }
    Ok(ChainReport {
        entries,
        first_broken: None,
    })
}

async fn chain_head(txn: &DatabaseTransaction) -> Result<String, DbErr> {
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{ConnectionTrait, ExprTrait};
    let read = Query::select()
        .column("last_hash")
        .from("chain_heads")
        .and_where(Expr::col("name").eq("audit"))
        .to_owned();
    let row = txn
        .query_one(&read)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit chain head".into()))?;
    row.try_get("", "last_hash")
}

/// Whether the log begins with entries hashed before the chain was keyed (what an upgrade from
/// an unkeyed version leaves). Only the oldest entry is read, by its key: start-up does not scan
/// the log. Unkeyed entries later in the chain are a rewrite, which `verify` names.
pub async fn starts_unkeyed(store: &Store) -> Result<bool, DbErr> {
    Ok(audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .one(store.db())
        .await?
        .is_some_and(|oldest| !oldest.entry_hash.starts_with(KEYED)))
}

/// Whether the oldest entry's keyed hash is this store's key's (true for an empty log): a
/// field key from another deployment, or a new one made beside a restored database, keys
/// nothing here. Only the oldest entry is read.
pub async fn oldest_entry_fits_the_key(store: &Store) -> Result<bool, DbErr> {
    Ok(audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .one(store.db())
        .await?
        .is_none_or(|oldest| entry_hash(store.audit_key(), &oldest) == oldest.entry_hash))
}

/// Keys a chain written before the chain was keyed (`lindung audit key`, once, by the operator,
/// before the first start of a keyed version: whoever runs it holds the key, so it proves
/// nothing that key could not forge). Only a chain with no keyed entry is keyed. If every entry
/// fits, every entry is hashed again under the audit key, in
/// one transaction; a broken chain is left as it is, for `verify` to name. Returns how many
/// entries were hashed again.
pub async fn key_the_chain(store: &Store) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    if !starts_unkeyed(store).await? {
        return Ok(0);
    }
    // Only a chain that was never keyed: unkeyed entries beside keyed ones were written by
    // someone without the key.
    let keyed = audit_entry::Entity::find()
        .filter(audit_entry::Column::EntryHash.like(format!("{KEYED}%")))
        .one(store.db())
        .await?;
    if keyed.is_some() {
        return Ok(0);
    }
    let key = store.audit_key();
    let txn = store.write().await?;
    lock_chain(&txn, "audit").await?;
    let mut pages = audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .paginate(&txn, 1000);
    let (mut expected_prev, mut keyed_prev) = (GENESIS_HASH.to_owned(), GENESIS_HASH.to_owned());
    let mut rehashed = 0;
    while let Some(page) = pages.fetch_and_next().await? {
        for entry in page {
            let fits = entry.prev_hash == expected_prev
                && (entry.entry_hash == unkeyed_hash(&entry)
                    || entry.entry_hash == entry_hash(key, &entry));
            if !fits {
                txn.rollback().await?;
                return Ok(0);
            }
            expected_prev = entry.entry_hash.clone();
            let mut keyed = entry;
            keyed.prev_hash = keyed_prev;
            keyed.entry_hash = entry_hash(key, &keyed);
            keyed_prev = keyed.entry_hash.clone();
            audit_entry::ActiveModel {
                id: Set(keyed.id),
                prev_hash: Set(keyed.prev_hash),
                entry_hash: Set(keyed.entry_hash),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            rehashed += 1;
        }
    }
    if chain_head(&txn).await? != expected_prev {
        txn.rollback().await?;
        return Ok(0);
    }
    advance_chain(&txn, "audit", &keyed_prev).await?;
    txn.commit().await?;
    Ok(rehashed)
}

/// Which entries the audit page lists; every field left out matches every entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The actor as recorded (`user:3`, `cli`, `system`, …).
    pub actor: Option<String>,
    pub action: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// Only what users of this organisation did (an organisation's admin sees no further).
    pub organisation: Option<i32>,
}

impl AuditFilter {
    fn apply(
        &self,
        mut query: sea_orm::Select<audit_entry::Entity>,
    ) -> sea_orm::Select<audit_entry::Entity> {
        use sea_orm::{ColumnTrait, QueryFilter};
        if let Some(organisation) = self.organisation {
            query = query.filter(in_organisation(organisation));
        }
        if let Some(actor) = &self.actor {
            query = query.filter(audit_entry::Column::Actor.eq(actor.as_str()));
        }
        if let Some(action) = &self.action {
            query = query.filter(audit_entry::Column::Action.eq(action.as_str()));
        }
        if let Some(kind) = &self.record_type {
            query = query.filter(audit_entry::Column::RecordType.eq(kind.as_str()));
        }
        if let Some(id) = &self.record_id {
            query = query.filter(audit_entry::Column::RecordId.eq(id.as_str()));
        }
        query
    }
}

/// One page of the log, newest first: up to `per_page` entries after skipping `page` pages,
/// and whether older entries follow.
pub async fn list(
    store: &Store,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_entry::Model>, bool), DbErr> {
    use sea_orm::QuerySelect;
    let mut entries = filter
        .apply(audit_entry::Entity::find())
        .order_by_desc(audit_entry::Column::Id)
        .offset(page.saturating_mul(per_page))
        // One more than the page holds tells whether there is a next page.
        .limit(per_page + 1)
        .all(store.db())
        .await?;
    let more = entries.len() as u64 > per_page;
    entries.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
    Ok((entries, more))
}

/// Entries made by users of `organisation`.
fn in_organisation(organisation: i32) -> sea_orm::sea_query::SimpleExpr {
    use crate::access::entities::user;
    use sea_orm::ColumnTrait;
    use sea_orm::sea_query::Query;
    audit_entry::Column::ActorUserId.in_subquery(
        Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(user::Column::OrganisationId.eq(organisation))
            .to_owned(),
    )
}

/// The distinct values of one column of the log, sorted, for the audit page's filter menus;
/// only of `organisation`'s users' entries when one is given.
async fn distinct(
    store: &Store,
    column: audit_entry::Column,
    organisation: Option<i32>,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::{QueryFilter, QuerySelect};
    let mut query = audit_entry::Entity::find();
    if let Some(organisation) = organisation {
        query = query.filter(in_organisation(organisation));
    }
    let mut values: Vec<String> = query
        .select_only()
        .column(column)
        .distinct()
        .into_tuple::<String>()
        .all(store.db())
        .await?;
    values.sort();
    Ok(values)
}

/// Every actor that appears in the log (`user:3`, `cli`, …).
pub async fn actors(store: &Store, organisation: Option<i32>) -> Result<Vec<String>, DbErr> {
    distinct(store, audit_entry::Column::Actor, organisation).await
}

/// Every action that appears in the log.
pub async fn actions(store: &Store, organisation: Option<i32>) -> Result<Vec<String>, DbErr> {
    distinct(store, audit_entry::Column::Action, organisation).await
}

/// Every kind of record that appears in the log.
pub async fn record_types(store: &Store, organisation: Option<i32>) -> Result<Vec<String>, DbErr> {
    distinct(store, audit_entry::Column::RecordType, organisation).await
}

/// Whether an action only read something: consecutive reads of one record by one actor are
/// shown as one row.
pub fn is_read(action: &str) -> bool {
    action.ends_with(".read") || action.ends_with(".list")
}

/// A run of entries the audit page shows as one row: a single entry, or consecutive reads of
/// the same record by the same actor.
#[derive(Clone, Debug)]
pub struct Grouped {
    /// The newest entry of the run.
    pub newest: audit_entry::Model,
    /// The oldest entry's time (the newest's for a single entry).
    pub first_at: time::OffsetDateTime,
    pub count: usize,
}

/// Groups entries (newest first, as [`list`] returns them) into rows.
pub fn group_reads(entries: Vec<audit_entry::Model>) -> Vec<Grouped> {
    let mut rows: Vec<Grouped> = Vec::new();
    for entry in entries {
        if let Some(last) = rows.last_mut()
            && is_read(&entry.action)
            && last.newest.action == entry.action
            && last.newest.actor == entry.actor
            && last.newest.record_type == entry.record_type
            && last.newest.record_id == entry.record_id
        {
            last.count += 1;
            last.first_at = entry.at;
            continue;
        }
        rows.push(Grouped {
            first_at: entry.at,
            newest: entry,
            count: 1,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, actor: &str, action: &str, record: &str) -> audit_entry::Model {
        audit_entry::Model {
            id,
            at: time::OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(id),
            actor_user_id: None,
            actor: actor.into(),
            action: action.into(),
            record_type: "care_case".into(),
            record_id: Some(record.into()),
            source: None,
            details: "{}".into(),
            prev_hash: String::new(),
            entry_hash: String::new(),
        }
    }

    #[test]
    fn consecutive_reads_of_one_record_by_one_actor_are_one_row() {
        let newest_first = vec![
            entry(7, "user:1", "care.case.read", "4"),
            entry(6, "user:1", "care.case.read", "4"),
            entry(5, "user:1", "care.case.read", "4"),
            entry(4, "user:2", "care.case.read", "4"),
            entry(3, "user:1", "care.note.add", "4"),
            entry(2, "user:1", "care.note.add", "4"),
            entry(1, "user:1", "care.case.read", "5"),
        ];
        let rows = group_reads(newest_first);
        let shape: Vec<(i64, usize)> = rows.iter().map(|r| (r.newest.id, r.count)).collect();
        assert_eq!(shape, [(7, 3), (4, 1), (3, 1), (2, 1), (1, 1)]);
        assert_eq!(rows[0].first_at, entry(5, "", "", "").at);
    }
}
