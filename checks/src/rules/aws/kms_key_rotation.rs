use serde_json::json;

use super::aws_infra_shared::judge_listed;
use crate::facts::aws::Read;
use crate::facts::aws_infra::Key;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct KmsKeyRotation;

impl Rule for KmsKeyRotation {
    const META: Meta = Meta {
        id: "kms-key-rotation",
        title: "Customer-managed KMS keys rotate automatically",
        severity: Severity::Medium,
        controls: &["KEY-01"],
        source: Source::Aws,
        docs: r#"
## Why
"Key rotation runs on a managed schedule" holds only for keys KMS rotates itself: automatic
rotation replaces the key material every year (or the configured period) while old ciphertext
stays readable. A key that never rotates makes a leaked or cryptanalysed key a permanent one.

## What is judged
Every KMS key of every audited region that is customer-managed, enabled and symmetric
(`SYMMETRIC_DEFAULT`); AWS-managed keys rotate on their own, and disabled keys, keys pending
deletion, asymmetric and HMAC keys are not judged. A key whose material KMS did not generate
(`Origin` `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`) cannot rotate automatically and
fails. Otherwise `GetKeyRotationStatus` `KeyRotationEnabled` must be true. A key that could not
be described, or whose rotation status could not be read, is an `error`.

## How to fix
`aws kms enable-key-rotation --key-id KEY` (optionally `--rotation-period-in-days`); for
imported key material, rotate manually by creating a new key and moving the alias.

## Evidence
The key's manager, spec, state and origin, and the rotation status and period, with the
request ids of `ListKeys`, `DescribeKey` and `GetKeyRotationStatus`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_listed(cx, out, "kms", "KMS keys", |r| &r.kms_keys, judge);
    }
}

fn judge(key: &Key, out: &mut Findings) {
    let id = key.id.clone();
    let at = Location::arn(key.arn.clone());
    let ev = json!({ "key_id": key.id, "metadata": key.metadata, "rotation": key.rotation,
                     "call": key.call });
    let meta = match &key.metadata {
        Read::Value { value, .. } => value,
        Read::Error { message: why, .. } | Read::Absent { code: why, .. } => {
            return out.error(id, at, format!("the key could not be described: {why}"), ev);
        }
        Read::NotRead => return out.error(id, at, "the key was not described", ev),
    };
    let in_scope =
        meta.manager == "CUSTOMER" && meta.state == "Enabled" && meta.spec == "SYMMETRIC_DEFAULT";
    if !in_scope {
        return;
    }
    if meta.origin != "AWS_KMS" {
        return out.fail(
            id,
            at,
            format!(
                "key material comes from {} and cannot rotate automatically",
                meta.origin
            ),
            ev,
        );
    }
    match &key.rotation {
        Read::Value { value, .. } if value.enabled => out.pass(
            id,
            at,
            format!(
                "automatic rotation is on (every {} days)",
                value.period_days.unwrap_or(365)
            ),
            ev,
        ),
        Read::Value { .. } => out.fail(
            id,
            at,
            "automatic rotation is off: the key material never changes",
            ev,
        ),
        Read::Error { message: why, .. } | Read::Absent { code: why, .. } => out.error(
            id,
            at,
            format!("the rotation status could not be read: {why}"),
            ev,
        ),
        Read::NotRead => out.error(id, at, "the rotation status was not read", ev),
    }
}
