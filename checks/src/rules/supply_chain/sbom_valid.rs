use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::facts::repo::{FileKind, RepoFacts, Sbom, SbomFormat};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::parse::lockfile::is_opaque;
use crate::rules::unreadable_files;

pub struct SbomValid;

impl Rule for SbomValid {
    const META: Meta = Meta {
        id: "sbom-valid",
        title: "Committed SBOMs are valid CycloneDX or SPDX documents",
        severity: Severity::Medium,
        controls: &["SUP-02"],
        source: Source::Repo,
        docs: r#"
## Why
An SBOM that does not follow its specification is rejected by the tools that consume it
(Dependency-Track, GUAC, vulnerability scanners, customers' procurement portals), so it proves
nothing. The share of the lockfiles' packages it lists shows whether it describes what is
actually built.

## What is judged
Each committed SBOM (subject: its path): a JSON file that declares itself one, by
`bomFormat: "CycloneDX"` or by `spdxVersion`; other JSON (a hardware parts list called `bom.json`)
is not an SBOM and raises nothing. CycloneDX 1.2 to 1.7 and SPDX 2.2/2.3 are validated against the
official JSON schemas, vendored in the repository (`checks/schemas/`, with their licences) and
resolved offline, formats (`date-time`, `uri`, `email`…) included; a component `purl` must be a
package URL. SPDX documents must also carry `dataLicense: CC0-1.0`, `SPDXID: SPDXRef-DOCUMENT`
and a `documentNamespace` URI. A spec version no vendored schema covers cannot be validated and
is reported as `error`. Coverage of the lockfiles is reported in evidence and not judged: names
are compared after lower-casing and treating `_` and `.` as `-`, so versions and same-named
packages of different ecosystems are not told apart.

## How to fix
Regenerate the SBOM with a maintained generator (`syft`, `cyclonedx-npm`, `cargo cyclonedx`,
`cyclonedx-py`) instead of editing it by hand, and check it in CI with
`cyclonedx validate --input-file …` or the SPDX tools.

## Evidence
The format and spec version, the number of components, each validation problem (the first 20, each cut
to 240 characters), and per lockfile how many of its packages the SBOM lists.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Sbom], out);
        let Some(repo) = &cx.facts.repo else { return };
        for sbom in &repo.sboms {
            let format = match sbom.format {
                SbomFormat::CycloneDx => "CycloneDX",
                SbomFormat::Spdx => "SPDX",
            };
            let evidence = json!({
                "sbom": sbom.path,
                "format": format,
                "spec_version": sbom.spec_version,
                "components": sbom.components.len(),
                "problems": sbom.problems,
                "lockfile_coverage": coverage(repo, sbom),
            });
            let here = Location::file(sbom.path.clone(), 0);
            let label = match sbom.spec_version.trim_start_matches("SPDX-") {
                "" => format.to_owned(),
                version => format!("{format} {version}"),
            };
            if sbom.problems.is_empty() {
                out.pass(
                    sbom.path.clone(),
                    here,
                    format!("valid {label} with {} components", sbom.components.len()),
                    evidence,
                );
            } else {
                out.fail(
                    sbom.path.clone(),
                    here,
                    format!("invalid {label}: {}", sbom.problems.join("; ")),
                    evidence,
                );
            }
        }
    }
}

/// Lenient name key for comparing SBOM components with lockfile packages across tools.
fn key(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Per readable lockfile: how many of its packages the SBOM lists, and the share.
fn coverage(repo: &RepoFacts, sbom: &Sbom) -> Vec<Value> {
    let listed: BTreeSet<String> = sbom.components.iter().map(|c| key(c)).collect();
    repo.lockfiles
        .iter()
        .filter(|l| !is_opaque(&l.path) && !l.packages.is_empty())
        .map(|l| {
            let covered = l
                .packages
                .iter()
                .filter(|p| listed.contains(&key(p)))
                .count();
            let per_mille = covered * 1000 / l.packages.len();
            json!({
                "lockfile": l.path,
                "packages": l.packages.len(),
                "covered": covered,
                "share_percent": format!("{}.{}", per_mille / 10, per_mille % 10),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::facts::repo::{Ecosystem, Lockfile};
    use crate::model::Status;
    use crate::registry::run_on;

    #[test]
    fn reports_problems_and_coverage() {
        let repo = RepoFacts {
            sboms: vec![
                Sbom {
                    path: "sbom/web.cdx.json".to_owned(),
                    components: vec!["React".to_owned(), "lodash".to_owned()],
                    ..Sbom::default()
                },
                Sbom {
                    path: "bad.spdx.json".to_owned(),
                    format: SbomFormat::Spdx,
                    problems: vec!["name: missing".to_owned()],
                    ..Sbom::default()
                },
            ],
            lockfiles: vec![Lockfile {
                path: "web/package-lock.json".to_owned(),
                ecosystem: Ecosystem::Npm,
                packages: vec![
                    "left-pad".to_owned(),
                    "react".to_owned(),
                    "lodash".to_owned(),
                ],
                members: Vec::new(),
            }],
            ..RepoFacts::default()
        };
        let facts = Facts {
            repo: Some(repo),
            ..Facts::default()
        };
        let f = run_on(&SbomValid, &facts);
        assert_eq!(f[0].subject, "bad.spdx.json");
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[1].status, Status::Pass);
        let cov = &f[1].evidence["lockfile_coverage"][0];
        assert_eq!(cov["covered"], 2);
        assert_eq!(cov["share_percent"], "66.6");
    }
}
