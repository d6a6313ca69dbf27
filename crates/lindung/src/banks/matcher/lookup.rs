//! Lookups: which banks a caller's lookup searches, each bank at its own PDQ threshold, and
//! the limits on one lookup.

use super::*;
use crate::access::{Principal, Role};
use crate::banks::entities::BankSharing;

/// PDQ hashes one lookup may send (the 8 dihedral variants of 125 images).
pub const MAX_LOOKUP_HASHES: usize = 1000;
/// Frames of one vPDQ signal a lookup may send (three hours at python-threatexchange's one
/// frame a second).
pub const MAX_LOOKUP_FRAMES: usize = 10_800;

/// Which banks a lookup searches: every bank (the deployment's own checks, and admins), or
/// those a caller may see (its organisation's, and for a platform those shared with
/// platforms). A match elsewhere is never found, so nothing of it leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    every: bool,
    organisation_id: i32,
    platform: bool,
}

impl Scope {
    /// The banks of one organisation: what the hotline classifies its reports with.
    pub fn organisation(organisation_id: i32) -> Self {
        Scope {
            every: false,
            organisation_id,
            platform: false,
        }
    }

    /// Every bank: for the deployment's own checks.
    pub fn every() -> Self {
        Scope {
            every: true,
            organisation_id: 0,
            platform: false,
        }
    }

    /// The banks `principal` may match against: their organisation's, and for platforms the
    /// banks shared with platforms. An admin's are their organisation's too.
    pub fn of(principal: &Principal) -> Self {
        Scope {
            every: false,
            organisation_id: principal.organisation_id,
            platform: principal.role == Role::Platform,
        }
    }

    pub fn admits(&self, bank: &BankInfo) -> bool {
        self.every
            || bank.organisation_id == self.organisation_id
            || (self.platform && bank.sharing == BankSharing::Platforms)
    }
}

impl Matcher {
    /// The enabled bank in `scope` with the smallest PDQ threshold, and that threshold: the
    /// widest radius a caller who is not an admin may ask for.
    pub fn narrowest_threshold(&self, scope: &Scope) -> Option<(String, u32)> {
        self.catalogue()
            .banks
            .values()
            .filter(|b| b.enabled && scope.admits(b))
            .min_by_key(|b| (b.pdq_threshold, b.id))
            .map(|b| (b.name.clone(), b.pdq_threshold))
    }

    /// PDQ matches in the enabled banks of `scope`, each bank searched at its own threshold
    /// unless `radius` overrides it, closest first. With several queries (dihedral variants),
    /// each signal is reported once, at its smallest distance.
    pub fn lookup_pdq(
        &self,
        queries: &[Hash256],
        radius: Option<u32>,
        scope: &Scope,
    ) -> Vec<BankMatch> {
        let catalogue = self.catalogue();
        let mut found = Vec::new();
        for b in catalogue
            .banks
            .values()
            .filter(|b| b.enabled && scope.admits(b))
        {
            let limit = radius.unwrap_or(b.pdq_threshold);
            found.extend(
                self.pdq
                    .search(b.id, queries, limit)
                    .into_iter()
                    .filter_map(|m| catalogue.matched(m.id, m.distance, None, scope)),
            );
        }
        found.sort_unstable_by_key(|m| (m.distance, m.signal_id));
        found
    }

    /// Videos in the enabled banks of `scope` that match a query video's frames with
    /// python-threatexchange's semantics (frames of quality 50 or more, deduplicated, within
    /// distance 31; at least 80% of the query's frames matched), best first.
    pub fn lookup_vpdq(&self, frames: &[VpdqFrame], scope: &Scope) -> Vec<BankMatch> {
        let query = matchable_frames(frames);
        if query.is_empty() {
            return Vec::new();
        }
        let found = self.vpdq.search(&query, VPDQ_FRAME_DISTANCE);
        let catalogue = self.catalogue();
        found
            .into_iter()
            .filter(|m| {
                m.query_pct() >= VPDQ_QUERY_MATCH_PCT && m.target_pct() >= VPDQ_TARGET_MATCH_PCT
            })
            .filter_map(|m| {
                let score = VideoScore {
                    query_match_pct: m.query_pct(),
                    target_match_pct: m.target_pct(),
                };
                catalogue.matched(m.video, 0, Some(score), scope)
            })
            .collect()
    }

    /// Exact digest matches (`md5` or `sha256`) in the enabled banks of `scope`.
    pub fn lookup_digest(&self, kind: &str, hex: &str, scope: &Scope) -> Vec<BankMatch> {
        let ids = match kind {
            "md5" | "video_md5" => parse_digest::<16>(hex).map(|d| self.md5.get(&d)),
            "sha256" => parse_digest::<32>(hex).map(|d| self.sha256.get(&d)),
            _ => return Vec::new(),
        }
        .unwrap_or_default();
        let catalogue = self.catalogue();
        ids.into_iter()
            .filter_map(|id| catalogue.matched(id, 0, None, scope))
            .collect()
    }
}
