//! A case's stage and the supervisor's approval, its notes, and the re-upload alerts.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Created, created_answer};
use crate::care::alerts::{self, AlertView};
use crate::care::workflow::{self, StageView};
use crate::care::{CareContext, CareError, CareStage};
use crate::http::{ApiResult, Caller, Json, Path};

/// A move to another stage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageChange {
    to: CareStage,
    /// Required to close a case: one of the closure reasons (`goals_met`, `transferred`,
    /// `moved_away`, `declined_services`, `aged_out`, `other`).
    reason: Option<String>,
}

/// Moves a case to another stage; the case plan and closure wait for a supervisor's approval.
#[utoipa::path(post, path = "/api/v1/cases/{id}/stage", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = StageChange,
    responses((status = 200, description = "where the case now stands", body = StageView)),
    security(("bearer" = [])))]
pub(super) async fn move_stage(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<StageChange>,
) -> ApiResult<Json<StageView>> {
    Ok(Json(
        workflow::move_stage(
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

/// A supervisor's decision on what awaits approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// `approve` or `return`.
    decision: String,
}

/// A supervisor of the case's organisation approves or returns the case plan or the closure.
#[utoipa::path(post, path = "/api/v1/cases/{id}/approval", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = Decision,
    responses((status = 200, description = "where the case now stands", body = StageView)),
    security(("bearer" = [])))]
pub(super) async fn approval(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Decision>,
) -> ApiResult<Json<StageView>> {
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
        workflow::decide(&ctx.store, &caller.actor(), &caller.principal, id, approve).await?,
    ))
}

/// A case note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    body: String,
    /// The note this one corrects, once the 24 hours to edit it have passed.
    corrects: Option<i64>,
}

/// Adds a signed note to a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = NewNote,
    responses((status = 201, description = "the note was added", body = Created)),
    security(("bearer" = [])))]
pub(super) async fn add_note(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewNote>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added = workflow::add_note(
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

/// A note's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteEdit {
    body: String,
}

/// Edits a note, by its author, within 24 hours of writing it.
#[utoipa::path(put, path = "/api/v1/cases/{id}/notes/{note}", tag = "care",
    params(("id" = i64, Path, description = "the case"), ("note" = i64, Path, description = "the note")),
    request_body = NoteEdit,
    responses((status = 204, description = "edited"),
        (status = 409, description = "`note_locked`: the 24 hours to edit have passed; add a correction as a new note")),
    security(("bearer" = [])))]
pub(super) async fn edit_note(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, note)): Path<(i64, i64)>,
    Json(body): Json<NoteEdit>,
) -> ApiResult<StatusCode> {
    workflow::edit_note(
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

/// The unseen re-upload alerts of the cases the caller is assigned to, newest first.
#[utoipa::path(get, path = "/api/v1/care/alerts", tag = "care",
    responses((status = 200, body = Vec<AlertView>)),
    security(("bearer" = [])))]
pub(super) async fn alerts(
    State(ctx): State<CareContext>,
    caller: Caller,
) -> ApiResult<Json<Vec<AlertView>>> {
    Ok(Json(
        alerts::my_alerts(&ctx.store, &caller.actor(), &caller.principal).await?,
    ))
}
