//! Who may administer whom.
//!
//! - The **operator** runs `lindung` on the server (`user add`, `token create`): whoever holds
//!   the server holds the data, so the command line is not restricted.
//! - The **deployment administrator** is an admin of the deployment's own organisation,
//!   [`DEPLOYMENT_ORGANISATION`]: the one the first admin created through `/setup` belongs to
//!   (and `lindung user add` without `--org`). They administer every organisation.
//! - Any other admin is an **organisation administrator**: they add users to, and act on the
//!   users of, their own organisation only.
//!
//! No administrator becomes someone else: a signed-in admin mints API tokens only for
//! themself or for a platform service account (role `platform`) of an organisation they
//! administer, never for a person.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::{organisation, user};
use super::{AccessError, DEFAULT_ORGANISATION, Principal, Role};
use crate::store::Store;

/// The deployment's own organisation: its admins administer every organisation.
pub const DEPLOYMENT_ORGANISATION: &str = DEFAULT_ORGANISATION;

/// The administrator a change is made by, and so what they may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Administrator {
    /// `lindung` at the server's command line (and the one-time first-admin setup).
    Operator,
    /// An admin of [`DEPLOYMENT_ORGANISATION`].
    Deployment(Principal),
    /// An admin of another organisation, who administers that organisation only.
    Organisation(Principal),
}

impl Administrator {
    /// The administrator a signed-in caller is; refused unless they are an admin.
    pub async fn of(store: &Store, principal: &Principal) -> Result<Self, AccessError> {
        if principal.role != Role::Admin {
            return Err(AccessError::Forbidden(format!(
                "the {} role may not administer accounts",
                principal.role
            )));
        }
        let own = organisation::Entity::find_by_id(principal.organisation_id)
            .one(store.db())
            .await?;
        Ok(match own {
            Some(org) if org.name == DEPLOYMENT_ORGANISATION => {
                Administrator::Deployment(principal.clone())
            }
            _ => Administrator::Organisation(principal.clone()),
        })
    }

    /// The organisation this administrator is confined to, if any.
    pub fn confined_to(&self) -> Option<i32> {
        match self {
            Administrator::Organisation(p) => Some(p.organisation_id),
            Administrator::Operator | Administrator::Deployment(_) => None,
        }
    }

    fn user_id(&self) -> Option<i32> {
        match self {
            Administrator::Operator => None,
            Administrator::Deployment(p) | Administrator::Organisation(p) => Some(p.user_id),
        }
    }

    /// Whether `target` is the administrator themself.
    pub fn is(&self, target: &user::Model) -> bool {
        self.user_id() == Some(target.id)
    }

    /// Refuses a change to a user of an organisation this administrator does not administer.
    pub fn check_manages(&self, target: &user::Model) -> Result<(), AccessError> {
        match self.confined_to() {
            Some(own) if own != target.organisation_id => Err(AccessError::Forbidden(
                "you administer your own organisation only; this user belongs to another".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses an API token for anyone but the administrator themself or a platform service
    /// account of an organisation they administer: no admin may act as another person.
    pub fn check_mints_for(&self, owner: &user::Model) -> Result<(), AccessError> {
        if *self == Administrator::Operator || self.is(owner) {
            return Ok(());
        }
        if owner.role != Role::Platform {
            return Err(AccessError::Forbidden(format!(
                "an admin may create API tokens only for themself or for a platform service \
                 account, not for a user with the {} role",
                owner.role
            )));
        }
        self.check_manages(owner)
    }

    /// The organisation a new user joins when the form names none: the administrator's own.
    pub async fn default_organisation(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<String, AccessError> {
        let Some(own) = self.confined_to() else {
            return Ok(DEFAULT_ORGANISATION.to_owned());
        };
        organisation::Entity::find_by_id(own)
            .one(db)
            .await?
            .map(|o| o.name)
            .ok_or_else(|| AccessError::Forbidden("your organisation no longer exists".into()))
    }

    /// Refuses adding a user to (or creating) an organisation this administrator does not
    /// administer.
    pub async fn check_organisation_name(
        &self,
        db: &impl ConnectionTrait,
        name: &str,
    ) -> Result<(), AccessError> {
        let Some(own) = self.confined_to() else {
            return Ok(());
        };
        let found = organisation::Entity::find()
            .filter(organisation::Column::Name.eq(name))
            .one(db)
            .await?;
        match found {
            Some(org) if org.id == own => Ok(()),
            _ => Err(AccessError::Forbidden(
                "you may add users to your own organisation only".into(),
            )),
        }
    }
}
