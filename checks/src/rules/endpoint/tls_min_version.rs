use serde_json::json;

use super::endpoint_support::{Verdict, report_unreachable};
use crate::facts::endpoint::{Endpoint, Probe};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::resolve::TlsVersion;

pub struct TlsMinVersion;

impl Rule for TlsMinVersion {
    const META: Meta = Meta {
        id: "tls-min-version",
        title: "Endpoints refuse TLS versions below the floor",
        severity: Severity::High,
        controls: &["TLS-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
TLS 1.0 and 1.1 are deprecated (RFC 8996): they rely on SHA-1 and MD5 in the handshake, allow
CBC constructions behind BEAST and Lucky13, and PCI DSS has forbidden them since 2018. A server
that still accepts them lets an attacker who can interfere with the handshake steer clients to
the weakest version both sides support.

## What is judged
For each endpoint, vouch completes a handshake at exactly TLS 1.0, 1.1, 1.2 and 1.3 (OpenSSL at
security level 0 for the probe, so legacy versions really are offered on the wire). Every
version below `[endpoint] tls_floor` (default `1.2`) must be refused. A probe that could not be
completed (timeout, connection reset) is an `error`: a refusal must be seen, not assumed. An
endpoint that accepts no version at all cannot be judged and is an `error` too.

## How to fix
nginx: `ssl_protocols TLSv1.2 TLSv1.3;`. Apache: `SSLProtocol -all +TLSv1.2 +TLSv1.3`.
AWS ALB/CloudFront: choose a security policy such as `ELBSecurityPolicy-TLS13-1-2-2021-06`.

## Evidence
The floor and every probe: version, outcome, and the negotiated cipher or the server's alert.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let floor = cx.options.endpoint.tls_floor;
        for ep in &cx.facts.endpoints {
            let location = Location::tls(&ep.subject());
            if report_unreachable(ep, &location, out) {
                continue;
            }
            let evidence =
                json!({ "url": ep.url, "floor": floor.as_str(), "protocols": ep.protocols });
            judge(ep, floor).record(out, ep.subject(), location, evidence);
        }
    }
}

fn judge(ep: &Endpoint, floor: TlsVersion) -> Verdict {
    let probe_of = |v: &str| {
        ep.protocols
            .iter()
            .find(|p| p.version == v)
            .map(|p| &p.result)
    };
    let mut accepted_below = Vec::new();
    let mut unknown_below = Vec::new();
    for version in TlsVersion::ALL.into_iter().filter(|v| *v < floor) {
        match probe_of(version.as_str()) {
            Some(Probe::Accepted { .. }) => accepted_below.push(format!("TLS {version}")),
            Some(Probe::Refused { .. }) => {}
            Some(Probe::Error { cause } | Probe::Untestable { reason: cause }) => {
                unknown_below.push(format!("TLS {version}: {cause}"));
            }
            None => unknown_below.push(format!("TLS {version}: not probed")),
        }
    }
    let accepted: Vec<String> = ep
        .protocols
        .iter()
        .filter(|p| p.result.is_accepted())
        .map(|p| format!("TLS {}", p.version))
        .collect();
    if !accepted_below.is_empty() {
        return Verdict::Fail(format!(
            "{} accepts {} (below the TLS {floor} floor)",
            ep.url,
            accepted_below.join(", ")
        ));
    }
    if !unknown_below.is_empty() {
        return Verdict::Error(format!(
            "{}: could not tell whether versions below TLS {floor} are refused ({})",
            ep.url,
            unknown_below.join("; ")
        ));
    }
    if accepted.is_empty() {
        return Verdict::Error(format!(
            "{} completed no TLS handshake at any version",
            ep.url
        ));
    }
    Verdict::Pass(format!(
        "{} refuses every version below TLS {floor}; accepts {}",
        ep.url,
        accepted.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::ProtocolProbe;
    use crate::settings::TLS_VERSIONS;

    fn ep(outcomes: [bool; 4]) -> Endpoint {
        let protocols = TLS_VERSIONS
            .iter()
            .zip(outcomes)
            .map(|(v, ok)| ProtocolProbe {
                version: (*v).to_owned(),
                result: if ok {
                    Probe::Accepted {
                        version: format!("TLSv{v}"),
                        cipher: "X".to_owned(),
                    }
                } else {
                    Probe::Refused {
                        reason: "protocol version".to_owned(),
                    }
                },
            })
            .collect();
        Endpoint {
            url: "https://h".to_owned(),
            protocols,
            ..Endpoint::default()
        }
    }

    #[test]
    fn judges_against_the_floor() {
        assert!(matches!(
            judge(&ep([false, false, true, true]), TlsVersion::Tls12),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            judge(&ep([true, true, true, true]), TlsVersion::Tls12),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            judge(&ep([false, false, true, true]), TlsVersion::Tls13),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            judge(&ep([false, false, false, false]), TlsVersion::Tls12),
            Verdict::Error(_)
        ));
        let mut missing = ep([false, false, true, true]);
        missing.protocols.remove(0);
        assert!(matches!(
            judge(&missing, TlsVersion::Tls12),
            Verdict::Error(_)
        ));
    }
}
