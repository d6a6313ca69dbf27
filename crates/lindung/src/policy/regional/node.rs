//! The regional node: the partners whose snapshots an organisation accepts (by country and
//! public key), the import of a signed snapshot (verified, checked, stored; a newer one for the
//! same country and quarter replaces the older), and the dashboard of a quarter: every
//! partner's figures side by side, a partner that sent nothing shown as missing, never as zero.
//! Partners and snapshots are the organisation's own.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};
use serde::{Deserialize, Serialize};

use super::RegionalError;
use super::catalogue::catalogue;
use super::figures::{FigureState, Quarter};
use super::signing::{self, Envelope};
use super::snapshot::{self, Snapshot, valid_country};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::policy::PolicyContext;
use crate::policy::entities::{partner, snapshot as stored};

/// The longest partner name.
const MAX_NAME: usize = 200;

/// A partner to register.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    /// ISO 3166-1 alpha-2, as in the partner's snapshots.
    pub country: String,
    pub name: String,
    /// Base64 of the partner's Ed25519 public key (`GET /api/v1/policy/key` on its server).
    pub public_key: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerView {
    pub id: String,
    pub country: String,
    pub name: String,
    pub public_key: String,
    pub created_at: String,
}

impl From<partner::Model> for PartnerView {
    fn from(p: partner::Model) -> Self {
        PartnerView {
            id: p.id.to_string(),
            country: p.country,
            name: p.name,
            public_key: p.public_key,
            created_at: crate::helpers::rfc3339(p.created_at),
        }
    }
}

/// Registers a partner of the caller's organisation; a country once.
pub async fn add_partner(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    input: &NewPartner,
) -> Result<PartnerView, RegionalError> {
    let country = input.country.trim().to_ascii_uppercase();
    if !valid_country(&country) {
        return Err(RegionalError::invalid(
            "country",
            "a country is two letters (ISO 3166-1 alpha-2)",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(RegionalError::invalid(
            "name",
            format!("a name of 1 to {MAX_NAME} characters"),
        ));
    }
    let bytes = STANDARD
        .decode(input.public_key.trim().as_bytes())
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            RegionalError::invalid(
                "public_key",
                "a public key is 32 bytes of base64 (the partner's GET /api/v1/policy/key)",
            )
        })?;
    if signing::weak_public_key(&bytes) {
        return Err(RegionalError::invalid(
            "public_key",
            "this is a weak key (a point of small order), which any signature can match: \
             not a partner's key",
        ));
    }
    // One spelling of a key, so that the unique index sees a key registered twice.
    let public_key = STANDARD.encode(&bytes);
    let public_key = public_key.as_str();
    let txn = ctx.store.write().await?;
    let existing = partner::Entity::find()
        .filter(partner::Column::OrganisationId.eq(principal.organisation_id))
        .all(&txn)
        .await?;
    if existing.iter().any(|p| p.country == country) {
        return Err(RegionalError::PartnerExists(format!(
            "{country} is already registered"
        )));
    }
    if existing.iter().any(|p| p.public_key == public_key) {
        return Err(RegionalError::PartnerExists(
            "this public key is already registered for another country".into(),
        ));
    }
    let row = partner::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        country: Set(country.clone()),
        name: Set(name.to_owned()),
        public_key: Set(public_key.to_owned()),
        created_at: Set(crate::helpers::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Registered at the same moment by another request.
        Some(SqlErr::UniqueConstraintViolation(_)) => RegionalError::PartnerExists(format!(
            "{country} or this public key was registered at the same moment"
        )),
        _ => e.into(),
    })?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.partner.create",
            "policy_partner",
            Some(row.id.to_string()),
        )
        .detail("country", country),
    )
    .await?;
    Ok(row.into())
}

async fn partners_of(
    ctx: &PolicyContext,
    organisation_id: i32,
) -> Result<Vec<partner::Model>, RegionalError> {
    Ok(partner::Entity::find()
        .filter(partner::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(partner::Column::Country)
        .all(ctx.store.db())
        .await?)
}

/// The caller's organisation's partners, by country (audited).
pub async fn list_partners(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
) -> Result<Vec<PartnerView>, RegionalError> {
    let partners = partners_of(ctx, principal.organisation_id).await?;
    audit::record(
        &ctx.store,
        actor,
        AuditEvent::new("policy.partner.list", "policy_partner", None)
            .detail("count", partners.len()),
    )
    .await?;
    Ok(partners.into_iter().map(PartnerView::from).collect())
}

/// What an import stored.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub country: String,
    pub quarter: String,
    pub generated_at: String,
    /// Whether it replaced an older snapshot of the same country and quarter.
    pub replaced: bool,
}

/// Verifies and stores a partner's signed snapshot. Refused, with nothing stored: a key no
/// partner of the organisation has, a signature that does not verify, a body that is not a
/// snapshot or holds a value no deployment may publish (a small cell, a negative or fractional
/// count, a share outside 0..1: see [`snapshot::check_value`]), a country other than the
/// partner's, a snapshot made before its quarter ended or dated ahead of now, and a snapshot
/// not newer than the one held (also when another import of the same country and quarter got
/// there first). A refusal is audited too (what was refused and why; nothing of the body).
pub async fn import(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    envelope: &Envelope,
) -> Result<Imported, RegionalError> {
    let result = verify_and_store(ctx, actor, principal, envelope).await;
    if let Err(error) = &result
        && !matches!(error, RegionalError::Db(_) | RegionalError::Internal(_))
    {
        let code = match error {
            RegionalError::BadSignature => "bad_signature",
            RegionalError::UnknownPartner => "unknown_partner",
            RegionalError::CountryMismatch(_) => "country_mismatch",
            RegionalError::NotNewer(_) => "snapshot_not_newer",
            _ => "invalid",
        };
        audit::record(
            &ctx.store,
            actor,
            AuditEvent::new("policy.snapshot.refuse", "policy_snapshot", None)
                .detail("reason", code)
                .detail("field", error.field().unwrap_or_default())
                .detail(
                    "public_key",
                    envelope.public_key.chars().take(64).collect::<String>(),
                ),
        )
        .await?;
    }
    result
}

async fn verify_and_store(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    envelope: &Envelope,
) -> Result<Imported, RegionalError> {
    let key = signing::decode_public_key(&envelope.public_key).ok_or_else(|| {
        RegionalError::invalid("public_key", "a public key is 32 bytes of base64")
    })?;
    let partner = partners_of(ctx, principal.organisation_id)
        .await?
        .into_iter()
        .find(|p| signing::decode_public_key(&p.public_key).is_some_and(|k| k == key))
        .ok_or(RegionalError::UnknownPartner)?;
    signing::verify(envelope, &key)?;
    let (body, quarter, generated_at) = snapshot::parse(&envelope.body)?;
    if body.country != partner.country {
        return Err(RegionalError::CountryMismatch(format!(
            "the snapshot is of {}, the key is {}'s",
            body.country, partner.country
        )));
    }
    let now = crate::helpers::now();
    snapshot::check_generated_at(quarter, generated_at, now)?;
    let txn = ctx.store.write().await?;
    // Locked (on PostgreSQL; SQLite's write transaction holds the whole database): a
    // concurrent import of the same country and quarter waits and then compares with this one.
    let held = stored::Entity::find()
        .filter(stored::Column::OrganisationId.eq(principal.organisation_id))
        .filter(stored::Column::Country.eq(partner.country.as_str()))
        .filter(stored::Column::Quarter.eq(quarter.to_string()))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let replaced = held.is_some();
    let row = match held {
        Some(old) if old.generated_at >= generated_at => {
            return Err(RegionalError::NotNewer(format!(
                "a snapshot of {} for {quarter} generated at {} is held; send a newer one",
                partner.country,
                crate::helpers::rfc3339(old.generated_at)
            )));
        }
        Some(old) => {
            let mut row = old.into_active_model();
            row.partner_id = Set(partner.id);
            row.generated_at = Set(generated_at);
            row.body = Set(envelope.body.clone());
            row.signature = Set(envelope.signature.trim().to_owned());
            row.received_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            stored::ActiveModel {
                organisation_id: Set(principal.organisation_id),
                partner_id: Set(partner.id),
                country: Set(partner.country.clone()),
                quarter: Set(quarter.to_string()),
                generated_at: Set(generated_at),
                body: Set(envelope.body.clone()),
                signature: Set(envelope.signature.trim().to_owned()),
                received_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|e| match e.sql_err() {
                // Another import of the same country and quarter was stored first.
                Some(SqlErr::UniqueConstraintViolation(_)) => RegionalError::NotNewer(format!(
                    "a snapshot of {} for {quarter} was stored at the same moment; send yours \
                     again if it is newer",
                    partner.country
                )),
                _ => e.into(),
            })?
        }
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.snapshot.import",
            "policy_snapshot",
            Some(row.id.to_string()),
        )
        .detail("country", partner.country.clone())
        .detail("quarter", quarter.to_string())
        .detail("replaced", replaced),
    )
    .await?;
    Ok(Imported {
        country: partner.country,
        quarter: quarter.to_string(),
        generated_at: body.generated_at,
        replaced,
    })
}

/// How a country's figure stands on the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    Reported,
    Suppressed,
    Unavailable,
    /// The country sent no snapshot for the quarter (or none with this indicator).
    Missing,
}

impl CellState {
    pub fn as_str(self) -> &'static str {
        match self {
            CellState::Reported => "reported",
            CellState::Suppressed => "suppressed",
            CellState::Unavailable => "unavailable",
            CellState::Missing => "missing",
        }
    }
}

impl From<FigureState> for CellState {
    fn from(state: FigureState) -> Self {
        match state {
            FigureState::Reported => CellState::Reported,
            FigureState::Suppressed => CellState::Suppressed,
            FigureState::Unavailable => CellState::Unavailable,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountryCell {
    pub country: String,
    pub value: Option<f64>,
    pub state: CellState,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorRow {
    pub id: String,
    pub area: String,
    /// One cell per partner country, in the order of `countries`.
    pub values: Vec<CountryCell>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountryStatus {
    pub country: String,
    pub name: String,
    /// `received` or `missing`.
    pub state: String,
    pub generated_at: Option<String>,
}

/// A quarter across the registered partners.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Regional {
    pub quarter: String,
    pub countries: Vec<CountryStatus>,
    pub indicators: Vec<IndicatorRow>,
}

/// The dashboard of `quarter` for the caller's organisation (audited).
pub async fn dashboard(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    quarter: Quarter,
) -> Result<Regional, RegionalError> {
    let partners = partners_of(ctx, principal.organisation_id).await?;
    let held: HashMap<String, stored::Model> = stored::Entity::find()
        .filter(stored::Column::OrganisationId.eq(principal.organisation_id))
        .filter(stored::Column::Quarter.eq(quarter.to_string()))
        .all(ctx.store.db())
        .await?
        .into_iter()
        .map(|s| (s.country.clone(), s))
        .collect();
    // Each stored body was verified and read strictly when it came; one that no longer reads
    // (it cannot, short of a change in the database) counts as missing.
    let bodies: HashMap<&str, Snapshot> = held
        .iter()
        .filter_map(|(country, s)| {
            snapshot::parse(&s.body)
                .ok()
                .map(|(body, _, _)| (country.as_str(), body))
        })
        .collect();
    let countries = partners
        .iter()
        .map(|p| CountryStatus {
            country: p.country.clone(),
            name: p.name.clone(),
            state: if bodies.contains_key(p.country.as_str()) {
                "received"
            } else {
                "missing"
            }
            .to_owned(),
            generated_at: bodies
                .get(p.country.as_str())
                .map(|b| b.generated_at.clone()),
        })
        .collect();
    let indicators = catalogue()
        .indicators()
        .map(|(area, indicator)| IndicatorRow {
            id: indicator.id.clone(),
            area: area.id.clone(),
            values: partners
                .iter()
                .map(|p| {
                    let figure = bodies
                        .get(p.country.as_str())
                        .and_then(|b| b.indicators.iter().find(|f| f.id == indicator.id));
                    match figure {
                        Some(f) => CountryCell {
                            country: p.country.clone(),
                            value: f.value,
                            state: f.state.into(),
                        },
                        None => CountryCell {
                            country: p.country.clone(),
                            value: None,
                            state: CellState::Missing,
                        },
                    }
                })
                .collect(),
        })
        .collect();
    audit::record(
        &ctx.store,
        actor,
        AuditEvent::new("policy.regional.read", "policy_snapshot", None)
            .detail("quarter", quarter.to_string()),
    )
    .await?;
    Ok(Regional {
        quarter: quarter.to_string(),
        countries,
        indicators,
    })
}

/// A value as the CSV and pages write it.
pub fn cell_text(cell: &CountryCell) -> String {
    match (cell.state, cell.value) {
        (CellState::Reported, Some(v)) if v.fract() == 0.0 => format!("{v:.0}"),
        (CellState::Reported, Some(v)) => format!("{v}"),
        _ => String::new(),
    }
}

/// `country,indicator,value,state`, one row per country and indicator.
pub fn to_csv(regional: &Regional) -> Result<String, RegionalError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| RegionalError::Internal(e.to_string());
    out.write_record(["country", "indicator", "value", "state"])
        .map_err(internal)?;
    for status in &regional.countries {
        for row in &regional.indicators {
            if let Some(cell) = row.values.iter().find(|c| c.country == status.country) {
                out.write_record([
                    cell.country.as_str(),
                    row.id.as_str(),
                    cell_text(cell).as_str(),
                    cell.state.as_str(),
                ])
                .map_err(internal)?;
            }
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| RegionalError::Internal(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
