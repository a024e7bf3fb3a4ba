//! Kubernetes manifests: multi-document YAML with `apiVersion` and `kind`, including `List`s
//! and committed kustomize output. YAML merge keys (`<<: *anchor`) are applied, as kubectl's
//! YAML reader does.
//!
//! Templates are not rendered. A `{{` inside a YAML string is data (an alert's
//! `summary: "{{ $labels.instance }} is down"`); a file whose template actions make it invalid
//! YAML, or that YAML reads only as mappings keyed by mappings (`name: {{ .Release.Name }}`), is
//! a template, not a manifest: an error naming the first action. Helm chart templates (under a
//! `templates/` directory, holding `{{`) are set aside here; the checks skip those of a chart
//! whose `Chart.yaml` is there and report the others.

use serde_norway::Value;

use super::positions::{At, Pos, Positions, Walk};
use crate::facts::kube::{Container, EnvSource, EnvVar, Origin, Workload};
use crate::model::Location;
use crate::redact::ParseError;

/// Kinds whose pod template is judged, and the path from the object to its pod spec.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// `true` when the text looks like Kubernetes manifests worth parsing (cheap pre-check, so
/// arbitrary YAML in a repository is not reported as unreadable).
pub fn looks_like_manifest(text: &str) -> bool {
    text.contains("apiVersion:") && text.contains("kind:")
}

/// A Helm chart template: a file under a `templates/` directory holding template actions.
/// Whether its chart's `Chart.yaml` is there is for the checks to see (they know every file).
pub fn is_helm_template(path: &str, text: &str) -> bool {
    let mut dirs: Vec<&str> = path.split('/').collect();
    dirs.pop();
    dirs.contains(&"templates") && text.contains("{{")
}

/// The chart directories a Helm template may belong to: the parent of each `templates`
/// directory on its path (`.` for the root).
pub fn chart_dirs_of(path: &str) -> Vec<String> {
    let dirs: Vec<&str> = path.split('/').collect();
    (0..dirs.len().saturating_sub(1))
        .filter(|&i| dirs[i] == "templates")
        .map(|i| {
            if i == 0 {
                ".".to_owned()
            } else {
                dirs[..i].join("/")
            }
        })
        .collect()
}

/// The 1-based line of the first `{{` in `text`, 0 when there is none.
pub fn first_action_line(text: &str) -> u32 {
    (text.lines().position(|l| l.contains("{{")))
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// Whether YAML read a template action as structure: a mapping key that is itself a mapping
/// or a sequence (`{{ .Values.x }}` is a flow mapping keyed by a flow mapping). No Kubernetes
/// object has such a key.
fn has_collection_key(v: &Value) -> bool {
    match v {
        Value::Mapping(m) => m
            .iter()
            .any(|(k, v)| k.is_mapping() || k.is_sequence() || has_collection_key(v)),
        Value::Sequence(s) => s.iter().any(has_collection_key),
        Value::Tagged(t) => has_collection_key(&t.value),
        _ => false,
    }
}

/// Parses every document; returns the workloads found (none for non-workload kinds).
pub fn parse(path: &str, text: &str) -> Result<Vec<Workload>, String> {
    let mut out = Vec::new();
    for (doc, start_line) in documents(text) {
        let template = |doc: &str| match first_action_line(doc) {
            0 => String::new(),
            n => format!(
                "; it holds a template action ({{{{ … }}}}) at line {}: a template, which vouch \
                 does not render, not a manifest",
                n + start_line - 1
            ),
        };
        let mut value: Value = serde_norway::from_str(doc.as_str()).map_err(|e| {
            // Positions count from the document's first line; the message names the file's.
            let mut error = ParseError::yaml(&e);
            if error.line > 0 {
                error.line += start_line as usize - 1;
            }
            format!(
                "{error} (in the document starting at line {start_line}){}",
                template(&doc)
            )
        })?;
        if has_collection_key(&value) {
            let why = template(&doc);
            let why = why.strip_prefix("; it").unwrap_or(
                " has a mapping key that is a collection, which no Kubernetes object has",
            );
            return Err(format!("the document starting at line {start_line}{why}"));
        }
        // `<<: *anchor` merges, as kubectl's YAML reader (go-yaml) applies them.
        value.apply_merge().map_err(|e| {
            format!("invalid YAML merge key in the document starting at line {start_line}: {e}")
        })?;
        let doc_lines = DocLines {
            path,
            lines: doc.lines().collect(),
            offset: start_line - 1,
        };
        let positions = Positions::parse(&doc);
        let root = positions.as_ref().and_then(|p| p.doc(0));
        collect(&value, root, &doc_lines, &mut out)?;
    }
    Ok(out)
}

/// Splits a stream on `---` lines, keeping each document's first line number.
fn documents(text: &str) -> Vec<(String, u32)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1u32;
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if line.trim_end() == "---" || line.starts_with("--- ") {
            if !current.trim().is_empty() {
                docs.push((std::mem::take(&mut current), start));
            }
            current.clear();
            start = n + 1;
            // `--- {kind: Pod, …}`: the next document starts on the marker's line. The marker
            // becomes spaces so that columns stay the file's.
            if let Some(rest) = line.strip_prefix("--- ")
                && !rest.trim_start().starts_with('#')
                && !rest.trim().is_empty()
            {
                current.push_str("    ");
                current.push_str(rest);
                current.push('\n');
                start = n;
            }
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        docs.push((current, start));
    }
    docs
}

struct DocLines<'a> {
    path: &'a str,
    lines: Vec<&'a str>,
    offset: u32,
}

impl DocLines<'_> {
    /// The line of the first `key: value` (value as a prefix) at or after `from`.
    fn find(&self, key: &str, value: &str, from: u32) -> u32 {
        let probe = format!("{key}:");
        let from_idx = from.saturating_sub(self.offset + 1) as usize;
        self.lines
            .iter()
            .enumerate()
            .skip(from_idx)
            .find(|(_, l)| {
                let t = l.trim_start().trim_start_matches("- ");
                t.starts_with(&probe) && (value.is_empty() || t.contains(value))
            })
            .map_or(0, |(i, _)| self.offset + u32::try_from(i + 1).unwrap_or(0))
    }

    /// The position of `at` in the file (the document's lines offset), or, when the positional
    /// parser did not locate it, `fallback` (a line from [`DocLines::find`]) without a column.
    fn pos(&self, at: Option<At<'_>>, fallback: u32) -> Pos {
        match at {
            Some(at) if at.pos().line > 0 => Pos {
                line: at.pos().line.saturating_add(self.offset),
                column: at.pos().column,
            },
            _ => Pos {
                line: fallback,
                column: 0,
            },
        }
    }
}

fn collect(
    value: &Value,
    at: Option<At<'_>>,
    doc: &DocLines<'_>,
    out: &mut Vec<Workload>,
) -> Result<(), String> {
    let Some(kind) = value.get("kind").and_then(Value::as_str) else {
        return Ok(());
    };
    if kind == "List" {
        if let Some(Value::Sequence(items)) = value.get("items") {
            for (i, item) in items.iter().enumerate() {
                collect(item, at.get("items").item(i), doc, out)?;
            }
        }
        return Ok(());
    }
    if let Some((_, path)) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind)
        && let Some(spec) = path.iter().try_fold(value, |v, key| v.get(*key))
        && let Some((field, found)) = mistyped_field(spec)
    {
        let name = value
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(format!(
            "{kind} {name}: `{}.{field}` holds {found}, which the API server rejects: a \
             template vouch does not render, or a mistake; its settings cannot be judged",
            path.join(".")
        ));
    }
    let kind_pos = doc.pos(at.get("kind"), doc.find("kind", kind, doc.offset + 1));
    out.extend(from_object(kind, value, at, doc, kind_pos));
    Ok(())
}

/// Pod-spec fields the checks judge that the API server reads as booleans.
const POD_BOOLEANS: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];
/// `securityContext` fields the checks judge that are booleans (pod or container).
const CONTEXT_BOOLEANS: [&str; 4] = [
    "privileged",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
];

/// The first judged field of a pod spec holding a value of the wrong type (a template's
/// `"{{ .Values.hostNetwork }}"`, the string `"true"`), with that value quoted: the API server
/// rejects it, and reading it as unset would judge settings nobody wrote.
fn mistyped_field(spec: &Value) -> Option<(String, String)> {
    let quote = |v: &Value| match v {
        Value::String(s) => {
            let short: String = s.chars().take(60).collect();
            format!("the string {short:?}")
        }
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Sequence(_) => "a list".to_owned(),
        _ => "a mapping".to_owned(),
    };
    let not_bool = |v: &Value| !(v.is_bool() || v.is_null());
    let not_int = |v: &Value| !(v.is_i64() || v.is_u64() || v.is_null());
    let check_ctx = |prefix: &str, ctx: Option<&Value>| -> Option<(String, String)> {
        let ctx = ctx?;
        for key in CONTEXT_BOOLEANS {
            if let Some(v) = ctx.get(key).filter(|v| not_bool(v)) {
                return Some((format!("{prefix}securityContext.{key}"), quote(v)));
            }
        }
        let v = ctx.get("runAsUser").filter(|v| not_int(v))?;
        Some((format!("{prefix}securityContext.runAsUser"), quote(v)))
    };
    for key in POD_BOOLEANS {
        if let Some(v) = spec.get(key).filter(|v| not_bool(v)) {
            return Some((key.to_owned(), quote(v)));
        }
    }
    if let Some(found) = check_ctx("", spec.get("securityContext")) {
        return Some(found);
    }
    for list in ["initContainers", "containers"] {
        let Some(Value::Sequence(containers)) = spec.get(list) else {
            continue;
        };
        for (i, c) in containers.iter().enumerate() {
            if let Some(found) = check_ctx(&format!("{list}[{i}]."), c.get("securityContext")) {
                return Some(found);
            }
        }
    }
    None
}

/// A live object read from the Kubernetes API (JSON; list items carry no `kind`, so it is
/// given) as a [`Workload`] located at `k8s://CONTEXT/NAMESPACE/KIND/NAME`. `None` for a kind
/// without a pod template. The same extraction as for manifests, minus the line numbers.
pub fn live_workload(kind: &str, object: &serde_json::Value, context: &str) -> Option<Workload> {
    let value = serde_norway::to_value(object).ok()?;
    let no_lines = DocLines {
        path: "",
        lines: Vec::new(),
        offset: 0,
    };
    let mut w = from_object(kind, &value, None, &no_lines, Pos::default())?;
    w.origin = Origin::Live;
    context.clone_into(&mut w.context);
    w.location = Some(Location::k8s(context, &w.subject()));
    Some(w)
}

/// The workload of one object of a known kind, or `None` when the kind has no pod template.
fn from_object(
    kind: &str,
    value: &Value,
    at: Option<At<'_>>,
    doc: &DocLines<'_>,
    kind_pos: Pos,
) -> Option<Workload> {
    let (_, path) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind)?;
    let spec = path.iter().try_fold(value, |v, key| v.get(*key))?;
    let spec_at = path.iter().fold(at, |a, key| a.get(key));
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_owned();
    Some(workload(
        kind,
        name,
        namespace,
        (spec, spec_at),
        doc,
        kind_pos,
    ))
}

fn workload(
    kind: &str,
    name: String,
    namespace: String,
    (spec, spec_at): (&Value, Option<At<'_>>),
    doc: &DocLines<'_>,
    kind_pos: Pos,
) -> Workload {
    let flag = |key: &str| spec.get(key).and_then(Value::as_bool).unwrap_or(false);
    let pod_ctx = spec.get("securityContext");
    let mut w = Workload {
        origin: Origin::Manifest,
        context: String::new(),
        namespace,
        kind: kind.to_owned(),
        name,
        location: Some(Location::file_at(
            doc.path,
            kind_pos.line,
            kind_pos.column(),
        )),
        host_network: flag("hostNetwork"),
        host_pid: flag("hostPID"),
        host_ipc: flag("hostIPC"),
        host_path_volumes: host_paths(spec),
        run_as_non_root: pod_ctx
            .and_then(|c| c.get("runAsNonRoot"))
            .and_then(Value::as_bool),
        run_as_user: pod_ctx
            .and_then(|c| c.get("runAsUser"))
            .and_then(Value::as_i64),
        seccomp_profile: seccomp_type(pod_ctx),
        containers: Vec::new(),
    };
    let mut cursor = kind_pos.line;
    for (key, init) in [("initContainers", true), ("containers", false)] {
        if let Some(Value::Sequence(list)) = spec.get(key) {
            for (i, c) in list.iter().enumerate() {
                let c_at = spec_at.get(key).item(i);
                let container = container((c, c_at), init, doc, &mut cursor);
                w.containers.push(container);
            }
        }
    }
    w
}

fn host_paths(spec: &Value) -> Vec<String> {
    let Some(Value::Sequence(volumes)) = spec.get("volumes") else {
        return Vec::new();
    };
    volumes
        .iter()
        .filter_map(|v| {
            let host = v.get("hostPath")?;
            let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
            let path = host.get("path").and_then(Value::as_str).unwrap_or("?");
            Some(format!("{name}: {path}"))
        })
        .collect()
}

fn container(
    (c, c_at): (&Value, Option<At<'_>>),
    init: bool,
    doc: &DocLines<'_>,
    cursor: &mut u32,
) -> Container {
    let image = c
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let found = doc.find("image", &image, *cursor);
    if found > 0 {
        *cursor = found;
    }
    // Its `image:` key, or the container's entry when it has none.
    let pos = doc.pos(c_at.get("image").or(c_at), found);
    let line = pos.line;
    let ctx = c.get("securityContext");
    let ctx_bool = |k: &str| ctx.and_then(|x| x.get(k)).and_then(Value::as_bool);
    let capabilities = |list: &str| {
        ctx.and_then(|x| x.get("capabilities"))
            .and_then(|x| x.get(list))
            .and_then(Value::as_sequence)
            .map(|caps| {
                caps.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Container {
        name: c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        image,
        init,
        line,
        column: pos.column(),
        privileged: ctx_bool("privileged"),
        allow_privilege_escalation: ctx_bool("allowPrivilegeEscalation"),
        run_as_non_root: ctx_bool("runAsNonRoot"),
        run_as_user: ctx.and_then(|x| x.get("runAsUser")).and_then(Value::as_i64),
        read_only_root_filesystem: ctx_bool("readOnlyRootFilesystem"),
        capabilities_add: capabilities("add"),
        capabilities_drop: capabilities("drop"),
        seccomp_profile: seccomp_type(ctx),
        host_ports: host_ports(c),
        env: env_vars((c, c_at), doc, line),
    }
}

/// `securityContext.seccompProfile.type`, as written.
fn seccomp_type(ctx: Option<&Value>) -> Option<String> {
    ctx.and_then(|x| x.get("seccompProfile"))
        .and_then(|x| x.get("type"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `ports[].hostPort` values that bind a node port (0 means none).
fn host_ports(c: &Value) -> Vec<i64> {
    let Some(Value::Sequence(ports)) = c.get("ports") else {
        return Vec::new();
    };
    ports
        .iter()
        .filter_map(|p| p.get("hostPort").and_then(Value::as_i64))
        .filter(|&port| port != 0)
        .collect()
}

fn env_vars((c, c_at): (&Value, Option<At<'_>>), doc: &DocLines<'_>, from: u32) -> Vec<EnvVar> {
    let Some(Value::Sequence(env)) = c.get("env") else {
        return Vec::new();
    };
    let mut cursor = from;
    env.iter()
        .enumerate()
        .map(|(i, e)| {
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let found = doc.find("name", &name, cursor);
            cursor = cursor.max(found);
            let pos = doc.pos(c_at.get("env").item(i).get("name"), found);
            let source = if let Some(value) = e.get("value") {
                let non_empty = value.as_str().is_none_or(|s| !s.trim().is_empty());
                let redacted = value.as_str().and_then(redacted_secret);
                EnvSource::Literal {
                    secret_like: (non_empty && secret_name(&name)) || redacted.is_some(),
                    redacted,
                }
            } else if let Some(r) = e.get("valueFrom").and_then(|v| v.get("secretKeyRef")) {
                let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                EnvSource::SecretRef {
                    secret: field("name"),
                    key: field("key"),
                }
            } else {
                EnvSource::Other
            };
            EnvVar {
                name,
                source,
                line: pos.line,
                column: pos.column(),
            }
        })
        .collect()
}

/// `value` with the credentials in it redacted, when it holds any: token formats the secret
/// detectors recognise, and the password of a connection string (`scheme://user:password@host`,
/// `password=…`: the same detectors as for Dockerfile `ENV`). `None` when it holds none.
fn redacted_secret(value: &str) -> Option<String> {
    let (mut out, found) = crate::secrets::redact(value);
    let mut any = !found.is_empty();
    // From the last to the first, so the ranges before each stay valid.
    for (kind, span) in crate::secrets::connection_passwords(&out).into_iter().rev() {
        let password = &out[span.clone()];
        let redacted = password == "<redacted" || password.starts_with("<redacted ");
        if crate::secrets::is_placeholder(password) || redacted {
            continue;
        }
        let replacement = crate::secrets::redaction(kind, password);
        out.replace_range(span, &replacement);
        any = true;
    }
    any.then_some(out)
}

/// An env var name that says it holds a secret: it contains one of the credential words. Unlike
/// [`crate::secrets::is_secret_name`], names ending like pointers (`_FILE`, `_URL`) are not
/// excluded here.
fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    crate::secrets::SECRET_NAME_PARTS
        .iter()
        .any(|p| upper.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  template:
    spec:
      hostNetwork: true
      securityContext:
        runAsNonRoot: true
      volumes:
        - name: docker
          hostPath:
            path: /var/run/docker.sock
      initContainers:
        - name: migrate
          image: ghcr.io/acme/migrate:1.2
      containers:
        - name: api
          image: ghcr.io/acme/api@sha256:aaaa
          securityContext:
            privileged: true
            capabilities:
              add: ["NET_ADMIN"]
          env:
            - name: DB_PASSWORD
              value: hunter2
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {name: api, key: token}
            - name: LOG_LEVEL
              value: info
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: busybox:1.36
"#;

    #[test]
    fn extracts_workloads_containers_and_lines() {
        let ws = parse("k8s/app.yaml", MANIFESTS).unwrap();
        assert_eq!(ws.len(), 2);
        let api = &ws[0];
        assert_eq!(api.subject(), "prod/Deployment/api");
        assert_eq!(
            api.location,
            Some(Location::file_at("k8s/app.yaml", 7, Some(1)))
        );
        assert!(api.host_network);
        assert_eq!(api.host_path_volumes, vec!["docker: /var/run/docker.sock"]);
        assert_eq!(api.run_as_non_root, Some(true));
        let names: Vec<_> = api
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.init, c.line))
            .collect();
        assert_eq!(names, vec![("migrate", true, 23), ("api", false, 26)]);
        assert_eq!(api.containers[1].column, Some(11));
        let c = &api.containers[1];
        assert_eq!(c.privileged, Some(true));
        assert_eq!(c.capabilities_add, vec!["NET_ADMIN"]);
        assert_eq!(
            c.env[0].source,
            EnvSource::Literal {
                secret_like: true,
                redacted: None
            }
        );
        assert_eq!((c.env[0].line, c.env[0].column), (32, Some(15)));
        assert_eq!((c.env[2].line, c.env[2].column), (37, Some(15)));
        assert!(matches!(c.env[1].source, EnvSource::SecretRef { .. }));
        assert_eq!(
            c.env[2].source,
            EnvSource::Literal {
                secret_like: false,
                redacted: None
            }
        );
        assert_eq!(ws[1].subject(), "default/CronJob/nightly");
        assert_eq!(ws[1].containers[0].image, "busybox:1.36");
    }

    #[test]
    fn a_document_on_the_marker_line_is_read_not_dropped() {
        let text = "apiVersion: v1\nkind: ConfigMap\n--- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'x:1'}]}}\n--- # a comment\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: b, image: 'y:2'}]}\n";
        let ws = parse("k8s/pods.yaml", text).unwrap();
        let found: Vec<_> = ws
            .iter()
            .map(|w| (w.subject(), w.location.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "default/Pod/p".to_owned(),
                    Some(Location::file_at("k8s/pods.yaml", 3, Some(22)))
                ),
                (
                    "default/Pod/q".to_owned(),
                    Some(Location::file_at("k8s/pods.yaml", 6, Some(1)))
                ),
            ]
        );
    }

    #[test]
    fn flow_style_manifests_and_lists_get_their_own_lines_and_columns() {
        let text = "kind: ConfigMap\napiVersion: v1\n---\n# a flow-style Pod\n{apiVersion: v1, kind: Pod, metadata: {name: p},\n spec: {containers: [{name: a, image: 'x:1', env: [{name: TOKEN, value: s}]},\n   {name: b, image: y:2}]}}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{image: z:3}]}}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: r}\n  spec:\n    containers:\n    - image: z:3\n";
        let ws = parse("k8s/flow.yaml", text).unwrap();
        let at = |w: &Workload| match &w.location {
            Some(Location::File { line, column, .. }) => (*line, *column),
            other => panic!("{other:?}"),
        };
        assert_eq!(ws.len(), 3);
        assert_eq!(at(&ws[0]), (5, Some(18)));
        let c: Vec<_> = ws[0]
            .containers
            .iter()
            .map(|c| (c.line, c.column))
            .collect();
        assert_eq!(c, [(6, Some(32)), (7, Some(14))]);
        assert_eq!(
            (
                ws[0].containers[0].env[0].line,
                ws[0].containers[0].env[0].column
            ),
            (6, Some(53))
        );
        // List items: each its own `kind:` (the text search found the first for both).
        assert_eq!(at(&ws[1]), (12, Some(20)));
        assert_eq!(
            (ws[1].containers[0].line, ws[1].containers[0].column),
            (12, Some(73))
        );
        assert_eq!(at(&ws[2]), (14, Some(3)));
        assert_eq!(
            (ws[2].containers[0].line, ws[2].containers[0].column),
            (18, Some(7))
        );
    }

    #[test]
    fn containers_shared_through_an_anchor_point_at_the_anchored_text() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: &c\n    - name: app\n      image: x:1\n  initContainers: *c\n";
        let ws = parse("k8s/alias.yaml", text).unwrap();
        let c: Vec<_> = ws[0]
            .containers
            .iter()
            .map(|c| (c.init, c.line, c.column))
            .collect();
        assert_eq!(c, [(true, 7, Some(7)), (false, 7, Some(7))]);
    }

    #[test]
    fn literal_secret_values_are_not_kept() {
        let ws = parse("k8s/app.yaml", MANIFESTS).unwrap();
        let json = serde_json::to_string(&ws).unwrap();
        assert!(!json.contains("hunter2"));
    }

    #[test]
    fn live_objects_use_the_same_extraction_located_by_uri() {
        let object = serde_json::json!({
            "metadata": {"name": "api", "namespace": "prod", "uid": "1"},
            "spec": {"template": {"spec": {
                "securityContext": {"runAsUser": 1000},
                "containers": [{
                    "name": "api",
                    "image": "ghcr.io/acme/api:1.0",
                    "securityContext": {"privileged": true, "readOnlyRootFilesystem": true},
                    "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]
                }]
            }}}
        });
        let w = live_workload("Deployment", &object, "prod-ctx").unwrap();
        assert_eq!(w.origin, Origin::Live);
        assert_eq!(w.subject(), "prod/Deployment/api");
        assert_eq!(
            w.location,
            Some(Location::resource("k8s://prod-ctx/prod/Deployment/api"))
        );
        assert_eq!(w.run_as_user, Some(1000));
        let c = &w.containers[0];
        assert_eq!((c.line, c.privileged), (0, Some(true)));
        assert_eq!(c.read_only_root_filesystem, Some(true));
        assert_eq!(
            c.env[0].source,
            EnvSource::Literal {
                secret_like: true,
                redacted: None
            }
        );
        assert!(!serde_json::to_string(&w).unwrap().contains("hunter2"));
        assert!(live_workload("Service", &object, "prod-ctx").is_none());
    }

    #[test]
    fn other_yaml_is_not_a_manifest() {
        assert!(!looks_like_manifest("foo: bar\n"));
        assert!(parse("x.yaml", "apiVersion: v1\nkind: [\n").is_err());
    }

    /// A `{{` in a string is data: the workloads beside it are read.
    #[test]
    fn a_template_string_in_another_document_hides_nothing() {
        let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ne}\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers: [{name: ne, image: 'x:1', securityContext: {privileged: true}}]\n---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec: {groups: [{name: n, rules: [{alert: Down, annotations: {summary: \"Node {{ $labels.instance }} is down\"}}]}]}\n";
        assert!(looks_like_manifest(text));
        assert!(!is_helm_template("deploy/node-exporter.yaml", text));
        let ws = parse("deploy/node-exporter.yaml", text).unwrap();
        assert_eq!(ws.len(), 1);
        assert!(ws[0].host_pid);
        assert_eq!(ws[0].containers[0].privileged, Some(true));
    }

    #[test]
    fn a_template_is_an_error_naming_its_first_action() {
        // YAML reads `{{ .Release.Name }}` as a mapping keyed by a mapping.
        let flow = "# deployed with envsubst\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec: {hostNetwork: {{ .Values.host }}}\n";
        let e = parse("deploy/pod.yaml", flow).unwrap_err();
        assert!(
            e.contains("holds a template action ({{ … }}) at line 5"),
            "{e}"
        );
        // Not YAML at all because of the action.
        let broken = "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nspec:\n{{ include \"x\" . }}\n";
        let e = parse("deploy/pod.yaml", broken).unwrap_err();
        assert!(e.contains("at line 7: a template"), "{e}");
        // Helm's layout: set aside, for the checks to match with a Chart.yaml.
        assert!(is_helm_template("charts/api/templates/deploy.yaml", flow));
        assert!(!is_helm_template(
            "charts/api/templates/deploy.yaml",
            "kind: Pod\n"
        ));
        assert!(!is_helm_template("templates.yaml", flow));
        assert_eq!(
            chart_dirs_of("charts/api/templates/sub/deploy.yaml"),
            ["charts/api"]
        );
        assert_eq!(chart_dirs_of("templates/deploy.yaml"), ["."]);
    }

    /// A judged field holding a string where the API server wants a boolean or an integer is
    /// a template (or a mistake), never read as unset.
    #[test]
    fn a_mistyped_judged_field_is_an_error_quoting_it() {
        let pod =
            |spec: &str| format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{spec}");
        let e = parse(
            "k8s/p.yaml",
            &pod("  hostNetwork: \"{{ .Values.hostNetwork }}\"\n  containers: [{name: a, image: x:1}]\n"),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "Pod p: `spec.hostNetwork` holds the string \"{{ .Values.hostNetwork }}\", which the \
             API server rejects: a template vouch does not render, or a mistake; its settings \
             cannot be judged"
        );
        let e = parse(
            "k8s/p.yaml",
            &pod("  containers:\n    - name: a\n      image: x:1\n      securityContext: {privileged: 'true'}\n"),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.containers[0].securityContext.privileged` holds the string \"true\""),
            "{e}"
        );
        let e = parse(
            "k8s/p.yaml",
            &pod("  securityContext: {runAsUser: '{{ .Values.uid }}'}\n  containers: []\n"),
        )
        .unwrap_err();
        assert!(e.contains("`spec.securityContext.runAsUser`"), "{e}");
        // Null is unset, as the API server reads it.
        assert!(parse("k8s/p.yaml", &pod("  hostNetwork:\n  containers: []\n")).is_ok());
    }

    /// kubectl applies YAML 1.1 merge keys; the merged keys are judged, the container's own
    /// keys win.
    #[test]
    fn merge_keys_are_applied() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n    - name: init\n      image: x:1\n      securityContext: &hardened\n        privileged: false\n        readOnlyRootFilesystem: true\n        runAsUser: 0\n  containers:\n    - name: app\n      image: y:2\n      securityContext:\n        <<: *hardened\n        runAsUser: 10001\n";
        let ws = parse("k8s/pod.yaml", text).unwrap();
        let app = &ws[0].containers[1];
        assert_eq!(app.name, "app");
        assert_eq!(app.privileged, Some(false));
        assert_eq!(app.read_only_root_filesystem, Some(true));
        assert_eq!(app.run_as_user, Some(10001));
        assert_eq!((app.line, app.column), (14, Some(7)));
        let e = parse(
            "k8s/pod.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  <<: 3\n",
        )
        .unwrap_err();
        assert!(e.contains("merge key"), "{e}");
    }

    /// A credential in the value (a URL's password, a token) is a secret whatever the name;
    /// the value is kept only with the credential redacted.
    #[test]
    fn credentials_in_env_values_are_found_and_redacted() {
        // Built at run time: the fake credentials are never committed as one literal (vouch's
        // own scan would rightly find them).
        let password = "Xk9mQ2vL".repeat(2);
        let token = format!("ghp_{}", "R8mQ2vXk7TzL4pWn9c".repeat(2));
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: app\n      image: y:2\n      env:\n        - {{name: DATABASE_URL, value: 'postgres://app:{password}@db.internal:5432/app'}}\n        - {{name: CACHE_URL, value: 'redis://cache:6379/0'}}\n        - {{name: TEMPLATE_URL, value: 'postgres://app:${{DB_PASSWORD}}@db/app'}}\n        - {{name: GH, value: '{token}'}}\n"
        );
        let ws = parse("k8s/pod.yaml", &text).unwrap();
        let sources: Vec<_> = ws[0].containers[0]
            .env
            .iter()
            .map(|e| e.source.clone())
            .collect();
        assert_eq!(
            sources[0],
            EnvSource::Literal {
                secret_like: true,
                redacted: Some(
                    "postgres://app:<redacted database-url-password, 16 chars>@db.internal:5432/app"
                        .to_owned()
                ),
            }
        );
        for plain in &sources[1..3] {
            assert_eq!(
                *plain,
                EnvSource::Literal {
                    secret_like: false,
                    redacted: None
                }
            );
        }
        assert!(matches!(
            &sources[3],
            EnvSource::Literal { secret_like: true, redacted: Some(r) } if r.starts_with("<redacted ")
        ));
        let json = serde_json::to_string(&ws).unwrap();
        assert!(!json.contains(&password) && !json.contains(&token));
    }
}
