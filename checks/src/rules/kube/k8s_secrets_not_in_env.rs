use serde_json::json;

use super::{unjudgeable, workloads_read_from};
use crate::facts::kube::{EnvSource, Origin};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};
use crate::rules::workloads;

pub struct K8sSecretsNotInEnv;

impl Rule for K8sSecretsNotInEnv {
    const META: Meta = Meta {
        id: "k8s-secrets-not-in-env",
        title: "Secrets are not written into Kubernetes manifests as environment values",
        severity: Severity::Critical,
        controls: &["SEC-01"],
        source: Source::Kube,
        docs: concat!(
            r#"
## Why
A password or token written as an `env` `value:` lives in the manifest, in git history, in the
API server and in every `kubectl get -o yaml`. Secrets belong in a Secret (better: an external
store) and are best mounted as files rather than environment variables, which leak into crash
dumps and child processes (CIS Kubernetes 5.4.1, 5.4.2).

## What is judged
A literal `value:` fails when the variable's name says it holds a secret (`…PASSWORD`,
`…TOKEN`, `…SECRET`, `…API_KEY`, `…PRIVATE_KEY`, `…ACCESS_KEY`, `…CREDENTIAL`), or when the
value holds a credential whatever the name: the password of a `scheme://user:password@host`
URL (`DATABASE_URL: postgres://app:…@db/app`), of a connection string's `password=` keyword
(JDBC `?user=app&password=…`, libpq `host=db password=…`, ADO.NET `Password=…;`) or a token
the secret detectors recognise (the
same detectors as for Dockerfile `ENV`; placeholders such as `changeme` or `${DB_PASS}` are
not credentials). A `secretKeyRef` is reported as informational (never gates): it is the
accepted pattern, but files are preferred. A secret value is never recorded: the evidence
quotes the variable's name and, for a value holding a credential, the value with the
credential redacted.

"#,
            workloads_read_from!(all),
            r#"
## How to fix
Move the value into a Secret (or an external secret store) and mount it as a file; at least use
`valueFrom.secretKeyRef`.

## Evidence
The variable names, their source, and the manifest line — never the value (a value holding a
credential is quoted with the credential redacted).
"#
        ),
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for w in unjudgeable(cx, out, workloads(cx)) {
            let mut literal = Vec::new();
            let mut referenced = Vec::new();
            for c in &w.containers {
                for e in &c.env {
                    match &e.source {
                        EnvSource::Literal {
                            secret_like: true, ..
                        } => literal.push((c, e)),
                        EnvSource::SecretRef { .. } => referenced.push((c, e)),
                        _ => {}
                    }
                }
            }
            let at = |e: &crate::facts::kube::EnvVar| match w.location_or_uri() {
                Location::File { path, .. } if e.line > 0 => {
                    Location::file_at(path, e.line, e.column)
                }
                other => other,
            };
            let names = |list: &[(_, &crate::facts::kube::EnvVar)]| {
                list.iter().map(|(_, e)| e.name.clone()).collect::<Vec<_>>()
            };
            // A value holding a credential is quoted with the credential redacted.
            let redacted: serde_json::Map<String, serde_json::Value> = (literal.iter())
                .filter_map(|(_, e)| match &e.source {
                    EnvSource::Literal {
                        redacted: Some(r), ..
                    } => Some((e.name.clone(), r.clone().into())),
                    _ => None,
                })
                .collect();
            let quoted: Vec<String> = (literal.iter())
                .map(
                    |(_, e)| match redacted.get(&e.name).and_then(|v| v.as_str()) {
                        Some(r) => format!("{}={r}", e.name),
                        None => e.name.clone(),
                    },
                )
                .collect();
            let mut evidence = json!({ "literal_secret_env": names(&literal), "secret_key_ref_env": names(&referenced) });
            if !redacted.is_empty() {
                evidence["redacted_values"] = redacted.into();
            }
            if let Some((c, e)) = literal.first() {
                out.fail(
                    w.subject(),
                    at(e),
                    format!(
                        "container {} sets {} as a literal value in the {} (value redacted)",
                        c.name,
                        quoted.join(", "),
                        declared_in(w),
                    ),
                    evidence,
                );
            } else if let Some((c, e)) = referenced.first() {
                out.push_with_severity(
                    Status::Fail,
                    Severity::Info,
                    w.subject(),
                    at(e),
                    format!("container {} receives secret(s) {} as environment variables; mounting them as files is preferred", c.name, names(&referenced).join(", ")),
                    evidence,
                );
            } else {
                out.pass(
                    w.subject(),
                    w.location_or_uri(),
                    "no secret values in environment variables",
                    evidence,
                );
            }
        }
    }
}

/// Where a workload's spec was written: a manifest in the repository or the live object.
fn declared_in(w: &crate::facts::kube::Workload) -> &'static str {
    match w.origin {
        Origin::Manifest => "manifest",
        Origin::Live => "live workload spec",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::registry::run_on;

    /// The same workload declared in the repository with a literal secret and running live with
    /// a `secretKeyRef`: one finding, and it keeps the literal secret's critical severity.
    #[test]
    fn a_live_secret_key_ref_does_not_downgrade_a_literal_secret_in_the_manifest() {
        let facts: Facts = serde_json::from_value(json!({
            "repo": {"workloads": [{"namespace": "prod", "kind": "Deployment", "name": "api",
                "location": {"path": "deploy/api.yaml", "line": 2},
                "containers": [{"name": "api", "image": "nginx:1.27", "line": 12,
                    "env": [{"name": "API_TOKEN", "source": {"literal": {"secret_like": true}}, "line": 15}]}]}]},
            "kube": [{"target": "prod", "context": "prod", "workloads": [{"origin": "live",
                "context": "prod", "namespace": "prod", "kind": "Deployment", "name": "api",
                "containers": [{"name": "api", "image": "nginx:1.27",
                    "env": [{"name": "API_TOKEN", "source": {"secret-ref": {"secret": "api", "key": "token"}}}]}]}]}]
        }))
        .unwrap();
        let findings = run_on(&K8sSecretsNotInEnv, &facts);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].status, Status::Fail);
        assert_eq!(findings[0].severity, Severity::Critical, "{findings:?}");
        assert!(
            findings[0].message.contains("literal value"),
            "{findings:?}"
        );
    }
}
