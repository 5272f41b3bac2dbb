//! Domain verification's DNS side (SPEC §17): the TXT lookup of `_partner-portal.<domain>`
//! through `hickory-resolver`, asking the nameserver of `DNS_RESOLVER` (or the system's,
//! from resolv.conf), and the rule that decides whether a domain's records hold its value.
//! The daily re-check worker is in [`recheck`].
//!
//! Lookups are bounded (3 s per try, one retry for a lost packet, 10 s at most in all) so a
//! page never hangs on a slow or dead nameserver, and run on the async executor: never inside
//! a database transaction or while a pooled connection is held.

pub mod recheck;

use std::{net::SocketAddr, time::Duration};

use hickory_resolver::{
    config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts},
    net::{runtime::TokioRuntimeProvider, NetError},
    proto::rr::{Name, RData},
    TokioResolver,
};

use crate::config::DnsSettings;

/// The label under which a partner publishes its value.
pub const RECORD_LABEL: &str = "_partner-portal";

/// The TXT record's name for `domain`, as the partner page shows it.
pub fn record_name(domain: &str) -> String {
    format!("{RECORD_LABEL}.{domain}")
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// A TXT record at the name holds exactly the domain's value.
    Found,
    /// The name has no TXT record (or does not exist).
    Missing,
    /// TXT records exist there, none with the domain's value.
    WrongValue,
    /// The nameserver could not be asked or did not answer: nothing is known.
    Unreachable(String),
}

impl CheckOutcome {
    /// Why a check failed, in plain words for the partner page (None: it succeeded).
    pub fn problem(&self, domain: &str) -> Option<String> {
        let name = record_name(domain);
        match self {
            CheckOutcome::Found => None,
            CheckOutcome::Missing => Some(format!("No TXT record was found at {name}.")),
            CheckOutcome::WrongValue => {
                Some(format!("The TXT record at {name} does not hold this domain's verification value."))
            }
            CheckOutcome::Unreachable(why) => {
                Some(format!("The DNS lookup of {name} failed: {why} Nothing was changed; try again later."))
            }
        }
    }
}

/// Whether any of `records` (each a TXT record's character-strings, which are joined as one
/// value, RFC 7208 §3.3 style) equals `token`. Surrounding whitespace is forgiven, since DNS
/// panels often keep what was pasted; case is not, the value is random.
pub fn txt_matches<S: AsRef<[u8]>>(records: &[Vec<S>], token: &str) -> bool {
    records.iter().any(|strings| {
        let joined: Vec<u8> = strings.iter().flat_map(|s| s.as_ref().iter().copied()).collect();
        String::from_utf8_lossy(&joined).trim() == token
    })
}

/// How the portal's lookups are made: the nameserver and the options. A resolver is built for
/// each lookup (cheap: no I/O until it asks), so nothing ties it to one runtime's sockets, and
/// with no answer cache a record the partner just published or removed counts at once.
#[derive(Clone)]
pub struct DnsChecker {
    setup: Result<(ResolverConfig, ResolverOpts), String>,
}

impl DnsChecker {
    /// From `DNS_RESOLVER` (one nameserver, UDP then TCP) or the system's configuration.
    pub fn new(settings: &DnsSettings) -> Self {
        let setup = match settings.resolver {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                Ok((ResolverConfig::from_parts(None, vec![], vec![server]), ResolverOpts::default()))
            }
            None => hickory_resolver::system_conf::read_system_conf().map_err(|e| {
                tracing::warn!(error = %e, "cannot read the system's DNS configuration; set DNS_RESOLVER");
                "the portal has no DNS server to ask (DNS_RESOLVER is not set and the system has none).".to_string()
            }),
        };
        let setup = setup.map(|(config, mut opts)| {
            opts.timeout = settings.timeout;
            // One retry: a lost UDP packet is not a missing record.
            opts.attempts = 1;
            opts.cache_size = 0;
            opts.use_hosts_file = ResolveHosts::Never;
            (config, opts)
        });
        DnsChecker { setup }
    }

    /// Looks up `_partner-portal.<domain>` and compares its TXT records with `token`.
    pub async fn check(&self, domain: &str, token: &str) -> CheckOutcome {
        let (config, opts) = match &self.setup {
            Ok(setup) => setup.clone(),
            Err(why) => return CheckOutcome::Unreachable(why.clone()),
        };
        let name = match Name::from_ascii(format!("{}.", record_name(domain))) {
            Ok(name) => name,
            Err(e) => return CheckOutcome::Unreachable(format!("{e}")),
        };
        let resolver = match TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
        {
            Ok(resolver) => resolver,
            Err(e) => return classify(&e),
        };
        // The resolver has its own timeout per attempt; this bounds the whole lookup too.
        let bound = Duration::from_secs(10);
        match tokio::time::timeout(bound, resolver.txt_lookup(name)).await {
            Err(_) => CheckOutcome::Unreachable("the DNS server did not answer in time.".into()),
            Ok(Ok(lookup)) => {
                let records: Vec<Vec<Box<[u8]>>> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(txt) => Some(txt.txt_data.to_vec()),
                        _ => None,
                    })
                    .collect();
                if records.is_empty() {
                    CheckOutcome::Missing
                } else if txt_matches(&records, token) {
                    CheckOutcome::Found
                } else {
                    CheckOutcome::WrongValue
                }
            }
            Ok(Err(e)) => classify(&e),
        }
    }
}

/// "No such record" is an answer (the record is gone); anything else means the nameserver
/// could not tell.
fn classify(e: &NetError) -> CheckOutcome {
    if e.is_no_records_found() || e.is_nx_domain() {
        return CheckOutcome::Missing;
    }
    tracing::warn!(error = %e, "DNS lookup failed");
    CheckOutcome::Unreachable("the DNS server could not be reached or gave no answer.".into())
}

/// The nameserver `DNS_RESOLVER` names (`ip:port`, or an IP for port 53).
pub fn parse_resolver(raw: &str) -> Option<SocketAddr> {
    let raw = raw.trim();
    raw.parse::<SocketAddr>().ok().or_else(|| raw.parse::<std::net::IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn records(rs: &[&[&str]]) -> Vec<Vec<Vec<u8>>> {
        rs.iter().map(|strings| strings.iter().map(|s| s.as_bytes().to_vec()).collect()).collect()
    }

    #[test]
    fn a_record_holding_exactly_the_value_matches() {
        assert!(txt_matches(&records(&[&["pp-verify-abc"]]), "pp-verify-abc"));
    }

    #[test]
    fn a_value_split_over_several_strings_is_joined() {
        assert!(txt_matches(&records(&[&["pp-verify-", "abc"]]), "pp-verify-abc"));
    }

    #[test]
    fn any_of_several_records_may_hold_it() {
        let rs = records(&[&["v=spf1 -all"], &["google-site-verification=x"], &[" pp-verify-abc "]]);
        assert!(txt_matches(&rs, "pp-verify-abc"));
    }

    #[test]
    fn another_value_a_prefix_or_a_different_case_does_not_match() {
        assert!(!txt_matches(&records(&[&["pp-verify-abd"]]), "pp-verify-abc"));
        assert!(!txt_matches(&records(&[&["pp-verify-ab"]]), "pp-verify-abc"));
        assert!(!txt_matches(&records(&[&["pp-verify-abcd"]]), "pp-verify-abc"));
        assert!(!txt_matches(&records(&[&["PP-VERIFY-ABC"]]), "pp-verify-abc"));
        // Two records are two values, never joined with each other.
        assert!(!txt_matches(&records(&[&["pp-verify-"], &["abc"]]), "pp-verify-abc"));
        assert!(!txt_matches(&records(&[]), "pp-verify-abc"));
    }

    #[test]
    fn the_resolver_is_an_address_with_or_without_a_port() {
        assert_eq!(parse_resolver("127.0.0.1:5353"), Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(parse_resolver("10.0.0.2"), Some("10.0.0.2:53".parse().unwrap()));
        assert_eq!(parse_resolver("[::1]:53"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_resolver("dns.example"), None);
    }
}
