//! Bank pages: the bank list, a bank's content with add, import and export, and the match
//! tester.

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use pdq::Hash256;
use serde::Deserialize;

use super::BanksContext;
use super::api::add_content_synced;
use super::entities::{bank, signal};
use super::formats::{ExportFormat, export_signals, parse_hash_list};
use super::matcher::BankMatch;
use super::store::{self as banks, ContentMeta, NewSignal, SignalType};
use crate::access::Role;
use crate::access::audit::{self, AuditEvent};
use crate::http::MAX_BODY_BYTES;
use crate::http::{
    Access, ApiError, Caller, Chrome, Endpoint, Multipart, OrPage, PageError, PageResult, render,
};

/// Roles that work with banks in the UI.
const BANK_USERS: &[Role] = &[Role::Admin, Role::Analyst, Role::Platform];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    BanksContext: FromRef<S>,
{
    let page = Access::Page(BANK_USERS);
    vec![
        Endpoint::get("/banks", page, list),
        Endpoint::post("/banks", page, create),
        Endpoint::get("/banks/{name}", page, show),
        Endpoint::post("/banks/{name}/signals", page, add_hash),
        Endpoint::post("/banks/{name}/upload", page, add_upload).with_body_limit(MAX_BODY_BYTES),
        Endpoint::post("/banks/{name}/import", page, import).with_body_limit(MAX_BODY_BYTES),
        Endpoint::get("/banks/{name}/export", page, export),
        Endpoint::post("/banks/{name}/settings", page, settings),
        Endpoint::post("/banks/{name}/delete", page, delete),
        Endpoint::get("/match", page, match_form),
        Endpoint::post("/match", page, match_submit).with_body_limit(MAX_BODY_BYTES),
    ]
}

struct BankRow {
    name: String,
    enabled: bool,
    threshold: i32,
    signals: usize,
}

#[derive(Template)]
#[template(path = "banks.html")]
struct BanksPage {
    chrome: Chrome,
    banks: Vec<BankRow>,
    /// The new bank's name as typed, and why it was refused.
    typed_name: String,
    error: Option<String>,
}

/// A refused form's message: the kind of fault in the user's language, then the detail.
fn refusal(chrome: &Chrome, error: ApiError) -> String {
    let summary = chrome
        .tr
        .try_t(&format!("error-{}", error.code))
        .unwrap_or_else(|| chrome.tr.t("error-generic"));
    format!("{summary} ({})", error.message)
}

async fn list(State(ctx): State<BanksContext>, headers: HeaderMap, caller: Caller) -> PageResult {
    list_page(&ctx, &headers, &caller, String::new(), None).await
}

async fn list_page(
    ctx: &BanksContext,
    headers: &HeaderMap,
    caller: &Caller,
    typed_name: String,
    error: Option<ApiError>,
) -> PageResult {
    let mut rows = Vec::new();
    let listed = banks::listed_banks(&ctx.store, &caller.principal)
        .await
        .or_page(headers)?
        .all(ctx.store.db())
        .await
        .or_page(headers)?;
    for b in listed {
        let signals = banks::bank_signals(&ctx.store, b.id)
            .await
            .or_page(headers)?
            .len();
        rows.push(BankRow {
            name: b.name,
            enabled: b.enabled,
            threshold: b.pdq_threshold,
            signals,
        });
    }
    let chrome = Chrome::for_caller(caller, headers, "banks-title");
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = BanksPage {
        error: error.map(|e| refusal(&chrome, e)),
        chrome,
        banks: rows,
        typed_name,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: Option<String>,
    name: String,
}

async fn create(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<CreateForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let created = match banks::create_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &form.name,
        None,
        true,
        banks::BankSharing::Private,
    )
    .await
    {
        Ok(created) => created,
        // A name that is not valid or taken: the form again, with the name as typed.
        Err(e) => {
            let error = ApiError::from(e);
            if error.status.is_server_error() {
                return Err(PageError::new(&headers, error));
            }
            return list_page(&ctx, &headers, &caller, form.name, Some(error)).await;
        }
    };
    ctx.sync().await.or_page(&headers)?;
    Ok(Redirect::to(&format!("/banks/{}", created.name)).into_response())
}

/// At most this many signals are listed on a bank page.
const LISTED_SIGNALS: usize = 500;

#[derive(Template)]
#[template(path = "bank.html")]
struct BankPage {
    chrome: Chrome,
    bank: bank::Model,
    signals: Vec<signal::Model>,
    total: usize,
    sharing_options: &'static [banks::BankSharing],
    /// The add-hash form as typed (hash, note), and why it was refused.
    typed_hash: (String, String),
    error: Option<String>,
}

impl BankPage {
    /// The message naming a sharing scope.
    fn sharing_key(&self, sharing: &banks::BankSharing) -> &'static str {
        match sharing {
            banks::BankSharing::Private => "bank-sharing-private",
            banks::BankSharing::Platforms => "bank-sharing-platforms",
        }
    }
}

async fn visible(
    ctx: &BanksContext,
    headers: &HeaderMap,
    caller: &Caller,
    name: &str,
) -> Result<bank::Model, PageError> {
    banks::visible_bank(&ctx.store, &caller.principal, name)
        .await
        .or_page(headers)
}

async fn bank_page(
    ctx: &BanksContext,
    headers: &HeaderMap,
    caller: &Caller,
    name: &str,
    notice: Option<String>,
) -> PageResult {
    bank_page_with(ctx, headers, caller, name, notice, Default::default(), None).await
}

async fn bank_page_with(
    ctx: &BanksContext,
    headers: &HeaderMap,
    caller: &Caller,
    name: &str,
    notice: Option<String>,
    typed_hash: (String, String),
    error: Option<ApiError>,
) -> PageResult {
    let found = visible(ctx, headers, caller, name).await?;
    let mut signals = banks::bank_signals(&ctx.store, found.id)
        .await
        .or_page(headers)?;
    let total = signals.len();
    // Newest first.
    signals.reverse();
    signals.truncate(LISTED_SIGNALS);
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("bank.content.read", "bank", found.id.to_string())
            .detail("page", "bank")
            .detail("items", signals.len()),
    )
    .await
    .or_page(headers)?;
    let mut chrome = Chrome::for_caller(caller, headers, "bank-title");
    chrome.title = format!("{}: {}", chrome.title, found.name);
    if let Some(notice) = notice {
        chrome = chrome.with_notice(notice);
    }
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = BankPage {
        error: error.map(|e| refusal(&chrome, e)),
        chrome,
        bank: found,
        signals,
        total,
        sharing_options: banks::BankSharing::ALL,
        typed_hash,
    };
    Ok(render(status, &page))
}

async fn show(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
) -> PageResult {
    bank_page(&ctx, &headers, &caller, &name, None).await
}

#[derive(Deserialize)]
struct HashForm {
    csrf: Option<String>,
    pdq: String,
    note: Option<String>,
}

async fn add_hash(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
    Form(form): Form<HashForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    visible(&ctx, &headers, &caller, &name).await?;
    let note = form.note.unwrap_or_default();
    let signal = match NewSignal::new(SignalType::Pdq, form.pdq.trim(), None) {
        Ok(signal) => signal,
        // Not a PDQ hash: the form again, with what was typed and the field marked.
        Err(e) => {
            let typed = (form.pdq, note);
            return bank_page_with(&ctx, &headers, &caller, &name, None, typed, Some(e.into()))
                .await;
        }
    };
    let meta = ContentMeta {
        note,
        source: "page".into(),
        ..ContentMeta::default()
    };
    let added = add_content_synced(&ctx, &caller, &name, &meta, &[signal])
        .await
        .or_page(&headers)?;
    bank_page(
        &ctx,
        &headers,
        &caller,
        &name,
        Some(added_notice(&caller, &headers, &added)),
    )
    .await
}

/// The signed-in user's translator: their own language setting first, then the browser's.
fn user_tr(caller: &Caller, headers: &HeaderMap) -> crate::http::i18n::Tr {
    Chrome::for_caller(caller, headers, "bank-title").tr
}

fn added_notice(caller: &Caller, headers: &HeaderMap, added: &banks::Added) -> String {
    let tr = user_tr(caller, headers);
    tr.t(if added.new_signals > 0 {
        "added"
    } else {
        "already-in-bank"
    })
}

async fn add_upload(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let upload = crate::http::read_upload(multipart, "photo")
        .await
        .or_page(&headers)?;
    caller
        .check_csrf(upload.csrf.as_deref())
        .or_page(&headers)?;
    visible(&ctx, &headers, &caller, &name).await?;
    let bytes = upload
        .file
        .ok_or_else(|| ApiError::bad_request("choose an image file"))
        .or_page(&headers)?;
    let fp = crate::http::fingerprint_upload(bytes, false)
        .await
        .or_page(&headers)?;
    let signals = banks::image_signals(&fp).or_page(&headers)?;
    let meta = ContentMeta {
        note: upload.fields.get("note").cloned().unwrap_or_default(),
        source: "upload".into(),
        ..ContentMeta::default()
    };
    let added = add_content_synced(&ctx, &caller, &name, &meta, &signals)
        .await
        .or_page(&headers)?;
    bank_page(
        &ctx,
        &headers,
        &caller,
        &name,
        Some(added_notice(&caller, &headers, &added)),
    )
    .await
}

async fn import(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let upload = crate::http::read_upload(multipart, "list")
        .await
        .or_page(&headers)?;
    caller
        .check_csrf(upload.csrf.as_deref())
        .or_page(&headers)?;
    let target = visible(&ctx, &headers, &caller, &name).await?;
    let bytes = upload
        .file
        .ok_or_else(|| ApiError::bad_request("choose a hash-list file"))
        .or_page(&headers)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("the file is not UTF-8 text; nothing was imported"))
        .or_page(&headers)?;
    let list = parse_hash_list(&text)
        .map_err(|e| ApiError::bad_request(format!("{e}; nothing was imported")))
        .or_page(&headers)?;
    let signals = list
        .bank_signals()
        .map_err(|e| ApiError::bad_request(format!("{e}; nothing was imported")))
        .or_page(&headers)?;
    let added = banks::import_signals(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &target.name,
        "import:page",
        &signals,
        |_| {},
    )
    .await
    .or_page(&headers)?;
    ctx.sync().await.or_page(&headers)?;
    let notice = user_tr(&caller, &headers).t1("imported", "count", added);
    bank_page(&ctx, &headers, &caller, &name, Some(notice)).await
}

async fn export(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
) -> PageResult {
    let target = visible(&ctx, &headers, &caller, &name).await?;
    let rows = banks::bank_signals(&ctx.store, target.id)
        .await
        .or_page(&headers)?;
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("bank.export", "bank", target.id.to_string()).detail("signals", rows.len()),
    )
    .await
    .or_page(&headers)?;
    // local_file keeps every bankable signal type (videos too) and imports again as it is.
    let text = export_signals(&rows, ExportFormat::LocalFile, &target.name);
    let disposition = format!("attachment; filename=\"{}.txt\"", target.name);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: Option<String>,
    name: String,
    pdq_threshold: String,
    enabled: Option<String>,
    sharing: Option<String>,
}

async fn settings(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    visible(&ctx, &headers, &caller, &name).await?;
    let threshold: i32 = form
        .pdq_threshold
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("the threshold is a number from 0 to 64"))
        .or_page(&headers)?;
    let sharing = form
        .sharing
        .as_deref()
        .map(str::parse::<banks::BankSharing>)
        .transpose()
        .map_err(|e| ApiError::invalid("sharing", e))
        .or_page(&headers)?;
    let updated = banks::update_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &name,
        banks::BankUpdate {
            name: Some(&form.name),
            enabled: Some(form.enabled.is_some()),
            pdq_threshold: Some(threshold),
            sharing,
        },
    )
    .await
    .or_page(&headers)?;
    ctx.sync().await.or_page(&headers)?;
    Ok(Redirect::to(&format!("/banks/{}", updated.name)).into_response())
}

#[derive(Deserialize)]
struct DeleteForm {
    csrf: Option<String>,
    confirm: Option<String>,
}

async fn delete(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(name): Path<String>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    if form.confirm.as_deref() != Some("yes") {
        return Err(PageError::new(
            &headers,
            ApiError::bad_request("tick the box to confirm the deletion"),
        ));
    }
    visible(&ctx, &headers, &caller, &name).await?;
    banks::delete_bank(&ctx.store, &caller.actor(), &caller.principal, &name)
        .await
        .or_page(&headers)?;
    ctx.sync().await.or_page(&headers)?;
    Ok(Redirect::to("/banks").into_response())
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    chrome: Chrome,
    query: Option<String>,
    quality: Option<u8>,
    matches: Vec<BankMatch>,
}

async fn match_form(headers: HeaderMap, caller: Caller) -> PageResult {
    let page = MatchPage {
        chrome: Chrome::for_caller(&caller, &headers, "match-title"),
        query: None,
        quality: None,
        matches: Vec::new(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn match_submit(
    State(ctx): State<BanksContext>,
    headers: HeaderMap,
    caller: Caller,
    multipart: Multipart,
) -> PageResult {
    let upload = crate::http::read_upload(multipart, "photo")
        .await
        .or_page(&headers)?;
    caller
        .check_csrf(upload.csrf.as_deref())
        .or_page(&headers)?;
    let dihedral = upload.fields.get("dihedral").is_some_and(|v| v == "on");
    let (query, quality, queries) = match (
        upload.file,
        upload
            .fields
            .get("pdq")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty()),
    ) {
        (Some(bytes), _) => {
            let fp = crate::http::fingerprint_upload(bytes, dihedral)
                .await
                .or_page(&headers)?;
            let queries = match (dihedral, fp.dihedral) {
                (true, Some(d)) => d.hashes.to_vec(),
                _ => vec![fp.pdq.hash],
            };
            (fp.pdq.hash, Some(fp.pdq.quality), queries)
        }
        (None, Some(hex)) => {
            let hash = Hash256::parse(hex)
                .map_err(|e| ApiError::bad_request(format!("not a PDQ hash: {e}")))
                .or_page(&headers)?;
            (hash, None, vec![hash])
        }
        (None, None) => {
            return Err(PageError::new(
                &headers,
                ApiError::bad_request("choose an image or paste a PDQ hash"),
            ));
        }
    };
    let page = MatchPage {
        chrome: Chrome::for_caller(&caller, &headers, "match-title"),
        query: Some(query.to_string()),
        quality,
        matches: ctx
            .matcher
            .lookup_pdq(&queries, None, &ctx.scope(&caller.principal)),
    };
    Ok(render(StatusCode::OK, &page))
}
