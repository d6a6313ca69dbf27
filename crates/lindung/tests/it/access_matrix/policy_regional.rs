//! The access policy of the policy domain's regional routes (see `docs/policy.md`).

use super::Rule;

pub fn rules() -> Vec<Rule> {
    Vec::new()
}
