//! Organisations, users, roles, API tokens and the audit log.

pub mod admins;
pub mod audit;
pub mod entities;
pub mod lifecycle;
mod passwords;
pub mod pins;
pub mod sessions;
pub mod token_cache;

use crate::helpers::{hex, now, sha256_hex};
use crate::store::Store;
pub use admins::Administrator;
use audit::{Actor, AuditEvent};
use entities::{api_token, organisation, user};
pub use passwords::{hash_password, verify_nothing, verify_password};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};

/// The organisation users join when none is named.
pub const DEFAULT_ORGANISATION: &str = "default";
/// The organisation that owns what the deployment keeps itself (the self-report and care
/// banks). It has no users: none can be added to it.
pub const SYSTEM_ORGANISATION: &str = "system";

crate::helpers::vocabulary! {
    /// What a user may do. Every route names the roles it admits.
    pub enum Role {
        Admin = "admin",
        /// Hotline analyst.
        Analyst = "analyst",
        CaseWorker = "case_worker",
        Supervisor = "supervisor",
        LawEnforcement = "law_enforcement",
        /// Aggregate statistics only.
        Researcher = "researcher",
        /// An IT company's API client.
        Platform = "platform",
        /// A ministry's or regional body's officer: the legal-framework self-assessment and the
        /// Regional Plan of Action indicators (aggregates only).
        PolicyOfficer = "policy_officer",
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i32,
    pub organisation_id: i32,
    pub email: String,
    pub role: Role,
    /// The user's chosen interface language, if any.
    pub language: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// A value that fails validation, and the field it came in.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("a user with the email {0} already exists")]
    EmailTaken(String),
    #[error("no such user: {0}")]
    NoSuchUser(String),
    /// The caller may not do this to this record; the message says why.
    #[error("{0}")]
    Forbidden(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// SHA-256 of a token, as stored: tokens are 256 random bits, so a fast hash is enough.
pub fn token_digest(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A new random secret, prefixed so that leaked tokens are easy to recognise and scan for.
pub fn new_secret(prefix: &str) -> Result<String, AccessError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AccessError::Hashing(e.to_string()))?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

fn check_password_strength(password: &str) -> Result<(), AccessError> {
    if password.chars().count() < 12 {
        return Err(AccessError::Invalid(
            "password",
            "the password must have at least 12 characters".into(),
        ));
    }
    Ok(())
}

fn check_email(email: &str) -> Result<String, AccessError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !valid {
        return Err(AccessError::Invalid(
            "email",
            format!("{email:?} is not an email address"),
        ));
    }
    Ok(email)
}

/// The id of the named organisation, if it exists.
pub async fn find_organisation(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
) -> Result<Option<i32>, DbErr> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|o| o.id))
}

/// The id of the named organisation, created (and audited) if it does not exist yet.
pub async fn organisation_id(store: &Store, actor: &Actor, name: &str) -> Result<i32, AccessError> {
    let txn = store.write().await?;
    let org = find_or_create_organisation(&txn, actor, name).await?;
    txn.commit().await?;
    Ok(org.id)
}

async fn find_or_create_organisation(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    name: &str,
) -> Result<organisation::Model, AccessError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccessError::Invalid(
            "organisation",
            "the organisation name is empty".into(),
        ));
    }
    if let Some(org) = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(txn)
        .await?
    {
        return Ok(org);
    }
    let org = organisation::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::append(
        txn,
        actor,
        AuditEvent::new("organisation.create", "organisation", org.id.to_string()),
    )
    .await?;
    Ok(org)
}

/// Adds a user as the operator (the command line): see [`add_user_as`].
pub async fn add_user(
    store: &Store,
    actor: &Actor,
    email: &str,
    role: Role,
    organisation: Option<&str>,
    password: &str,
) -> Result<user::Model, AccessError> {
    let by = Administrator::Operator;
    add_user_as(store, actor, &by, email, role, organisation, password).await
}

/// Adds a user (creating the organisation if needed) and audits it, in one transaction. An
/// organisation administrator adds users to their own organisation only (the default when none
/// is named).
pub async fn add_user_as(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    email: &str,
    role: Role,
    organisation: Option<&str>,
    password: &str,
) -> Result<user::Model, AccessError> {
    let email = check_email(email)?;
    check_password_strength(password)?;
    let password_hash = hash_password(password).await?;
    let txn = store.write().await?;
    let org_name = match organisation {
        Some(name) => name.trim().to_owned(),
        None => by.default_organisation(&txn).await?,
    };
    if org_name.is_empty() {
        return Err(AccessError::Invalid(
            "organisation",
            "the organisation name is empty".into(),
        ));
    }
    if org_name.eq_ignore_ascii_case(SYSTEM_ORGANISATION) {
        return Err(AccessError::Invalid(
            "organisation",
            format!(
                "the {SYSTEM_ORGANISATION:?} organisation belongs to the deployment and has no users"
            ),
        ));
    }
    by.check_organisation_name(&txn, &org_name).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AccessError::EmailTaken(email));
    }
    let org = find_or_create_organisation(&txn, actor, &org_name).await?;
    let created = user::ActiveModel {
        organisation_id: Set(org.id),
        email: Set(email),
        password_hash: Set(Some(password_hash)),
        role: Set(role),
        language: Set(None),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("user.create", "user", created.id.to_string())
            .detail("role", role.as_str())
            .detail("organisation_id", org.id),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates an API token as the operator (the command line): see [`create_token_as`].
pub async fn create_token(
    store: &Store,
    actor: &Actor,
    email: &str,
    name: &str,
) -> Result<String, AccessError> {
    create_token_as(store, actor, &Administrator::Operator, email, name).await
}

/// Creates an API token for a user and returns the secret, which is stored only as a hash. A
/// signed-in admin mints only for themself or a platform account they administer; the audit
/// entry names who acted, and the token's owner in its details.
pub async fn create_token_as(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    email: &str,
    name: &str,
) -> Result<String, AccessError> {
    let email = check_email(email)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AccessError::Invalid(
            "name",
            "a token needs a name of 1 to 200 characters".into(),
        ));
    }
    let secret = new_secret("lndg_")?;
    let txn = store.write().await?;
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .ok_or_else(|| AccessError::NoSuchUser(email.clone()))?;
    by.check_mints_for(&owner)?;
    let token = api_token::ActiveModel {
        user_id: Set(owner.id),
        name: Set(name.to_owned()),
        token_hash: Set(token_digest(&secret)),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("token.create", "api_token", token.id.to_string())
            .detail("owner_user_id", owner.id)
            .detail("owner_organisation_id", owner.organisation_id),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// Revokes a token by id as the operator: see [`revoke_token_as`].
pub async fn revoke_token(
    store: &Store,
    actor: &Actor,
    token_id: i32,
) -> Result<bool, AccessError> {
    revoke_token_as(store, actor, &Administrator::Operator, token_id).await
}

/// Revokes a token by id; returns whether it was live. An organisation administrator revokes
/// only tokens of their organisation's users.
pub async fn revoke_token_as(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    token_id: i32,
) -> Result<bool, AccessError> {
    let txn = store.write().await?;
    let Some(token) = api_token::Entity::find_by_id(token_id).one(&txn).await? else {
        return Ok(false);
    };
    if token.revoked_at.is_some() {
        return Ok(false);
    }
    if let Some(owner) = user::Entity::find_by_id(token.user_id).one(&txn).await? {
        by.check_manages(&owner)?;
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(now()));
    active.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("token.revoke", "api_token", token_id.to_string()),
    )
    .await?;
    txn.commit().await?;
    // After the commit: a check that read the token before it would otherwise put it back.
    token_cache::forget_all();
    Ok(true)
}

/// The caller a bearer token belongs to, if the token is live and its user enabled, as the
/// database says now. An error if the database cannot say (nothing stands in for it).
pub async fn authenticate_token(store: &Store, secret: &str) -> Result<Option<Principal>, DbErr> {
    checked_token(store, &token_digest(secret)).await
}

/// As [`authenticate_token`], for the routes answered from memory alone (hash lookups): while
/// the database cannot be reached, the answer it last gave for this token stands in (see
/// [`token_cache`]), so that lookups outlive a database outage. No other route takes a token
/// this way: a disabled or revoked token could pass here until the database is back.
pub async fn authenticate_token_from_memory(
    store: &Store,
    secret: &str,
) -> Result<Option<Principal>, DbErr> {
    let digest = token_digest(secret);
    if token_cache::unreachable(store)
        && let Some(principal) = token_cache::fallback(store, &digest)
    {
        // The database could not be reached when last asked: answer from what it said, and ask
        // it again in the background, one question at a time and for a bounded time, so that no
        // request waits for the pool to give up during an outage. The first answer it gives
        // ends the fallback.
        if let Some(guard) = token_cache::begin_probe(store) {
            let store = store.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    token_cache::PROBE_TIMEOUT,
                    checked_token(&store, &digest),
                )
                .await;
                drop(guard);
            });
        }
        return Ok(Some(principal));
    }
    match checked_token(store, &digest).await {
        Err(error) if crate::store::unreachable(&error) => {
            token_cache::fallback(store, &digest).map(Some).ok_or(error)
        }
        answer => answer,
    }
}

/// Asks the database about a token, and remembers its answer, or that it could not be reached.
async fn checked_token(store: &Store, digest: &str) -> Result<Option<Principal>, DbErr> {
    match token_from_database(store, digest).await {
        Ok(found) => {
            token_cache::record(store, digest, found.as_ref());
            Ok(found)
        }
        Err(error) => {
            if crate::store::unreachable(&error) {
                token_cache::mark_unreachable(store);
            }
            Err(error)
        }
    }
}

async fn token_from_database(store: &Store, digest: &str) -> Result<Option<Principal>, DbErr> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(store.db())
        .await?
    else {
        return Ok(None);
    };
    let Some(owner) = user::Entity::find_by_id(token.user_id)
        .one(store.db())
        .await?
    else {
        return Ok(None);
    };
    if owner.disabled {
        return Ok(None);
    }
    Ok(Some(principal_of(&owner)))
}

pub(crate) fn principal_of(owner: &user::Model) -> Principal {
    Principal {
        user_id: owner.id,
        organisation_id: owner.organisation_id,
        email: owner.email.clone(),
        role: owner.role,
        language: owner.language.clone(),
    }
}

/// Sets (or with `None` clears) a user's interface language.
pub async fn set_language(
    store: &Store,
    actor: &Actor,
    user_id: i32,
    language: Option<&str>,
) -> Result<(), AccessError> {
    let txn = store.write().await?;
    let Some(found) = user::Entity::find_by_id(user_id).one(&txn).await? else {
        return Err(AccessError::NoSuchUser(format!("#{user_id}")));
    };
    let mut active: user::ActiveModel = found.into();
    active.language = Set(language.map(str::to_owned));
    active.update(&txn).await?;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("user.language", "user", user_id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Number of users, to know whether the first-admin setup is still open.
pub async fn user_count(store: &Store) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    user::Entity::find().count(store.db()).await
}

/// The email addresses of users, by id, so pages name people rather than numbers. Ids with no
/// user are left out.
pub async fn user_emails(
    store: &Store,
    ids: impl IntoIterator<Item = i32>,
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    let ids: std::collections::BTreeSet<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(store.db())
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}
