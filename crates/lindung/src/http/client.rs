//! Who the client is. Behind a TLS proxy every connection comes from the proxy, so the client's
//! address is taken from `X-Forwarded-For`, but only when the connection comes from a proxy the
//! deployment trusts (`--trusted-proxy CIDR`); anyone else could write that header.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use super::{ApiError, AuthContext};

/// The networks of the proxies allowed to say who the client is.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Parses `CIDR` or plain addresses (`10.0.0.0/8`, `::1`).
    pub fn parse(list: &[String]) -> Result<Self, String> {
        let nets = list
            .iter()
            .map(|text| {
                let text = text.trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trusted-proxy {text:?} is not a network (CIDR) or address")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(nets.into()))
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` that is not a trusted proxy (each proxy appends the address
    /// it saw, so the list is read from the right).
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let Some(list) = forwarded_for else {
            return peer;
        };
        let mut nearest = peer;
        for hop in list.rsplit(',') {
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                // A hop we cannot read ends what we can trust.
                return nearest;
            };
            let address = canonical(address);
            if !self.contains(address) {
                return address;
            }
            nearest = address;
        }
        nearest
    }
}

/// IPv4 addresses carried in IPv6 (`::ffff:1.2.3.4`) are IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address, as the rate limits count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// What a rate limit counts: the address for IPv4, the /64 network for IPv6 (one household
    /// or phone gets a whole /64, and picks any address in it).
    pub fn limit_key(self) -> [u8; 16] {
        match canonical(self.0) {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                octets
            }
        }
    }
}

impl ClientAddr {
    /// A coarser count, for when a window holds too many clients to count each: the /24 of an
    /// IPv4 address, the /48 of an IPv6 one (one site's allocation).
    pub fn network_key(self) -> [u8; 16] {
        let mut key = self.limit_key();
        match canonical(self.0) {
            IpAddr::V4(_) => key[15] = 0,
            IpAddr::V6(_) => key[6..].fill(0),
        }
        key
    }
}

/// The client of a request, given the trusted proxies; `None` without a connection (tests that
/// call the router directly).
pub fn client_of(parts: &Parts, proxies: &TrustedProxies) -> Option<ClientAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    // A proxy may add its own header line rather than append to the client's: every line, in
    // order, is one list.
    let lines: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!lines.is_empty()).then(|| lines.join(","));
    Some(ClientAddr(proxies.client(peer, forwarded.as_deref())))
}

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    AuthContext: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = AuthContext::from_ref(state);
        client_of(parts, &auth.proxies)
            .ok_or_else(|| ApiError::internal("a request without a connection"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .expect("parse")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        // Anyone can write the header: without trusted proxies it is ignored.
        assert_eq!(
            none.client(ip("203.0.113.9"), Some("198.51.100.1")),
            ip("203.0.113.9")
        );
        let trusted = proxies(&["10.0.0.0/8", "2001:db8::1"]);
        assert_eq!(
            trusted.client(ip("10.1.2.3"), Some("198.51.100.7")),
            ip("198.51.100.7")
        );
        // A client that writes its own header cannot hide behind it: the proxy appends the
        // address it saw, and the list is read from the right.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), Some("1.1.1.1, 198.51.100.7")),
            ip("198.51.100.7")
        );
        // Through two trusted proxies.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), Some("198.51.100.7, 10.9.9.9")),
            ip("198.51.100.7")
        );
        assert_eq!(trusted.client(ip("2001:db8::1"), None), ip("2001:db8::1"));
        assert_eq!(
            trusted.client(ip("10.1.2.3"), Some("garbage, 10.5.5.5")),
            ip("10.5.5.5")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            trusted.client(ip("192.0.2.1"), Some("198.51.100.7")),
            ip("192.0.2.1")
        );
        assert!(TrustedProxies::parse(&["not a network".into()]).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_per_slash_64() {
        let a = ClientAddr(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientAddr(ip("2001:db8:1:2:bbbb::9"));
        let c = ClientAddr(ip("2001:db8:1:3::1"));
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), c.limit_key());
        assert_ne!(
            ClientAddr(ip("192.0.2.1")).limit_key(),
            ClientAddr(ip("192.0.2.2")).limit_key()
        );
        assert_eq!(
            ClientAddr(ip("192.0.2.1")).limit_key(),
            ClientAddr(ip("::ffff:192.0.2.1")).limit_key()
        );
    }
}
