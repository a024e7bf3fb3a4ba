use serde_json::{Value, json};

use super::aws_shared::{bucket_read, buckets, evidence};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct S3SecureTransport;

impl Rule for S3SecureTransport {
    const META: Meta = Meta {
        id: "s3-secure-transport",
        title: "S3 bucket policies deny requests without TLS",
        severity: Severity::Medium,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
S3 still answers plain-HTTP requests. Only a bucket policy statement that denies requests with
`aws:SecureTransport = false` guarantees that no client, SDK default or misconfigured proxy
moves the bucket's data in clear.

## What is judged
The bucket policy must contain a statement with `Effect: Deny`, any principal (`*`), the
actions `s3:*` (or `*`), and a `Bool` (or `BoolIfExists`) condition `aws:SecureTransport`
equal to `false`. A bucket without a policy (`NoSuchBucketPolicy`) fails.

## How to fix
Add to the bucket policy:
`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
"Resource":["arn:aws:s3:::B","arn:aws:s3:::B/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`.

## Evidence
The policy document (or the "no policy" code) and the call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, bucket) in buckets(cx, out) {
            let Some(read) = bucket_read(bucket, "the bucket policy", &bucket.policy, out) else {
                continue;
            };
            let loc = Location::arn(bucket.arn.clone());
            let ev = evidence(
                json!({ "bucket": bucket.name, "policy": &bucket.policy }),
                None,
            );
            match read {
                Err(code) => out.fail(
                    bucket.name.clone(),
                    loc,
                    format!(
                        "the bucket has no policy ({code}), so plain-HTTP requests are not denied"
                    ),
                    ev,
                ),
                Ok(policy) => match denying_statement(policy) {
                    Some(sid) => out.pass(
                        bucket.name.clone(),
                        loc,
                        format!("statement {sid} denies every request made without TLS"),
                        ev,
                    ),
                    None => out.fail(
                        bucket.name.clone(),
                        loc,
                        "no policy statement denies requests with aws:SecureTransport = false",
                        ev,
                    ),
                },
            }
        }
    }
}

/// The Sid (or index) of a statement that denies all S3 actions to everyone without TLS.
fn denying_statement(policy: &Value) -> Option<String> {
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.iter().collect::<Vec<_>>(),
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    };
    statements.iter().enumerate().find_map(|(i, s)| {
        let denies = s["Effect"] == "Deny"
            && any_principal(&s["Principal"])
            && all_actions(&s["Action"])
            && insecure_condition(&s["Condition"]);
        denies.then(|| {
            s["Sid"]
                .as_str()
                .map_or_else(|| format!("#{}", i + 1), |sid| format!("`{sid}`"))
        })
    })
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn any_principal(p: &Value) -> bool {
    p == "*" || strings(&p["AWS"]).contains(&"*")
}

fn all_actions(a: &Value) -> bool {
    strings(a)
        .iter()
        .any(|x| *x == "*" || x.eq_ignore_ascii_case("s3:*"))
}

fn insecure_condition(c: &Value) -> bool {
    ["Bool", "BoolIfExists"].iter().any(|op| {
        let v = &c[*op]["aws:SecureTransport"];
        v == false || strings(v).iter().any(|s| s.eq_ignore_ascii_case("false"))
    })
}

#[cfg(test)]
mod tests {
    use super::denying_statement;
    use serde_json::json;

    #[test]
    fn finds_the_deny_statement() {
        let ok = json!({"Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]});
        assert_eq!(denying_statement(&ok).as_deref(), Some("`TLS`"));
        let allow = json!({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]});
        assert!(denying_statement(&allow).is_none());
        let narrow = json!({"Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":["s3:GetObject"],"Condition":{"Bool":{"aws:SecureTransport":false}}}});
        assert!(denying_statement(&narrow).is_none());
    }
}
