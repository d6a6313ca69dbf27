//! Linking the hashes of a child's pictures to the case from its page, so that a platform's
//! match raises a re-upload alert to the case's workers. The worker gives the hashes (made on
//! the family's device by the self-report page, or by a partner); the picture never comes here.

use crate::http::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::Done;
use super::case_page::after;
use crate::care::{CareContext, CareError, workflow};
use crate::http::{Access, Caller, Endpoint, OrPage, PageResult};

pub(super) fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(crate::care::api::CARE_STAFF);
    vec![Endpoint::post("/care/{id}/hashes", page, link)]
}

#[derive(Deserialize)]
struct HashesForm {
    csrf: Option<String>,
    #[serde(default)]
    pdq: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    md5: String,
}

async fn link(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<HashesForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome = linked(&ctx, &caller, id, &form).await.map(|_| Done::Linked);
    let typed = [
        ("pdq", form.pdq.as_str()),
        ("quality", form.quality.as_str()),
        ("md5", form.md5.as_str()),
    ];
    after(&ctx, &headers, &caller, id, outcome, "hashes", &typed).await
}

async fn linked(
    ctx: &CareContext,
    caller: &Caller,
    id: i64,
    form: &HashesForm,
) -> Result<usize, CareError> {
    let quality =
        match form.quality.trim() {
            "" => None,
            text => Some(text.parse::<i32>().map_err(|_| {
                CareError::Invalid("quality", "a whole number from 0 to 100".into())
            })?),
        };
    let signals = workflow::picture_signals(Some(&form.pdq), quality, Some(&form.md5))?;
    let linked =
        workflow::add_case_hashes(&ctx.store, &caller.actor(), &caller.principal, id, &signals)
            .await?;
    // The index learns the new hashes at once, so the next lookup can alert.
    ctx.banks
        .sync()
        .await
        .map_err(|e| CareError::Internal(e.message))?;
    Ok(linked)
}
