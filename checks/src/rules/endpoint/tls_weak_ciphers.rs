use serde_json::json;

use super::endpoint_support::{Verdict, report_unreachable};
use crate::facts::endpoint::{Endpoint, Probe};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct TlsWeakCiphers;

/// The class whose acceptance is reported but does not fail.
const NO_FORWARD_SECRECY: &str = "no-forward-secrecy";
/// The classes a pass claims are refused: each must have been offered and refused.
const MUST_BE_REFUSED: [&str; 2] = ["NULL", "anonymous"];

impl Rule for TlsWeakCiphers {
    const META: Meta = Meta {
        id: "tls-weak-ciphers",
        title: "Endpoints accept no NULL, anonymous, EXPORT, RC4 or 3DES cipher suites",
        severity: Severity::High,
        controls: &["TLS-01"],
        source: Source::Endpoint,
        docs: r#"
## Why
NULL suites do not encrypt; anonymous suites do not authenticate the server, so anyone in the
path can impersonate it; EXPORT suites are breakable in hours (FREAK, Logjam); RC4 has biases
that leak plaintext; 3DES has 64-bit blocks (Sweet32). Suites with a static RSA key exchange
have no forward secrecy: whoever obtains the server key later can decrypt recorded traffic.

## What is judged
On TLS 1.2, vouch makes one handshake per class, offering only that class's suites: `NULL`
(eNULL), `anonymous` (aNULL), `EXPORT`, `RC4`, `3DES` and `no-forward-secrecy` (kRSA). Any of the
first five accepted fails. Accepted suites without forward secrecy are reported in the message
and evidence but do not fail. A class this client cannot offer (Debian's OpenSSL 3 has no RC4,
3DES or EXPORT suites even at security level 0) is reported as untested; a probe that failed on
the network is an `error`. A pass needs the `NULL` and `anonymous` classes offered and refused:
if either could not be offered, their refusal is unproven and the result is `error`.

## How to fix
Use a modern suite list, e.g. nginx `ssl_ciphers
ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;`
(Mozilla "intermediate"), or a cloud load balancer's TLS 1.2+ policy.

## Evidence
Each class probed: the OpenSSL cipher string offered, the outcome, and the negotiated suite.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for ep in &cx.facts.endpoints {
            let location = Location::tls(&ep.subject());
            if report_unreachable(ep, &location, out) {
                continue;
            }
            let evidence = json!({ "url": ep.url, "cipher_classes": ep.cipher_classes });
            let subject = ep.subject();
            judge(ep).record(out, subject, location, evidence);
        }
    }
}

fn judge(ep: &Endpoint) -> Verdict {
    if ep.cipher_classes.is_empty() {
        return Verdict::Error(format!("{}: no cipher suite probe was made", ep.url));
    }
    let mut weak = Vec::new();
    let mut failed = Vec::new();
    let mut untested = Vec::new();
    let mut no_fs = None;
    for c in &ep.cipher_classes {
        match &c.result {
            Probe::Accepted { cipher, .. } if c.class == NO_FORWARD_SECRECY => {
                no_fs = Some(cipher.clone());
            }
            Probe::Accepted { cipher, .. } => weak.push(format!("{} ({cipher})", c.class)),
            Probe::Refused { .. } => {}
            Probe::Untestable { .. } => untested.push(c.class.clone()),
            Probe::Error { cause } => failed.push(format!("{}: {cause}", c.class)),
        }
    }
    if !weak.is_empty() {
        return Verdict::Fail(format!(
            "{} accepts weak TLS 1.2 suites: {}",
            ep.url,
            weak.join(", ")
        ));
    }
    if !failed.is_empty() {
        return Verdict::Error(format!(
            "{}: cipher suite probes failed ({})",
            ep.url,
            failed.join("; ")
        ));
    }
    let unproven: Vec<&str> = MUST_BE_REFUSED
        .into_iter()
        .filter(|class| {
            !ep.cipher_classes
                .iter()
                .any(|c| c.class == *class && matches!(c.result, Probe::Refused { .. }))
        })
        .collect();
    if !unproven.is_empty() {
        return Verdict::Error(format!(
            "{}: refusal of {} suites is unproven (not probed, or not offerable by this client)",
            ep.url,
            unproven.join(" and ")
        ));
    }
    let mut message = format!("{} accepts no NULL or anonymous suite", ep.url);
    if !untested.is_empty() {
        let note = format!(" (not offerable by this client: {})", untested.join(", "));
        message.push_str(&note);
    }
    if let Some(cipher) = no_fs {
        let note = format!("; note: accepts suites without forward secrecy, e.g. {cipher}");
        message.push_str(&note);
    }
    Verdict::Pass(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::endpoint::CipherClassProbe;

    fn class(name: &str, result: Probe) -> CipherClassProbe {
        CipherClassProbe {
            class: name.to_owned(),
            offered: String::new(),
            result,
        }
    }

    fn accepted() -> Probe {
        Probe::Accepted {
            version: "TLSv1.2".to_owned(),
            cipher: "NULL-SHA256".to_owned(),
        }
    }

    fn refused() -> Probe {
        Probe::Refused {
            reason: "handshake failure".to_owned(),
        }
    }

    #[test]
    fn weak_fails_no_fs_is_reported_errors_fail_closed() {
        let mut ep = Endpoint {
            url: "https://h".to_owned(),
            cipher_classes: vec![
                class("NULL", refused()),
                class(NO_FORWARD_SECRECY, accepted()),
            ],
            ..Endpoint::default()
        };
        // Anonymous suites never offered: their refusal is unproven, so no pass.
        assert!(matches!(judge(&ep), Verdict::Error(m) if m.contains("anonymous")));
        let untestable = Probe::Untestable {
            reason: "not offerable".to_owned(),
        };
        ep.cipher_classes.push(class("anonymous", untestable));
        assert!(matches!(judge(&ep), Verdict::Error(m) if m.contains("anonymous")));
        ep.cipher_classes.pop();
        ep.cipher_classes.push(class("anonymous", refused()));
        assert!(matches!(judge(&ep), Verdict::Pass(m) if m.contains("forward secrecy")));
        ep.cipher_classes.pop();
        ep.cipher_classes.push(class("anonymous", accepted()));
        assert!(matches!(judge(&ep), Verdict::Fail(_)));
        ep.cipher_classes.pop();
        ep.cipher_classes.push(class(
            "RC4",
            Probe::Error {
                cause: "timeout".to_owned(),
            },
        ));
        assert!(matches!(judge(&ep), Verdict::Error(_)));
        ep.cipher_classes.clear();
        assert!(matches!(judge(&ep), Verdict::Error(_)));
    }
}
