//! Match events: what a lookup found, for whoever listens. Banks know nothing of the listeners
//! (care raises re-upload alerts; a hotline or an exchange may listen later); `app` wires them.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::matcher::BankMatch;
use crate::access::Principal;

/// One signal a lookup matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedSignal {
    pub bank: String,
    pub bank_id: i32,
    pub content_id: i64,
    pub signal_id: i64,
    /// The kind of signal the lookup matched by (`pdq`, `md5`, `vpdq`, ...).
    pub signal_type: &'static str,
    /// PDQ distance; 0 for exact digests and videos.
    pub distance: u32,
}

impl MatchedSignal {
    pub fn new(found: &BankMatch, signal_type: &'static str) -> Self {
        MatchedSignal {
            bank: found.bank.clone(),
            bank_id: found.bank_id,
            content_id: found.content_id,
            signal_id: found.signal_id,
            signal_type,
            distance: found.distance,
        }
    }
}

/// A lookup that matched: what, who asked, and through which route (its template, such as
/// `/m/lookup` or `/api/v1/match`).
#[derive(Clone, Debug)]
pub struct MatchEvent {
    pub matches: Vec<MatchedSignal>,
    pub asked_by: Principal,
    pub route: &'static str,
}

/// The future a listener returns.
pub type Listening<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Someone who wants to know about matches. A listener's failure is its own to log: it never
/// fails the lookup. It runs before the lookup answers, so keep it short and hand slow work
/// (email) to a task of its own.
pub trait MatchListener: Send + Sync + Debug {
    fn matched<'a>(&'a self, event: &'a MatchEvent) -> Listening<'a>;
}

/// The listeners `app` wired, told in order.
#[derive(Clone, Debug, Default)]
pub struct MatchListeners(Arc<[Arc<dyn MatchListener>]>);

impl MatchListeners {
    pub fn new(listeners: Vec<Arc<dyn MatchListener>>) -> Self {
        MatchListeners(listeners.into())
    }

    /// Tells every listener, if anything matched.
    pub async fn publish(&self, event: MatchEvent) {
        if event.matches.is_empty() {
            return;
        }
        for listener in self.0.iter() {
            listener.matched(&event).await;
        }
    }
}
