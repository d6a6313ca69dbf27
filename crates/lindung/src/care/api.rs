//! The care JSON API under `/api/v1/cases` and `/api/v1/referrals`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{CareContext, CareError, CaseView, Identity};
use crate::access::Role;
use crate::http::{Access, ApiError, ApiResult, Caller, Endpoint, Json, Path};

pub(crate) const CARE_STAFF: &[Role] = &[Role::CaseWorker, Role::Supervisor];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let staff = Access::Roles(CARE_STAFF);
    vec![
        Endpoint::post("/api/v1/cases", staff, create),
        Endpoint::get("/api/v1/cases/{id}", staff, read),
        Endpoint::post("/api/v1/cases/{id}/assign", staff, assign),
        Endpoint::post("/api/v1/cases/{id}/transfer", staff, transfer),
        Endpoint::post("/api/v1/cases/{id}/consents", staff, consent),
        Endpoint::post(
            "/api/v1/cases/{id}/consents/{consent}/withdraw",
            staff,
            withdraw_consent,
        ),
        Endpoint::post("/api/v1/cases/{id}/referrals", staff, refer),
        Endpoint::post("/api/v1/cases/{id}/stage", staff, move_stage),
        Endpoint::post("/api/v1/cases/{id}/approval", staff, approval),
        Endpoint::post("/api/v1/cases/{id}/notes", staff, add_note),
        Endpoint::put("/api/v1/cases/{id}/notes/{note}", staff, edit_note),
        Endpoint::get("/api/v1/care/alerts", staff, alerts),
        Endpoint::get("/api/v1/care/catalogue", staff, catalogue),
        Endpoint::get(
            "/api/v1/care/indicators",
            Access::Roles(&[Role::Supervisor, Role::Admin, Role::Researcher]),
            indicators,
        ),
        Endpoint::post("/api/v1/cases/{id}/hashes", staff, add_hashes),
        Endpoint::post("/api/v1/cases/{id}/assessments", staff, assess),
        Endpoint::post("/api/v1/cases/{id}/services", staff, plan_service),
        Endpoint::patch(
            "/api/v1/cases/{id}/services/{service}",
            staff,
            update_service,
        ),
        Endpoint::post("/api/v1/referrals/{id}/accept", staff, accept),
        Endpoint::post("/api/v1/referrals/{id}/reject", staff, reject),
    ]
}

impl From<CareError> for ApiError {
    fn from(error: CareError) -> Self {
        match error {
            CareError::Invalid(field, message) => ApiError::invalid(field, message),
            CareError::NotFound => ApiError::not_found(error.to_string()),
            CareError::Forbidden => ApiError::forbidden(error.to_string()),
            CareError::NoteLocked => {
                ApiError::new(StatusCode::CONFLICT, "note_locked", error.to_string())
            }
            CareError::ConsentRequired(_) => {
                ApiError::new(StatusCode::CONFLICT, "consent_required", error.to_string())
            }
            CareError::Db(e) => ApiError::internal(e),
            CareError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A new case: the child's identifying details and the risk level. The fields are listed
/// here rather than flattened from [`Identity`], because serde cannot refuse unknown fields
/// through a flattened struct, and a misspelt field must never silently drop a detail.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCase {
    name: Option<String>,
    date_of_birth: Option<String>,
    age_estimate: Option<u8>,
    sex: Option<String>,
    gender_identity: Option<String>,
    language: Option<String>,
    disability: Option<String>,
    location: Option<String>,
    #[serde(default)]
    guardians: Vec<super::Guardian>,
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

#[derive(Serialize)]
struct Created {
    id: String,
}

/// `201 {"id": "…"}`, the answer of every route that creates something.
fn created_answer(id: i64) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id: id.to_string() }))
}

async fn create(
    State(ctx): State<CareContext>,
    caller: Caller,
    Json(body): Json<NewCase>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let (identity, risk_level) = body.identity();
    let created = super::create_case(
        &ctx,
        &caller.actor(),
        &caller.principal,
        &identity,
        risk_level.as_deref().unwrap_or("medium"),
    )
    .await?;
    Ok(created_answer(created.id))
}

async fn read(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(
        super::read_case(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConsent {
    purpose: super::ConsentPurpose,
    given_by: String,
    #[serde(default)]
    evidence: String,
}

async fn consent(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewConsent>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = super::add_consent(
        &ctx.store,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReferral {
    service: String,
    to_org: String,
    share: Option<Vec<String>>,
    /// Supervisors only: why the referral goes ahead without disclosure consent.
    override_reason: Option<String>,
}

async fn refer(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewReferral>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = super::refer(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        super::ReferralRequest {
            service: &body.service,
            to_org: &body.to_org,
            share: body.share.as_deref(),
            override_reason: body.override_reason.as_deref(),
        },
    )
    .await?;
    Ok(created_answer(created.id))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Answer {
    reason: Option<String>,
}

async fn answer(
    ctx: CareContext,
    caller: Caller,
    id: i64,
    accept: bool,
    body: Answer,
) -> ApiResult<Json<serde_json::Value>> {
    let answered = super::answer_referral(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        accept,
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(
        serde_json::json!({"id": answered.id.to_string(), "status": answered.status}),
    ))
}

async fn accept(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<Answer>>,
) -> ApiResult<Json<serde_json::Value>> {
    answer(ctx, caller, id, true, body.map(|b| b.0).unwrap_or_default()).await
}

async fn reject(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<serde_json::Value>> {
    answer(ctx, caller, id, false, body).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignment {
    email: String,
}

async fn assign(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Assignment>,
) -> ApiResult<StatusCode> {
    super::assign(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.email,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageChange {
    to: super::CareStage,
    reason: Option<String>,
}

async fn move_stage(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<StageChange>,
) -> ApiResult<Json<super::workflow::StageView>> {
    Ok(Json(
        super::workflow::move_stage(
            &ctx.store,
            &caller.actor(),
            &caller.principal,
            id,
            body.to,
            body.reason.as_deref(),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    /// `approve` or `return`.
    decision: String,
}

async fn approval(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Decision>,
) -> ApiResult<Json<super::workflow::StageView>> {
    let approve = match body.decision.as_str() {
        "approve" => true,
        "return" => false,
        _ => {
            return Err(
                CareError::Invalid("decision", "decision is approve or return".into()).into(),
            );
        }
    };
    Ok(Json(
        super::workflow::decide(&ctx.store, &caller.actor(), &caller.principal, id, approve)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    body: String,
    corrects: Option<i64>,
}

async fn add_note(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewNote>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = super::workflow::add_note(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &body.body,
        body.corrects,
    )
    .await?;
    Ok(created_answer(added.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteEdit {
    body: String,
}

async fn edit_note(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, note)): Path<(i64, i64)>,
    Json(body): Json<NoteEdit>,
) -> ApiResult<StatusCode> {
    super::workflow::edit_note(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        note,
        &body.body,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn alerts(
    State(ctx): State<CareContext>,
    caller: Caller,
) -> ApiResult<Json<Vec<super::workflow::AlertView>>> {
    Ok(Json(
        super::workflow::my_alerts(&ctx.store, &caller.actor(), &caller.principal).await?,
    ))
}

async fn catalogue(State(ctx): State<CareContext>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "services": ctx.config.services(),
        "forms": ctx.config.forms,
    }))
}

async fn assess(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<super::plan::Answers>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added =
        super::plan::record_assessment(&ctx, &caller.actor(), &caller.principal, id, &body).await?;
    Ok(created_answer(added.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewService {
    service: String,
    provider: String,
}

async fn plan_service(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewService>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let planned = super::plan::plan_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &body.service,
        &body.provider,
    )
    .await?;
    Ok(created_answer(planned.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceUpdate {
    status: super::ServiceStatus,
    outcome: Option<String>,
}

async fn update_service(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, service)): Path<(i64, i64)>,
    Json(body): Json<ServiceUpdate>,
) -> ApiResult<Json<super::plan::ServiceView>> {
    let updated = super::plan::update_service(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        service,
        body.status,
        body.outcome.as_deref(),
    )
    .await?;
    Ok(Json(updated.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    to_org: String,
}

async fn transfer(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Transfer>,
) -> ApiResult<StatusCode> {
    super::transfer(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.to_org,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn indicators(
    State(ctx): State<CareContext>,
    caller: Caller,
) -> ApiResult<Json<super::indicators::Indicators>> {
    Ok(Json(
        super::indicators::indicators(&ctx.store, &caller.actor(), &caller.principal).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseHashes {
    pdq: Option<String>,
    /// PDQ quality; below 50 is refused as for any bank.
    quality: Option<i32>,
    md5: Option<String>,
}

async fn add_hashes(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CaseHashes>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    use crate::banks::store::{NewSignal, SignalType};
    let mut signals = Vec::new();
    if let Some(pdq) = &body.pdq {
        signals.push(
            NewSignal::new(SignalType::Pdq, pdq, body.quality)
                .map_err(|e| CareError::Invalid("pdq", e.to_string()))?,
        );
    }
    if let Some(md5) = &body.md5 {
        signals.push(
            NewSignal::new(SignalType::Md5, md5, None)
                .map_err(|e| CareError::Invalid("md5", e.to_string()))?,
        );
    }
    let linked = super::workflow::add_case_hashes(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &signals,
    )
    .await?;
    ctx.banks.sync().await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "linked": linked })),
    ))
}

async fn withdraw_consent(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, consent)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    super::withdraw_consent(&ctx.store, &caller.actor(), &caller.principal, id, consent).await?;
    Ok(StatusCode::NO_CONTENT)
}
