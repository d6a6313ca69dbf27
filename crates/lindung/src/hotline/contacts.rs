//! Hosting providers (where notices go) and partner hotlines (where escalations go), kept in
//! the database and edited by admins through the API and the contacts page.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::entities::{partner, provider};
use super::{HotlineContext, HotlineError, check_country, invalid};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;

/// A provider's or partner's details as an admin gives them.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    /// ISO 3166 alpha-2; required for partners.
    pub country: Option<String>,
    /// The abuse address (providers) or the hotline's address (partners).
    pub email: String,
    /// The language notices are written in; English by default.
    pub language: Option<String>,
}

struct Checked {
    name: String,
    country: Option<String>,
    email: String,
    language: String,
}

fn check(input: &ContactInput, country_required: bool) -> Result<Checked, HotlineError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "name has 1 to 200 characters"));
    }
    let email = input.email.trim();
    if email.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid("email", "email is not an email address"));
    }
    let country = match input
        .country
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(check_country("country", c)?),
        None if country_required => return Err(invalid("country", "country is required")),
        None => None,
    };
    let language = input
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("en");
    if language.len() > 8 || !language.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(invalid("language", "language is a code such as en or th"));
    }
    Ok(Checked {
        name: name.to_owned(),
        country,
        email: email.to_owned(),
        language: language.to_owned(),
    })
}

/// Adds a provider (`id` none) or replaces one's details.
/// Only the hotline's own admins keep its contacts: every takedown notice, with the reported
/// addresses, goes to the address kept here, so an admin of another organisation (a platform,
/// a care organisation) must not be able to change it.
async fn ensure_hotline_admin(
    ctx: &HotlineContext,
    principal: &Principal,
) -> Result<(), HotlineError> {
    let hotline = super::hotline_organisation(ctx.store.db(), &ctx.config).await?;
    if principal.organisation_id == hotline {
        Ok(())
    } else {
        Err(HotlineError::Forbidden)
    }
}

pub async fn save_provider(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: Option<i64>,
    input: &ContactInput,
) -> Result<provider::Model, HotlineError> {
    ensure_hotline_admin(ctx, principal).await?;
    let c = check(input, false)?;
    let txn = ctx.store.write().await?;
    let mut row: provider::ActiveModel = match id {
        Some(id) => provider::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(HotlineError::NotFound)?
            .into(),
        None => <provider::ActiveModel as Default>::default(),
    };
    row.name = Set(c.name);
    row.country = Set(c.country);
    row.abuse_email = Set(c.email);
    row.language = Set(c.language);
    row.updated_at = Set(now());
    let saved = match id {
        Some(_) => row.update(&txn).await?,
        None => row.insert(&txn).await?,
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.provider.save",
            "hotline_provider",
            saved.id.to_string(),
        ),
    )
    .await?;
    Ok(saved)
}

/// Adds a partner hotline (one per country) or replaces one's details.
pub async fn save_partner(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: Option<i64>,
    input: &ContactInput,
) -> Result<partner::Model, HotlineError> {
    ensure_hotline_admin(ctx, principal).await?;
    let c = check(input, true)?;
    let country = c.country.unwrap_or_default();
    let txn = ctx.store.write().await?;
    let same_country = partner::Entity::find()
        .filter(partner::Column::Country.eq(country.as_str()))
        .one(&txn)
        .await?;
    if same_country.is_some_and(|p| Some(p.id) != id) {
        return Err(HotlineError::Conflict(
            "conflict",
            format!("there is already a partner hotline for {country}"),
        ));
    }
    let mut row: partner::ActiveModel = match id {
        Some(id) => partner::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(HotlineError::NotFound)?
            .into(),
        None => <partner::ActiveModel as Default>::default(),
    };
    row.country = Set(country);
    row.name = Set(c.name);
    row.email = Set(c.email);
    row.language = Set(c.language);
    row.updated_at = Set(now());
    let saved = match id {
        Some(_) => row.update(&txn).await?,
        None => row.insert(&txn).await?,
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.partner.save",
            "hotline_partner",
            saved.id.to_string(),
        ),
    )
    .await?;
    Ok(saved)
}
