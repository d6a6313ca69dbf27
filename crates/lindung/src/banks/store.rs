//! Bank operations on the store. Every write is one transaction that also appends to the audit
//! log and, for changes that affect matching, to the change log that server processes follow.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

pub use super::entities::BankSharing;
use super::entities::{bank, change, content, signal};
pub use super::signals::{ContentMeta, NewSignal, SignalType, image_signals, video_signals};
use super::visibility::refuse_system;
pub use super::visibility::{
    is_deployment, listed_banks, may_manage, may_see, system_bank, system_organisation,
    visible_bank,
};
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::{Principal, Role};
use crate::helpers::now;
use crate::store::{Store, advance_chain, lock_chain};

/// Default PDQ match threshold, as in HMA and python-threatexchange.
pub const DEFAULT_PDQ_THRESHOLD: i32 = 31;
/// The widest PDQ threshold a platform may give its banks (wider ones match unrelated images;
/// an admin may set up to 64).
pub const PLATFORM_MAX_PDQ_THRESHOLD: i32 = 40;
/// PDQ hashes below this quality are too unreliable to bank.
pub const MIN_PDQ_QUALITY: i32 = 50;

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// A value that fails validation, and the field it came in.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("no bank named {0:?}")]
    NoSuchBank(String),
    #[error("a bank named {0:?} already exists")]
    NameTaken(String),
    #[error("this bank belongs to another organisation")]
    Forbidden,
    /// A bank the deployment keeps itself (self-report, care), named: only its own flow
    /// changes or reads it.
    #[error(
        "{0} is a system bank: only the flow that keeps it (self-report, care) changes it, and its content is not listed"
    )]
    System(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Checks a PDQ threshold `principal` asks for: 0 to 64, and at most
/// [`PLATFORM_MAX_PDQ_THRESHOLD`] for a platform.
fn check_threshold(principal: &Principal, threshold: i32) -> Result<i32, BankError> {
    if !(0..=64).contains(&threshold) {
        return Err(BankError::Invalid(
            "pdq_threshold",
            "the PDQ threshold is 0 to 64".into(),
        ));
    }
    if principal.role == Role::Platform && threshold > PLATFORM_MAX_PDQ_THRESHOLD {
        return Err(BankError::Invalid(
            "pdq_threshold",
            format!(
                "a platform's bank has a PDQ threshold of at most {PLATFORM_MAX_PDQ_THRESHOLD}"
            ),
        ));
    }
    Ok(threshold)
}

fn check_bank_name(name: &str) -> Result<String, BankError> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(BankError::Invalid(
            "name",
            "a bank name is 1 to 100 letters, digits, '_' or '-'".into(),
        ));
    }
    Ok(name.to_owned())
}

pub async fn list_banks(store: &Store) -> Result<Vec<bank::Model>, DbErr> {
    bank::Entity::find()
        .order_by_asc(bank::Column::Name)
        .all(store.db())
        .await
}

/// Every signal of a bank, oldest first.
pub async fn bank_signals(store: &Store, bank_id: i32) -> Result<Vec<signal::Model>, DbErr> {
    signal::Entity::find()
        .filter(signal::Column::BankId.eq(bank_id))
        .order_by_asc(signal::Column::Id)
        .all(store.db())
        .await
}

pub async fn find_bank(store: &Store, name: &str) -> Result<bank::Model, BankError> {
    bank::Entity::find()
        .filter(bank::Column::Name.eq(name))
        .one(store.db())
        .await?
        .ok_or_else(|| BankError::NoSuchBank(name.to_owned()))
}

/// Finds a bank inside a write transaction and checks that `principal` may change it.
async fn bank_for_write(
    txn: &DatabaseTransaction,
    principal: &Principal,
    name: &str,
) -> Result<bank::Model, BankError> {
    let found = bank::Entity::find()
        .filter(bank::Column::Name.eq(name))
        .one(txn)
        .await?
        .ok_or_else(|| BankError::NoSuchBank(name.to_owned()))?;
    if !may_manage(principal, &found) {
        return Err(BankError::Forbidden);
    }
    refuse_system(txn, principal, &found).await?;
    Ok(found)
}

async fn record_change(
    txn: &DatabaseTransaction,
    kind: &str,
    bank_id: i32,
    signal_id: Option<i64>,
) -> Result<(), DbErr> {
    // The lock keeps change-log sequence numbers in commit order across processes, so a
    // follower that has read up to N never misses an entry committed later with a lower number.
    lock_chain(txn, "changes").await?;
    change::ActiveModel {
        at: Set(now()),
        kind: Set(kind.to_owned()),
        bank_id: Set(bank_id),
        signal_id: Set(signal_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    advance_chain(txn, "changes", "").await
}

pub async fn create_bank(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    name: &str,
    pdq_threshold: Option<i32>,
    enabled: bool,
    sharing: BankSharing,
) -> Result<bank::Model, BankError> {
    let name = check_bank_name(name)?;
    let threshold = check_threshold(principal, pdq_threshold.unwrap_or(DEFAULT_PDQ_THRESHOLD))?;
    let txn = store.write().await?;
    if bank::Entity::find()
        .filter(bank::Column::Name.eq(&name))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(BankError::NameTaken(name));
    }
    let created = bank::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set(name),
        enabled: Set(enabled),
        pdq_threshold: Set(threshold),
        created_at: Set(now()),
        sharing: Set(sharing),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record_change(&txn, "bank", created.id, None).await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("bank.create", "bank", created.id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// What a change to a bank sets; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BankUpdate<'a> {
    pub name: Option<&'a str>,
    pub enabled: Option<bool>,
    pub pdq_threshold: Option<i32>,
    pub sharing: Option<BankSharing>,
}

/// Renames a bank and/or changes whether it matches, its threshold and its sharing scope.
pub async fn update_bank(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    name: &str,
    changes: BankUpdate<'_>,
) -> Result<bank::Model, BankError> {
    let BankUpdate {
        name: new_name,
        enabled,
        pdq_threshold,
        sharing,
    } = changes;
    let txn = store.write().await?;
    let current = bank_for_write(&txn, principal, name).await?;
    let id = current.id;
    let mut active: bank::ActiveModel = current.into();
    if let Some(new_name) = new_name {
        let new_name = check_bank_name(new_name)?;
        if new_name != name
            && bank::Entity::find()
                .filter(bank::Column::Name.eq(&new_name))
                .one(&txn)
                .await?
                .is_some()
        {
            return Err(BankError::NameTaken(new_name));
        }
        active.name = Set(new_name);
    }
    if let Some(enabled) = enabled {
        active.enabled = Set(enabled);
    }
    if let Some(t) = pdq_threshold {
        active.pdq_threshold = Set(check_threshold(principal, t)?);
    }
    if let Some(sharing) = sharing {
        active.sharing = Set(sharing);
    }
    let updated = active.update(&txn).await?;
    record_change(&txn, "bank", id, None).await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("bank.update", "bank", id.to_string())
            .detail("sharing", updated.sharing.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Writes a removal to the change log for every signal of a bank about to be deleted, as for
/// one removed signal, so that what follows the change log (platforms' feeds) hears of each.
async fn record_removals(txn: &DatabaseTransaction, bank_id: i32) -> Result<(), DbErr> {
    use sea_orm::QuerySelect;
    let ids: Vec<i64> = signal::Entity::find()
        .select_only()
        .column(signal::Column::Id)
        .filter(signal::Column::BankId.eq(bank_id))
        .order_by_asc(signal::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    lock_chain(txn, "changes").await?;
    let at = now();
    for batch in ids.chunks(3000) {
        change::Entity::insert_many(batch.iter().map(|&id| change::ActiveModel {
            at: Set(at),
            kind: Set("signal_removed".to_owned()),
            bank_id: Set(bank_id),
            signal_id: Set(Some(id)),
            ..Default::default()
        }))
        .exec(txn)
        .await?;
    }
    advance_chain(txn, "changes", "").await
}

pub async fn delete_bank(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    name: &str,
) -> Result<(), BankError> {
    let txn = store.write().await?;
    let current = bank_for_write(&txn, principal, name).await?;
    let id = current.id;
    record_removals(&txn, id).await?;
    // Children first, explicitly: foreign-key cascades are not relied on for correctness.
    signal::Entity::delete_many()
        .filter(signal::Column::BankId.eq(id))
        .exec(&txn)
        .await?;
    content::Entity::delete_many()
        .filter(content::Column::BankId.eq(id))
        .exec(&txn)
        .await?;
    bank::Entity::delete_by_id(id).exec(&txn).await?;
    record_change(&txn, "bank_deleted", id, None).await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("bank.delete", "bank", id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The outcome of adding content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub bank_id: i32,
    /// The content item holding the signals (an existing one when every signal was already in
    /// the bank).
    pub content_id: i64,
    /// Signals that were new to the bank.
    pub new_signals: usize,
}

/// Adds one content item with its signals. A signal already in the bank is not added twice;
/// when all of them are already there, nothing is written and the existing item is returned.
pub async fn add_content(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    bank_name: &str,
    meta: &ContentMeta,
    signals: &[NewSignal],
) -> Result<Added, BankError> {
    let txn = store.write().await?;
    let added = add_content_in(&txn, principal, bank_name, meta, signals).await?;
    if added.new_signals > 0 {
        audit::append(
            &txn,
            actor,
            AuditEvent::new(
                "bank.content.add",
                "bank_content",
                added.content_id.to_string(),
            )
            .detail("bank_id", added.bank_id)
            .detail("signals", added.new_signals),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(added)
}

/// As [`add_content`], inside a caller's transaction, which also writes the audit entry.
pub async fn add_content_in(
    txn: &DatabaseTransaction,
    principal: &Principal,
    bank_name: &str,
    meta: &ContentMeta,
    signals: &[NewSignal],
) -> Result<Added, BankError> {
    if signals.is_empty() {
        return Err(BankError::Invalid(
            "signals",
            "content needs at least one signal".into(),
        ));
    }
    let target = bank_for_write(txn, principal, bank_name).await?;
    insert_content(txn, &target, principal.user_id, meta, signals).await
}

/// The row of a signal in a bank, if it is there.
pub async fn find_signal(
    txn: &DatabaseTransaction,
    bank_id: i32,
    kind: SignalType,
    value: &str,
) -> Result<Option<signal::Model>, DbErr> {
    let probe = NewSignal {
        kind,
        value: value.to_owned(),
        quality: None,
    };
    signal::Entity::find()
        .filter(signal::Column::BankId.eq(bank_id))
        .filter(signal::Column::SignalType.eq(kind.as_str()))
        .filter(signal::Column::Value.eq(probe.stored().0))
        .one(txn)
        .await
}

/// Removes one signal from its bank (matching stops at the next change-log sync). Returns
/// whether it was there.
pub async fn remove_signal_in(txn: &DatabaseTransaction, signal_id: i64) -> Result<bool, DbErr> {
    let Some(row) = signal::Entity::find_by_id(signal_id).one(txn).await? else {
        return Ok(false);
    };
    signal::Entity::delete_by_id(signal_id).exec(txn).await?;
    record_change(txn, "signal_removed", row.bank_id, Some(signal_id)).await?;
    Ok(true)
}

async fn insert_content(
    txn: &DatabaseTransaction,
    target: &bank::Model,
    added_by: i32,
    meta: &ContentMeta,
    signals: &[NewSignal],
) -> Result<Added, BankError> {
    let mut fresh = Vec::new();
    let mut existing_content = None;
    for s in signals {
        let found = signal::Entity::find()
            .filter(signal::Column::BankId.eq(target.id))
            .filter(signal::Column::SignalType.eq(s.kind.as_str()))
            .filter(signal::Column::Value.eq(s.stored().0))
            .one(txn)
            .await?;
        match found {
            Some(row) => existing_content = existing_content.or(Some(row.content_id)),
            None if !fresh.contains(&s) => fresh.push(s),
            None => {}
        }
    }
    if fresh.is_empty() {
        return Ok(Added {
            bank_id: target.id,
            content_id: existing_content.unwrap_or_default(),
            new_signals: 0,
        });
    }
    let item = content::ActiveModel {
        bank_id: Set(target.id),
        note: Set(meta.note.clone()),
        category: Set(meta.category.clone()),
        tags: Set(meta.tags.join(" ")),
        source: Set(meta.source.clone()),
        enabled: Set(true),
        added_by: Set((added_by > 0).then_some(added_by)),
        added_at: Set(now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for s in &fresh {
        let (value, body) = s.stored();
        let row = signal::ActiveModel {
            bank_id: Set(target.id),
            content_id: Set(item.id),
            signal_type: Set(s.kind.as_str().to_owned()),
            value: Set(value),
            quality: Set(s.quality),
            body: Set(body),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        record_change(txn, "signal_added", target.id, Some(row.id)).await?;
    }
    Ok(Added {
        bank_id: target.id,
        content_id: item.id,
        new_signals: fresh.len(),
    })
}

/// Imports many signals as one transaction: either every new signal is in the bank afterwards,
/// or (on any error, or if the process dies midway) nothing was written. Signals already in the
/// bank, or repeated in the list, are skipped, so re-importing a list adds nothing. `progress`
/// is called with the number of list entries handled so far.
pub async fn import_signals(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    bank_name: &str,
    source: &str,
    signals: &[(NewSignal, String)],
    mut progress: impl FnMut(usize),
) -> Result<usize, BankError> {
    use sea_orm::QuerySelect;
    use std::collections::HashSet;
    // Large statements: PostgreSQL round trips are slow here (sqlx leaves Nagle on), and 3000
    // rows of 8 columns stay under both backends' parameter limits.
    const BATCH: usize = 3000;

    let txn = store.write().await?;
    let target = bank_for_write(&txn, principal, bank_name).await?;
    lock_chain(&txn, "changes").await?;
    let existing: Vec<(String, String)> = signal::Entity::find()
        .select_only()
        .column(signal::Column::SignalType)
        .column(signal::Column::Value)
        .filter(signal::Column::BankId.eq(target.id))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut seen: HashSet<(String, String)> = existing.into_iter().collect();
    // Each new signal with its note and what its `value` and `body` columns hold.
    type Fresh<'a> = (&'a NewSignal, &'a String, (String, Option<String>));
    let fresh: Vec<Fresh> = signals
        .iter()
        .map(|(s, note)| (s, note, s.stored()))
        .filter(|(s, _, (key, _))| seen.insert((s.kind.as_str().to_owned(), key.clone())))
        .collect();
    let added_by = (principal.user_id > 0).then_some(principal.user_id);
    let at = now();
    let skipped = signals.len() - fresh.len();
    progress(skipped);
    for (done, batch) in fresh.chunks(BATCH).enumerate() {
        let mut contents =
            content::Entity::insert_many(batch.iter().map(|(_, note, _)| content::ActiveModel {
                bank_id: Set(target.id),
                note: Set((*note).clone()),
                category: Set(String::new()),
                tags: Set(String::new()),
                source: Set(source.to_owned()),
                enabled: Set(true),
                added_by: Set(added_by),
                added_at: Set(at),
                ..Default::default()
            }))
            .exec_with_returning(&txn)
            .await?;
        // Both backends number the rows of one INSERT in VALUES order; RETURNING order itself is
        // not guaranteed, so pair by id.
        contents.sort_unstable_by_key(|c| c.id);
        let rows = signal::Entity::insert_many(batch.iter().zip(&contents).map(
            |((s, _, (value, body)), c)| signal::ActiveModel {
                bank_id: Set(target.id),
                content_id: Set(c.id),
                signal_type: Set(s.kind.as_str().to_owned()),
                value: Set(value.clone()),
                quality: Set(s.quality),
                body: Set(body.clone()),
                ..Default::default()
            },
        ))
        .exec_with_returning(&txn)
        .await?;
        change::Entity::insert_many(rows.iter().map(|row| change::ActiveModel {
            at: Set(at),
            kind: Set("signal_added".to_owned()),
            bank_id: Set(target.id),
            signal_id: Set(Some(row.id)),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        progress(skipped + (done * BATCH + batch.len()));
    }
    advance_chain(&txn, "changes", "").await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("bank.import", "bank", target.id.to_string())
            .detail("entries", signals.len())
            .detail("new_signals", fresh.len()),
    )
    .await?;
    txn.commit().await?;
    Ok(fresh.len())
}

impl From<BankError> for crate::http::ApiError {
    fn from(error: BankError) -> Self {
        use crate::http::ApiError;
        match error {
            BankError::Invalid(field, m) => ApiError::invalid(field, m),
            BankError::NoSuchBank(_) => ApiError::not_found(error.to_string()),
            BankError::NameTaken(_) => ApiError::conflict(error.to_string()),
            BankError::Forbidden => ApiError::forbidden(error.to_string()),
            BankError::System(_) => ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "system_bank",
                error.to_string(),
            ),
            BankError::Db(e) => e.into(),
        }
    }
}
