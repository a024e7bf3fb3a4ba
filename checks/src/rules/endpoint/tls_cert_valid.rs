use serde_json::json;

use super::endpoint_support::{parse_time, report_unreachable};
use crate::facts::endpoint::{CertSummary, Certificate, Endpoint};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};

pub struct TlsCertValid;

impl Rule for TlsCertValid {
    const META: Meta = Meta {
        id: "tls-cert-valid",
        title: "Endpoints present a valid, strong certificate for their host name",
        severity: Severity::High,
        controls: &["TLS-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
A certificate that does not chain to a trusted root, names another host or has expired makes
browsers refuse the site, and teaches users and API clients to click through (or disable)
verification, which is what an interceptor needs. Weak keys (RSA below 2048 bits, EC below
256) and SHA-1 signatures can be forged.

## What is judged
The chain the server presents in a handshake at its best version is verified by OpenSSL against
the system roots (honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`) or the endpoint's `ca_file`,
including the host name or IP address of the URL. It fails when the chain does not verify, the
name does not match, the leaf is expired or not yet valid at collection time, the leaf key is
RSA/DSA below 2048 bits or EC below 256 bits, or a certificate other than a self-signed root is
signed with SHA-1. A certificate expiring within `[endpoint] expiry_warning_days` (default 30)
is a `low`-severity failure: a reminder that gates only with `--fail-on low`.

## How to fix
Issue certificates from a public CA (ACME/Let's Encrypt, AWS ACM) with every served name in the
SANs, ECDSA P-256 or RSA 2048+ keys, and automatic renewal well before expiry; serve the full
chain (leaf and intermediates).

## Evidence
The negotiated version and cipher, the chain summary (subject, issuer, SANs, validity, key,
signature algorithm), the verifier's result and errors, and the collection time.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let warning_days = i64::from(cx.options.endpoint.expiry_warning_days);
        for ep in &cx.facts.endpoints {
            let location = Location::tls(&ep.subject());
            if report_unreachable(ep, &location, out) {
                continue;
            }
            let evidence = json!({
                "url": ep.url,
                "collected_at": ep.collected_at,
                "certificate": ep.certificate,
            });
            let (status, severity, message) = match judge(ep, warning_days) {
                Ok(Judged::Valid(m)) => (Status::Pass, TlsCertValid::META.severity, m),
                Ok(Judged::ExpiresSoon(m)) => (Status::Fail, Severity::Low, m),
                Ok(Judged::Invalid(m)) => (Status::Fail, TlsCertValid::META.severity, m),
                Err(m) => (Status::Error, TlsCertValid::META.severity, m),
            };
            out.push_with_severity(status, severity, ep.subject(), location, message, evidence);
        }
    }
}

enum Judged {
    Valid(String),
    ExpiresSoon(String),
    Invalid(String),
}

fn judge(ep: &Endpoint, warning_days: i64) -> Result<Judged, String> {
    let cert = collected(ep)?;
    let leaf = &cert.chain[0];
    let now = parse_time(&ep.collected_at).ok_or_else(|| {
        format!(
            "{}: collection time {:?} is unreadable",
            ep.url, ep.collected_at
        )
    })?;
    let not_after = parse_time(&leaf.not_after).ok_or_else(|| {
        format!(
            "{}: leaf not-after {:?} is unreadable",
            ep.url, leaf.not_after
        )
    })?;
    let not_before = parse_time(&leaf.not_before).ok_or_else(|| {
        format!(
            "{}: leaf not-before {:?} is unreadable",
            ep.url, leaf.not_before
        )
    })?;

    let mut problems = Vec::new();
    if !cert.verification.chain_verified {
        problems.push(format!(
            "the chain does not verify against {} ({})",
            cert.verification.trust,
            cert.verification.errors.join("; ")
        ));
    }
    if !cert.verification.hostname_match {
        problems.push(format!(
            "the certificate is not valid for {} (SANs: {})",
            ep.host,
            leaf.sans.join(", ")
        ));
    }
    if not_after <= now {
        problems.push(format!("the certificate expired on {}", leaf.not_after));
    }
    if not_before > now {
        problems.push(format!(
            "the certificate is not valid before {}",
            leaf.not_before
        ));
    }
    if let Some(weak) = weak_key(leaf) {
        problems.push(weak);
    }
    for c in cert.chain.iter().filter(|c| c.subject != c.issuer) {
        if c.signature_algorithm.to_ascii_lowercase().contains("sha1") {
            problems.push(format!(
                "{} is signed with {}",
                c.subject, c.signature_algorithm
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(Judged::Invalid(format!(
            "{}: {}",
            ep.url,
            problems.join("; ")
        )));
    }
    let days_left = (not_after - now).whole_days();
    if days_left < warning_days {
        return Ok(Judged::ExpiresSoon(format!(
            "{}: the certificate expires in {days_left} days ({})",
            ep.url, leaf.not_after
        )));
    }
    Ok(Judged::Valid(format!(
        "{}: {} verifies for {}, {} {}-bit key, {}, expires {} ({days_left} days)",
        ep.url,
        leaf.subject,
        ep.host,
        leaf.key_type,
        leaf.key_bits,
        leaf.signature_algorithm,
        leaf.not_after
    )))
}

/// The collected certificate with at least a leaf, or why there is none.
fn collected(ep: &Endpoint) -> Result<&Certificate, String> {
    let cert = ep
        .certificate
        .as_ref()
        .ok_or_else(|| format!("{}: no certificate was collected", ep.url))?;
    if let Some(err) = &cert.error {
        return Err(format!(
            "{}: the certificate could not be fetched: {err}",
            ep.url
        ));
    }
    if cert.chain.is_empty() {
        return Err(format!("{}: the server presented no certificate", ep.url));
    }
    Ok(cert)
}

/// Why the leaf key is too weak, if it is.
fn weak_key(leaf: &CertSummary) -> Option<String> {
    let minimum = match leaf.key_type.as_str() {
        "RSA" | "RSA-PSS" | "DSA" => 2048,
        "EC" => 256,
        "Ed25519" | "Ed448" => return None,
        other => return Some(format!("the key type {other:?} is not recognised")),
    };
    (leaf.key_bits < minimum).then(|| {
        format!(
            "the {} key has {} bits (minimum {minimum})",
            leaf.key_type, leaf.key_bits
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::Verification;

    fn ep(not_after: &str) -> Endpoint {
        Endpoint {
            url: "https://h".to_owned(),
            host: "h".to_owned(),
            collected_at: "2026-01-01T00:00:00Z".to_owned(),
            certificate: Some(Certificate {
                chain: vec![CertSummary {
                    subject: "CN=h".to_owned(),
                    issuer: "CN=ca".to_owned(),
                    not_before: "2025-01-01T00:00:00Z".to_owned(),
                    not_after: not_after.to_owned(),
                    key_type: "EC".to_owned(),
                    key_bits: 256,
                    signature_algorithm: "ecdsa-with-SHA256".to_owned(),
                    ..CertSummary::default()
                }],
                verification: Verification {
                    chain_verified: true,
                    hostname_match: true,
                    ..Verification::default()
                },
                ..Certificate::default()
            }),
            ..Endpoint::default()
        }
    }

    #[test]
    fn judges_dates_keys_and_signatures() {
        assert!(matches!(
            judge(&ep("2027-01-01T00:00:00Z"), 30),
            Ok(Judged::Valid(_))
        ));
        assert!(matches!(
            judge(&ep("2026-01-10T00:00:00Z"), 30),
            Ok(Judged::ExpiresSoon(_))
        ));
        assert!(matches!(
            judge(&ep("2025-12-31T00:00:00Z"), 30),
            Ok(Judged::Invalid(_))
        ));
        let mut weak = ep("2027-01-01T00:00:00Z");
        let leaf = &mut weak.certificate.as_mut().unwrap().chain[0];
        leaf.key_type = "RSA".to_owned();
        leaf.key_bits = 1024;
        assert!(matches!(judge(&weak, 30), Ok(Judged::Invalid(m)) if m.contains("1024")));
        let mut sha1 = ep("2027-01-01T00:00:00Z");
        sha1.certificate.as_mut().unwrap().chain[0].signature_algorithm =
            "sha1WithRSAEncryption".to_owned();
        assert!(matches!(judge(&sha1, 30), Ok(Judged::Invalid(_))));
        let mut none = ep("2027-01-01T00:00:00Z");
        none.certificate = None;
        assert!(judge(&none, 30).is_err());
    }
}
