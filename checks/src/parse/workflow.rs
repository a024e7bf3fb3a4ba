//! GitHub Actions workflows (`.github/workflows/*.yml`) and composite actions (`action.yml`).

use serde_norway::Value;

use super::LineIndex;
use super::positions::{At, Pos, Positions, Walk};
use crate::facts::repo::{ActionInputs, Condition, Guarded, Located, Workflow, WorkflowKind};
use crate::redact::ParseError;

/// Where a value was read: its key's position from the positional parser, else (when that
/// parser rejected the file) the line the text search finds, without a column.
struct Where<'a> {
    lines: LineIndex<'a>,
}

impl Where<'_> {
    fn of(&mut self, at: Option<At<'_>>, key: &str, value: &str) -> Pos {
        // Always advanced, so the fallback keeps its document order.
        let line = self.lines.next(key, value);
        match at {
            Some(at) => at.pos(),
            None => Pos { line, column: 0 },
        }
    }
}

pub fn parse(path: &str, text: &str) -> Result<Workflow, String> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| ParseError::yaml(&e).to_string())?;
    let Value::Mapping(root) = &doc else {
        return Err("not a YAML mapping at the top level".to_owned());
    };
    let positions = Positions::parse(text);
    let at = positions.as_ref().and_then(|p| p.doc(0));
    // The file name, not a suffix (`release-action.yml` is a workflow), ignoring case as
    // `classify` does.
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let is_action = name == "action.yml" || name == "action.yaml";
    let mut wf = Workflow {
        path: path.to_owned(),
        kind: if is_action {
            WorkflowKind::CompositeAction
        } else {
            WorkflowKind::Workflow
        },
        ..Workflow::default()
    };
    let mut lines = Where {
        lines: LineIndex::new(text),
    };
    if let Some(on) = root.get("on") {
        wf.triggers = trigger_names(on);
    }
    if is_action {
        if let Some(steps) = root.get("runs").and_then(|r| r.get("steps")) {
            let steps_at = at.get("runs").get("steps");
            collect_steps(steps, steps_at, None, None, &mut wf, &mut lines);
        }
        // A Docker container action (`runs: {using: docker, image: docker://…}`) runs that image
        // wherever it is used: recorded as the `uses: docker://…` it amounts to. An `image:`
        // naming a Dockerfile is built from the repository itself.
        if let Some(image) = root
            .get("runs")
            .and_then(|r| r.get("image"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|i| i.starts_with("docker://"))
        {
            let image_at = at.get("runs").get("image");
            push(&mut wf.uses, &mut lines, image_at, "image", image);
        }
        return Ok(wf);
    }
    let Some(Value::Mapping(jobs)) = root.get("jobs") else {
        return Ok(wf);
    };
    let jobs_at = at.get("jobs");
    for (i, job) in jobs.values().enumerate() {
        let job_at = jobs_at.entry(i);
        let job_if = condition_of(job);
        // A reusable workflow, with its `with:` inputs like a step's.
        collect_uses(job, job_at, job_if.as_deref(), None, &mut wf, &mut lines);
        if let Some(container) = job.get("container")
            && let Some(image) = image_of(container)
        {
            let image_at = match container {
                Value::String(_) => job_at.get("container"),
                _ => job_at.get("container").get("image"),
            };
            push(
                &mut wf.images,
                &mut lines,
                image_at,
                key_for(container),
                image,
            );
        }
        if let Some(Value::Mapping(services)) = job.get("services") {
            for (j, service) in services.values().enumerate() {
                if let Some(image) = image_of(service) {
                    let service_at = job_at.get("services").entry(j);
                    let image_at = match service {
                        Value::String(_) => service_at,
                        _ => service_at.get("image"),
                    };
                    push(
                        &mut wf.images,
                        &mut lines,
                        image_at,
                        key_for(service),
                        image,
                    );
                }
            }
        }
        if let Some(steps) = job.get("steps") {
            let steps_at = job_at.get("steps");
            let run_dir = default_run_directory(job.get("defaults"))
                .or_else(|| default_run_directory(root.get("defaults")));
            collect_steps(
                steps,
                steps_at,
                job_if.as_deref(),
                run_dir,
                &mut wf,
                &mut lines,
            );
        }
    }
    Ok(wf)
}

/// A job's or step's `if:` as written (`if: false` is YAML's boolean).
fn condition_of(v: &Value) -> Option<String> {
    let text = match v.get("if")? {
        Value::String(s) => s.as_str(),
        Value::Bool(b) => return Some(b.to_string()),
        Value::Number(n) => return Some(n.to_string()),
        Value::Null => return Some(String::new()),
        _ => return Some("<not a scalar>".to_owned()),
    };
    // Copied once per step it guards and quoted in findings: a longer one is kept as a marker
    // (it then counts as a condition vouch does not evaluate, never as `false`).
    if text.len() > MAX_CONDITION {
        return Some(format!("<an if: of {} bytes, not read>", text.len()));
    }
    Some(without_secret_literals(text))
}

/// The longest `if:` kept as written.
const MAX_CONDITION: usize = 1024;

/// `if:` with its quoted literals replaced by `'<redacted>'` when it names a secret
/// (`secrets.X`, `env.DEPLOY_PASSWORD == 'hunter2'`): the condition is quoted in findings, and the
/// value compared with a secret may be one.
fn without_secret_literals(text: &str) -> String {
    let names_secret = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .any(|word| word == "secrets" || crate::redact::is_secret_param(word));
    if !names_secret {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for (i, piece) in text.split('\'').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        // Odd pieces are inside quotes (`''` escapes a quote: an empty piece, kept).
        if i % 2 == 1 && !piece.is_empty() {
            out.push_str(crate::redact::REDACTED);
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// Records the conditions in effect for the entry just pushed to the list `guards` names.
fn guard(wf: &mut Workflow, guards: Guarded, job_if: Option<&str>, step_if: Option<&str>) {
    let when = match (job_if, step_if) {
        (Some(j), Some(s)) => format!("({j}) && ({s})"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => return,
    };
    let len = match guards {
        Guarded::Uses => wf.uses.len(),
        Guarded::Runs => wf.runs.len(),
        Guarded::ActionInputs => wf.action_inputs.len(),
    };
    let index = u32::try_from(len.saturating_sub(1)).unwrap_or(u32::MAX);
    wf.conditions.push(Condition {
        guards,
        index,
        when,
    });
}

/// `defaults: {run: {working-directory: DIR}}` of a job or of the workflow (its `defaults`).
fn default_run_directory(defaults: Option<&Value>) -> Option<&str> {
    defaults?.get("run")?.get("working-directory")?.as_str()
}

/// Records the `uses:` of a step (an action) or of a job (a reusable workflow) and its `with:`
/// inputs, each guarded by the conditions it runs under.
fn collect_uses(
    node: &Value,
    node_at: Option<At<'_>>,
    job_if: Option<&str>,
    step_if: Option<&str>,
    wf: &mut Workflow,
    lines: &mut Where<'_>,
) {
    let Some(uses) = node.get("uses").and_then(Value::as_str) else {
        return;
    };
    let pos = push(&mut wf.uses, lines, node_at.get("uses"), "uses", uses);
    guard(wf, Guarded::Uses, job_if, step_if);
    if let Some(Value::Mapping(with)) = node.get("with") {
        wf.action_inputs.push(ActionInputs {
            uses: uses.to_owned(),
            line: pos.line,
            column: pos.column(),
            with: scalar_inputs(with),
        });
        guard(wf, Guarded::ActionInputs, job_if, step_if);
    }
}

fn collect_steps(
    steps: &Value,
    steps_at: Option<At<'_>>,
    job_if: Option<&str>,
    run_dir: Option<&str>,
    wf: &mut Workflow,
    lines: &mut Where<'_>,
) {
    let Value::Sequence(steps) = steps else {
        return;
    };
    for (i, step) in steps.iter().enumerate() {
        let step_at = steps_at.item(i);
        let step_if = condition_of(step);
        collect_uses(step, step_at, job_if, step_if.as_deref(), wf, lines);
        if let Some(run) = step.get("run").and_then(Value::as_str) {
            let pos = lines.of(step_at.get("run"), "run", "");
            wf.runs.push(Located {
                value: run.to_owned(),
                line: pos.line,
                column: pos.column(),
            });
            let dir = (step.get("working-directory").and_then(Value::as_str)).or(run_dir);
            if let Some(dir) = dir.filter(|d| !matches!(d.trim_end_matches('/'), "" | "." | "./")) {
                wf.run_directories.push(Located {
                    value: dir.to_owned(),
                    line: pos.line,
                    column: None,
                });
            }
            guard(wf, Guarded::Runs, job_if, step_if.as_deref());
        }
    }
}

/// The scalar `with:` inputs as text; credential-named inputs with a literal value redacted.
fn scalar_inputs(with: &serde_norway::Mapping) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in with {
        let Some(key) = key.as_str() else { continue };
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let literal = !text.trim_start().starts_with("${{");
        let value = if literal && crate::redact::is_secret_param(key) {
            "<redacted>".to_owned()
        } else {
            text
        };
        out.insert(key.to_owned(), value);
    }
    out
}

fn push(
    into: &mut Vec<Located>,
    lines: &mut Where<'_>,
    at: Option<At<'_>>,
    key: &str,
    value: &str,
) -> Pos {
    let pos = lines.of(at, key, value);
    into.push(Located {
        value: value.to_owned(),
        line: pos.line,
        column: pos.column(),
    });
    pos
}

/// `container: node:20` or `container: {image: node:20}`.
fn image_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Mapping(m) => m.get("image").and_then(Value::as_str),
        _ => None,
    }
}

/// The YAML key the image value sits under, for locating its line.
fn key_for(v: &Value) -> &'static str {
    if v.is_string() { "container" } else { "image" }
}

fn trigger_names(on: &Value) -> Vec<String> {
    let mut names: Vec<String> = match on {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::Mapping(m) => m
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = r#"name: ci
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: node:20@sha256:aaaa
    services:
      db:
        image: postgres:16
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - uses: actions/setup-node@1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a # v4
  reuse:
    uses: acme/shared/.github/workflows/build.yml@main
"#;

    #[test]
    fn docker_container_actions_use_their_image() {
        let text =
            "name: lint\nruns:\n  using: docker\n  image: docker://ghcr.io/acme/linter:latest\n";
        let wf = parse(".github/actions/lint/action.yml", text).unwrap();
        let uses: Vec<_> = wf.uses.iter().map(|u| (u.value.as_str(), u.line)).collect();
        assert_eq!(uses, [("docker://ghcr.io/acme/linter:latest", 4)]);
        // Built from the repository: nothing pulled.
        let text = "runs:\n  using: docker\n  image: Dockerfile\n";
        assert!(parse("a/action.yaml", text).unwrap().uses.is_empty());
        // Only actions have `runs.image`.
        let text = "on: push\nruns:\n  image: docker://x:1\njobs: {}\n";
        assert!(
            parse(".github/workflows/x.yml", text)
                .unwrap()
                .uses
                .is_empty()
        );
    }

    #[test]
    fn extracts_uses_images_runs_and_triggers_with_lines() {
        let wf = parse(".github/workflows/ci.yml", CI).unwrap();
        assert_eq!(wf.triggers, vec!["pull_request", "push"]);
        let uses: Vec<_> = wf.uses.iter().map(|u| (u.value.as_str(), u.line)).collect();
        assert_eq!(
            uses,
            vec![
                ("actions/checkout@v4", 15),
                (
                    "actions/setup-node@1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a",
                    17
                ),
                ("acme/shared/.github/workflows/build.yml@main", 19),
            ]
        );
        let images: Vec<_> = wf
            .images
            .iter()
            .map(|u| (u.value.as_str(), u.line))
            .collect();
        assert_eq!(
            images,
            vec![("node:20@sha256:aaaa", 10), ("postgres:16", 13)]
        );
        assert_eq!(wf.runs[0].value, "npm ci");
        assert_eq!(wf.runs[0].line, 16);
    }

    #[test]
    fn action_inputs_are_kept_typed_and_literal_credentials_redacted() {
        let text = r#"on: release
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          username: bot
          password: hunter2-literal
          registry-token: ${{ secrets.TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          file: ./deploy/Dockerfile
          push: true
          sbom: true
          provenance: mode=max
          tags: |
            acme/api:1
  binaries:
    uses: docker/github-builder/.github/workflows/bake.yml@v1
    with:
      sbom: true
      output: local
"#;
        let wf = parse(".github/workflows/release.yml", text).unwrap();
        assert_eq!(wf.action_inputs.len(), 3);
        let reusable = &wf.action_inputs[2];
        assert!(reusable.uses_action("docker/github-builder/.github/workflows/bake.yml"));
        assert_eq!((reusable.line, reusable.input("sbom")), (20, Some("true")));
        let login = &wf.action_inputs[0];
        assert_eq!(login.input("password"), Some("<redacted>"));
        assert_eq!(login.input("username"), Some("bot"));
        assert_eq!(login.input("registry-token"), Some("${{ secrets.TOKEN }}"));
        let build = &wf.action_inputs[1];
        assert!(build.uses_action("docker/build-push-action"));
        assert_eq!(build.line, 11);
        assert_eq!(build.input("file"), Some("./deploy/Dockerfile"));
        assert_eq!(build.input("sbom"), Some("true"));
        assert_eq!(build.input("push"), Some("true"));
        assert_eq!(build.input("provenance"), Some("mode=max"));
        assert!(!serde_json::to_string(&wf).unwrap().contains("hunter2"));
    }

    #[test]
    fn block_style_gets_the_key_columns() {
        let wf = parse(".github/workflows/ci.yml", CI).unwrap();
        let at: Vec<_> = wf.uses.iter().map(|u| (u.line, u.column)).collect();
        assert_eq!(at, [(15, Some(9)), (17, Some(9)), (19, Some(5))]);
        assert_eq!((wf.runs[0].line, wf.runs[0].column), (16, Some(9)));
        let images: Vec<_> = wf.images.iter().map(|u| (u.line, u.column)).collect();
        assert_eq!(images, [(10, Some(7)), (13, Some(9))]);
    }

    #[test]
    fn flow_style_workflows_get_their_lines_and_columns() {
        let text = "on: push\njobs: {build: {runs-on: x, container: 'node:20',\n  steps: [{uses: actions/checkout@v4}, {run: make}, {uses: docker/login-action@v3, with: {username: u}}]},\n  call: {uses: o/r/.github/workflows/w.yml@main}}\n";
        let wf = parse(".github/workflows/flow.yml", text).unwrap();
        let uses: Vec<_> = wf
            .uses
            .iter()
            .map(|u| (u.value.as_str(), u.line, u.column))
            .collect();
        assert_eq!(
            uses,
            [
                ("actions/checkout@v4", 3, Some(12)),
                ("docker/login-action@v3", 3, Some(54)),
                ("o/r/.github/workflows/w.yml@main", 4, Some(10)),
            ]
        );
        assert_eq!((wf.runs[0].line, wf.runs[0].column), (3, Some(41)));
        assert_eq!((wf.images[0].line, wf.images[0].column), (2, Some(28)));
        assert_eq!(
            (wf.action_inputs[0].line, wf.action_inputs[0].column),
            (3, Some(54))
        );
    }

    #[test]
    fn steps_shared_through_an_anchor_point_at_the_anchored_text() {
        let text = "on: push\njobs:\n  a:\n    steps: &s\n      - uses: actions/checkout@v4\n  b:\n    steps: *s\n";
        let wf = parse(".github/workflows/alias.yml", text).unwrap();
        let at: Vec<_> = wf.uses.iter().map(|u| (u.line, u.column)).collect();
        assert_eq!(at, [(5, Some(9)), (5, Some(9))]);
    }

    #[test]
    fn an_alias_bomb_is_refused_not_expanded() {
        use std::fmt::Write as _;
        let mut text = String::from("on: push\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..10 {
            let p = i - 1;
            let refs = vec![format!("*x{p}"); 10].join(", ");
            let _ = writeln!(text, "x{i}: &x{i} [{refs}]");
        }
        text.push_str("jobs: {a: {steps: *x9}}\n");
        let started = std::time::Instant::now();
        assert!(parse(".github/workflows/bomb.yml", &text).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn invalid_yaml_is_an_error_not_a_panic() {
        let err = parse(".github/workflows/x.yml", "jobs: [\n").unwrap_err();
        assert!(err.starts_with("invalid YAML"), "{err}");
        assert!(parse(".github/workflows/x.yml", "- a\n- b\n").is_err());
    }

    #[test]
    fn only_a_file_named_action_yml_is_a_composite_action() {
        let wf = parse(".github/workflows/release-action.yml", CI).unwrap();
        assert_eq!(wf.kind, WorkflowKind::Workflow);
        assert!(!wf.uses.is_empty() || !wf.runs.is_empty());
        let action = "runs:\n  using: composite\n  steps:\n    - run: make\n";
        let wf = parse("tools/Action.YML", action).unwrap();
        assert_eq!(wf.kind, WorkflowKind::CompositeAction);
        assert_eq!(wf.runs.len(), 1);
    }

    #[test]
    fn conditions_are_bounded_and_keep_no_compared_secret() {
        let long = format!("github.ref == '{}'", "a".repeat(2000));
        let text = format!(
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
             - if: env.DEPLOY_PASSWORD == 'hunter2' && github.ref == 'refs/heads/main'\n        \
             run: a\n      - if: \"{long}\"\n        run: b\n      \
             - if: github.ref == 'refs/heads/main'\n        run: c\n"
        );
        let wf = parse(".github/workflows/ci.yml", &text).unwrap();
        let when: Vec<&str> = (0..3)
            .map(|i| wf.condition_of(Guarded::Runs, i).unwrap())
            .collect();
        assert_eq!(
            when[0],
            "env.DEPLOY_PASSWORD == '<redacted>' && github.ref == '<redacted>'"
        );
        assert_eq!(when[1], "<an if: of 2016 bytes, not read>");
        assert_eq!(when[2], "github.ref == 'refs/heads/main'");
    }
}
