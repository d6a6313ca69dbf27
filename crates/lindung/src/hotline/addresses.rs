//! Which addresses a server-side fetch may reach by default: an allow-list of global unicast
//! addresses. Everything else (private, shared, loopback, link-local, unique-local,
//! documentation, benchmarking, reserved, multicast, broadcast, and the IPv6 forms that carry an
//! IPv4 address to somewhere else: NAT64, 6to4, Teredo, IPv4-compatible) is refused unless the
//! operator's `allow_networks` lists it. An IPv4-mapped IPv6 address is judged as its IPv4
//! address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 networks that are not global unicast (IANA special-purpose registry, RFC 6890 and
/// successors), as (address, prefix length).
const NOT_GLOBAL_V4: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),       // "this network"
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and the limited broadcast address
];

/// IPv6 networks inside global unicast (2000::/3) that are not global unicast.
const NOT_GLOBAL_V6: &[([u16; 8], u32)] = &[
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments, Teredo
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
];

fn in_v4(ip: Ipv4Addr, (net, bits): ([u8; 4], u32)) -> bool {
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, (net, bits): ([u16; 8], u32)) -> bool {
    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// Whether `ip` is a global unicast address, which a fetch may reach without the operator's
/// say-so.
pub fn is_global_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !NOT_GLOBAL_V4.iter().any(|&net| in_v4(v4, net)),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_global_unicast(IpAddr::V4(v4));
            }
            // Only 2000::/3 is global unicast; NAT64 (64:ff9b::/96, 64:ff9b:1::/48),
            // IPv4-compatible (::/96), unique-local, link-local, multicast and the rest are
            // outside it.
            (v6.segments()[0] & 0xe000) == 0x2000
                && !NOT_GLOBAL_V6.iter().any(|&net| in_v6(v6, net))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One address in each refused range, and what the range is.
    const REFUSED: &[(&str, &str)] = &[
        ("64:ff9b::808:808", "NAT64"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("2002:808:808::1", "6to4"),
        ("::8.8.8.8", "IPv4-compatible"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("0.1.2.3", "0.0.0.0/8"),
        ("0.0.0.0", "unspecified"),
        ("198.18.0.1", "benchmarking 198.18.0.0/15"),
        ("198.19.255.254", "benchmarking 198.18.0.0/15"),
        ("240.0.0.1", "reserved 240.0.0.0/4"),
        ("255.255.255.255", "broadcast"),
        ("224.0.0.1", "IPv4 multicast"),
        ("239.255.255.250", "IPv4 multicast"),
        ("ff02::1", "IPv6 multicast"),
        ("192.0.2.1", "documentation"),
        ("198.51.100.1", "documentation"),
        ("203.0.113.1", "documentation"),
        ("2001:db8::1", "IPv6 documentation"),
        ("3fff::1", "IPv6 documentation"),
        ("100.64.0.1", "shared 100.64.0.0/10"),
        ("100.127.255.254", "shared 100.64.0.0/10"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "IPv6 link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "IPv6 loopback"),
        ("::", "IPv6 unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "unique-local"),
        ("fc00::1", "unique-local"),
        ("2001::1", "Teredo"),
        ("192.0.0.8", "IETF protocol assignments"),
        ("4000::1", "IPv6 outside 2000::/3"),
    ];

    #[test]
    fn every_non_global_range_is_refused() {
        for (ip, what) in REFUSED {
            assert!(
                !is_global_unicast(ip.parse().expect("ip")),
                "{ip} ({what}) must be refused"
            );
        }
    }

    #[test]
    fn global_unicast_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.254",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_global_unicast(ip.parse().expect("ip")), "{ip}");
        }
    }
}
