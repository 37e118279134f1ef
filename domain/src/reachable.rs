//! Which network addresses Simpa may call on someone's word: a webhook's URL is typed by a
//! direction's agent or API client, and the worker POSTs there. Letting it reach the city's
//! internal network (or the server itself) would let anyone who may register a webhook scan
//! and call internal services (server-side request forgery). Only public unicast addresses
//! are called, unless an administrator names the host as allowed.

use crate::Violation;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The hosts an administrator allows although they are internal (`SIMPA_WEBHOOK_ALLOWED_HOSTS`):
/// a direction's system on the city's own network, say.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    pub fn new(hosts: impl IntoIterator<Item = String>) -> AllowedHosts {
        AllowedHosts(hosts.into_iter().map(|h| bare_host(&h)).collect())
    }

    pub fn allows(&self, host: &str) -> bool {
        self.0.contains(&bare_host(host))
    }
}

/// A host as compared: lower case, without the brackets of an IPv6 literal.
pub fn bare_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// A URL whose host is not, or does not resolve to, public addresses only. One answer for
/// both: telling an internal name from an unknown one would let a registrant map the city's
/// internal names.
pub fn not_public() -> Violation {
    Violation::new(
        "url.not_public",
        "Cette adresse ne mène pas à un serveur public joignable (nom introuvable, réseau interne ou serveur de Simpa lui-même) : Simpa n'y envoie rien. Vérifiez-la, ou demandez à l'administrateur d'autoriser cet hôte.",
    )
}

/// Whether `address` is a public unicast address of the Internet: not loopback, private,
/// link-local, unique-local, shared (CGNAT), multicast, broadcast, documentation,
/// benchmarking or reserved (RFC 6890 and its IPv6 counterpart); an IPv4 address carried in
/// IPv6 (mapped, NAT64) is judged as IPv4.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [first, second, third, _] = a.octets();
    let special = a.is_unspecified()
        || first == 0 // "this network"
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || (first == 100 && (64..128).contains(&second)) // shared address space (CGNAT)
        || (first == 192 && second == 0 && third == 0) // IETF protocol assignments
        || (first == 192 && second == 0 && third == 2) // documentation
        || (first == 198 && second == 51 && third == 100)
        || (first == 203 && second == 0 && third == 113)
        || (first == 198 && (18..20).contains(&second)) // benchmarking
        || a.is_multicast()
        || first >= 240; // reserved, and broadcast
    !special
}

/// An IPv6 address is public only in the global unicast space (2000::/3), where the IETF's
/// own blocks and documentation are not; every other block (loopback, unique-local,
/// link-local, multicast, discard, translation…) is refused whole, so that a block named
/// later is refused until it is in 2000::/3. An IPv4 address carried in IPv6 (mapped,
/// NAT64, 6to4) is judged as IPv4.
fn is_public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = a.segments();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(v4(s[6], s[7]));
    }
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 6to4 (2002::/16) carries one in the 32 bits after its prefix.
    if s[0] == 0x2002 {
        return is_public_v4(v4(s[1], s[2]));
    }
    // IETF protocol assignments (2001::/23: Teredo, benchmarking, ORCHID…), documentation
    // (2001:db8::/32, 3fff::/20).
    let special =
        (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || (s[0] == 0x3fff && s[1] < 0x1000);
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an address"))
    }

    #[test]
    fn allowed_hosts_are_compared_whatever_their_case_and_brackets() {
        let allowed = AllowedHosts::new([" DAC.intranet.paris ".to_owned(), "[::1]".to_owned()]);
        assert!(allowed.allows("dac.intranet.paris"));
        assert!(allowed.allows("::1"));
        assert!(allowed.allows("[::1]"));
        assert!(!allowed.allows("djs.intranet.paris"));
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.2.10",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::8.8.8.8",
            "2002:7f00:1::",
            "2001:0:4136:e378::1",
            "100::1",
            "2001:db8::1",
            "ff02::1",
            "::ffff:0:a00:1",
            "2001:2::1",
            "2001:10::1",
            "3fff::1",
            "5f00::1",
        ] {
            assert!(!public(internal), "{internal}");
        }
    }

    #[test]
    fn public_addresses_are() {
        for public_address in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2a01:e0a::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
        ] {
            assert!(public(public_address), "{public_address}");
        }
    }
}
