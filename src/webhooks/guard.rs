//! The SSRF guard of webhook deliveries: an endpoint's host is resolved and every address it
//! resolves to is checked; loopback, private, link-local, cloud metadata and other
//! non-public addresses are refused (in production always: `WEBHOOKS_ALLOW_PRIVATE`).
//!
//! The check is made where the connection is made: [`GuardedResolver`] is the HTTP client's
//! DNS resolver, so the addresses it checked are the ones the client connects to (a name that
//! resolves to a public address for the check and to 127.0.0.1 for the connection — DNS
//! rebinding — gets nowhere). An address written in the URL itself never reaches a resolver,
//! so [`check_literal`] checks it before sending. Redirects are never followed
//! (`worker::Sender`), so a public endpoint can't bounce a delivery inward either.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use url::{Host, Url};

use crate::config::WebhookSettings;

/// How long resolving an endpoint's host may take when an endpoint is added.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why `ip` may not receive webhooks, or None when it is a public address.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        // AWS, GCP, Azure, OpenStack… (169.254.169.254) and Alibaba (100.100.100.200).
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) => {
            "a cloud metadata address"
        }
        (0, _, _) => "an unspecified address",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, b, _) if (16..32).contains(&b) => "a private address",
        (169, 254, _) => "a link-local address",
        (100, b, _) if (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        (192, 0, 0) | (198, 18, _) | (198, 19, _) => "a reserved address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved address",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    // Addresses that carry an IPv4 address are judged by it: mapped (::ffff:a.b.c.d),
    // compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("a cloud metadata address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            return refused_v4(embedded(hi, lo));
        }
        [0x2002, hi, lo, ..] => return refused_v4(embedded(hi, lo)),
        _ => {}
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "a private address",
        0xfe80..=0xfebf => "a link-local address",
        // Site-local, deprecated but still routed inside some networks.
        0xfec0..=0xfeff => "a private address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0xdb8 => "a documentation address",
        // Teredo tunnels (2001::/32) and local-use NAT64 (64:ff9b:1::/48).
        0x2001 if s[1] == 0 => "a reserved address",
        0x64 if s[1] == 0xff9b && s[2] == 1 => "a private address",
        // The discard prefix 100::/64.
        0x100 if s[1..4] == [0, 0, 0] => "a reserved address",
        _ => return None,
    })
}

/// A host and an address it may not be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host == self.ip.to_string() {
            write!(f, "{} is {}", self.ip, self.reason)?;
        } else {
            write!(f, "{} resolves to {}, {}", self.host, self.ip, self.reason)?;
        }
        f.write_str(": webhooks are only delivered to public addresses")
    }
}

impl std::error::Error for Refused {}

/// The host could not be resolved.
#[derive(Debug, thiserror::Error)]
#[error("{host} could not be resolved: {cause}")]
pub struct Unresolved {
    pub host: String,
    pub cause: String,
}

/// Resolves `host` and checks every address; refused as soon as one of them is not public
/// (a name with one public and one internal address is refused, not filtered).
pub async fn resolve_checked(
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let found = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Unresolved { host: host.to_string(), cause: e.to_string() })?;
    let addrs: Vec<SocketAddr> = found.collect();
    if addrs.is_empty() {
        return Err(Box::new(Unresolved { host: host.to_string(), cause: "no address".into() }));
    }
    for a in &addrs {
        if let Some(reason) = refused(a.ip()) {
            return Err(Box::new(Refused { host: host.to_string(), ip: a.ip(), reason }));
        }
    }
    Ok(addrs)
}

/// The delivery client's resolver when the guard is on: it connects only to addresses it
/// checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_checked(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An IP address written in the URL (which no resolver sees): refused when not public.
pub fn check_literal(url: &Url) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    match refused(ip) {
        Some(reason) => Err(Refused { host: ip.to_string(), ip, reason }),
        None => Ok(()),
    }
}

pub const URL_MAX: usize = 2000;

/// Checks an endpoint's URL as it is added: an absolute http(s) URL (https in production)
/// without credentials, whose host resolves to public addresses only (unless the guard is
/// off). The error is the sentence the form shows next to the field.
pub async fn check_endpoint_url(raw: &str, settings: &WebhookSettings) -> Result<Url, String> {
    let start = if settings.require_https { "https://" } else { "https:// or http://" };
    let whole = format!("Enter the endpoint's whole address, starting with {start}.");
    if raw.is_empty() || raw.chars().count() > URL_MAX || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(if raw.is_empty() {
            whole
        } else {
            format!("Enter one address, without spaces, under {URL_MAX} characters.")
        });
    }
    let url = Url::parse(raw).map_err(|_| whole.clone())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(whole);
    }
    if settings.require_https && url.scheme() != "https" {
        return Err("The endpoint must use https://: deliveries carry your partners' data.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Leave the user name and password out of the address: every delivery is signed instead.".into());
    }
    if settings.allow_private {
        return Ok(url);
    }
    check_literal(&url).map_err(|e| e.to_string())?;
    if let Some(Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        match tokio::time::timeout(RESOLVE_TIMEOUT, resolve_checked(host, port)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(match e.downcast_ref::<Refused>() {
                    Some(r) => r.to_string(),
                    None => format!("{host} could not be resolved. Check the address."),
                })
            }
            Err(_) => return Err(format!("{host} could not be resolved in time. Check the address.")),
        }
    }
    Ok(url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn why(ip: &str) -> Option<&'static str> {
        refused(ip.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "192.0.3.1",
            "198.17.255.255",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(why(ip), None, "{ip}");
        }
    }

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_refused() {
        let cases = [
            ("127.0.0.1", "a loopback address"),
            ("127.255.255.254", "a loopback address"),
            ("::1", "a loopback address"),
            ("10.0.0.1", "a private address"),
            ("10.255.255.255", "a private address"),
            ("172.16.0.1", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.1.1", "a private address"),
            ("fc00::1", "a private address"),
            ("fd12:3456:789a::1", "a private address"),
            ("fec0::1", "a private address"),
            ("169.254.0.1", "a link-local address"),
            ("169.254.255.255", "a link-local address"),
            ("fe80::1", "a link-local address"),
            ("febf::1", "a link-local address"),
            ("169.254.169.254", "a cloud metadata address"),
            ("fd00:ec2::254", "a cloud metadata address"),
            ("100.100.100.200", "a cloud metadata address"),
            ("0.0.0.0", "an unspecified address"),
            ("0.1.2.3", "an unspecified address"),
            ("::", "an unspecified address"),
            ("100.64.0.1", "a shared (carrier-grade NAT) address"),
            ("100.127.255.255", "a shared (carrier-grade NAT) address"),
            ("224.0.0.1", "a multicast address"),
            ("ff02::1", "a multicast address"),
            ("255.255.255.255", "a reserved address"),
            ("240.0.0.1", "a reserved address"),
            ("192.0.0.8", "a reserved address"),
            ("198.18.0.1", "a reserved address"),
            ("192.0.2.1", "a documentation address"),
            ("2001:db8::1", "a documentation address"),
            ("2001:0:4136:e378::1", "a reserved address"),
            ("100::1", "a reserved address"),
            ("64:ff9b:1::1", "a private address"),
        ];
        for (ip, reason) in cases {
            assert_eq!(why(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn an_ipv4_address_inside_an_ipv6_one_is_judged_as_itself() {
        assert_eq!(why("::ffff:127.0.0.1"), Some("a loopback address"));
        assert_eq!(why("::ffff:169.254.169.254"), Some("a cloud metadata address"));
        assert_eq!(why("::ffff:10.1.2.3"), Some("a private address"));
        assert_eq!(why("::127.0.0.1"), Some("a loopback address"));
        assert_eq!(why("64:ff9b::a9fe:a9fe"), Some("a cloud metadata address"));
        assert_eq!(why("64:ff9b::7f00:1"), Some("a loopback address"));
        assert_eq!(why("2002:c0a8:0101::1"), Some("a private address"));
        assert_eq!(why("2002:7f00:1::"), Some("a loopback address"));
    }

    fn guarded(require_https: bool) -> WebhookSettings {
        WebhookSettings { allow_private: false, require_https, timeout: Duration::from_secs(10) }
    }

    #[tokio::test]
    async fn an_endpoint_url_is_checked_before_it_is_saved() {
        let prod = guarded(true);
        let refused_with = |url: &'static str, settings: WebhookSettings, words: &'static str| async move {
            let e = check_endpoint_url(url, &settings).await.unwrap_err();
            assert!(e.contains(words), "{url}: {e}");
        };
        refused_with("", prod.clone(), "whole address, starting with https://.").await;
        refused_with("ftp://files.example/hook", prod.clone(), "whole address").await;
        refused_with("/relative/hook", prod.clone(), "whole address").await;
        refused_with("http://8.8.8.8/hook", prod.clone(), "must use https://").await;
        refused_with("https://user:pw@8.8.8.8/hook", prod.clone(), "user name and password").await;
        refused_with("https://8.8.8.8/a b", prod.clone(), "without spaces").await;
        refused_with("https://127.0.0.1/hook", prod.clone(), "127.0.0.1 is a loopback address").await;
        refused_with("https://[::1]:8443/hook", prod.clone(), "a loopback address").await;
        refused_with("https://169.254.169.254/latest", prod.clone(), "a cloud metadata address").await;
        refused_with("https://10.0.0.8/hook", prod.clone(), "a private address").await;
        refused_with("https://localhost/hook", prod.clone(), "a loopback address").await;
        refused_with("https://no-such-host.invalid/hook", prod.clone(), "could not be resolved").await;
        assert!(check_endpoint_url("https://8.8.8.8/hook", &prod).await.is_ok());
        // The guard off (development, tests): local receivers are fine, credentials are not.
        let dev = WebhookSettings { allow_private: true, require_https: false, timeout: Duration::from_secs(10) };
        assert!(check_endpoint_url("http://127.0.0.1:9000/hook", &dev).await.is_ok());
        refused_with("http://u:p@127.0.0.1:9000/hook", dev.clone(), "user name and password").await;
        // The guard on outside production: http is allowed, internal addresses are not.
        refused_with("http://127.0.0.1:9000/hook", guarded(false), "a loopback address").await;
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_an_internal_address() {
        let e = resolve_checked("localhost", 80).await.unwrap_err();
        let refused = e.downcast_ref::<Refused>().unwrap();
        assert_eq!(refused.reason, "a loopback address");
    }
}
