use serde_json::json;

use super::aws_edge_shared::ecr_repositories;
use crate::facts::aws::Read;
use crate::facts::aws_edge::{RegistryScanning, Repository};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct EcrScanOnPush;

impl Rule for EcrScanOnPush {
    const META: Meta = Meta {
        id: "ecr-scan-on-push",
        title: "ECR scans every pushed image for vulnerabilities",
        severity: Severity::Medium,
        controls: &["VUL-01"],
        source: Source::Aws,
        docs: r#"
## Why
"Image vulnerability scanning runs on every build" holds for an ECR repository only if the
registry scans new images automatically. Which setting counts depends on the registry's
scanning type, and the repository flag is silently ignored under enhanced scanning.

## What is judged
Per repository, with the region's registry scanning configuration
(`ecr:GetRegistryScanningConfiguration`):
- `ENHANCED` (Amazon Inspector): a registry rule with frequency `SCAN_ON_PUSH` or
  `CONTINUOUS_SCAN` whose filter matches the repository name; the repository's own
  `scanOnPush` is ignored, as AWS ignores it;
- `BASIC`: the repository's `scanOnPush`, or a basic registry rule `SCAN_ON_PUSH` whose filter
  matches the repository.
A registry configuration that could not be read is an `error` for every repository of the
region, since the repository flag alone does not decide.

## How to fix
`aws ecr put-image-scanning-configuration --repository-name R --image-scanning-configuration
scanOnPush=true`, or a registry rule: `aws ecr put-registry-scanning-configuration --scan-type
ENHANCED --rules '[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]'`.

## Evidence
The repository, its `scanOnPush`, the registry's scanning type and rules, and the calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (repo, region) in ecr_repositories(cx, out) {
            judge(repo, &region.registry_scanning, out);
        }
    }
}

fn judge(repo: &Repository, registry: &Read<RegistryScanning>, out: &mut Findings) {
    let at = Location::arn(repo.arn.clone());
    let registry_value = match registry {
        Read::Value { value, .. } => value,
        Read::Error { message, .. } => {
            return out.error(
                repo.name.clone(),
                at,
                format!("repository {}: the registry scanning configuration could not be read: {message}", repo.name),
                json!({ "repository": repo, "registry_scanning": registry }),
            );
        }
        Read::Absent { .. } | Read::NotRead => {
            return out.error(
                repo.name.clone(),
                at,
                format!(
                    "repository {}: the registry scanning configuration was not read",
                    repo.name
                ),
                json!({ "repository": repo, "registry_scanning": registry }),
            );
        }
    };
    let rule = registry_value
        .rules
        .iter()
        .find(|r| r.scans_on_push(&repo.name));
    let enhanced = registry_value.scan_type == "ENHANCED";
    let evidence = json!({ "repository": repo, "registry_scanning": registry });
    let verdict = match (enhanced, rule, repo.scan_on_push) {
        (_, Some(r), _) => Ok(format!(
            "the registry ({} scanning) has a {} rule matching it",
            registry_value.scan_type, r.frequency
        )),
        (false, None, true) => Ok("scanOnPush is on (basic scanning)".to_owned()),
        (true, None, flag) => Err(format!(
            "enhanced scanning is on but no registry rule matches it{}",
            if flag {
                " (its scanOnPush flag is ignored under enhanced scanning)"
            } else {
                ""
            }
        )),
        (false, None, false) => Err("scanOnPush is off and no registry rule matches it".to_owned()),
    };
    match verdict {
        Ok(m) => out.pass(
            repo.name.clone(),
            at,
            format!("repository {}: {m}", repo.name),
            evidence,
        ),
        Err(m) => out.fail(
            repo.name.clone(),
            at,
            format!("repository {}: {m}", repo.name),
            evidence,
        ),
    }
}
