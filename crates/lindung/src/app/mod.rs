//! The application, composed: one context per domain, the router over every domain's routes,
//! the OpenAPI document built from them, the background tasks, and the listeners that connect
//! domains (care hears the banks' match events). Only this module and `cli` know every domain.

mod serve;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use metrics_exporter_prometheus::PrometheusHandle;

pub use serve::{ServeConfig, serve};

use crate::access::Role;
use crate::accounts::{self, AccountsContext};
use crate::banks::events::MatchListeners;
use crate::banks::matcher::Matcher;
use crate::banks::{self, BanksContext};
use crate::care::plan::CareConfig;
use crate::care::{self, CareContext, ReuploadAlerts};
use crate::hotline::config::HotlineConfig;
use crate::hotline::takedown::Runs;
use crate::hotline::{self, HotlineContext};
use crate::http::{Access, ApiResult, AuthContext, Endpoint, Json, RateLimiter, TrustedProxies};
use crate::mail::Mailer;
use crate::policy::{self, PolicyContext};
use crate::selfreport::{self, SelfReportContext};
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Everything the server shares between requests, one context per domain. Handlers take the
/// context of their domain (axum's `FromRef`), never the whole.
#[derive(Clone, Debug)]
pub struct AppState {
    pub auth: AuthContext,
    pub accounts: AccountsContext,
    pub banks: BanksContext,
    pub care: CareContext,
    pub selfreport: SelfReportContext,
    pub hotline: HotlineContext,
    pub policy: PolicyContext,
    /// The Prometheus recorder's handle, when this process installed one.
    pub metrics: Option<PrometheusHandle>,
}

macro_rules! from_ref {
    ($($field:ident: $context:ty),* $(,)?) => {
        $(impl FromRef<AppState> for $context {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

from_ref!(
    auth: AuthContext,
    accounts: AccountsContext,
    banks: BanksContext,
    care: CareContext,
    selfreport: SelfReportContext,
    hotline: HotlineContext,
    policy: PolicyContext,
);

/// What the state is built from.
#[derive(Debug)]
pub struct Parts {
    pub store: Store,
    pub matcher: Arc<Matcher>,
    /// Encrypts identifying fields.
    pub fields: Arc<FieldCipher>,
    pub care_config: CareConfig,
    pub hotline_config: HotlineConfig,
    pub mailer: Option<Mailer>,
    /// The browser's PDQ module (`scripts/build-wasm`), served at `/static/pdq.wasm`.
    pub pdq_wasm: Option<axum::body::Bytes>,
    /// The proxies allowed to say who the client is.
    pub trusted_proxies: TrustedProxies,
}

impl Parts {
    /// Parts for tools and tests: an empty matcher, a field key that lives only as long as this
    /// process (so nothing it encrypts is ever kept), the built-in configurations, no mail.
    pub fn for_store(store: Store) -> Result<Self, String> {
        Ok(Parts {
            store,
            matcher: Arc::default(),
            fields: Arc::new(FieldCipher::ephemeral().map_err(|e| format!("no field key: {e}"))?),
            care_config: CareConfig::parse(crate::care::plan::DEFAULT_CONFIG)
                .map_err(|e| format!("the built-in care.json: {e}"))?,
            hotline_config: HotlineConfig::parse(crate::hotline::config::DEFAULT_CONFIG)
                .map_err(|e| format!("the built-in hotline.json: {e}"))?,
            mailer: None,
            pdq_wasm: None,
            trusted_proxies: TrustedProxies::default(),
        })
    }
}

impl AppState {
    /// Builds every domain's context and wires the listeners between domains.
    pub fn new(parts: Parts) -> Result<Self, String> {
        let Parts {
            store,
            matcher,
            fields,
            care_config,
            hotline_config,
            mailer,
            pdq_wasm,
            trusted_proxies,
        } = parts;
        let auth = AuthContext::new(store.clone(), trusted_proxies);
        // Care raises re-upload alerts when a lookup matches a picture linked to a child's case.
        let alerts = Arc::new(ReuploadAlerts::new(store.clone(), mailer.clone()));
        let banks = BanksContext::new(store.clone(), matcher)
            .with_listeners(MatchListeners::new(vec![alerts]));
        // PIN guesses are counted per address across self-report and the hotline's status page.
        let pin_lookups = Arc::new(RateLimiter::new(30, Duration::from_secs(600)));
        let care = CareContext {
            store: store.clone(),
            fields: Arc::clone(&fields),
            config: Arc::new(care_config),
            banks: banks.clone(),
            mailer: mailer.clone(),
        };
        let selfreport = SelfReportContext {
            store: store.clone(),
            fields: Arc::clone(&fields),
            banks: banks.clone(),
            submit_limit: Arc::new(RateLimiter::new(10, Duration::from_secs(3600))),
            lookup_limit: Arc::clone(&pin_lookups),
            pdq_wasm,
        };
        let hotline_config = Arc::new(hotline_config);
        let policy = PolicyContext {
            store: store.clone(),
            fields: Arc::clone(&fields),
            hotline_config: Arc::clone(&hotline_config),
        };
        let hotline = HotlineContext {
            store,
            fields,
            config: hotline_config,
            banks: banks.clone(),
            mailer,
            report_limit: Arc::new(RateLimiter::new(20, Duration::from_secs(3600))),
            status_limit: pin_lookups,
            runs: Arc::new(Runs::new().map_err(|e| format!("no randomness for a lease id: {e}"))?),
            organisation: Arc::default(),
        };
        Ok(AppState {
            accounts: AccountsContext::new(auth.clone()),
            auth,
            banks,
            care,
            selfreport,
            hotline,
            policy,
            metrics: None,
        })
    }
}

/// Every route of the server, from every domain. The router is built from this list and the
/// OpenAPI document from its documented routes, so the two cannot drift apart.
pub fn endpoints() -> Vec<Endpoint<AppState>> {
    let mut all = vec![
        Endpoint::get("/status", Access::Public, status),
        Endpoint::get("/metrics", Access::Roles(&[Role::Admin]), metrics),
    ];
    all.extend(accounts::endpoints());
    all.extend(banks::endpoints());
    all.extend(selfreport::endpoints());
    all.extend(care::endpoints());
    all.extend(hotline::endpoints());
    all.extend(policy::endpoints());
    all.push(Endpoint::api(
        Access::Public,
        utoipa_axum::routes!(openapi_json),
    ));
    all
}

/// The OpenAPI document of `/api/v1`, built from the documented routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let endpoints = endpoints();
    crate::http::openapi::document(
        "Lindung API",
        "Hash banks and matching, hotline reports, care cases and self-reports. Send an API \
         token as `Authorization: Bearer <token>`. Errors are `{\"error\": {\"code\", \
         \"message\", \"field\"?}}`: 400 when the request cannot be read, 422 naming the field \
         when a value is not valid.",
        endpoints
            .iter()
            .filter_map(|e| e.doc().map(|doc| (doc, e.access))),
    )
}

/// The application's router over `state`.
pub fn router(state: AppState) -> Router {
    crate::http::router(endpoints(), state)
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json",
    responses((status = 200, description = "the OpenAPI 3.1 document of `/api/v1`", content_type = "application/json")))]
async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(openapi))
}

async fn status(State(banks): State<BanksContext>) -> ApiResult<&'static str> {
    banks.ready().map(|_| "I-AM-ALIVE")
}

/// `/metrics` in the Prometheus text format: requests per route, the index size, and how long
/// since the index last caught up with the change log.
async fn metrics(State(state): State<AppState>) -> ApiResult<String> {
    let matcher = &state.banks.matcher;
    metrics::gauge!("lindung_index_pdq_hashes").set(matcher.pdq_len() as f64);
    metrics::gauge!("lindung_index_seconds_since_sync").set(matcher.seconds_since_sync());
    metrics::gauge!("lindung_index_change_log_position").set(matcher.last_seq() as f64);
    Ok(state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default())
}
