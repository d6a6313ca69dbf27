//! An account's lifecycle: disabling and enabling it, ending its sessions, and one-time
//! password-reset links. Every change is audited with the administrator who made it.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use time::{Duration, OffsetDateTime};

use super::audit::{Actor, AuditEvent, append};
use super::entities::{password_reset, session, user};
use super::{
    AccessError, Administrator, check_password_strength, hash_password, new_secret, token_digest,
};
use crate::helpers::now;
use crate::store::Store;

/// How long a password-reset link works.
pub const RESET_LIFETIME: Duration = Duration::hours(24);

/// The user an administrator acts on, refused unless they administer the user's organisation.
async fn managed_user(
    txn: &DatabaseTransaction,
    by: &Administrator,
    user_id: i32,
) -> Result<user::Model, AccessError> {
    let target = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or_else(|| AccessError::NoSuchUser(format!("#{user_id}")))?;
    by.check_manages(&target)?;
    Ok(target)
}

async fn delete_sessions(txn: &DatabaseTransaction, user_id: i32) -> Result<u64, AccessError> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Disables (and ends the sessions of) or enables a user. A disabled user's sessions and API
/// tokens are refused; the caller must also forget cached tokens.
pub async fn set_disabled(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    user_id: i32,
    disabled: bool,
) -> Result<user::Model, AccessError> {
    let txn = store.write().await?;
    let target = managed_user(&txn, by, user_id).await?;
    if disabled && by.is(&target) {
        return Err(AccessError::Invalid(
            "id",
            "you cannot disable your own account".into(),
        ));
    }
    let organisation_id = target.organisation_id;
    let mut active: user::ActiveModel = target.into();
    active.disabled = Set(disabled);
    let updated = active.update(&txn).await?;
    let ended = if disabled {
        delete_sessions(&txn, user_id).await?
    } else {
        0
    };
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    append(
        &txn,
        actor,
        AuditEvent::new(action, "user", user_id.to_string())
            .detail("organisation_id", organisation_id)
            .detail("sessions_ended", ended),
    )
    .await?;
    txn.commit().await?;
    // A disabled account's tokens must not pass on what the database said before.
    super::token_cache::forget_all();
    Ok(updated)
}

/// Ends every session of a user; returns how many there were.
pub async fn end_sessions(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    user_id: i32,
) -> Result<u64, AccessError> {
    let txn = store.write().await?;
    let target = managed_user(&txn, by, user_id).await?;
    let ended = delete_sessions(&txn, user_id).await?;
    append(
        &txn,
        actor,
        AuditEvent::new("user.sessions_end", "user", user_id.to_string())
            .detail("organisation_id", target.organisation_id)
            .detail("sessions_ended", ended),
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}

/// Issues a one-time password-reset link's secret for a user (shown once, stored as SHA-256).
/// Links issued before for the same user stop working.
pub async fn issue_reset(
    store: &Store,
    actor: &Actor,
    by: &Administrator,
    user_id: i32,
) -> Result<String, AccessError> {
    let secret = new_secret("lndr_")?;
    let at = now();
    let txn = store.write().await?;
    let target = managed_user(&txn, by, user_id).await?;
    spend_open_resets(&txn, user_id, at).await?;
    let reset = password_reset::ActiveModel {
        user_id: Set(user_id),
        secret_hash: Set(token_digest(&secret)),
        created_by: Set(actor.user_id),
        created_at: Set(at),
        expires_at: Set(at + RESET_LIFETIME),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append(
        &txn,
        actor,
        AuditEvent::new("user.reset_link", "user", user_id.to_string())
            .detail("organisation_id", target.organisation_id)
            .detail("reset_id", reset.id),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

async fn spend_open_resets(
    txn: &DatabaseTransaction,
    user_id: i32,
    at: OffsetDateTime,
) -> Result<(), AccessError> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(at)))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The live (unused, unexpired) reset link with this secret.
pub async fn live_reset(
    store: &Store,
    secret: &str,
) -> Result<Option<password_reset::Model>, AccessError> {
    Ok(password_reset::Entity::find()
        .filter(password_reset::Column::SecretHash.eq(token_digest(secret)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now()))
        .one(store.db())
        .await?)
}

/// Sets a new password through a reset link, once: the link is spent, the user's sessions end
/// and a lockout is lifted. `Ok(false)` when the link is unknown, used or expired.
pub async fn reset_password(
    store: &Store,
    secret: &str,
    password: &str,
    source: Option<String>,
) -> Result<bool, AccessError> {
    check_password_strength(password)?;
    if live_reset(store, secret).await?.is_none() {
        return Ok(false);
    }
    let password_hash = hash_password(password).await?;
    let at = now();
    let txn = store.write().await?;
    let Some(reset) = password_reset::Entity::find()
        .filter(password_reset::Column::SecretHash.eq(token_digest(secret)))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    // Spent only if still live: of two uses at once, one finds it gone.
    let spent = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Some(at)))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(at))
        .exec(&txn)
        .await?
        .rows_affected;
    if spent != 1 {
        return Ok(false);
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(Some(password_hash)))
        .col_expr(user::Column::FailedLogins, Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::value(None::<OffsetDateTime>),
        )
        .filter(user::Column::Id.eq(reset.user_id))
        .exec(&txn)
        .await?;
    let ended = delete_sessions(&txn, reset.user_id).await?;
    let actor = Actor {
        user_id: Some(reset.user_id),
        label: format!("user:{}", reset.user_id),
        source,
    };
    append(
        &txn,
        &actor,
        AuditEvent::new("user.password_reset", "user", reset.user_id.to_string())
            .detail("reset_id", reset.id)
            .detail("issued_by", reset.created_by)
            .detail("sessions_ended", ended),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
