//! Self-report: a person hashes their own pictures on their device (the page runs PDQ and MD5
//! in WebAssembly) and sends only the hashes. They go to the `SELF_REPORT` bank, which
//! platforms match against through the usual APIs and sync incrementally. The person gets a
//! case number and a PIN to check the status and to withdraw, which removes the hashes from the
//! bank at once.

pub mod entities;
mod feed;
pub mod routes;

use std::sync::Arc;

use axum::body::Bytes;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use self::entities::{case, feedback, hash};
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::{self, Principal, pins};
use crate::banks::BanksContext;
use crate::banks::store::{self as banks, BankError, ContentMeta, NewSignal, SignalType};
use crate::helpers::now;
use crate::http::RateLimiter;
use crate::store::Store;
use crate::store::fields::FieldCipher;

pub use feed::{FeedEntry, HelpRequest, feed, help_requests, record_feedback};
pub use routes::endpoints;

/// What self-report needs: the store, the field cipher for contacts, the banks its hashes go
/// to, the limits on what one address may send, and the browser's PDQ module.
#[derive(Clone, Debug)]
pub struct SelfReportContext {
    pub store: Store,
    pub fields: Arc<FieldCipher>,
    pub banks: BanksContext,
    /// Submissions per client address.
    pub submit_limit: Arc<RateLimiter>,
    /// Status checks and withdrawals per client address (PIN guesses), shared with the
    /// hotline's status page.
    pub lookup_limit: Arc<RateLimiter>,
    /// The browser's PDQ module (`scripts/build-wasm`), served at `/static/pdq.wasm`.
    pub pdq_wasm: Option<Bytes>,
}

/// The bank self-reported hashes go to.
pub const BANK: &str = "SELF_REPORT";
/// Pictures (or videos) in one submission.
pub const MAX_FILES: usize = 20;
pub use crate::access::pins::{LOCK_MINUTES, MAX_FAILED_PINS};
pub const AGE_RANGES: &[&str] = &["under_13", "13_15", "16_17", "18_plus"];
pub const FEEDBACK_KINDS: &[&str] = &["matched", "blocked", "not_blocked"];

#[derive(Debug, thiserror::Error)]
pub enum SelfReportError {
    /// A field is invalid; the first value names it.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// Unknown case number, wrong PIN, or a locked case: deliberately indistinguishable.
    #[error("the case number or PIN is not right, or too many tries were made; try again later")]
    NotFound,
    #[error("this report was already withdrawn")]
    AlreadyWithdrawn,
    #[error("{0}")]
    Bank(#[from] BankError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

/// One file's hashes as the page computed them: PDQ and its quality for pictures, MD5 always.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileHashes {
    pub pdq: Option<String>,
    pub quality: Option<i32>,
    pub md5: Option<String>,
}

/// A submission.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub files: Vec<FileHashes>,
    /// `under_13`, `13_15`, `16_17` or `18_plus`.
    pub age_range: Option<String>,
    /// How a case worker may reach the person, if they ask for help.
    pub contact: Option<String>,
    /// The person asks a case worker for help.
    #[serde(default)]
    pub help: bool,
    /// The person agrees that a case worker uses the contact to reach them.
    #[serde(default)]
    pub consent: bool,
    pub language: Option<String>,
    /// Left empty by people; bots that fill in every field fill it in (the page hides it).
    #[serde(default)]
    pub website: String,
}

/// What the person is given once, on submission.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub case_number: String,
    pub pin: String,
}

/// What the person may see.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `received`, `active` or `withdrawn`.
    pub status: String,
    /// How many times platforms reported a match on these hashes.
    pub matches: u64,
}

/// The self-report bank and the system principal that owns it (the system organisation).
async fn bank_owner(store: &Store) -> Result<Principal, SelfReportError> {
    Ok(banks::system_bank(store, BANK).await?)
}

/// The deployment acting in the organisation that runs it (the default one), whose staff pick
/// up calls for help: care cases are opened there, not in the system organisation.
async fn deployment_staff(store: &Store, owner: &Principal) -> Result<Principal, SelfReportError> {
    let organisation_id = access::organisation_id(
        store,
        &Actor::anonymous(Some("system".into())),
        access::DEFAULT_ORGANISATION,
    )
    .await
    .map_err(|e| SelfReportError::Internal(e.to_string()))?;
    Ok(Principal {
        organisation_id,
        ..owner.clone()
    })
}

fn new_case_number() -> Result<String, SelfReportError> {
    pins::new_reference("SR").map_err(SelfReportError::Internal)
}

fn validate(submission: &Submission) -> Result<Vec<(NewSignal, SignalType)>, SelfReportError> {
    if submission.files.is_empty() {
        return Err(SelfReportError::Invalid(
            "files",
            "choose at least one picture".into(),
        ));
    }
    if submission.files.len() > MAX_FILES {
        return Err(SelfReportError::Invalid(
            "files",
            format!("at most {MAX_FILES} files at a time"),
        ));
    }
    if let Some(age) = &submission.age_range
        && !AGE_RANGES.contains(&age.as_str())
    {
        return Err(SelfReportError::Invalid(
            "age_range",
            format!("age_range is one of {}", AGE_RANGES.join(", ")),
        ));
    }
    if submission
        .contact
        .as_ref()
        .is_some_and(|c| c.chars().count() > 200)
    {
        return Err(SelfReportError::Invalid(
            "contact",
            "the contact is at most 200 characters".into(),
        ));
    }
    if submission.help && !submission.consent {
        return Err(SelfReportError::Invalid(
            "consent",
            "a case worker can only contact you if you agree to it".into(),
        ));
    }
    let mut signals = Vec::new();
    for (i, file) in submission.files.iter().enumerate() {
        if file.pdq.is_none() && file.md5.is_none() {
            return Err(SelfReportError::Invalid(
                "files",
                format!("file {}: no hash", i + 1),
            ));
        }
        if let Some(pdq) = &file.pdq {
            let quality = file.quality.unwrap_or(0);
            // A zero-quality hash (a blank picture) would match every other blank picture.
            if !(1..=100).contains(&quality) {
                return Err(SelfReportError::Invalid(
                    "quality",
                    format!(
                        "file {}: this picture cannot be protected (quality {quality})",
                        i + 1
                    ),
                ));
            }
            let signal = NewSignal::self_reported_pdq(pdq, quality)
                .map_err(|e| SelfReportError::Invalid("pdq", format!("file {}: {e}", i + 1)))?;
            signals.push((signal, SignalType::Pdq));
        }
        if let Some(md5) = &file.md5 {
            let signal = NewSignal::new(SignalType::Md5, md5, None)
                .map_err(|e| SelfReportError::Invalid("md5", format!("file {}: {e}", i + 1)))?;
            signals.push((signal, SignalType::Md5));
        }
    }
    Ok(signals)
}

/// Records a submission: the hashes go to the self-report bank, the case is created with a
/// new PIN, all in one transaction. Returns the case number and the PIN, shown only this once.
pub async fn submit(
    ctx: &SelfReportContext,
    actor: &Actor,
    submission: &Submission,
) -> Result<Receipt, SelfReportError> {
    let SelfReportContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let signals = validate(submission)?;
    let owner = bank_owner(store).await?;
    let staff = deployment_staff(store, &owner).await?;
    let case_number = new_case_number()?;
    let pin = pins::random_digits(8).map_err(SelfReportError::Internal)?;
    let pin_hash = access::hash_password(&pin)
        .await
        .map_err(|e| SelfReportError::Internal(e.to_string()))?;
    let contact = match submission.contact.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(
            cipher
                .seal(&contact_context(&case_number), c)
                .map_err(|e| SelfReportError::Internal(e.to_string()))?,
        ),
        _ => None,
    };
    let language = submission
        .language
        .as_deref()
        .filter(|l| {
            crate::http::i18n::PUBLIC_LANGUAGES
                .iter()
                .any(|(code, _)| code == l)
        })
        .unwrap_or("en")
        .to_owned();

    let txn = store.write().await?;
    let new_signals: Vec<NewSignal> = signals.iter().map(|(s, _)| s.clone()).collect();
    let meta = ContentMeta {
        note: String::new(),
        category: "self-report".into(),
        tags: Vec::new(),
        source: "self-report".into(),
    };
    let added = banks::add_content_in(&txn, &owner, BANK, &meta, &new_signals).await?;
    let care_case = if submission.help {
        Some(open_care_case(&txn, cipher, &staff, submission, &language, &case_number).await?)
    } else {
        None
    };
    let created = case::ActiveModel {
        case_number: Set(case_number.clone()),
        pin_hash: Set(pin_hash),
        status: Set("received".into()),
        age_range: Set(submission.age_range.clone()),
        contact: Set(contact),
        help_requested: Set(submission.help),
        consent_to_contact: Set(submission.consent),
        language: Set(language),
        failed_pins: Set(0),
        locked_until: Set(None),
        created_at: Set(now()),
        withdrawn_at: Set(None),
        care_case_id: Set(care_case.as_ref().map(|c| c.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let signal_ids = record_hashes(&txn, created.id, added.bank_id, &signals).await?;
    // The person shared these hashes to have them blocked: if they are seen again, the case
    // worker hears of it.
    if let Some(opened) = &care_case {
        crate::care::add_consent_in(
            &txn,
            cipher,
            opened.id,
            crate::care::ConsentPurpose::HashSharing,
            "child",
            &format!("self-report {case_number}: submitted the hashes to be blocked"),
            None,
        )
        .await
        .map_err(|e| SelfReportError::Internal(e.to_string()))?;
        crate::care::workflow::link_signals_in(&txn, opened.id, &signal_ids).await?;
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "selfreport.submit",
            "selfreport_case",
            created.id.to_string(),
        )
        .detail("hashes", signals.len())
        .detail("help_requested", submission.help)
        .detail("care_case", care_case.as_ref().map(|c| c.id)),
    )
    .await?;
    Ok(Receipt { case_number, pin })
}

/// Asking for help opens a care case in the deployment's organisation, for its supervisors to
/// assign, with the person's consent to services recorded.
async fn open_care_case(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    owner: &Principal,
    submission: &Submission,
    language: &str,
    case_number: &str,
) -> Result<crate::care::entities::case::Model, SelfReportError> {
    let identity = crate::care::Identity {
        contact: submission.contact.clone().filter(|c| !c.trim().is_empty()),
        language: Some(language.to_owned()),
        ..Default::default()
    };
    let opened =
        crate::care::create_case_in(txn, cipher, owner, &identity, "medium", "self-report")
            .await
            .map_err(|e| SelfReportError::Internal(e.to_string()))?;
    crate::care::add_consent_in(
        txn,
        cipher,
        opened.id,
        crate::care::ConsentPurpose::Services,
        "child",
        &format!("self-report {case_number}: asked for help and agreed to be contacted"),
        None,
    )
    .await
    .map_err(|e| SelfReportError::Internal(e.to_string()))?;
    Ok(opened)
}

/// Records which bank signals a case's hashes are, so withdrawal removes exactly those;
/// returns the signal ids.
async fn record_hashes(
    txn: &DatabaseTransaction,
    case_id: i64,
    bank_id: i32,
    signals: &[(NewSignal, SignalType)],
) -> Result<Vec<i64>, SelfReportError> {
    let mut signal_ids = Vec::with_capacity(signals.len());
    for (s, kind) in signals {
        let row = banks::find_signal(txn, bank_id, *kind, &s.value)
            .await?
            .ok_or_else(|| SelfReportError::Internal("signal missing after insert".into()))?;
        hash::ActiveModel {
            case_id: Set(case_id),
            signal_type: Set(kind.as_str().to_owned()),
            value: Set(s.value.clone()),
            quality: Set(s.quality),
            signal_id: Set(row.id),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        signal_ids.push(row.id);
    }
    Ok(signal_ids)
}

/// The column self-report seals, for re-encryption after a key rotation.
pub const SEALED_COLUMNS: &[crate::store::reseal::SealedColumn] =
    &[crate::store::reseal::SealedColumn {
        table: "selfreport_cases",
        column: "contact",
        context: "selfreport_cases.contact",
        context_from: "case_number",
    }];

fn contact_context(case_number: &str) -> String {
    format!("selfreport_cases.contact:{case_number}")
}

/// The case if `pin` is right; counts wrong PINs per case and locks it after
/// [`MAX_FAILED_PINS`], whoever guesses.
async fn unlock(
    txn: &DatabaseTransaction,
    case_number: &str,
    pin: &str,
) -> Result<case::Model, SelfReportError> {
    let found = case::Entity::find()
        .filter(case::Column::CaseNumber.eq(pins::normalise_reference(case_number)))
        .lock_exclusive()
        .one(txn)
        .await?;
    let Some(found) = found else {
        pins::check_nothing(pin).await;
        return Err(SelfReportError::NotFound);
    };
    let state = pins::PinState {
        pin_hash: &found.pin_hash,
        failed_pins: found.failed_pins,
        locked_until: found.locked_until,
    };
    match pins::check(state, pin, now()).await {
        pins::PinCheck::Right { reset: false } => Ok(found),
        pins::PinCheck::Right { reset: true } => {
            let mut reset: case::ActiveModel = found.into();
            reset.failed_pins = Set(0);
            reset.locked_until = Set(None);
            Ok(reset.update(txn).await?)
        }
        pins::PinCheck::Locked => Err(SelfReportError::NotFound),
        pins::PinCheck::Wrong {
            failed_pins,
            locked_until,
        } => {
            let mut counted: case::ActiveModel = found.into();
            counted.failed_pins = Set(failed_pins);
            counted.locked_until = Set(locked_until);
            counted.update(txn).await?;
            Err(SelfReportError::NotFound)
        }
    }
}

async fn status_of(
    txn: &DatabaseTransaction,
    found: &case::Model,
) -> Result<Status, SelfReportError> {
    let signal_ids: Vec<i64> = hash::Entity::find()
        .select_only()
        .column(hash::Column::SignalId)
        .filter(hash::Column::CaseId.eq(found.id))
        .into_tuple()
        .all(txn)
        .await?;
    let matches = feedback::Entity::find()
        .filter(feedback::Column::SignalId.is_in(signal_ids))
        .count(txn)
        .await?;
    Ok(Status {
        status: found.status.clone(),
        matches,
    })
}

/// The status of a case, for its case number and PIN.
pub async fn status(
    store: &Store,
    actor: &Actor,
    case_number: &str,
    pin: &str,
) -> Result<Status, SelfReportError> {
    let txn = store.write().await?;
    let found = match unlock(&txn, case_number, pin).await {
        Ok(found) => found,
        // Keeps the wrong-PIN count.
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let status = status_of(&txn, &found).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("selfreport.status", "selfreport_case", found.id.to_string()),
    )
    .await?;
    Ok(status)
}

/// Withdraws a case: every hash no other active case still needs leaves the bank, in the same
/// transaction that marks the case withdrawn.
pub async fn withdraw(
    ctx: &SelfReportContext,
    actor: &Actor,
    case_number: &str,
    pin: &str,
) -> Result<Status, SelfReportError> {
    let txn = ctx.store.write().await?;
    let found = match unlock(&txn, case_number, pin).await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    if found.status == "withdrawn" {
        return Err(SelfReportError::AlreadyWithdrawn);
    }
    let mine = hash::Entity::find()
        .filter(hash::Column::CaseId.eq(found.id))
        .all(&txn)
        .await?;
    let mut removed = 0;
    // Signals another active case reported too stay in the bank.
    let active_cases: Vec<i64> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::Status.ne("withdrawn"))
        .filter(case::Column::Id.ne(found.id))
        .into_tuple()
        .all(&txn)
        .await?;
    let shared: std::collections::HashSet<i64> = hash::Entity::find()
        .filter(hash::Column::SignalId.is_in(mine.iter().map(|h| h.signal_id)))
        .filter(hash::Column::CaseId.is_in(active_cases))
        .all(&txn)
        .await?
        .into_iter()
        .map(|h| h.signal_id)
        .collect();
    for h in mine.iter().filter(|h| !shared.contains(&h.signal_id)) {
        if banks::remove_signal_in(&txn, h.signal_id).await? {
            removed += 1;
        }
    }
    // Every copy of the contact goes: the care case opened for the request keeps its work,
    // not how to reach the person.
    if let Some(care_case) = found.care_case_id {
        crate::care::forget_contact_in(&txn, &ctx.fields, care_case)
            .await
            .map_err(|e| SelfReportError::Internal(e.to_string()))?;
    }
    let mut update: case::ActiveModel = found.into();
    update.status = Set("withdrawn".into());
    update.withdrawn_at = Set(Some(now()));
    // The contact is no longer needed once the person has withdrawn.
    update.contact = Set(None);
    let withdrawn = update.update(&txn).await?;
    let status = status_of(&txn, &withdrawn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "selfreport.withdraw",
            "selfreport_case",
            withdrawn.id.to_string(),
        )
        .detail("signals_removed", removed),
    )
    .await?;
    Ok(status)
}
