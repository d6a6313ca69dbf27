//! Who may see and change which bank: an organisation (admins included) its own banks, and
//! platforms also see (match against, list, export) the banks shared with
//! platforms; only the owner changes a bank. The system banks (self-reported hashes, hashes of care cases) belong to the
//! system organisation, which has no users: only the flows that keep them write them, and no
//! bank route lists, changes or adds to them.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};

use super::entities::{BankSharing, bank};
use super::store::{BankError, create_bank, find_bank};
use crate::access::audit::Actor;
use crate::access::{Principal, Role, SYSTEM_ORGANISATION};
use crate::store::Store;

/// Whether `principal` acts for the deployment itself (a system flow, the command line)
/// rather than for a user.
pub fn is_deployment(principal: &Principal) -> bool {
    principal.user_id == 0
}

/// Whether `principal` may manage `bank`: only its organisation's people (an admin too: a
/// private bank is its organisation's alone, whoever administers accounts), or the deployment
/// itself.
pub fn may_manage(principal: &Principal, bank: &bank::Model) -> bool {
    is_deployment(principal) || principal.organisation_id == bank.organisation_id
}

/// Whether `principal` may see `bank`: match against it, list its content, export it.
pub fn may_see(principal: &Principal, bank: &bank::Model) -> bool {
    may_manage(principal, bank)
        || (principal.role == Role::Platform && bank.sharing == BankSharing::Platforms)
}

/// The id of the system organisation (made by migration `m0008_system_banks`).
pub async fn system_organisation(db: &impl ConnectionTrait) -> Result<Option<i32>, DbErr> {
    crate::access::find_organisation(db, SYSTEM_ORGANISATION).await
}

/// Refuses a user's route on a system bank; the deployment's own flows pass.
pub(super) async fn refuse_system(
    db: &impl ConnectionTrait,
    principal: &Principal,
    found: &bank::Model,
) -> Result<(), BankError> {
    if !is_deployment(principal) && system_organisation(db).await? == Some(found.organisation_id) {
        return Err(BankError::System(found.name.clone()));
    }
    Ok(())
}

/// The banks `principal` is shown in bank lists, by name: never the system banks.
pub async fn listed_banks(
    store: &Store,
    principal: &Principal,
) -> Result<Select<bank::Entity>, DbErr> {
    let mut query = bank::Entity::find().order_by_asc(bank::Column::Name);
    if let Some(system) = system_organisation(store.db()).await? {
        query = query.filter(bank::Column::OrganisationId.ne(system));
    }
    let own = bank::Column::OrganisationId.eq(principal.organisation_id);
    query = match principal.role {
        Role::Platform => query.filter(
            Condition::any()
                .add(own)
                .add(bank::Column::Sharing.eq(BankSharing::Platforms)),
        ),
        _ => query.filter(own),
    };
    Ok(query)
}

/// The bank `name` if `principal` may see it ([`may_see`]); changing it takes more (its
/// organisation). A bank the caller may not see is reported as absent, not as
/// forbidden: its name is not the caller's business. A system bank is refused by name (403
/// `system_bank`).
pub async fn visible_bank(
    store: &Store,
    principal: &Principal,
    name: &str,
) -> Result<bank::Model, BankError> {
    let found = find_bank(store, name).await?;
    // The system banks' names are known to all: refused by name before anything else.
    refuse_system(store.db(), principal, &found).await?;
    if !may_see(principal, &found) {
        return Err(BankError::NoSuchBank(name.to_owned()));
    }
    Ok(found)
}

/// A bank the deployment itself keeps (self-reported hashes, hashes linked to care cases),
/// created in the system organisation on first use; returns the system principal that owns it.
pub async fn system_bank(store: &Store, name: &str) -> Result<Principal, BankError> {
    let owner = |organisation_id| Principal {
        user_id: 0,
        organisation_id,
        email: "system".into(),
        role: Role::Admin,
        language: None,
    };
    // The common case, after the first use: one read.
    if let Ok(existing) = find_bank(store, name).await {
        return Ok(owner(existing.organisation_id));
    }
    let actor = Actor::anonymous(Some("system".into()));
    let organisation_id = match system_organisation(store.db()).await? {
        Some(id) => id,
        None => crate::access::organisation_id(store, &actor, SYSTEM_ORGANISATION)
            .await
            .map_err(|e| BankError::Invalid("organisation", e.to_string()))?,
    };
    let owner = owner(organisation_id);
    // Platforms match against the system banks (a match on a self-reported picture is what
    // the self-report flow is for).
    match create_bank(
        store,
        &actor,
        &owner,
        name,
        None,
        true,
        BankSharing::Platforms,
    )
    .await
    {
        Ok(_) | Err(BankError::NameTaken(_)) => Ok(owner),
        Err(e) => Err(e),
    }
}
