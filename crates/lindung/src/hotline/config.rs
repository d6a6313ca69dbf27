//! The hotline's configuration (`hotline.json`): emergency numbers, the per-country law table,
//! notice templates and schedules, the networks removal checks may reach, and the evidence
//! policy. The built-in default covers the 10 ASEAN member states; a deployment replaces it
//! with `<data-dir>/hotline.json` or the file `LINDUNG_HOTLINE_CONFIG` names.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub const DEFAULT_CONFIG: &str = include_str!("../../defaults/hotline.json");

pub const CATEGORIES: &[&str] = &["A1", "A2", "B1", "B2"];
pub const CONTENT_KINDS: &[&str] = &[
    "image",
    "video",
    "text",
    "live_stream",
    "self_generated",
    "ai_generated_or_altered",
];

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Emergency {
    pub country: String,
    pub police: Vec<String>,
    pub helpline: Option<String>,
    pub helpline_name: Option<String>,
    /// Whether the numbers were checked against a public source.
    #[serde(default)]
    pub verified: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NationalLaw {
    pub illegal_categories: Vec<String>,
    pub illegal_kinds: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Notices {
    pub resend_after_seconds: u64,
    /// Notices to the provider before the partner hotline of the hosting country is asked.
    pub escalate_after: u32,
    /// By language; English is required and is the fallback.
    pub templates: BTreeMap<String, Template>,
    pub escalation: Template,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Checks {
    /// How often the server looks for notices to resend and URLs to check.
    #[serde(default = "default_run_every")]
    pub run_every_seconds: u64,
    /// How often each URL is checked.
    pub interval_seconds: u64,
    pub timeout_seconds: u64,
    pub max_bytes: u64,
    /// How long a name lookup may take; a lookup that times out is inconclusive.
    #[serde(default = "default_dns_timeout")]
    pub dns_timeout_seconds: u64,
    /// How many checks in a row must find a URL gone before it counts as removed, so that
    /// one 404 (a host's trick, or a passing fault) is not taken for removal.
    #[serde(default = "default_confirmations")]
    pub confirmations: u32,
}

fn default_run_every() -> u64 {
    30
}

fn default_dns_timeout() -> u64 {
    5
}

fn default_confirmations() -> u32 {
    2
}

fn default_ports() -> Vec<u16> {
    vec![80, 443]
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct EvidencePolicy {
    pub accept_uploads: bool,
    pub retention_days: u32,
    pub max_bytes: usize,
}

/// Who runs the hotline, as the public home and the privacy notice name them. Every field is
/// optional, so configuration files written before these existed stay valid.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Operator {
    /// The organisation's name as the public knows it.
    #[serde(default)]
    pub name: Option<String>,
    /// Its own website (`https://…`), linked from the home page.
    #[serde(default)]
    pub website: Option<String>,
    /// Where people ask about, or object to, what is kept about them (an email address or a
    /// web address).
    #[serde(default)]
    pub privacy_contact: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct HotlineConfig {
    /// The organisation whose analysts handle reports.
    pub organisation: String,
    /// Who runs the hotline, for the public pages.
    #[serde(default)]
    pub operator: Operator,
    /// The hotline's own country, whose law applies unless the analyst names another.
    pub country: String,
    pub emergency: BTreeMap<String, Emergency>,
    /// Categories illegal everywhere (INTERPOL baseline) when they show real children.
    pub baseline_categories: Vec<String>,
    pub national_law: BTreeMap<String, NationalLaw>,
    pub notices: Notices,
    pub checks: Checks,
    /// Networks outside global unicast (private, loopback, link-local, …) that fetches may
    /// reach anyway (CIDR).
    #[serde(default)]
    pub allow_networks: Vec<String>,
    /// The ports fetches may connect to; 80 and 443 by default.
    #[serde(default = "default_ports")]
    pub allow_ports: Vec<u16>,
    pub evidence: EvidencePolicy,
    #[serde(skip)]
    allowed: Vec<(u128, u128)>,
}

impl HotlineConfig {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config: HotlineConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !config.notices.templates.contains_key("en") {
            return Err("notices.templates needs an \"en\" template, the fallback".into());
        }
        if let Some(website) = &config.operator.website
            && !(website.starts_with("https://") || website.starts_with("http://"))
        {
            return Err("operator.website is a web address (https://…)".into());
        }
        if config.checks.confirmations == 0 {
            return Err("checks.confirmations is at least 1".into());
        }
        if config.notices.escalate_after == 0 {
            return Err("notices.escalate_after is at least 1".into());
        }
        // Pages show each country's first police number: a country listed without one would
        // leave a person in danger with nothing to call.
        if let Some((country, _)) = config.emergency.iter().find(|(_, e)| e.police.is_empty()) {
            return Err(format!(
                "emergency.{country}.police names at least one number"
            ));
        }
        for (country, law) in &config.national_law {
            for category in &law.illegal_categories {
                if !CATEGORIES.contains(&category.as_str()) {
                    return Err(format!(
                        "national_law.{country}: unknown category {category:?}"
                    ));
                }
            }
            for kind in &law.illegal_kinds {
                if !CONTENT_KINDS.contains(&kind.as_str()) {
                    return Err(format!("national_law.{country}: unknown kind {kind:?}"));
                }
            }
        }
        if !config.national_law.contains_key(&config.country) {
            return Err(format!(
                "national_law has no entry for the hotline's country {}",
                config.country
            ));
        }
        config.allowed = config
            .allow_networks
            .iter()
            .map(|cidr| {
                parse_cidr(cidr).ok_or_else(|| format!("allow_networks: bad CIDR {cidr:?}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(config)
    }

    /// `LINDUNG_HOTLINE_CONFIG`, else `<data-dir>/hotline.json`, else the default.
    pub fn for_data_dir(data_dir: &std::path::Path) -> Result<Self, String> {
        let path = std::env::var_os("LINDUNG_HOTLINE_CONFIG")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| data_dir.join("hotline.json"));
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::parse(DEFAULT_CONFIG),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The legal status the law table gives material of `category` and `kind` in `country`:
    /// baseline (illegal everywhere) for the baseline categories when real children are shown,
    /// else what the country's entry says.
    pub fn legal_status(
        &self,
        country: &str,
        category: Option<&str>,
        kind: &str,
    ) -> Result<&'static str, String> {
        let law = self
            .national_law
            .get(country)
            .ok_or_else(|| format!("the law table has no entry for {country}"))?;
        let real = kind != "ai_generated_or_altered";
        if let Some(category) = category {
            if real && self.baseline_categories.iter().any(|c| c == category) {
                return Ok("baseline");
            }
            if law.illegal_categories.iter().any(|c| c == category)
                && law.illegal_kinds.iter().any(|k| k == kind)
            {
                return Ok("nationally_illegal");
            }
        }
        Ok("not_illegal")
    }

    /// Whether fetches may connect to `ip`: global unicast addresses always, any other only
    /// inside `allow_networks`.
    pub fn may_connect(&self, ip: IpAddr) -> bool {
        let key = ip_key(ip);
        super::addresses::is_global_unicast(ip)
            || self
                .allowed
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&key))
    }

    /// Whether fetches may connect to `port`: only those `allow_ports` lists.
    pub fn may_use_port(&self, port: u16) -> bool {
        self.allow_ports.contains(&port)
    }

    pub fn template(&self, language: &str) -> &Template {
        self.notices
            .templates
            .get(language)
            .or_else(|| self.notices.templates.get("en"))
            .unwrap_or(&self.notices.escalation)
    }
}

/// An address as one number, IPv4 mapped into IPv6, so both kinds order together.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn parse_cidr(text: &str) -> Option<(u128, u128)> {
    let (address, bits) = text.trim().split_once('/')?;
    let ip: IpAddr = address.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    // An IPv4 prefix counts within the mapped range's last 32 bits.
    let (width, offset) = match ip {
        IpAddr::V4(_) => (32, 96),
        IpAddr::V6(_) => (128, 0),
    };
    if bits > width {
        return None;
    }
    let host_mask = u128::MAX.checked_shr(bits + offset).unwrap_or(0);
    let key = ip_key(ip);
    Some((key & !host_mask, key | host_mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_parses_and_covers_the_ten_member_states() {
        let config = HotlineConfig::parse(DEFAULT_CONFIG).expect("parses");
        assert_eq!(config.emergency.len(), 10);
        assert_eq!(config.emergency["TH"].police, ["191"]);
        assert_eq!(config.emergency["ID"].police, ["110", "112"]);
    }

    #[test]
    fn a_country_without_a_police_number_is_refused() {
        let mut text: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).expect("json");
        text["emergency"]["TH"]["police"] = serde_json::json!([]);
        let error = HotlineConfig::parse(&text.to_string()).expect_err("refused");
        assert_eq!(error, "emergency.TH.police names at least one number");
    }

    #[test]
    fn who_runs_the_hotline_is_optional_and_read_when_given() {
        let config = HotlineConfig::parse(DEFAULT_CONFIG).expect("parses");
        assert!(config.operator.name.is_none(), "an older file stays valid");
        let mut text: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).expect("json");
        text["operator"] = serde_json::json!({
            "name": "Example Child Safety Foundation",
            "website": "https://hotline.example",
            "privacy_contact": "privacy@hotline.example"
        });
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        assert_eq!(
            config.operator.name.as_deref(),
            Some("Example Child Safety Foundation")
        );
        assert_eq!(
            config.operator.privacy_contact.as_deref(),
            Some("privacy@hotline.example")
        );
        text["operator"]["website"] = serde_json::json!("javascript:alert(1)");
        assert!(HotlineConfig::parse(&text.to_string()).is_err());
    }

    #[test]
    fn the_law_table_decides_the_legal_status() {
        let mut config = HotlineConfig::parse(DEFAULT_CONFIG).expect("parses");
        config.national_law.insert(
            "XX".into(),
            NationalLaw {
                illegal_categories: vec!["B2".into()],
                illegal_kinds: vec!["image".into()],
            },
        );
        assert_eq!(
            config.legal_status("XX", Some("A1"), "image"),
            Ok("baseline")
        );
        assert_eq!(
            config.legal_status("XX", Some("B2"), "image"),
            Ok("nationally_illegal")
        );
        assert_eq!(
            config.legal_status("XX", Some("B2"), "video"),
            Ok("not_illegal")
        );
        assert_eq!(
            config.legal_status("XX", Some("A1"), "ai_generated_or_altered"),
            Ok("not_illegal"),
            "generated material is not baseline, and XX does not list it"
        );
        assert_eq!(config.legal_status("XX", None, "image"), Ok("not_illegal"));
        assert!(config.legal_status("ZZ", Some("A1"), "image").is_err());
    }

    #[test]
    fn only_ports_80_and_443_unless_configured() {
        let mut text: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).expect("json");
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        assert!(config.may_use_port(80) && config.may_use_port(443));
        for port in [22, 25, 6379, 8080, 5432] {
            assert!(!config.may_use_port(port), "{port}");
        }
        assert_eq!(
            config.checks.confirmations, 2,
            "two checks in a row by default"
        );
        text["allow_ports"] = serde_json::json!([8080]);
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        assert!(config.may_use_port(8080) && !config.may_use_port(80));
    }

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let mut text: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).expect("json");
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
            "0.0.0.0",
        ] {
            assert!(
                !config.may_connect(internal.parse().expect("ip")),
                "{internal}"
            );
        }
        for public in ["203.0.114.1", "8.8.8.8", "2001:4860::1"] {
            assert!(config.may_connect(public.parse().expect("ip")), "{public}");
        }
        text["allow_networks"] = serde_json::json!(["127.0.0.0/8", "fd00::/8"]);
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        assert!(config.may_connect("127.9.9.9".parse().expect("ip")));
        assert!(config.may_connect("fd12::1".parse().expect("ip")));
        assert!(!config.may_connect("10.0.0.1".parse().expect("ip")));
        text["allow_networks"] = serde_json::json!(["64:ff9b::/96", "198.18.0.0/15"]);
        let config = HotlineConfig::parse(&text.to_string()).expect("parses");
        assert!(config.may_connect("64:ff9b::a00:1".parse().expect("ip")));
        assert!(config.may_connect("198.19.0.1".parse().expect("ip")));
        assert!(!config.may_connect("2002::1".parse().expect("ip")));
        text["allow_networks"] = serde_json::json!(["127.0.0.0/99"]);
        assert!(HotlineConfig::parse(&text.to_string()).is_err());
    }
}
