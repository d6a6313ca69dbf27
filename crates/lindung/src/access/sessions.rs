//! Browser sessions: password login with lockout, session lookup, logout.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor, AuditEvent};
use super::entities::{session, user};
use super::{Principal, new_secret, principal_of, token_digest, verify_nothing, verify_password};
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
    /// Wrong email or password, or a locked or disabled account: deliberately the same answer,
    /// after the same work, so that no one learns which accounts exist or are locked.
    Invalid,
}

/// Checks a password and opens a session. Failures count towards a temporary lockout.
pub async fn login(
    store: &Store,
    email: &str,
    password: &str,
    source: Option<String>,
) -> Result<LoginOutcome, DbErr> {
    let email = email.trim().to_lowercase();
    let Some(account) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(store.db())
        .await?
    else {
        verify_nothing(password).await;
        return Ok(LoginOutcome::Invalid);
    };
    let at = now();
    let locked = account.locked_until.is_some_and(|until| until > at);
    let usable = !locked && !account.disabled;
    let ok = match account.password_hash.as_deref() {
        Some(stored) if usable => verify_password(password, stored).await,
        _ => {
            verify_nothing(password).await;
            false
        }
    };
    let actor = Actor {
        user_id: Some(account.id),
        label: format!("user:{}", account.id),
        source: source.clone(),
    };
    if !ok {
        // Every failure is counted and audited, a locked account's too.
        count_failure(store, &actor, account.id, at).await?;
        return Ok(LoginOutcome::Invalid);
    }
    let txn = store.write().await?;
    // Checked again as the session is made: guesses sent at once all read "not locked" before
    // any was checked, and an admin may have disabled the account meanwhile. Only an account
    // still usable now opens a session (and only then is its count cleared).
    let still_usable = user::Entity::update_many()
        .col_expr(user::Column::FailedLogins, Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(None::<OffsetDateTime>),
        )
        .filter(user::Column::Id.eq(account.id))
        .filter(user::Column::Disabled.eq(false))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::LockedUntil.is_null())
                .add(user::Column::LockedUntil.lte(now())),
        )
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if !still_usable {
        txn.rollback().await?;
        return Ok(LoginOutcome::Invalid);
    }
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

/// Counts a failed login in the database itself (`failed_logins + 1`), so that attempts made at
/// once each count; the one that reaches the limit locks the account.
async fn count_failure(
    store: &Store,
    actor: &Actor,
    user_id: i32,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let txn = store.write().await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::FailedLogins,
            Expr::col(user::Column::FailedLogins).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    let locked = user::Entity::update_many()
        .col_expr(user::Column::FailedLogins, Expr::value(0))
        .col_expr(user::Column::LockedUntil, Expr::value(Some(at + LOCKOUT)))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::FailedLogins.gte(MAX_FAILED_LOGINS))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    audit::append(
        &txn,
        actor,
        AuditEvent::new("session.login_failed", "user", user_id.to_string())
            .detail("locked", locked),
    )
    .await?;
    txn.commit().await
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
    let txn = store.write().await?;
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
