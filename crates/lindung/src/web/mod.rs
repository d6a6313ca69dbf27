//! The HTTP server: routes, the role each route admits, authentication and the error type.
//! Domains supply the handlers; this module wires them up.

mod auth;
mod error;
pub mod i18n;
mod metrics;
pub mod pages;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::MethodRouter;

pub use auth::{AuthError, Caller, SESSION_COOKIE, constant_time_eq, cookie};
pub use error::ApiError;

use crate::access::Role;
use crate::banks::matcher::Matcher;
use crate::store::Store;

/// Shared by every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub matcher: Arc<Matcher>,
    /// SHA-256 of the one-time first-admin setup secret, while there are no users.
    pub setup: Arc<std::sync::Mutex<Option<String>>>,
    /// The Prometheus recorder's handle, when this process installed one.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Recently verified API tokens (by SHA-256), so that a hot client does not cost two
    /// database reads per request. Entries live `TOKEN_CACHE_TTL`; revoking in this process
    /// clears the cache at once.
    pub token_cache: Arc<
        std::sync::RwLock<
            std::collections::HashMap<String, (crate::access::Principal, std::time::Instant)>,
        >,
    >,
    /// Login attempts per client address.
    pub login_limit: Arc<RateLimiter>,
    /// Self-report submissions, and status and withdrawal requests, per client address.
    pub selfreport_submit_limit: Arc<RateLimiter>,
    pub selfreport_lookup_limit: Arc<RateLimiter>,
    /// Encrypts identifying fields.
    pub fields: Arc<crate::store::fields::FieldCipher>,
    /// The browser's PDQ module (`scripts/build-wasm`), served at `/static/pdq.wasm`.
    pub pdq_wasm: Option<axum::body::Bytes>,
    /// Signals linked to care cases, for re-upload alerts.
    pub care_links: Arc<crate::care::workflow::LinkCache>,
    /// The deployment's services and assessment forms.
    pub care_config: Arc<crate::care::plan::CareConfig>,
    /// Sends re-upload alerts and hotline notices by email when SMTP is configured.
    pub mailer: Option<crate::mail::Mailer>,
    /// Emergency numbers, law table, notice and check schedules.
    pub hotline_config: Arc<crate::hotline::config::HotlineConfig>,
    /// Public hotline reports and status checks per client address.
    pub hotline_report_limit: Arc<RateLimiter>,
    /// One notice-and-check run at a time, across processes, so a notice is never sent twice
    /// at once.
    pub hotline_runs: Arc<crate::hotline::takedown::Runs>,
}

/// Counts requests per key (a client address) in fixed windows.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            seen: Default::default(),
        }
    }

    /// Counts one request for `key`; true when it is over the limit.
    pub fn exceeded(&self, key: &str) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        let entry = seen.entry(key.to_owned()).or_insert((now, 0));
        entry.1 += 1;
        entry.1 > self.limit
    }
}

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            matcher: Arc::new(Matcher::default()),
            setup: Arc::default(),
            metrics: None,
            token_cache: Arc::default(),
            login_limit: Arc::new(RateLimiter::new(10, Duration::from_secs(60))),
            selfreport_submit_limit: Arc::new(RateLimiter::new(10, Duration::from_secs(3600))),
            selfreport_lookup_limit: Arc::new(RateLimiter::new(30, Duration::from_secs(600))),
            // `serve` replaces it with the deployment's key; a state built elsewhere (tests,
            // tools) never keeps what it encrypts.
            fields: Arc::new(
                crate::store::fields::FieldCipher::ephemeral()
                    .unwrap_or_else(|e| panic!("no randomness for a field key: {e}")),
            ),
            pdq_wasm: None,
            care_links: Arc::default(),
            care_config: Arc::new(
                crate::care::plan::CareConfig::parse(crate::care::plan::DEFAULT_CONFIG)
                    .unwrap_or_else(|e| panic!("the built-in care.json is invalid: {e}")),
            ),
            mailer: None,
            hotline_config: Arc::new(
                crate::hotline::config::HotlineConfig::parse(
                    crate::hotline::config::DEFAULT_CONFIG,
                )
                .unwrap_or_else(|e| panic!("the built-in hotline.json is invalid: {e}")),
            ),
            hotline_report_limit: Arc::new(RateLimiter::new(20, Duration::from_secs(3600))),
            hotline_runs: Arc::new(
                crate::hotline::takedown::Runs::new()
                    .unwrap_or_else(|e| panic!("no randomness for a lease holder id: {e}")),
            ),
        }
    }
}

/// Who may call a route. `Public` routes need no credentials; `Roles` are API routes (JSON
/// errors), `Page` are HTML pages (HTML errors); both admit a bearer token or a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Roles(&'static [Role]),
    Page(&'static [Role]),
}

impl Access {
    /// The roles admitted, or `None` for public routes.
    pub fn roles(self) -> Option<&'static [Role]> {
        match self {
            Access::Public => None,
            Access::Roles(r) | Access::Page(r) => Some(r),
        }
    }
}

/// One route: method, path (axum syntax), who may call it, and its handler.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    handler: fn() -> MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {:?}", self.method, self.path, self.access)
    }
}

pub(crate) const PLATFORM_OR_ADMIN: &[Role] = &[Role::Platform, Role::Admin];

/// Every route of the server. The router is built from this table and the role-by-route test
/// walks it, so the two cannot drift apart.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![Endpoint {
        method: "GET",
        path: "/status",
        access: Access::Public,
        handler: || axum::routing::get(status),
    }];
    all.push(Endpoint::new(
        "GET",
        "/metrics",
        Access::Roles(&[Role::Admin]),
        || axum::routing::get(metrics::render),
    ));
    all.extend(pages::endpoints());
    all.extend(crate::banks::hma::endpoints());
    all.extend(crate::banks::api::endpoints());
    all.push(Endpoint::new(
        "GET",
        "/api/v1/openapi.json",
        Access::Public,
        || {
            axum::routing::get(|| async {
                use utoipa::OpenApi;
                let mut document = crate::banks::api::ApiDoc::openapi();
                document.merge(crate::hotline::api::HotlineDoc::openapi());
                axum::Json(document)
            })
        },
    ));
    all.extend(crate::banks::pages::endpoints());
    all.extend(crate::access::pages::endpoints());
    all.extend(crate::selfreport::routes::endpoints());
    all.extend(crate::care::api::endpoints());
    all.extend(crate::care::pages::endpoints());
    all.extend(crate::hotline::api::endpoints());
    all.extend(crate::hotline::pages::endpoints());
    all
}

async fn status(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<&'static str> {
    if state.matcher.is_loaded() {
        Ok("I-AM-ALIVE")
    } else {
        Err(ApiError::unavailable("the matching index is still loading"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl Endpoint {
    pub const fn new(
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: fn() -> MethodRouter<AppState>,
    ) -> Self {
        Endpoint {
            method,
            path,
            access,
            handler,
        }
    }
}

/// The application router over `state`.
pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for endpoint in endpoints() {
        let handler = (endpoint.handler)();
        let guarded = match endpoint.access {
            Access::Public => handler,
            Access::Roles(roles) => handler.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), roles),
                auth::require_roles,
            )),
            Access::Page(roles) => handler.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), roles),
                auth::require_roles_page,
            )),
        };
        let entry = by_path.remove(endpoint.path);
        by_path.insert(
            endpoint.path,
            match entry {
                Some(existing) => existing.merge(guarded),
                None => guarded,
            },
        );
    }
    let mut router = Router::new();
    for (path, methods) in by_path {
        router = router.route(path, methods);
    }
    router
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Hashes an uploaded image off the async threads. The image is never stored.
pub async fn fingerprint_upload(
    bytes: Vec<u8>,
    dihedral: bool,
) -> ApiResult<lindung_media::Fingerprint> {
    let options = lindung_media::Options {
        dihedral,
        ..lindung_media::Options::default()
    };
    tokio::task::spawn_blocking(move || {
        lindung_media::Fingerprinter::new(options).fingerprint_bytes(&bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_image",
            e.to_string(),
        )
    })
}

/// A multipart form: the CSRF field, one file field (absent if empty), and text fields.
#[derive(Debug)]
pub struct Upload {
    pub csrf: Option<String>,
    pub file: Option<Vec<u8>>,
    /// Which of the accepted file fields held the file.
    pub file_field: &'static str,
    pub fields: std::collections::HashMap<String, String>,
}

pub async fn read_upload(
    multipart: axum::extract::Multipart,
    file_field: &'static str,
) -> Result<Upload, ApiError> {
    read_upload_of(multipart, &[file_field]).await
}

/// Reads a form whose file may come in any one of `file_fields` (HMA sends `photo` or `video`).
pub async fn read_upload_of(
    mut multipart: axum::extract::Multipart,
    file_fields: &[&'static str],
) -> Result<Upload, ApiError> {
    let mut upload = Upload {
        csrf: None,
        file: None,
        file_field: "",
        fields: Default::default(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed form: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading the form: {e}")))?;
        if let Some(&file_field) = file_fields.iter().find(|f| **f == name) {
            if !bytes.is_empty() {
                if upload.file.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "send one file, in one of the fields {}",
                        file_fields.join(" or ")
                    )));
                }
                upload.file = Some(bytes.to_vec());
                upload.file_field = file_field;
            }
        } else if name == "csrf" {
            upload.csrf = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            upload
                .fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(upload)
}

/// A video's fingerprints: vPDQ at one hash per second (the reference's default), the file's
/// digests and its duration.
#[derive(Debug)]
pub struct VideoFingerprint {
    pub frames: Vec<lindung_media::vpdq::VpdqFrame>,
    pub digests: lindung_media::Digests,
    pub duration_seconds: f64,
}

/// Limits for uploaded videos: the body limit bounds the size; decoding one video may take at
/// most two minutes of a worker thread.
pub const UPLOAD_VIDEO_LIMITS: lindung_media::video::VideoLimits =
    lindung_media::video::VideoLimits {
        max_file_bytes: MAX_BODY_BYTES as u64,
        max_duration_seconds: 4.0 * 3600.0,
        max_pixels: 8192 * 8192,
        time_limit: Duration::from_secs(120),
    };

/// Hashes an uploaded video. FFmpeg needs a seekable file (an MP4's index is often at its end),
/// so the bytes go to a private temporary file that is deleted as soon as hashing ends, on
/// every path; nothing else of the video is kept.
pub async fn fingerprint_video_upload(bytes: Vec<u8>) -> ApiResult<VideoFingerprint> {
    use lindung_media::video::VideoError;
    tokio::task::spawn_blocking(move || {
        let digests = lindung_media::Digests::of(&bytes);
        let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
        std::io::Write::write_all(&mut file, &bytes).map_err(ApiError::internal)?;
        drop(bytes);
        let (info, frames) =
            lindung_media::video::hash_video(file.path(), 1.0, &UPLOAD_VIDEO_LIMITS).map_err(
                |e| match e {
                    VideoError::NoFfmpeg(_) | VideoError::Io(_) => ApiError::internal(e),
                    _ => ApiError::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "unprocessable_video",
                        e.to_string(),
                    ),
                },
            )?;
        Ok(VideoFingerprint {
            frames,
            digests,
            duration_seconds: info.duration_seconds,
        })
    })
    .await
    .map_err(ApiError::internal)?
}

/// How long a verified token is trusted without asking the database again. A token revoked
/// through another process stops working within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// Uploads are single images; hash lists are imported through the CLI or in pages.
pub const MAX_BODY_BYTES: usize = 70 * 1024 * 1024;

/// Loads the matcher, then serves until Ctrl-C or SIGTERM, following the change log so that
/// writes made through other processes sharing the database match here within a second.
/// Where the server keeps its files, and what it serves besides the store.
#[derive(Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The matcher's snapshot directory.
    pub snapshot_dir: std::path::PathBuf,
    /// The field-encryption key file, used when `LINDUNG_FIELD_KEY` is not set.
    pub field_key_file: std::path::PathBuf,
    /// The care configuration (`care.json`): services and assessment forms.
    pub care_config: crate::care::plan::CareConfig,
    /// The browser's PDQ module; without it the self-report page says it is unavailable.
    pub pdq_wasm: Option<std::path::PathBuf>,
    /// The hotline configuration (`hotline.json`).
    pub hotline_config: crate::hotline::config::HotlineConfig,
}

pub async fn serve(store: Store, config: ServeConfig) -> anyhow::Result<()> {
    let ServeConfig {
        listen,
        snapshot_dir,
        field_key_file,
        care_config,
        pdq_wasm,
        hotline_config,
    } = config;
    let mut state = AppState::new(store.clone());
    state.metrics = metrics::install();
    state.fields = Arc::new(crate::store::fields::FieldCipher::from_environment_or_file(
        &field_key_file,
    )?);
    state.care_config = Arc::new(care_config);
    state.hotline_config = Arc::new(hotline_config);
    state.mailer = crate::mail::Mailer::from_environment().map_err(anyhow::Error::msg)?;
    if let Some(path) = pdq_wasm {
        match std::fs::read(&path) {
            Ok(bytes) => state.pdq_wasm = Some(bytes.into()),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "PDQ module not served; the self-report page cannot hash")
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    // Scripts and tests read the address from this line (port 0 picks a free port).
    announce(&format!("lindung listening on http://{bound}"));
    let from_snapshot = match Matcher::open_snapshot(&store, &snapshot_dir).await {
        Ok(loaded) => {
            announce(&format!(
                "index loaded from snapshot: {} PDQ hashes at change-log position {}",
                loaded.pdq_len(),
                loaded.last_seq()
            ));
            state.matcher = Arc::new(loaded);
            true
        }
        Err(e) => {
            if snapshot_dir.exists() {
                tracing::warn!(error = %e, "index snapshot not used; loading from the database");
            }
            false
        }
    };
    let matcher = Arc::clone(&state.matcher);
    if crate::access::user_count(&store).await? == 0 {
        let secret = crate::access::new_secret("")?;
        *state
            .setup
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(crate::access::token_digest(&secret));
        announce(&format!(
            "no users yet: create the first admin at http://{bound}/setup?token={secret}"
        ));
    }
    let follower_store = store.clone();
    let follower_matcher = Arc::clone(&matcher);
    let follower_dir = snapshot_dir.clone();
    let follower = tokio::spawn(async move {
        let mut saved = from_snapshot;
        loop {
            match follower_matcher.sync(&follower_store).await {
                Ok(_) if !saved => {
                    // A first full load is slow at scale; keep its result for the next start.
                    saved = true;
                    if let Err(e) = follower_matcher
                        .save_snapshot(&follower_store, &follower_dir)
                        .await
                    {
                        tracing::warn!(error = %e, "cannot write the index snapshot");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "index sync failed; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let scheduler = tokio::spawn(crate::hotline::takedown::schedule(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    follower.abort();
    scheduler.abort();
    // Catch up, then keep the index for a fast next start.
    if matcher.sync(&store).await.is_ok()
        && let Err(e) = matcher.save_snapshot(&store, &snapshot_dir).await
    {
        tracing::warn!(error = %e, "cannot write the index snapshot");
    }
    Ok(())
}

/// A line for whoever started the server. A closed stdout (a supervisor that read the address
/// and went away) must not bring the server down, so write errors are ignored.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
