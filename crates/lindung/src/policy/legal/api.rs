//! The self-assessment's JSON API under `/api/v1/policy` (tag `policy`): the template, an
//! organisation's assessment versions, their comparison and CSV, and consultations.

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::assessments::{self, AssessmentView, Comparison, NewAssessment, VersionRow};
use super::consultations::{self, ConsultationView, NewConsultation};
use super::template::Template;
use super::{report, template};
use crate::http::{Access, ApiError, ApiResult, AuthContext, Caller, Endpoint, Json, Path, Query};
use crate::policy::{POLICY_ROLES, PolicyContext};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let roles = Access::Roles(POLICY_ROLES);
    vec![
        Endpoint::api(roles, routes!(read_template)),
        Endpoint::api(roles, routes!(list_assessments)),
        Endpoint::api(roles, routes!(create_assessment)),
        Endpoint::api(roles, routes!(read_assessment)),
        Endpoint::api(roles, routes!(compare_assessments)),
        Endpoint::api(roles, routes!(assessment_csv)),
        Endpoint::api(roles, routes!(list_consultations)),
        Endpoint::api(roles, routes!(create_consultation)),
    ]
}

/// `?country=TH`: one country, or every one when left out.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountryQuery {
    /// ISO 3166-1 alpha-2 of an ASEAN member or Timor-Leste.
    pub country: Option<String>,
}

/// The checklist template the assessments answer.
#[utoipa::path(get, path = "/api/v1/policy/template", tag = "policy",
    operation_id = "read_legal_template",
    responses((status = 200, body = Template)),
    security(("bearer" = [])))]
async fn read_template() -> ApiResult<Json<Template>> {
    Ok(Json((*template()?).clone()))
}

/// The assessment versions of the caller's organisation, newest first.
#[utoipa::path(get, path = "/api/v1/policy/assessments", tag = "policy",
    operation_id = "list_legal_assessments", params(CountryQuery),
    responses((status = 200, body = Vec<VersionRow>)),
    security(("bearer" = [])))]
async fn list_assessments(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Query(query): Query<CountryQuery>,
) -> ApiResult<Json<Vec<VersionRow>>> {
    let template = template()?;
    Ok(Json(
        assessments::list(
            &ctx.store,
            &template,
            &caller.actor(),
            &caller.principal,
            query.country.as_deref(),
        )
        .await?,
    ))
}

/// Saves a new version of a country's assessment (the version after the organisation's last
/// of that country).
#[utoipa::path(post, path = "/api/v1/policy/assessments", tag = "policy",
    operation_id = "create_legal_assessment", request_body = NewAssessment,
    responses((status = 201, description = "the new version", body = AssessmentView),
        (status = 409, description = "`version_taken`: another version of the country was saved at the same moment; save again")),
    security(("bearer" = [])))]
async fn create_assessment(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Json(body): Json<NewAssessment>,
) -> ApiResult<(StatusCode, Json<AssessmentView>)> {
    let template = template()?;
    let created = assessments::create(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One version with its answers.
#[utoipa::path(get, path = "/api/v1/policy/assessments/{id}", tag = "policy",
    operation_id = "read_legal_assessment",
    params(("id" = i64, Path, description = "the version")),
    responses((status = 200, body = AssessmentView)),
    security(("bearer" = [])))]
async fn read_assessment(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AssessmentView>> {
    let template = template()?;
    Ok(Json(
        assessments::read(
            &ctx.store,
            &template,
            &caller.actor(),
            &caller.principal,
            id,
            "api",
        )
        .await?,
    ))
}

/// What changed from version `id` to version `other` of the same country: the items whose
/// status, law, article or note differ, with both answers.
#[utoipa::path(get, path = "/api/v1/policy/assessments/{id}/compare/{other}", tag = "policy",
    operation_id = "compare_legal_assessments",
    params(("id" = i64, Path, description = "the earlier version"),
        ("other" = i64, Path, description = "the later version")),
    responses((status = 200, body = Comparison)),
    security(("bearer" = [])))]
async fn compare_assessments(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Path((id, other)): Path<(i64, i64)>,
) -> ApiResult<Json<Comparison>> {
    let template = template()?;
    Ok(Json(
        assessments::compare(
            &ctx.store,
            &template,
            &caller.actor(),
            &caller.principal,
            id,
            other,
        )
        .await?,
    ))
}

/// One version as CSV: one row per item of the template (tier, item, question in English,
/// status, law, article, note).
#[utoipa::path(get, path = "/api/v1/policy/assessments/{id}/report.csv", tag = "policy",
    operation_id = "legal_assessment_csv",
    params(("id" = i64, Path, description = "the version")),
    responses((status = 200, description = "`tier,item,question,status,law,article,note`", body = String, content_type = "text/csv")),
    security(("bearer" = [])))]
async fn assessment_csv(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let template = template()?;
    let view = assessments::read(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        id,
        "csv",
    )
    .await?;
    csv_answer(&template, &view, "en")
}

/// A version's CSV as a download.
pub(super) fn csv_answer(
    template: &Template,
    view: &AssessmentView,
    lang: &str,
) -> ApiResult<Response> {
    let body = report::to_csv(template, view, lang).map_err(ApiError::internal)?;
    let disposition = format!(
        "attachment; filename=\"legal-assessment-{}-v{}.csv\"",
        view.row.country, view.row.version
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// The consultations with children and young people of the caller's organisation.
#[utoipa::path(get, path = "/api/v1/policy/consultations", tag = "policy",
    operation_id = "list_consultations", params(CountryQuery),
    responses((status = 200, body = Vec<ConsultationView>)),
    security(("bearer" = [])))]
async fn list_consultations(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Query(query): Query<CountryQuery>,
) -> ApiResult<Json<Vec<ConsultationView>>> {
    Ok(Json(
        consultations::list(
            &ctx.store,
            &caller.actor(),
            &caller.principal,
            query.country.as_deref(),
        )
        .await?,
    ))
}

/// Records a consultation with children and young people held for a reform (aggregates only).
#[utoipa::path(post, path = "/api/v1/policy/consultations", tag = "policy",
    operation_id = "create_consultation", request_body = NewConsultation,
    responses((status = 201, description = "recorded", body = ConsultationView)),
    security(("bearer" = [])))]
async fn create_consultation(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Json(body): Json<NewConsultation>,
) -> ApiResult<(StatusCode, Json<ConsultationView>)> {
    let created =
        consultations::create(&ctx.store, &caller.actor(), &caller.principal, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
