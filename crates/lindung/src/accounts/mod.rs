//! The pages and routes for accounts: signing in (login, first-admin setup, logout, language)
//! and administration (users, their API tokens, their lifecycle: disabling, password-reset
//! links, ending sessions; the audit log). The access core below `http`
//! keeps the users, sessions and tokens themselves; these are its pages.

mod admin;
mod lifecycle;
mod overview;
mod reset;
mod sessions;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::FromRef;

use crate::http::{AuthContext, Endpoint, RateLimiter};
use crate::store::Store;

/// What the account pages need.
#[derive(Clone, Debug)]
pub struct AccountsContext {
    pub store: Store,
    /// The role guard's state: revoking a token here forgets it there at once.
    pub auth: AuthContext,
    /// SHA-256 of the one-time first-admin setup secret, while there are no users.
    setup: Arc<Mutex<Option<String>>>,
    /// Login attempts per client address.
    login_limit: Arc<RateLimiter>,
}

impl AccountsContext {
    pub fn new(auth: AuthContext) -> Self {
        AccountsContext {
            store: auth.store.clone(),
            auth,
            setup: Arc::default(),
            login_limit: Arc::new(RateLimiter::new(10, Duration::from_secs(60))),
        }
    }

    /// Opens the first-admin setup for the secret whose SHA-256 is `digest`.
    pub fn open_setup(&self, digest: String) {
        *self.setup.lock().unwrap_or_else(PoisonError::into_inner) = Some(digest);
    }
}

/// Every account route.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
    crate::http::AuthContext: FromRef<S>,
{
    let mut all = sessions::endpoints();
    all.extend(admin::endpoints());
    all.extend(lifecycle::endpoints());
    all.extend(reset::endpoints());
    all.extend(overview::endpoints());
    all
}
