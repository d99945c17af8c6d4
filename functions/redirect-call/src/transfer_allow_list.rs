//! Which transfer targets may be dialed: a transfer is a call our user pays for, so only the
//! numbers and SIP hosts configuration lists are, plus Synthflow's own SIP hosts (its warm
//! transfer ends with a REFER back to Synthflow: <https://docs.synthflow.ai/sip-transfers>).
//!
//! - `TRANSFER_ALLOWED_NUMBERS`: comma-separated E.164 numbers (`+14155550100`) or prefixes
//!   (`+1415555*`: every number that starts with `+1415555` and goes on, not `+1415555` itself);
//! - `TRANSFER_ALLOWED_SIP_HOSTS`: comma-separated host names (`pbx.example.com`), or
//!   `*.example.com` for every subdomain of `example.com` (not `example.com` itself).
//!
//! Both empty (the default): only Synthflow's hosts.

use shared::sip::is_host;

use crate::transfer_target::TransferTarget;

/// Synthflow's SIP hosts: global, US, EU, and the direct-dialing endpoint.
/// Source: <https://docs.synthflow.ai/connect-over-sip>, <https://docs.synthflow.ai/ip-allow-lists>.
pub const SYNTHFLOW_SIP_HOSTS: [&str; 4] = [
    "sip.synthflow.ai",
    "sip.us.synthflow.ai",
    "sip.eu.synthflow.ai",
    "sipin.synthflow.ai",
];

/// Longest E.164 number: `+` and 15 digits.
const MAX_E164_DIGITS: usize = 15;

/// An allowed number: exact, or every longer number starting with a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
enum NumberRule {
    Exact(String),
    Prefix(String),
}

/// An allowed SIP host: exact (case-insensitive), or any subdomain of a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
enum HostRule {
    Exact(String),
    Subdomains(String),
}

/// The configured allow-list, plus Synthflow's hosts and the configured endpoint's host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferAllowList {
    numbers: Vec<NumberRule>,
    hosts: Vec<HostRule>,
}

impl TransferAllowList {
    /// The list from the two variables' values (`None` when unset), always allowing
    /// [`SYNTHFLOW_SIP_HOSTS`] and `endpoint_host`.
    ///
    /// # Errors
    /// `(variable, reason)` for the first entry that is not a number, prefix or host.
    pub fn parse(
        numbers: Option<&str>,
        hosts: Option<&str>,
        endpoint_host: &str,
    ) -> Result<TransferAllowList, (&'static str, String)> {
        let entries = |value: Option<&str>| -> Vec<String> {
            value
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut number_rules = Vec::new();
        for entry in entries(numbers) {
            number_rules.push(parse_number_rule(&entry).map_err(|reason| {
                (
                    crate::config::TRANSFER_ALLOWED_NUMBERS,
                    format!("{entry:?}: {reason}"),
                )
            })?);
        }
        let mut host_rules: Vec<HostRule> = SYNTHFLOW_SIP_HOSTS
            .iter()
            .chain([&endpoint_host])
            .map(|h| HostRule::Exact(h.to_ascii_lowercase()))
            .collect();
        for entry in entries(hosts) {
            host_rules.push(parse_host_rule(&entry).map_err(|reason| {
                (
                    crate::config::TRANSFER_ALLOWED_SIP_HOSTS,
                    format!("{entry:?}: {reason}"),
                )
            })?);
        }
        Ok(TransferAllowList {
            numbers: number_rules,
            hosts: host_rules,
        })
    }

    /// Whether `target` may be dialed.
    pub fn allows(&self, target: &TransferTarget) -> bool {
        match target {
            TransferTarget::Number(number) => self.numbers.iter().any(|rule| match rule {
                NumberRule::Exact(n) => n == number.as_str(),
                NumberRule::Prefix(p) => number
                    .as_str()
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| !rest.is_empty()),
            }),
            TransferTarget::Sip(sip) => self.allows_host(&sip.host),
        }
    }

    /// Whether `host` is an allowed SIP host (case-insensitive).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.hosts.iter().any(|rule| match rule {
            HostRule::Exact(h) => *h == host,
            HostRule::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|sub| !sub.is_empty()),
        })
    }
}

fn parse_number_rule(entry: &str) -> Result<NumberRule, &'static str> {
    const EXPECTED: &str = "expected an E.164 number (+14155550100) or prefix (+1415555*)";
    let (digits, prefix) = match entry.strip_suffix('*') {
        Some(digits) => (digits, true),
        None => (entry, false),
    };
    let digits = digits.strip_prefix('+').ok_or(EXPECTED)?;
    let ok = (1..=MAX_E164_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    match (ok, prefix) {
        (true, true) => Ok(NumberRule::Prefix(format!("+{digits}"))),
        (true, false) if digits.len() >= 7 => Ok(NumberRule::Exact(entry.to_owned())),
        _ => Err(EXPECTED),
    }
}

fn parse_host_rule(entry: &str) -> Result<HostRule, &'static str> {
    const EXPECTED: &str = "expected a host name (pbx.example.com) or *.domain";
    let lower = entry.to_ascii_lowercase();
    match lower.strip_prefix("*.") {
        Some(domain) if is_host(domain) && domain.contains('.') => {
            Ok(HostRule::Subdomains(format!(".{domain}")))
        }
        Some(_) => Err(EXPECTED),
        None if is_host(&lower) => Ok(HostRule::Exact(lower)),
        None => Err(EXPECTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(numbers: &str, hosts: &str) -> TransferAllowList {
        TransferAllowList::parse(Some(numbers), Some(hosts), "sipin.synthflow.ai").unwrap()
    }

    fn target(value: &str) -> TransferTarget {
        TransferTarget::parse(value).unwrap()
    }

    #[test]
    fn numbers_exact_and_by_prefix() {
        let l = list("+14155550100, +1628*", "");
        assert!(l.allows(&target("tel:+14155550100")));
        assert!(!l.allows(&target("tel:+14155550101")));
        assert!(l.allows(&target("+16285550100")));
        assert!(!l.allows(&target("+16295550100")));
        assert!(!l.allows(&target("tel:+88234567890")));
        // A prefix stands for the numbers that go on from it, as `*.domain` for subdomains.
        let l = list("+1415555*", "");
        assert!(l.allows(&target("tel:+14155550100")));
        assert!(!l.allows(&target("tel:+1415555")));
    }

    #[test]
    fn hosts_exact_subdomains_and_synthflow() {
        let l = list("", "PBX.example.com,*.acme.example");
        assert!(l.allows(&target("sip:agent@pbx.EXAMPLE.com")));
        assert!(l.allows(&target("sip:desk@sales.acme.example")));
        assert!(!l.allows(&target("sip:desk@acme.example")));
        assert!(!l.allows(&target("sip:desk@evilacme.example")));
        assert!(!l.allows(&target("sip:agent@evil.example")));
        let default = TransferAllowList::parse(None, None, "sip.example.net").unwrap();
        for host in [SYNTHFLOW_SIP_HOSTS.as_slice(), &["sip.example.net"]].concat() {
            assert!(
                default.allows(&target(&format!("sip:agent@{host}:32681"))),
                "{host}"
            );
        }
        assert!(!default.allows(&target("tel:+14155550100")));
    }

    #[test]
    fn bad_entries_name_their_variable() {
        for (numbers, hosts, variable) in [
            ("*", "", "TRANSFER_ALLOWED_NUMBERS"),
            ("+*", "", "TRANSFER_ALLOWED_NUMBERS"),
            ("4155550100", "", "TRANSFER_ALLOWED_NUMBERS"),
            ("+1415", "", "TRANSFER_ALLOWED_NUMBERS"),
            ("", "*", "TRANSFER_ALLOWED_SIP_HOSTS"),
            ("", "*.com", "TRANSFER_ALLOWED_SIP_HOSTS"),
            ("", "pbx.example.com:5060", "TRANSFER_ALLOWED_SIP_HOSTS"),
        ] {
            let err = TransferAllowList::parse(Some(numbers), Some(hosts), "h").unwrap_err();
            assert_eq!(err.0, variable, "{numbers:?} {hosts:?}");
        }
    }
}
