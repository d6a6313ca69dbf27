//! Hash banks: their storage, the formats they are imported from and exported to, the
//! in-memory matcher that follows the change log, banks kept in files for the command line, and
//! the routes (HMA-compatible, the native API, pages). Banks name no other domain: what a lookup
//! matched goes out as a [`events::MatchEvent`] to listeners that `app` wires.

pub mod api;
pub mod entities;
pub mod events;
pub mod file_bank;
pub mod formats;
pub mod hma;
pub mod matcher;
pub mod pages;
pub mod signals;
pub mod store;
pub mod visibility;

use std::sync::Arc;

use axum::extract::FromRef;

pub use file_bank::{BankFileError, FileBank};
pub use formats::{HashList, ListEntry, ListError, ListFormat, parse_hash_list};

use crate::access::Principal;
use crate::http::{ApiError, ApiResult, Endpoint};
use events::{MatchEvent, MatchListeners, MatchedSignal};
use matcher::{BankMatch, MAX_LOOKUP_FRAMES, MAX_LOOKUP_HASHES, Matcher, Scope};

/// What the bank routes, and the domains that use banks, need.
#[derive(Clone, Debug)]
pub struct BanksContext {
    pub store: crate::store::Store,
    pub matcher: Arc<Matcher>,
    listeners: MatchListeners,
}

impl BanksContext {
    pub fn new(store: crate::store::Store, matcher: Arc<Matcher>) -> Self {
        BanksContext {
            store,
            matcher,
            listeners: MatchListeners::default(),
        }
    }

    /// The same banks, telling `listeners` about matches.
    pub fn with_listeners(mut self, listeners: MatchListeners) -> Self {
        self.listeners = listeners;
        self
    }

    /// Brings this process's matcher up to date, so the very next request sees a write.
    pub async fn sync(&self) -> ApiResult<()> {
        self.matcher.sync(&self.store).await?;
        Ok(())
    }

    /// Refuses lookups until the index has loaded.
    pub fn ready(&self) -> ApiResult<&Matcher> {
        if self.matcher.is_loaded() {
            Ok(&self.matcher)
        } else {
            Err(ApiError::unavailable("the matching index is still loading"))
        }
    }

    /// The banks `asked_by`'s lookups search.
    pub fn scope(&self, asked_by: &Principal) -> Scope {
        Scope::of(asked_by)
    }

    /// Checks a lookup's PDQ radius: 0 to 64, and unless `asked_by` is an admin, no wider than
    /// the threshold of any bank it searches (a bank's threshold is its owner's decision).
    pub fn check_radius(
        &self,
        asked_by: &Principal,
        scope: &Scope,
        field: &'static str,
        radius: Option<u32>,
    ) -> ApiResult<()> {
        let Some(radius) = radius else {
            return Ok(());
        };
        if radius > 64 {
            return Err(ApiError::invalid(field, format!("{field} is 0 to 64")));
        }
        if asked_by.role == crate::access::Role::Admin {
            return Ok(());
        }
        match self.matcher.narrowest_threshold(scope) {
            Some((bank, threshold)) if radius > threshold => Err(ApiError::invalid(
                field,
                format!(
                    "{field} {radius} is wider than the PDQ threshold {threshold} of bank {bank:?}; \
                     only an admin may search wider than a bank's threshold"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Tells the listeners what a lookup by `asked_by` through `route` matched.
    pub async fn publish<'a>(
        &self,
        asked_by: &Principal,
        route: &'static str,
        matches: impl IntoIterator<Item = (&'a BankMatch, &'static str)>,
    ) {
        let matches: Vec<MatchedSignal> = matches
            .into_iter()
            .map(|(found, kind)| MatchedSignal::new(found, kind))
            .collect();
        self.listeners
            .publish(MatchEvent {
                matches,
                asked_by: asked_by.clone(),
                route,
            })
            .await;
    }
}

/// Refuses a lookup of more than [`MAX_LOOKUP_HASHES`] PDQ hashes, naming `field`.
pub fn check_hash_count(field: &'static str, hashes: usize) -> ApiResult<()> {
    if hashes > MAX_LOOKUP_HASHES {
        return Err(ApiError::invalid(
            field,
            format!("at most {MAX_LOOKUP_HASHES} hashes in one lookup, not {hashes}"),
        ));
    }
    Ok(())
}

/// Reads a vPDQ signal for a lookup, refusing more than [`MAX_LOOKUP_FRAMES`] frames.
pub fn lookup_frames(
    field: &'static str,
    signal: &str,
) -> ApiResult<Vec<lindung_media::vpdq::VpdqFrame>> {
    let frames = lindung_media::vpdq::parse_signal(signal.trim())
        .map_err(|e| ApiError::invalid(field, format!("invalid vpdq signal: {e}")))?;
    if frames.len() > MAX_LOOKUP_FRAMES {
        return Err(ApiError::invalid(
            field,
            format!(
                "at most {MAX_LOOKUP_FRAMES} vpdq frames in one lookup, not {}",
                frames.len()
            ),
        ));
    }
    Ok(frames)
}

/// Every bank route: HMA's, the native API's and the pages.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    BanksContext: FromRef<S>,
{
    let mut all = hma::endpoints();
    all.extend(api::endpoints());
    all.extend(pages::endpoints());
    all
}
