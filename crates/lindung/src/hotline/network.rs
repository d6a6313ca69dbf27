//! What the hotline does on the network: URL normalisation, the IP-to-country table, and
//! fetching a reported URL for a removal check. A fetch connects only to global unicast
//! addresses (others only inside `allow_networks`) and to ports 80 and 443 (others only in
//! `allow_ports`), gives a name lookup a time limit, pins the address it checked, follows
//! redirects itself so that each hop is checked too, and introduces itself as a common browser
//! so that a host cannot tell the checker from a visitor.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::config::{HotlineConfig, ip_key};
use super::entities::ip_range;
use crate::store::Store;

pub const MAX_URL_LENGTH: usize = 2048;

/// The user agent of every fetch: a common browser's, never one that names Lindung or a
/// hotline, so that a host cannot answer the checker differently from its visitors.
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A URL in the one form duplicates share: http(s) only, without credentials or fragment;
/// the `url` crate lowercases the host, drops the default port and normalises escapes.
pub fn normalise_url(text: &str) -> Result<url::Url, String> {
    let text = text.trim();
    if text.len() > MAX_URL_LENGTH {
        return Err(format!("a URL has at most {MAX_URL_LENGTH} characters"));
    }
    // People type web addresses without a scheme (`www.example.com/page`): one that looks
    // like a host name is read as https.
    let with_scheme = if !text.contains("://") && looks_like_a_web_address(text) {
        format!("https://{text}")
    } else {
        text.to_owned()
    };
    let mut url =
        url::Url::parse(&with_scheme).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?}: only http and https URLs can be reported"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    url.set_fragment(None);
    // Cannot fail on an http(s) URL with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    // The normal form is what is kept and exported (to a partner hotline, which normalises it
    // again): percent-encoding can make it longer than the text given, so it is the normal
    // form that must fit.
    if url.as_str().len() > MAX_URL_LENGTH {
        return Err(format!(
            "a URL has at most {MAX_URL_LENGTH} characters once its special characters are escaped"
        ));
    }
    Ok(url)
}

/// Whether `text` without a scheme reads as a web address: no spaces, and a host with a dot
/// before any path, port or query (`www.example.com/page`, `example.org:8080/x`).
fn looks_like_a_web_address(text: &str) -> bool {
    let authority = text.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        Some(_) => return false,
        None => authority,
    };
    !text.chars().any(char::is_whitespace)
        && host.contains('.')
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
}

/// The key of a normalised URL in `hotline_urls.url_key`.
pub fn url_key(url: &url::Url) -> String {
    crate::helpers::sha256_hex(url.as_str().as_bytes())
}

fn key_text(key: u128) -> String {
    format!("{key:032x}")
}

/// One row of an IP-to-country table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRange {
    pub start: u128,
    pub end: u128,
    pub country: String,
}

/// Reads the widely used `start_ip,end_ip,country` range format (IPv4 and IPv6, an optional
/// header line). Errors name the line.
pub fn parse_ip_ranges(text: &[u8]) -> Result<Vec<IpRange>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut ranges = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        if record.len() < 3 {
            return Err(format!(
                "line {line}: expected start_ip,end_ip,country, got {} fields",
                record.len()
            ));
        }
        let (start, end) = match (field(0).parse::<IpAddr>(), field(1).parse::<IpAddr>()) {
            (Ok(start), Ok(end)) => (start, end),
            _ if line == 1 => continue, // a header
            _ => {
                return Err(format!(
                    "line {line}: {:?} or {:?} is not an IP address",
                    field(0),
                    field(1)
                ));
            }
        };
        if start.is_ipv4() != end.is_ipv4() {
            return Err(format!("line {line}: the range mixes IPv4 and IPv6"));
        }
        let (start, end) = (ip_key(start), ip_key(end));
        if start > end {
            return Err(format!("line {line}: the range ends before it starts"));
        }
        let country = field(2).to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "line {line}: {:?} is not a two-letter country code",
                field(2)
            ));
        }
        ranges.push(IpRange {
            start,
            end,
            country,
        });
    }
    if ranges.is_empty() {
        return Err("the file has no ranges".into());
    }
    Ok(ranges)
}

/// Replaces the IP-to-country table, all at once: a failed load leaves the old table.
pub async fn replace_ip_ranges(store: &Store, ranges: &[IpRange]) -> Result<usize, DbErr> {
    let txn = store.write().await?;
    ip_range::Entity::delete_many().exec(&txn).await?;
    for chunk in ranges.chunks(500) {
        ip_range::Entity::insert_many(chunk.iter().map(|r| ip_range::ActiveModel {
            start_key: Set(key_text(r.start)),
            end_key: Set(key_text(r.end)),
            country: Set(r.country.clone()),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(ranges.len())
}

/// The country of `ip` in the loaded table.
pub async fn country_of(db: &impl ConnectionTrait, ip: IpAddr) -> Result<Option<String>, DbErr> {
    let key = key_text(ip_key(ip));
    let found = ip_range::Entity::find()
        .filter(ip_range::Column::StartKey.lte(key.clone()))
        .order_by_desc(ip_range::Column::StartKey)
        .one(db)
        .await?;
    Ok(found.filter(|r| r.end_key >= key).map(|r| r.country))
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The name does not resolve: for a removal check, the site is gone.
    #[error("the host name does not resolve")]
    NoSuchHost,
    #[error("{0} is not a global unicast address; add it to allow_networks to reach it")]
    Refused(IpAddr),
    #[error("port {0} is not allowed; add it to allow_ports to reach it")]
    PortRefused(u16),
    #[error("{0}")]
    Failed(String),
}

/// The addresses of `url`'s host that the configuration lets us reach, in resolver order.
pub async fn resolve(
    config: &HotlineConfig,
    url: &url::Url,
) -> Result<Vec<SocketAddr>, FetchError> {
    let host = url.host_str().ok_or(FetchError::NoSuchHost)?;
    let port = url.port_or_known_default().unwrap_or(80);
    if !config.may_use_port(port) {
        return Err(FetchError::PortRefused(port));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let limit = Duration::from_secs(config.checks.dns_timeout_seconds);
            // A lookup that hangs says nothing about the host: inconclusive, not gone.
            tokio::time::timeout(limit, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| FetchError::Failed("the name lookup timed out".into()))?
                .map_err(|_| FetchError::NoSuchHost)?
                .collect()
        }
    };
    if addresses.is_empty() {
        return Err(FetchError::NoSuchHost);
    }
    let allowed: Vec<SocketAddr> = addresses
        .iter()
        .copied()
        .filter(|a| config.may_connect(a.ip()))
        .collect();
    match allowed.is_empty() {
        true => Err(FetchError::Refused(addresses[0].ip())),
        false => Ok(allowed),
    }
}

/// A fetched page: its final status and at most `checks.max_bytes` of its body.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
}

/// GETs `url`, following up to five redirects, each hop resolved and checked.
pub async fn fetch(config: &HotlineConfig, url: &url::Url) -> Result<Fetched, FetchError> {
    let mut current = url.clone();
    for _ in 0..=5 {
        let addresses = resolve(config, &current).await?;
        let host = current.host_str().unwrap_or_default().to_owned();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(config.checks.timeout_seconds))
            .user_agent(USER_AGENT)
            // The request goes to the address just checked, never to a second lookup.
            .resolve_to_addrs(&host, &addresses)
            .no_proxy()
            .build()
            .map_err(|e| FetchError::Failed(e.to_string()))?;
        let mut response = client
            .get(current.clone())
            .send()
            .await
            .map_err(|e| FetchError::Failed(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_redirection()
            && let Some(next) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| current.join(location).ok())
        {
            current = normalise_url(next.as_str()).map_err(FetchError::Failed)?;
            continue;
        }
        let mut body = Vec::new();
        let limit = usize::try_from(config.checks.max_bytes).unwrap_or(usize::MAX);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::Failed(e.without_url().to_string()))?
        {
            let room = limit.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room <= chunk.len() {
                break;
            }
        }
        return Ok(Fetched {
            status: status.as_u16(),
            body,
        });
    }
    Err(FetchError::Failed("more than five redirects".into()))
}

/// Suggests where `url` is hosted: its first allowed address and that address's country.
pub async fn attribute(
    store: &Store,
    config: &HotlineConfig,
    url: &url::Url,
) -> Result<(Option<IpAddr>, Option<String>), DbErr> {
    let Ok(addresses) = resolve(config, url).await else {
        return Ok((None, None));
    };
    let ip = addresses[0].ip();
    Ok((Some(ip), country_of(store.db(), ip).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalise_to_one_form() {
        let a = normalise_url("HTTPS://User:pw@Host.Example:443/a/../p/1#frag").expect("url");
        assert_eq!(a.as_str(), "https://host.example/p/1");
        let b = normalise_url("  https://host.example/p/1  ").expect("url");
        assert_eq!(url_key(&a), url_key(&b));
        assert!(normalise_url("ftp://host.example/x").is_err());
        assert!(normalise_url("not a url").is_err());
        // Typed without a scheme, as most people type them: read as https.
        for (typed, read) in [
            ("www.example.com/page", "https://www.example.com/page"),
            ("example.org", "https://example.org/"),
            ("Example.ORG:8443/x?y=1", "https://example.org:8443/x?y=1"),
        ] {
            assert_eq!(normalise_url(typed).expect(typed).as_str(), read);
        }
        for refused in [
            "javascript:alert(1)",
            "data:text/html,x",
            "mailto:a@b.example",
            "localhost/x",
        ] {
            assert!(normalise_url(refused).is_err(), "{refused}");
        }
        assert!(normalise_url(&format!("https://h.example/{}", "a".repeat(3000))).is_err());
    }

    #[tokio::test]
    async fn fetches_never_reach_internal_addresses_unless_allowed() {
        let config = HotlineConfig::parse(super::super::config::DEFAULT_CONFIG).expect("config");
        for target in [
            "http://127.0.0.1/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
            "http://[2002:7f00:1::]/x",
            "http://[::ffff:10.0.0.1]/x",
            "http://198.18.0.1/x",
        ] {
            let url = normalise_url(target).expect("url");
            assert!(
                matches!(fetch(&config, &url).await, Err(FetchError::Refused(_))),
                "{target}"
            );
        }
    }

    #[tokio::test]
    async fn fetches_refuse_ports_other_than_80_and_443_unless_allowed() {
        let mut text: serde_json::Value =
            serde_json::from_str(super::super::config::DEFAULT_CONFIG).expect("json");
        let config = HotlineConfig::parse(&text.to_string()).expect("config");
        for target in [
            "http://8.8.8.8:22/x",
            "https://8.8.8.8:6379/",
            "http://8.8.8.8:8080/",
        ] {
            let url = normalise_url(target).expect("url");
            assert!(
                matches!(fetch(&config, &url).await, Err(FetchError::PortRefused(_))),
                "{target}"
            );
        }
        text["allow_ports"] = serde_json::json!([8080]);
        let config = HotlineConfig::parse(&text.to_string()).expect("config");
        let url = normalise_url("http://8.8.8.8:8080/").expect("url");
        assert!(
            resolve(&config, &url).await.is_ok(),
            "configured ports are allowed"
        );
    }

    #[test]
    fn the_user_agent_is_a_common_browsers_and_names_no_hotline() {
        let agent = USER_AGENT.to_ascii_lowercase();
        assert!(agent.starts_with("mozilla/5.0 ("), "{agent}");
        for telltale in ["lindung", "hotline", "check", "bot", "reqwest"] {
            assert!(!agent.contains(telltale), "{telltale} in {agent}");
        }
    }

    #[test]
    fn ip_ranges_parse_with_a_header_and_name_bad_lines() {
        let ranges = parse_ip_ranges(
            b"start_ip,end_ip,country\n1.0.0.0,1.0.0.255,th\n2001:db8::,2001:db8::ffff,VN\n",
        )
        .expect("parses");
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[0].country, "TH");
        assert_eq!(ranges[0].start, ip_key("1.0.0.0".parse().expect("ip")));
        assert!(
            parse_ip_ranges(b"1.0.0.9,1.0.0.1,TH\n")
                .expect_err("refused")
                .contains("line 1")
        );
        assert!(
            parse_ip_ranges(b"1.0.0.0,1.0.0.1,TH\n1.0.0.0,::1,VN\n")
                .expect_err("refused")
                .contains("line 2")
        );
        assert!(
            parse_ip_ranges(b"1.0.0.0,1.0.0.1,Thailand\n")
                .expect_err("refused")
                .contains("country")
        );
        assert!(parse_ip_ranges(b"1.0.0.0,1.0.0.1\n").is_err());
        assert!(parse_ip_ranges(b"").is_err());
    }
}
