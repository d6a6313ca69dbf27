//! A case, who works on it, its consents and its referrals.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Created, created_answer};
use crate::care::{self, CareContext, CaseView, ConsentPurpose, Guardian, Identity};
use crate::http::{ApiResult, Caller, Json, Path};

/// A new case: the child's identifying details and the risk level. The fields are listed
/// here rather than flattened from [`Identity`], because serde cannot refuse unknown fields
/// through a flattened struct, and a misspelt field must never silently drop a detail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    name: Option<String>,
    date_of_birth: Option<String>,
    age_estimate: Option<u8>,
    sex: Option<String>,
    gender_identity: Option<String>,
    language: Option<String>,
    disability: Option<String>,
    location: Option<String>,
    #[serde(default)]
    guardians: Vec<Guardian>,
    contact: Option<String>,
    /// `low`, `medium` (the default), `high` or `immediate`.
    risk_level: Option<String>,
}

impl NewCase {
    fn identity(self) -> (Identity, Option<String>) {
        let identity = Identity {
            name: self.name,
            date_of_birth: self.date_of_birth,
            age_estimate: self.age_estimate,
            sex: self.sex,
            gender_identity: self.gender_identity,
            language: self.language,
            disability: self.disability,
            location: self.location,
            guardians: self.guardians,
            contact: self.contact,
        };
        (identity, self.risk_level)
    }
}

/// Opens a case in the caller's organisation, assigned to the caller.
#[utoipa::path(post, path = "/api/v1/cases", tag = "care", operation_id = "create_case", request_body = NewCase,
    responses((status = 201, description = "the case was opened", body = Created)),
    security(("bearer" = [])))]
pub(super) async fn create(
    State(ctx): State<CareContext>,
    caller: Caller,
    Json(body): Json<NewCase>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let (identity, risk_level) = body.identity();
    let created = care::create_case(
        &ctx,
        &caller.actor(),
        &caller.principal,
        &identity,
        risk_level.as_deref().unwrap_or("medium"),
    )
    .await?;
    Ok(created_answer(created.id))
}

/// A case as the caller may see it.
///
/// In full for its workers and supervisors, the shared fields only for an organisation it was
/// referred to.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "care", operation_id = "read_case",
    params(("id" = i64, Path, description = "the case")),
    responses((status = 200, body = CaseView)),
    security(("bearer" = [])))]
pub(super) async fn read(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(
        care::read_case(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// A case worker to assign, by email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    email: String,
}

/// Assigns a case worker of the case's organisation to the case (supervisors).
#[utoipa::path(post, path = "/api/v1/cases/{id}/assign", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = Assignment,
    responses((status = 204, description = "assigned")),
    security(("bearer" = [])))]
pub(super) async fn assign(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Assignment>,
) -> ApiResult<StatusCode> {
    care::assign(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.email,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation a case moves to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    to_org: String,
}

/// Transfers a case to another organisation (supervisors); needs the disclosure consent.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfer", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = Transfer,
    responses((status = 204, description = "transferred"),
        (status = 409, description = "`consent_required`: the case has no disclosure consent")),
    security(("bearer" = [])))]
pub(super) async fn transfer(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Transfer>,
) -> ApiResult<StatusCode> {
    care::transfer(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.to_org,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A consent as it was given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    purpose: ConsentPurpose,
    /// `child`, `guardian` or `authority`.
    given_by: String,
    /// Where the consent is recorded (a signed form, a call).
    #[serde(default)]
    evidence: String,
}

/// Records a consent for one purpose.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = NewConsent,
    responses((status = 201, description = "the consent was recorded", body = Created)),
    security(("bearer" = [])))]
pub(super) async fn consent(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewConsent>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = care::add_consent(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        body.purpose,
        &body.given_by,
        &body.evidence,
    )
    .await?;
    Ok(created_answer(added.id))
}

/// Withdraws a consent.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents/{consent}/withdraw", tag = "care",
    params(("id" = i64, Path, description = "the case"),
        ("consent" = i64, Path, description = "the consent")),
    responses((status = 204, description = "withdrawn; what it allowed ends with it: `hash_sharing` unlinks the case's pictures (and takes the hashes the case put in the care bank out of matching), `disclosure` ends the views its referrals gave")),
    security(("bearer" = [])))]
pub(super) async fn withdraw_consent(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, consent)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    care::withdraw_consent(&ctx.store, &caller.actor(), &caller.principal, id, consent).await?;
    // A withdrawn `hash_sharing` takes the case's hashes out of matching now, not at the next
    // sync.
    ctx.banks.sync().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A referral to a service of another organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    /// A service of the catalogue.
    service: String,
    /// The receiving organisation's name.
    to_org: String,
    /// The fields shared with it; `age_estimate`, `language` and `risk_level` by default.
    share: Option<Vec<String>>,
    /// Supervisors only: why the referral goes ahead without disclosure consent.
    override_reason: Option<String>,
}

/// Refers a case to another organisation, sharing a chosen subset of it.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = NewReferral,
    responses((status = 201, description = "the referral was made", body = Created),
        (status = 409, description = "`consent_required`: no disclosure consent and no supervisor's override")),
    security(("bearer" = [])))]
pub(super) async fn refer(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewReferral>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = care::refer(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        care::ReferralRequest {
            service: &body.service,
            to_org: &body.to_org,
            share: body.share.as_deref(),
            override_reason: body.override_reason.as_deref(),
        },
    )
    .await?;
    Ok(created_answer(created.id))
}

/// The receiving organisation's answer to a referral.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Required to reject.
    reason: Option<String>,
}

/// A referral, answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answered {
    /// The referral's id.
    pub id: String,
    /// `accepted` or `rejected`.
    pub status: String,
}

async fn answer(
    ctx: CareContext,
    caller: Caller,
    id: i64,
    accept: bool,
    body: Answer,
) -> ApiResult<Json<Answered>> {
    let answered = care::answer_referral(
        &ctx.store,
        &ctx.fields,
        &caller.actor(),
        &caller.principal,
        id,
        accept,
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(Answered {
        id: answered.id.to_string(),
        status: answered.status,
    }))
}

/// Accepts a referral (the receiving organisation); the body is optional.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/accept", tag = "care",
    params(("id" = i64, Path, description = "the referral")),
    request_body(content = Option<Answer>, description = "optional; a note on the acceptance"),
    responses((status = 200, body = Answered)),
    security(("bearer" = [])))]
pub(super) async fn accept(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<Answer>>,
) -> ApiResult<Json<Answered>> {
    answer(ctx, caller, id, true, body.map(|b| b.0).unwrap_or_default()).await
}

/// Rejects a referral (the receiving organisation), with a reason.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/reject", tag = "care",
    params(("id" = i64, Path, description = "the referral")), request_body = Answer,
    responses((status = 200, body = Answered)),
    security(("bearer" = [])))]
pub(super) async fn reject(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<Answered>> {
    answer(ctx, caller, id, false, body).await
}
