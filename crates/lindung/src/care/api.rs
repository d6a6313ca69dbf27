//! The care JSON API under `/api/v1/cases` and `/api/v1/referrals`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{CareError, CaseView, Identity};
use crate::access::Role;
use crate::web::{Access, ApiError, ApiResult, AppState, Caller, Endpoint};

pub(crate) const CARE_STAFF: &[Role] = &[Role::CaseWorker, Role::Supervisor];

pub fn endpoints() -> Vec<Endpoint> {
    let staff = Access::Roles(CARE_STAFF);
    vec![
        Endpoint::new("POST", "/api/v1/cases", staff, || post(create)),
        Endpoint::new("GET", "/api/v1/cases/{id}", staff, || get(read)),
        Endpoint::new("POST", "/api/v1/cases/{id}/assign", staff, || post(assign)),
        Endpoint::new("POST", "/api/v1/cases/{id}/transfer", staff, || {
            post(transfer)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/consents", staff, || {
            post(consent)
        }),
        Endpoint::new(
            "POST",
            "/api/v1/cases/{id}/consents/{consent}/withdraw",
            staff,
            || post(withdraw_consent),
        ),
        Endpoint::new("POST", "/api/v1/cases/{id}/referrals", staff, || {
            post(refer)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/stage", staff, || {
            post(move_stage)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/approval", staff, || {
            post(approval)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/notes", staff, || post(add_note)),
        Endpoint::new("PUT", "/api/v1/cases/{id}/notes/{note}", staff, || {
            axum::routing::put(edit_note)
        }),
        Endpoint::new("GET", "/api/v1/care/alerts", staff, || get(alerts)),
        Endpoint::new("GET", "/api/v1/care/catalogue", staff, || get(catalogue)),
        Endpoint::new(
            "GET",
            "/api/v1/care/indicators",
            Access::Roles(&[Role::Supervisor, Role::Admin, Role::Researcher]),
            || get(indicators),
        ),
        Endpoint::new("POST", "/api/v1/cases/{id}/hashes", staff, || {
            post(add_hashes)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/assessments", staff, || {
            post(assess)
        }),
        Endpoint::new("POST", "/api/v1/cases/{id}/services", staff, || {
            post(plan_service)
        }),
        Endpoint::new(
            "PATCH",
            "/api/v1/cases/{id}/services/{service}",
            staff,
            || axum::routing::patch(update_service),
        ),
        Endpoint::new("POST", "/api/v1/referrals/{id}/accept", staff, || {
            post(accept)
        }),
        Endpoint::new("POST", "/api/v1/referrals/{id}/reject", staff, || {
            post(reject)
        }),
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

#[derive(Deserialize)]
struct NewCase {
    #[serde(flatten)]
    identity: Identity,
    risk_level: Option<String>,
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
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewCase>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = super::create_case(
        &state.store,
        &state.fields,
        &caller.actor(),
        &caller.principal,
        &body.identity,
        body.risk_level.as_deref().unwrap_or("medium"),
    )
    .await?;
    Ok(created_answer(created.id))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(
        super::read_case(
            &state.store,
            &state.fields,
            &caller.actor(),
            &caller.principal,
            id,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct NewConsent {
    purpose: String,
    given_by: String,
    #[serde(default)]
    evidence: String,
}

async fn consent(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewConsent>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = super::add_consent(
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.purpose,
        &body.given_by,
        &body.evidence,
    )
    .await?;
    Ok(created_answer(added.id))
}

#[derive(Deserialize)]
struct NewReferral {
    service: String,
    to_org: String,
    share: Option<Vec<String>>,
    /// Supervisors only: why the referral goes ahead without disclosure consent.
    override_reason: Option<String>,
}

async fn refer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewReferral>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = super::refer(
        &state.store,
        &state.fields,
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
struct Answer {
    reason: Option<String>,
}

async fn answer(
    state: AppState,
    caller: Caller,
    id: i64,
    accept: bool,
    body: Answer,
) -> ApiResult<Json<serde_json::Value>> {
    let answered = super::answer_referral(
        &state.store,
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
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<Answer>>,
) -> ApiResult<Json<serde_json::Value>> {
    answer(
        state,
        caller,
        id,
        true,
        body.map(|b| b.0).unwrap_or_default(),
    )
    .await
}

async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<serde_json::Value>> {
    answer(state, caller, id, false, body).await
}

#[derive(Deserialize)]
struct Assignment {
    email: String,
}

async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Assignment>,
) -> ApiResult<StatusCode> {
    super::assign(
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.email,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct StageChange {
    to: String,
    reason: Option<String>,
}

async fn move_stage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<StageChange>,
) -> ApiResult<Json<super::workflow::StageView>> {
    Ok(Json(
        super::workflow::move_stage(
            &state.store,
            &caller.actor(),
            &caller.principal,
            id,
            &body.to,
            body.reason.as_deref(),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct Decision {
    /// `approve` or `return`.
    decision: String,
}

async fn approval(
    State(state): State<AppState>,
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
        super::workflow::decide(
            &state.store,
            &caller.actor(),
            &caller.principal,
            id,
            approve,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct NewNote {
    body: String,
    corrects: Option<i64>,
}

async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewNote>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = super::workflow::add_note(
        &state.store,
        &state.fields,
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
struct NoteEdit {
    body: String,
}

async fn edit_note(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, note)): Path<(i64, i64)>,
    Json(body): Json<NoteEdit>,
) -> ApiResult<StatusCode> {
    super::workflow::edit_note(
        &state.store,
        &state.fields,
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
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<super::workflow::AlertView>>> {
    Ok(Json(
        super::workflow::my_alerts(&state.store, &caller.actor(), &caller.principal).await?,
    ))
}

async fn catalogue(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "services": state.care_config.services(),
        "forms": state.care_config.forms,
    }))
}

async fn assess(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<super::plan::Answers>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = super::plan::record_assessment(
        &state.store,
        &state.fields,
        &state.care_config,
        &caller.actor(),
        &caller.principal,
        id,
        &body,
    )
    .await?;
    Ok(created_answer(added.id))
}

#[derive(Deserialize)]
struct NewService {
    service: String,
    provider: String,
}

async fn plan_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewService>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let planned = super::plan::plan_service(
        &state.store,
        &state.care_config,
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
struct ServiceUpdate {
    status: String,
    outcome: Option<String>,
}

async fn update_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, service)): Path<(i64, i64)>,
    Json(body): Json<ServiceUpdate>,
) -> ApiResult<Json<super::plan::ServiceView>> {
    let updated = super::plan::update_service(
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        service,
        &body.status,
        body.outcome.as_deref(),
    )
    .await?;
    Ok(Json(updated.into()))
}

#[derive(Deserialize)]
struct Transfer {
    to_org: String,
}

async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Transfer>,
) -> ApiResult<StatusCode> {
    super::transfer(
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.to_org,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn indicators(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<super::indicators::Indicators>> {
    Ok(Json(
        super::indicators::indicators(&state.store, &caller.actor(), &caller.principal).await?,
    ))
}

#[derive(Deserialize)]
struct CaseHashes {
    pdq: Option<String>,
    /// PDQ quality; below 50 is refused as for any bank.
    quality: Option<i32>,
    md5: Option<String>,
}

async fn add_hashes(
    State(state): State<AppState>,
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
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        &signals,
    )
    .await?;
    state.matcher.sync(&state.store).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "linked": linked })),
    ))
}

async fn withdraw_consent(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, consent)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    super::withdraw_consent(
        &state.store,
        &caller.actor(),
        &caller.principal,
        id,
        consent,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
