//! Browser sessions: password login with lockout, session lookup, logout.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor, AuditEvent};
use super::entities::{session, user};
use super::{Principal, new_secret, principal_of, token_digest, verify_password};
use crate::helpers::now;
use crate::store::Store;

/// Failed logins in a row before the account locks.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

#[derive(Debug)]
pub enum LoginOutcome {
    /// The cookie secret and the session's CSRF token.
    Success {
        secret: String,
        csrf: String,
        principal: Principal,
    },
    /// Wrong email or password (deliberately not saying which).
    Invalid,
    Locked {
        until: OffsetDateTime,
    },
}

/// Checks a password and opens a session. Failures count towards a temporary lockout.
pub async fn login(
    store: &Store,
    email: &str,
    password: &str,
    source: Option<String>,
) -> Result<LoginOutcome, DbErr> {
    let email = email.trim().to_lowercase();
    let txn = store.db().begin().await?;
    let Some(account) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
    else {
        // Same work as a real check, so timing does not reveal which emails exist.
        let _ = verify_password(password, dummy_hash());
        return Ok(LoginOutcome::Invalid);
    };
    let at = now();
    if let Some(until) = account.locked_until
        && until > at
    {
        return Ok(LoginOutcome::Locked { until });
    }
    let ok = !account.disabled
        && account
            .password_hash
            .as_deref()
            .is_some_and(|stored| verify_password(password, stored));
    let actor = Actor {
        user_id: Some(account.id),
        label: format!("user:{}", account.id),
        source: source.clone(),
    };
    let mut active: user::ActiveModel = account.clone().into();
    if !ok {
        let failures = account.failed_logins + 1;
        active.failed_logins = Set(failures);
        let locked = failures >= MAX_FAILED_LOGINS;
        if locked {
            active.failed_logins = Set(0);
            active.locked_until = Set(Some(at + LOCKOUT));
        }
        active.update(&txn).await?;
        audit::append(
            &txn,
            &actor,
            AuditEvent::new("session.login_failed", "user", account.id.to_string())
                .detail("locked", locked),
        )
        .await?;
        txn.commit().await?;
        return Ok(if locked {
            LoginOutcome::Locked {
                until: at + LOCKOUT,
            }
        } else {
            LoginOutcome::Invalid
        });
    }
    active.failed_logins = Set(0);
    active.locked_until = Set(None);
    active.update(&txn).await?;
    let secret = new_secret("").map_err(|e| DbErr::Custom(e.to_string()))?;
    let csrf = new_secret("").map_err(|e| DbErr::Custom(e.to_string()))?;
    session::ActiveModel {
        id_hash: Set(token_digest(&secret)),
        user_id: Set(account.id),
        csrf_token: Set(csrf.clone()),
        created_at: Set(at),
        expires_at: Set(at + SESSION_LIFETIME),
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        &actor,
        AuditEvent::new("session.login", "user", account.id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(LoginOutcome::Success {
        secret,
        csrf,
        principal: principal_of(&account),
    })
}

/// An argon2 hash of a random password, verified against when the email (or a case number) is
/// unknown, so that the answer takes as long as for a known one.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = new_secret("").unwrap_or_default();
        super::hash_password(&password).unwrap_or_default()
    })
}

/// The user and CSRF token of a live session.
pub async fn lookup(store: &Store, secret: &str) -> Result<Option<(Principal, String)>, DbErr> {
    let Some(found) = session::Entity::find_by_id(token_digest(secret))
        .one(store.db())
        .await?
    else {
        return Ok(None);
    };
    if found.expires_at <= now() {
        session::Entity::delete_by_id(found.id_hash)
            .exec(store.db())
            .await?;
        return Ok(None);
    }
    let Some(account) = user::Entity::find_by_id(found.user_id)
        .one(store.db())
        .await?
    else {
        return Ok(None);
    };
    if account.disabled {
        return Ok(None);
    }
    Ok(Some((principal_of(&account), found.csrf_token)))
}

pub async fn logout(store: &Store, secret: &str, actor: &Actor) -> Result<(), DbErr> {
    let txn = store.db().begin().await?;
    let removed = session::Entity::delete_by_id(token_digest(secret))
        .exec(&txn)
        .await?;
    if removed.rows_affected > 0 {
        audit::append(
            &txn,
            actor,
            AuditEvent::new(
                "session.logout",
                "user",
                actor.user_id.map(|id| id.to_string()),
            ),
        )
        .await?;
    }
    txn.commit().await
}
