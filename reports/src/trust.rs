//! The trust page: a company's public claims, each bound to checks, to controls, or to controls
//! minus named checks, judged against a report on exactly that binding.
//!
//! A claim is `failing` when any of what it is bound to failed or could not be verified,
//! `verified` when all of it passed, `attested` when all of it passed or is attested by a
//! person, `partly_verified` when some is backed and the rest is not tested, and `unverified`
//! when none is backed. Informational findings never change a claim. `vouch gate` fails on
//! failing claims so a page cannot claim what the infrastructure contradicts; `gate --strict`
//! also flags a claim whose wording names something none of its checks verifies (see
//! [`TERMS`]).

use serde::{Deserialize, Serialize};

use crate::model::Report;
use crate::view::{ControlView, EvidenceRef, Scope};

/// `claims.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsFile {
    /// Page title, e.g. "Acme security".
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub claim: Vec<Claim>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// The claim in the company's own words.
    pub text: String,
    /// Bound to these controls (all their checks, minus `except`)…
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// …or to these checks only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// Checks of `controls` this claim does not rest on (a HSTS claim on APP-01 except the
    /// Referrer-Policy check).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// Optional heading to group claims under ("Tenant isolation").
    #[serde(default)]
    pub section: String,
}

impl ClaimsFile {
    /// Problems serde cannot see, one sentence each naming the claim.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.claim {
            if !seen.insert(c.id.as_str()) {
                problems.push(format!("claim `{}` is defined twice", c.id));
            }
            problems.extend(c.problems());
        }
        problems
    }
}

impl Claim {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id = &self.id;
        match (self.controls.is_empty(), self.checks.is_empty()) {
            (true, true) => problems.push(format!("claim `{id}` is bound to no control or check")),
            (false, false) => problems.push(format!(
                "claim `{id}` is bound to both controls and checks: bind to checks, or to controls with `except`"
            )),
            _ => {}
        }
        if !self.except.is_empty() && self.controls.is_empty() {
            problems.push(format!("claim `{id}` has `except` without `controls`"));
        }
        for control in &self.controls {
            if checks::catalog::catalog().control(control).is_none() {
                problems.push(format!("claim `{id}` names unknown control `{control}`"));
            }
        }
        for check in self.checks.iter().chain(&self.except) {
            if checks::find(check).is_none() {
                problems.push(format!("claim `{id}` names unknown check `{check}`"));
            }
        }
        for check in &self.except {
            let serves = checks::find(check).is_some_and(|k| {
                k.meta()
                    .controls
                    .iter()
                    .any(|c| self.controls.iter().any(|o| o == c))
            });
            if checks::find(check).is_some() && !serves {
                problems.push(format!(
                    "claim `{id}` excepts `{check}`, which serves none of its controls"
                ));
            }
        }
        problems
    }

    /// What the claim is judged on: (control, the checks of it in scope).
    fn binding(&self) -> Vec<(String, Scope<'_>)> {
        if !self.controls.is_empty() {
            let scope = if self.except.is_empty() {
                Scope::All
            } else {
                Scope::Except(&self.except)
            };
            return self.controls.iter().map(|c| (c.clone(), scope)).collect();
        }
        checks::catalog::catalog()
            .controls
            .iter()
            .filter(|c| self.checks.iter().any(|k| serves(k, &c.id)))
            .map(|c| (c.id.clone(), Scope::Only(&self.checks)))
            .collect()
    }

    /// The checks the claim rests on, by the catalog (not by what a report happens to hold).
    pub fn effective_checks(&self) -> Vec<&'static str> {
        checks::ALL
            .iter()
            .map(|k| k.meta().id)
            .filter(|id| {
                if self.controls.is_empty() {
                    self.checks.iter().any(|c| c == id)
                } else {
                    self.controls.iter().any(|c| serves(id, c))
                        && !self.except.iter().any(|c| c == id)
                }
            })
            .collect()
    }

    /// Terms of the claim's wording (from [`TERMS`]) that none of its checks verifies.
    pub fn unbacked_terms(&self) -> Vec<&'static Term> {
        let text = self.text.to_lowercase();
        let backing = self.effective_checks();
        TERMS
            .iter()
            .filter(|t| t.words.iter().any(|w| mentions(&text, w)))
            .filter(|t| !t.checks.iter().any(|c| backing.contains(c)))
            .collect()
    }
}

fn serves(check: &str, control: &str) -> bool {
    checks::find(check).is_some_and(|k| k.meta().controls.contains(&control))
}

/// `word` occurs in `text` (both lower case) not as part of a longer word.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A topic a claim's wording can name, and the checks that verify it.
#[derive(Debug)]
pub struct Term {
    /// What the report calls it.
    pub topic: &'static str,
    /// Lower-case words or phrases that name it (matched as whole words; a trailing stem such
    /// as `encrypt` is listed in its inflected forms).
    pub words: &'static [&'static str],
    /// Any one of these checks verifies it.
    pub checks: &'static [&'static str],
}

/// The keyword ↔ check-topic table `vouch gate --strict` uses: a claim naming a topic must rest
/// on at least one of the topic's checks. Deliberately small and literal (documented in
/// docs/guide/questionnaires.md): it catches a claim bound to the wrong control, not every paraphrase.
pub static TERMS: &[Term] = &[
    Term {
        topic: "HSTS",
        words: &[
            "hsts",
            "strict-transport-security",
            "strict transport security",
        ],
        checks: &["http-hsts"],
    },
    Term {
        topic: "HTTP to HTTPS redirect",
        words: &["redirect", "redirected", "redirects"],
        checks: &["http-https-redirect"],
    },
    Term {
        topic: "TLS",
        words: &["tls", "ssl"],
        checks: &[
            "tls-min-version",
            "tls-weak-ciphers",
            "tls-cert-valid",
            "pg-ssl-enforced",
            "rds-force-ssl",
            "s3-secure-transport",
        ],
    },
    Term {
        topic: "certificates",
        words: &["certificate", "certificates"],
        checks: &["tls-cert-valid"],
    },
    Term {
        topic: "browser security headers",
        words: &[
            "content-security-policy",
            "csp",
            "referrer-policy",
            "referrer policy",
            "x-frame-options",
            "clickjacking",
        ],
        checks: &["http-security-headers"],
    },
    Term {
        topic: "cookies",
        words: &["cookie", "cookies"],
        checks: &["http-cookies-secure"],
    },
    Term {
        topic: "row-level security",
        words: &["row-level security", "row level security", "rls"],
        checks: &[
            "pg-rls-enabled",
            "pg-rls-forced",
            "pg-rls-policy",
            "pg-rls-policy-tenant",
            "pg-role-no-bypass",
        ],
    },
    Term {
        topic: "append-only audit log",
        words: &["append-only", "append only", "immutable audit"],
        checks: &["pg-audit-append-only"],
    },
    Term {
        topic: "hash-chained audit log",
        words: &[
            "hash-chained",
            "hash chained",
            "hash chain",
            "tamper-evident",
        ],
        checks: &["pg-audit-hash-chained", "pg-audit-chain-valid"],
    },
    Term {
        topic: "least-privilege database role",
        words: &["least-privilege", "least privilege", "superuser"],
        checks: &["pg-role-no-bypass", "pg-role-no-ddl", "pg-role-not-owner"],
    },
    Term {
        topic: "SBOM",
        words: &["sbom", "sboms", "software bill of materials"],
        checks: &["sbom-present", "sbom-valid", "image-sbom-attested"],
    },
    Term {
        topic: "signed images",
        words: &["signed", "signature", "signatures", "cosign", "sigstore"],
        checks: &["image-signed"],
    },
    Term {
        topic: "pinning",
        words: &["pinned", "pin", "pins", "pinning"],
        checks: &[
            "gha-action-pinned",
            "gha-image-pinned",
            "docker-base-pinned",
            "image-digest-pinned",
            "lockfile-present",
            "lockfile-in-sync",
            "lockfile-frozen-install",
        ],
    },
    Term {
        topic: "lockfiles",
        words: &["lockfile", "lockfiles", "lock file", "lock files"],
        checks: &[
            "lockfile-present",
            "lockfile-in-sync",
            "lockfile-frozen-install",
        ],
    },
    Term {
        topic: "vulnerability scanning",
        words: &["vulnerability", "vulnerabilities", "cve", "cves"],
        checks: &["ci-vuln-scan"],
    },
    Term {
        topic: "dependency updates",
        words: &["dependabot", "renovate"],
        checks: &["dep-update-config"],
    },
    Term {
        topic: "encryption at rest",
        words: &["encrypted", "encryption", "encrypts"],
        checks: &[
            "rds-storage-encrypted",
            "rds-snapshot-encrypted",
            "s3-default-encryption",
        ],
    },
    Term {
        topic: "backups",
        words: &["backup", "backups", "point-in-time", "pitr"],
        checks: &["rds-backup-retention"],
    },
    Term {
        topic: "non-root containers",
        words: &["non-root", "nonroot", "root"],
        checks: &["docker-non-root", "k8s-run-as-non-root"],
    },
    Term {
        topic: "privileged containers",
        words: &["privileged", "unprivileged"],
        checks: &["k8s-no-privileged"],
    },
    Term {
        topic: "secrets",
        words: &["secret", "secrets", "credentials"],
        checks: &[
            "secrets-committed",
            "docker-no-secrets",
            "k8s-secrets-not-in-env",
        ],
    },
    Term {
        topic: "SCRAM passwords",
        words: &["scram", "scram-sha-256"],
        checks: &["pg-password-scram"],
    },
    Term {
        topic: "security.txt",
        words: &["security.txt"],
        checks: &["security-txt"],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Verified,
    Attested,
    PartlyVerified,
    Unverified,
    Failing,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub id: String,
    pub text: String,
    pub section: String,
    pub state: ClaimState,
    pub controls: Vec<ControlView>,
    /// Topics the wording names that none of the claim's checks verifies (`gate --strict`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unbacked_terms: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClaimCounts {
    pub verified: usize,
    pub attested: usize,
    pub partly_verified: usize,
    pub unverified: usize,
    pub failing: usize,
}

/// Everything the trust templates see.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct TrustPage {
    pub title: String,
    pub company: String,
    pub generated_at: String,
    pub tool_version: String,
    pub evidence: EvidenceRef,
    pub counts: ClaimCounts,
    pub claims: Vec<ClaimResult>,
    /// What the evidence is about (organisation, system, repository, commit, branch, dirty
    /// flag, live targets), copied from the report so the page says what was scanned.
    pub provenance: Option<crate::Provenance>,
    /// What the scan covered and what it left out (excluded paths and why).
    pub scope: crate::Scope,
}

pub fn evaluate(claims: &ClaimsFile, report: &Report, evidence: EvidenceRef) -> TrustPage {
    let results: Vec<ClaimResult> = claims.claim.iter().map(|c| judge(c, report)).collect();
    let mut counts = ClaimCounts::default();
    for r in &results {
        *match r.state {
            ClaimState::Verified => &mut counts.verified,
            ClaimState::Attested => &mut counts.attested,
            ClaimState::PartlyVerified => &mut counts.partly_verified,
            ClaimState::Unverified => &mut counts.unverified,
            ClaimState::Failing => &mut counts.failing,
        } += 1;
    }
    TrustPage {
        title: if claims.title.is_empty() {
            "Security".to_owned()
        } else {
            claims.title.clone()
        },
        company: claims.company.clone(),
        generated_at: report.generated_at.clone(),
        tool_version: report.tool.version.clone(),
        evidence,
        counts,
        claims: results,
        provenance: report.provenance.clone(),
        scope: report.scope.clone(),
    }
}

fn judge(claim: &Claim, report: &Report) -> ClaimResult {
    let binding = claim.binding();
    let controls: Vec<ControlView> = binding
        .iter()
        .filter_map(|(id, scope)| ControlView::scoped(id, report, *scope))
        .collect();
    // A control the report does not carry (an older report) backs nothing: `backed` is
    // compared with the claim's own binding, so it can never read as verified.
    let backed = controls.iter().filter(|v| v.holds()).count();
    let state = if controls.is_empty() {
        ClaimState::Unverified
    } else if controls.iter().any(ControlView::contradicted) {
        ClaimState::Failing
    } else if backed == binding.len() {
        if controls
            .iter()
            .all(|v| v.status == crate::ControlStatus::Pass)
        {
            ClaimState::Verified
        } else {
            ClaimState::Attested
        }
    } else if backed > 0 {
        ClaimState::PartlyVerified
    } else {
        ClaimState::Unverified
    };
    ClaimResult {
        id: claim.id.clone(),
        text: claim.text.clone(),
        section: claim.section.clone(),
        state,
        controls,
        unbacked_terms: claim
            .unbacked_terms()
            .iter()
            .map(|t| t.topic.to_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use checks::{Finding, Location, Severity, Status};

    use super::*;
    use crate::testing::report_of;

    fn finding(check: &str, status: Status, severity: Severity, subject: &str) -> Finding {
        let location = Location::resource(format!("https://{subject}/"));
        crate::testing::finding(check, status, severity, subject, location)
    }

    /// HSTS is right, the Referrer-Policy header (same control, APP-01) is missing, and a
    /// secretKeyRef note sits beside a clean repository in SEC-01.
    fn report() -> Report {
        report_of(
            vec![
                finding(
                    "http-hsts",
                    Status::Pass,
                    Severity::Medium,
                    "app.example.com:443",
                ),
                finding(
                    "http-security-headers",
                    Status::Fail,
                    Severity::Medium,
                    "app.example.com:443",
                ),
                finding("secrets-committed", Status::Pass, Severity::Critical, "."),
                finding(
                    "k8s-secrets-not-in-env",
                    Status::Fail,
                    Severity::Info,
                    "prod/Deployment/api",
                ),
            ],
            "0",
            "2026-01-01",
        )
    }

    fn claim(text: &str, controls: &[&str], checks: &[&str], except: &[&str]) -> Claim {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        Claim {
            id: "c".into(),
            text: text.into(),
            controls: owned(controls),
            checks: owned(checks),
            except: owned(except),
            section: String::new(),
        }
    }

    fn state(c: &Claim) -> ClaimState {
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        judge(c, &report()).state
    }

    #[test]
    fn a_claim_is_judged_on_exactly_the_checks_it_is_bound_to() {
        let hsts = "HSTS on every response.";
        assert_eq!(
            state(&claim(hsts, &[], &["http-hsts"], &[])),
            ClaimState::Verified
        );
        assert_eq!(
            state(&claim(hsts, &["APP-01"], &[], &["http-security-headers"])),
            ClaimState::Verified
        );
        // Bound to the whole control, the missing Referrer-Policy contradicts it.
        assert_eq!(
            state(&claim(hsts, &["APP-01"], &[], &[])),
            ClaimState::Failing
        );
        assert_eq!(
            state(&claim(
                "Browser headers are set.",
                &[],
                &["http-security-headers"],
                &[]
            )),
            ClaimState::Failing
        );
    }

    #[test]
    fn an_info_finding_changes_no_claim() {
        let c = claim(
            "No secret is committed or written into manifests.",
            &["SEC-01"],
            &[],
            &[],
        );
        assert_eq!(state(&c), ClaimState::Verified);
        let bound = claim(
            "Secrets are never in manifests.",
            &[],
            &["k8s-secrets-not-in-env"],
            &[],
        );
        assert_eq!(
            state(&bound),
            ClaimState::Unverified,
            "a note proves nothing either"
        );
    }

    #[test]
    fn strict_terms_name_what_no_bound_check_verifies() {
        let wrong = claim("TLS 1.2 only, with HSTS.", &["TLS-01"], &[], &[]);
        let terms: Vec<&str> = wrong.unbacked_terms().iter().map(|t| t.topic).collect();
        assert_eq!(terms, ["HSTS"]);
        let right = claim("TLS 1.2 only, with HSTS.", &["TLS-01", "APP-01"], &[], &[]);
        assert!(right.unbacked_terms().is_empty());
        let excepted = claim("HSTS everywhere.", &["APP-01"], &[], &["http-hsts"]);
        assert_eq!(excepted.unbacked_terms().len(), 1);
        // Whole words only: "designed" does not name signatures.
        let designed = claim("Designed for isolation.", &["TEN-01"], &[], &[]);
        assert!(designed.unbacked_terms().is_empty());
    }

    #[test]
    fn every_term_names_existing_checks() {
        for t in TERMS {
            for c in t.checks {
                assert!(checks::find(c).is_some(), "{}: unknown check {c}", t.topic);
            }
        }
    }

    #[test]
    fn binding_problems_are_named() {
        let both = claim("x", &["APP-01"], &["http-hsts"], &[]);
        assert!(both.problems()[0].contains("both controls and checks"));
        let none = claim("x", &[], &[], &[]);
        assert!(none.problems()[0].contains("no control or check"));
        let stray = claim("x", &["TLS-01"], &[], &["http-hsts"]);
        assert!(stray.problems()[0].contains("serves none of its controls"));
        let unknown = claim("x", &[], &["no-such-check"], &[]);
        assert!(unknown.problems()[0].contains("unknown check `no-such-check`"));
    }
}
