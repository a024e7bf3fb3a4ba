//! What a CI step builds: the Dockerfile stage behind a `docker/build-push-action` step, a
//! `docker/bake-action` target, `docker buildx bake TARGET` or `docker build --target STAGE`,
//! and the image names a workflow tags when it builds a Dockerfile.
//!
//! Resolution follows Docker's own rules: a bake target is looked up in the bake files the
//! step reads (its `files:`, else bake's default `docker-bake.json|hcl` and their overrides),
//! through `group`s and `inherits`; its `dockerfile` is relative to its `context` (defaults `.`
//! and `Dockerfile`), its `target` is the stage (default: the last one). `docker build -f` is
//! relative to the working directory, its default `<context>/Dockerfile`. Anything computed (a
//! `${{ }}` expression, a shell or bake variable, an inline Dockerfile, a remote context, a
//! target no file defines) resolves to nothing: the caller then credits nothing.

use crate::facts::repo::{ActionInputs, BakeFile, BakeTarget, Dockerfile, RepoFacts};
use crate::parse::image_ref::{ImageRef, is_template};
use crate::parse::{join_relative, shell};

/// A Dockerfile stage a step builds.
#[derive(Debug)]
pub(crate) struct Built<'a> {
    pub dockerfile: &'a Dockerfile,
    pub stage: usize,
    /// How the step names it (`bake target \`govulncheck\` (docker-bake.hcl:233)`).
    pub via: String,
    /// Build arguments the build sets whose values vouch does not read (a bake target's
    /// `args`, names only).
    pub args: Vec<String>,
    /// The build sets arguments that cannot be listed (`args` not an object, `--set *.args…`).
    pub args_unknown: bool,
}

/// What one `build` request names before it is looked up.
#[derive(Debug, Default, PartialEq, Eq)]
struct BuildRequest {
    dockerfile: String,
    /// The stage named (`--target`, `target:`), as written: may be computed.
    target: Option<String>,
    tags: Vec<String>,
    /// `--build-arg K=V` / `build-args:` overrides, in order; `None` for a value that is
    /// computed (`${{ … }}`, `$VAR`) or taken from the environment (`--build-arg K`).
    args: Vec<(String, Option<String>)>,
    /// The build arguments cannot be listed (`build-args: ${{ steps.x.outputs.args }}`).
    args_unknown: bool,
}

/// One `K=V` build argument as passed; a computed or absent value is `None`.
fn build_arg(arg: &str) -> Option<(String, Option<String>)> {
    let arg = unquote(arg);
    if arg.is_empty() {
        return None;
    }
    Some(match arg.split_once('=') {
        Some((k, v)) => {
            let v = unquote(v);
            (k.trim().to_owned(), (!computed(v)).then(|| v.to_owned()))
        }
        None => (arg.to_owned(), None),
    })
}

fn computed(s: &str) -> bool {
    is_template(s)
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(['"', '\''])
}

/// Splits an action input list (`a,b` or one per line).
fn input_list(value: &str) -> Vec<String> {
    value
        .split([',', '\n'])
        .map(|s| unquote(s).to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The stages built by one action step (`build-push-action`, `bake-action`).
pub(crate) fn built_by_step<'a>(step: &ActionInputs, repo: &'a RepoFacts) -> Vec<Built<'a>> {
    if step.uses_action("docker/build-push-action") {
        return build_push_request(step)
            .and_then(|r| lookup(repo, &r, "docker/build-push-action".to_owned()))
            .into_iter()
            .collect();
    }
    if step.uses_action("docker/bake-action") {
        if step
            .input("source")
            .is_some_and(|s| !matches!(unquote(s), "." | "{{defaultContext}}"))
        {
            return Vec::new();
        }
        let workdir = step.input("workdir").map_or(".", unquote);
        if computed(workdir) {
            return Vec::new();
        }
        let files = step.input("files").map(input_list).unwrap_or_default();
        let targets = step
            .input("targets")
            .map_or_else(|| vec!["default".to_owned()], input_list);
        let mut built = bake(repo, workdir, &files, &targets);
        // `set: *.args.X=…` overrides arguments in ways not read.
        if step.input("set").is_some_and(|s| s.contains("args")) {
            for b in &mut built {
                b.args_unknown = true;
            }
        }
        return built;
    }
    Vec::new()
}

fn build_push_request(step: &ActionInputs) -> Option<BuildRequest> {
    let context = step.input("context").map(unquote);
    let file = step.input("file").map(unquote);
    let target = step.input("target").map(|t| unquote(t).to_owned());
    if [context, file].into_iter().flatten().any(computed) {
        return None;
    }
    let dockerfile = match (file, context) {
        (Some(f), _) => join_relative("", f)?,
        (None, Some(c)) if c.contains("://") => return None,
        (None, Some(c)) => join_relative(c, "Dockerfile")?,
        (None, None) => "Dockerfile".to_owned(),
    };
    let tags = step.input("tags").map(input_list).unwrap_or_default();
    // `build-args` is a newline-delimited list (commas belong to values).
    let raw_args = step.input("build-args").unwrap_or_default();
    let lines: Vec<&str> = raw_args
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let args_unknown = lines.iter().any(|l| !l.contains('=') && computed(l));
    Some(BuildRequest {
        dockerfile,
        target,
        tags,
        args: lines.into_iter().filter_map(build_arg).collect(),
        args_unknown,
    })
}

/// Finds the requested stage in the repository's Dockerfiles.
fn lookup<'a>(repo: &'a RepoFacts, r: &BuildRequest, via: String) -> Option<Built<'a>> {
    let dockerfile = repo.dockerfiles.iter().find(|d| d.path == r.dockerfile)?;
    let stage = target_stage(dockerfile, r.target.as_deref())?;
    Some(Built {
        dockerfile,
        stage,
        via,
        args: Vec::new(),
        args_unknown: false,
    })
}

/// The stage a build of `df` with `target` builds: the named one (by alias,
/// case-insensitively), else the last; `None` when the name is computed or no stage has it.
fn target_stage(df: &Dockerfile, target: Option<&str>) -> Option<usize> {
    match target {
        Some(name) if computed(name) => None,
        Some(name) => df.stages.iter().position(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(name))
        }),
        None => df.stages.len().checked_sub(1),
    }
}

/// The stages built by `docker buildx bake` / `docker/bake-action` for `targets`.
fn bake<'a>(
    repo: &'a RepoFacts,
    workdir: &str,
    files: &[String],
    targets: &[String],
) -> Vec<Built<'a>> {
    let Some(workdir) = join_relative("", workdir) else {
        return Vec::new();
    };
    let names: Vec<String> = if files.is_empty() {
        [
            "docker-bake.json",
            "docker-bake.hcl",
            "docker-bake.override.json",
            "docker-bake.override.hcl",
        ]
        .iter()
        .filter_map(|f| join_relative(&workdir, f))
        .collect()
    } else {
        let Some(named) = files
            .iter()
            .map(|f| (!computed(f)).then(|| join_relative(&workdir, f)).flatten())
            .collect::<Option<Vec<_>>>()
        else {
            return Vec::new();
        };
        named
    };
    let read: Vec<&BakeFile> = names
        .iter()
        .filter_map(|n| repo.bake_files.iter().find(|b| &b.path == n))
        .collect();
    // A named file that is not in the repository (or could not be read) leaves the definition
    // unknown.
    if read.is_empty() || (!files.is_empty() && read.len() != names.len()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for t in targets {
        expand(&read, t, &mut seen, &mut out);
    }
    out.into_iter()
        .filter_map(|name| {
            let (t, line_of) = merged(&read, &name, &mut Vec::new())?;
            let context = t.context.as_deref().unwrap_or(".");
            let file = t.dockerfile.as_deref().unwrap_or("Dockerfile");
            if context.contains(':') || file.starts_with('/') {
                return None;
            }
            let dir = join_relative(&workdir, context)?;
            let request = BuildRequest {
                dockerfile: join_relative(&dir, file)?,
                target: t.target.clone(),
                ..BuildRequest::default()
            };
            let mut built = lookup(repo, &request, format!("bake target `{name}` ({line_of})"))?;
            built.args = t.args;
            built.args_unknown = t.args_unresolved;
            Some(built)
        })
        .collect()
}

/// Target names behind `name`: a group's targets (recursively), else the name itself.
fn expand(files: &[&BakeFile], name: &str, seen: &mut Vec<String>, out: &mut Vec<String>) {
    if computed(name) || seen.iter().any(|s| s == name) || seen.len() > 256 {
        return;
    }
    seen.push(name.to_owned());
    let groups: Vec<_> = files
        .iter()
        .flat_map(|f| f.groups.iter())
        .filter(|g| g.name == name)
        .collect();
    if groups.is_empty() {
        out.push(name.to_owned());
        return;
    }
    if groups.iter().any(|g| g.unresolved) {
        return;
    }
    // The last definition of a group wins, as in bake.
    if let Some(g) = groups.last() {
        for t in &g.targets {
            expand(files, t, seen, out);
        }
    }
}

/// A target with its `inherits` applied and its definitions in every file merged (later
/// files win attribute by attribute); `None` when undefined or anything deciding is computed.
fn merged(files: &[&BakeFile], name: &str, seen: &mut Vec<String>) -> Option<(BakeTarget, String)> {
    if seen.iter().any(|s| s == name) || seen.len() > 64 {
        return None;
    }
    seen.push(name.to_owned());
    let defs: Vec<(&BakeFile, &BakeTarget)> = files
        .iter()
        .flat_map(|f| f.targets.iter().map(move |t| (*f, t)))
        .filter(|(_, t)| t.name == name)
        .collect();
    let (first_file, first) = defs.first()?;
    let at = format!("{}:{}", first_file.path, first.line);
    let mut own = BakeTarget::default();
    for (_, t) in &defs {
        if !t.unresolved.is_empty() {
            return None;
        }
        own.args.extend(t.args.iter().cloned());
        own.args_unresolved |= t.args_unresolved;
        if !t.inherits.is_empty() {
            own.inherits.clone_from(&t.inherits);
        }
        for (slot, value) in [
            (&mut own.context, &t.context),
            (&mut own.dockerfile, &t.dockerfile),
            (&mut own.target, &t.target),
        ] {
            if value.is_some() {
                slot.clone_from(value);
            }
        }
    }
    let mut result = BakeTarget::default();
    for parent in &own.inherits {
        let (p, _) = merged(files, parent, seen)?;
        result.args.extend(p.args);
        result.args_unresolved |= p.args_unresolved;
        for (slot, value) in [
            (&mut result.context, p.context),
            (&mut result.dockerfile, p.dockerfile),
            (&mut result.target, p.target),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
    }
    for (slot, value) in [
        (&mut result.context, own.context),
        (&mut result.dockerfile, own.dockerfile),
        (&mut result.target, own.target),
    ] {
        if value.is_some() {
            *slot = value;
        }
    }
    result.args.extend(own.args);
    result.args.sort();
    result.args.dedup();
    result.args_unresolved |= own.args_unresolved;
    Some((result, at))
}

/// The commands of a `run:` script, each as the words of the program that runs ([`shell`]). A
/// script too large or too deeply nested to read builds nothing that can be seen.
fn programs(commands: &[shell::Command]) -> impl Iterator<Item = &[String]> {
    commands
        .iter()
        .map(shell::Command::program)
        .filter(|w| !w.is_empty())
}

/// Flags of `docker build` / `docker buildx bake` that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "-f",
    "--file",
    "-t",
    "--tag",
    "--target",
    "--build-arg",
    "--platform",
    "--label",
    "--secret",
    "--ssh",
    "--cache-from",
    "--cache-to",
    "-o",
    "--output",
    "--progress",
    "--network",
    "--iidfile",
    "--metadata-file",
    "--builder",
    "--build-context",
    "--add-host",
    "--shm-size",
    "--ulimit",
    "--allow",
    "--annotation",
    "--attest",
    "--call",
    "--cgroup-parent",
    "--set",
    "--sbom",
    "--provenance",
    "--list",
    "--var",
    "-m",
    "--memory",
    "--isolation",
];

/// `docker build …` / `docker buildx build …` / `docker image build …`: the request, when
/// its Dockerfile and context are literal.
fn build_command(words: &[String]) -> Option<BuildRequest> {
    let args = match words {
        [d, b, rest @ ..] if d == "docker" && b == "build" => rest,
        [d, x, b, rest @ ..]
            if d == "docker" && (x == "buildx" || x == "image") && b == "build" =>
        {
            rest
        }
        _ => return None,
    };
    let (flags, positional) = split_args(args);
    let value = |names: &[&str]| {
        flags
            .iter()
            .rev()
            .find(|(f, _)| names.contains(&f.as_str()))
            .map(|(_, v)| v.clone())
    };
    let [context] = positional.as_slice() else {
        return None;
    };
    let file = value(&["-f", "--file"]);
    let target = value(&["--target"]);
    if [Some(context.clone()), file.clone()]
        .iter()
        .flatten()
        .any(|s| computed(s) || s == "-" || s.contains("://"))
    {
        return None;
    }
    let dockerfile = match file {
        Some(f) => join_relative("", &f)?,
        None => join_relative(context, "Dockerfile")?,
    };
    let tags = flags
        .iter()
        .filter(|(f, _)| f == "-t" || f == "--tag")
        .map(|(_, v)| v.clone())
        .collect();
    let args = flags
        .iter()
        .filter(|(f, _)| f == "--build-arg")
        .filter_map(|(_, v)| build_arg(v))
        .collect();
    Some(BuildRequest {
        dockerfile,
        target,
        tags,
        args,
        args_unknown: false,
    })
}

/// `(flag, value)` pairs (value empty for a boolean flag) and positional words.
fn split_args(args: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let (mut flags, mut positional) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        if let Some((f, v)) = w.split_once('=').filter(|_| w.starts_with('-')) {
            flags.push((f.to_owned(), v.to_owned()));
        } else if VALUE_FLAGS.contains(&w.as_str()) {
            flags.push((w.clone(), args.get(i + 1).cloned().unwrap_or_default()));
            i += 1;
        } else if w.starts_with('-') && w.len() > 1 {
            flags.push((w.clone(), String::new()));
        } else {
            positional.push(w.clone());
        }
        i += 1;
    }
    (flags, positional)
}

/// The stages a `run:` script (its commands as read) builds with `docker build` or `docker
/// buildx bake`.
pub(crate) fn built_by_script<'a>(
    commands: &[shell::Command],
    repo: &'a RepoFacts,
) -> Vec<Built<'a>> {
    let mut out = Vec::new();
    for words in programs(commands) {
        if let Some(r) = build_command(words) {
            let via = match &r.target {
                Some(t) => format!("docker build --target {t} ({})", r.dockerfile),
                None => format!("docker build ({})", r.dockerfile),
            };
            out.extend(lookup(repo, &r, via));
            continue;
        }
        out.extend(bake_command(words, repo));
    }
    out
}

/// The stages `docker buildx bake …` (or `docker bake …`) builds; none for another command.
fn bake_command<'a>(words: &[String], repo: &'a RepoFacts) -> Vec<Built<'a>> {
    let args = match words {
        [d, x, b, rest @ ..] if d == "docker" && x == "buildx" && b == "bake" => rest,
        [d, b, rest @ ..] if d == "docker" && b == "bake" => rest,
        _ => return Vec::new(),
    };
    let (flags, positional) = split_args(args);
    let files: Vec<String> = flags
        .iter()
        .filter(|(f, _)| f == "-f" || f == "--file")
        .map(|(_, v)| v.clone())
        .collect();
    let targets = if positional.is_empty() {
        vec!["default".to_owned()]
    } else {
        positional
    };
    let mut built = bake(repo, ".", &files, &targets);
    // `--set *.args.X=…` overrides arguments in ways not read.
    if flags
        .iter()
        .any(|(f, v)| f == "--set" && v.contains("args"))
    {
        for b in &mut built {
            b.args_unknown = true;
        }
    }
    built
}

/// A build of one Dockerfile that a workflow of the repository runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Build {
    /// The stage built; `None` when the build names a target no stage has, or a computed one.
    pub stage: Option<usize>,
    /// The target as the build names it, for messages.
    pub target: Option<String>,
    /// Build-argument overrides (`None`: a value vouch cannot read).
    pub args: Vec<(String, Option<String>)>,
    /// The build passes arguments that cannot be listed.
    pub args_unknown: bool,
    /// How and where (`docker build --target release … in .github/workflows/release.yml:12`).
    pub via: String,
    /// In a release, deploy or publish workflow, or pushing what it builds (`--push`,
    /// `push: true`): a build of what ships rather than a CI test or lint build.
    pub release: bool,
}

/// Every build of `df` that the repository's workflows run: `docker build` / `buildx bake`
/// commands in `run:` steps (read through `search`), `docker/build-push-action` and
/// `docker/bake-action` steps. Duplicates (same stage and arguments) are kept once. Empty when
/// no workflow names the Dockerfile: then what is judged is its default build.
pub(crate) fn builds_of<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    search: &crate::rules::ScriptSearch<'_, 'a>,
) -> Vec<Build> {
    let mut out: Vec<Build> = Vec::new();
    let mut push = |b: Build| {
        let same = |o: &Build| {
            o.stage == b.stage
                && o.target == b.target
                && o.args == b.args
                && o.args_unknown == b.args_unknown
        };
        match out.iter_mut().find(|o| same(o)) {
            Some(o) => o.release |= b.release,
            None => out.push(b),
        }
    };
    let from_request = |r: &BuildRequest, via: String, release: bool| Build {
        stage: target_stage(df, r.target.as_deref()),
        target: r.target.clone(),
        args: r.args.clone(),
        args_unknown: r.args_unknown,
        via,
        release,
    };
    let from_built = |b: &Built<'_>, at: &str, release: bool| Build {
        stage: Some(b.stage),
        target: df.stages.get(b.stage).and_then(|s| s.alias.clone()),
        args: b.args.iter().map(|a| (a.clone(), None)).collect(),
        args_unknown: b.args_unknown,
        via: format!("{} in {at}", b.via),
        release,
    };
    for wf in &repo.workflows {
        let release_workflow = super::docker_role::is_release_workflow(&wf.path, &wf.triggers);
        for step in &wf.action_inputs {
            let at = format!("{}:{}", wf.path, step.line);
            // A computed `push:` (`${{ github.event_name != 'pull_request' }}`, the starter
            // workflow's) pushes on some runs: it counts as pushing.
            let pushes = release_workflow
                || step.input("push").is_some_and(|p| {
                    let p = unquote(p);
                    p.eq_ignore_ascii_case("true") || p.contains("${{")
                });
            if step.uses_action("docker/build-push-action") {
                if let Some(r) = build_push_request(step).filter(|r| r.dockerfile == df.path) {
                    let via = format!("docker/build-push-action at {at}");
                    push(from_request(&r, via, pushes));
                }
                continue;
            }
            for b in built_by_step(step, repo) {
                if b.dockerfile.path == df.path {
                    push(from_built(&b, &at, pushes));
                }
            }
        }
        for run in &wf.runs {
            // Paths in a script that runs elsewhere, or after a `cd`, are relative to a
            // directory not followed here: its builds are not attributed to any Dockerfile
            // (the Dockerfile's default build is then judged).
            if wf.run_directories.iter().any(|d| d.line == run.line) {
                continue;
            }
            let read = search.run_step(&wf.path, run);
            let at = format!("{}:{}", wf.path, run.line);
            for words in programs(crate::rules::commands_of(&read))
                .take_while(|words| !matches!(words[0].as_str(), "cd" | "pushd"))
            {
                let pushes = release_workflow || words.iter().any(|w| w == "--push");
                if let Some(r) = build_command(words) {
                    if r.dockerfile == df.path {
                        let shown = shell_words(words);
                        push(from_request(&r, format!("`{shown}` at {at}"), pushes));
                    }
                    continue;
                }
                for b in bake_command(words, repo) {
                    if b.dockerfile.path == df.path {
                        push(from_built(&b, &at, pushes));
                    }
                }
            }
        }
    }
    out
}

/// A build command's words joined for a message, long ones cut. Values that may be secrets
/// are never shown: a `--build-arg` keeps only its name (`DB_PASSWORD=…`), a `--secret` only
/// the option, and token formats anywhere are redacted.
fn shell_words(words: &[String]) -> String {
    let name_only = |arg: &str| match arg.split_once('=') {
        Some((name, _)) => format!("{name}=…"),
        None => arg.to_owned(),
    };
    let mut shown = Vec::with_capacity(words.len());
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        match word.split_once('=') {
            Some(("--build-arg", arg)) => shown.push(format!("--build-arg={}", name_only(arg))),
            Some(("--secret", _)) => shown.push("--secret=…".to_owned()),
            _ if word == "--build-arg" || word == "--secret" => {
                shown.push(word.clone());
                let value = rest.next().map(|v| name_only(v));
                shown.push(if word == "--secret" {
                    "…".to_owned()
                } else {
                    value.unwrap_or_default()
                });
            }
            _ => shown.push(word.clone()),
        }
    }
    let joined = crate::secrets::redact(&shown.join(" ")).0;
    match joined.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

/// The Dockerfile as `build` builds it: its stages up to the one built (later stages are not
/// built), with the build's `--build-arg` overrides applied to `FROM` lines and `USER`.
/// `Err` (one sentence naming the build) when what is built cannot be known: a target no stage
/// has, arguments that cannot be listed, or an overridden argument whose value is computed, or
/// that reaches a `FROM`/`USER` through another argument's default.
pub(crate) fn as_built(df: &Dockerfile, build: &Build) -> Result<Dockerfile, String> {
    let Some(stage) = build.stage else {
        let target = build.target.as_deref().unwrap_or_default();
        return Err(format!(
            "{} builds target `{target}`, which is computed or names no stage of {}: what it \
             builds cannot be judged",
            build.via, df.path
        ));
    };
    if build.args_unknown {
        return Err(format!(
            "{} passes build arguments vouch cannot read: what it builds cannot be judged",
            build.via
        ));
    }
    let mut out = df.clone();
    out.stages.truncate(stage + 1);
    if build.args.is_empty() {
        return Ok(out);
    }
    let overrides: std::collections::BTreeMap<&str, Option<&str>> = build
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    // Global ARGs as this build sets them; `unknown` are those whose value vouch cannot give
    // (computed overrides, defaults built from an overridden argument).
    let mut globals: std::collections::BTreeMap<String, Option<String>> =
        std::collections::BTreeMap::new();
    let mut unknown: Vec<String> = Vec::new();
    for a in &df.global_args {
        let value = match overrides.get(a.key.as_str()) {
            Some(Some(v)) => Some((*v).to_owned()),
            Some(None) => {
                unknown.push(a.key.clone());
                None
            }
            None if a
                .uses
                .iter()
                .any(|u| overrides.contains_key(u.as_str()) || unknown.contains(u)) =>
            {
                unknown.push(a.key.clone());
                None
            }
            None => Some(a.value.clone()).filter(|v| !v.is_empty()),
        };
        globals.insert(a.key.clone(), value);
    }
    let cannot = |what: &str, written: &str, var: &str| {
        format!(
            "{} sets build argument `{var}`, which `{what} {written}` uses, to a value vouch \
             cannot read (or that reaches it through another argument): what it builds cannot \
             be judged",
            build.via
        )
    };
    for s in &mut out.stages {
        let written = s.base_written.clone().unwrap_or_else(|| s.base.clone());
        let vars = crate::parse::dockerfile::variables(&written);
        if vars
            .iter()
            .any(|v| overrides.contains_key(v.as_str()) || unknown.contains(v))
        {
            if let Some(v) = vars.iter().find(|v| unknown.contains(v)) {
                return Err(cannot("FROM", &written, v));
            }
            s.base = crate::parse::dockerfile::substitute(&written, &globals);
            s.base_written = (s.base != written).then_some(written);
        }
        let Some(user) = s.user.as_mut() else {
            continue;
        };
        let user_written = s.user_written.clone().unwrap_or_else(|| user.value.clone());
        let vars = crate::parse::dockerfile::variables(&user_written);
        if vars.is_empty() {
            continue;
        }
        // The stage's variables before its USER, as this build sets them.
        let mut scope: std::collections::BTreeMap<String, Option<String>> =
            std::collections::BTreeMap::new();
        let mut stage_unknown: Vec<String> = Vec::new();
        let mut env_set: Vec<String> = Vec::new();
        for x in s.settings.iter().filter(|x| x.line < user.line) {
            let is_env = x.instruction == "ENV";
            if !is_env && env_set.contains(&x.key) {
                continue; // an ENV of the same name wins over an ARG
            }
            let depends = x
                .uses
                .iter()
                .chain(crate::parse::dockerfile::variables(&x.value).iter())
                .any(|u| {
                    stage_unknown.contains(u) || (!is_env && overrides.contains_key(u.as_str()))
                });
            let value = match (is_env, overrides.get(x.key.as_str())) {
                (false, Some(Some(v))) => Some((*v).to_owned()),
                (false, Some(None)) => None,
                _ if depends || (!is_env && unknown.contains(&x.key)) => None,
                (true, _) => Some(crate::parse::dockerfile::substitute(&x.value, &scope)),
                (false, None) => Some(x.value.clone()).filter(|v| !v.is_empty()),
            };
            if value.is_none() {
                stage_unknown.push(x.key.clone());
            } else {
                stage_unknown.retain(|k| k != &x.key);
            }
            if is_env {
                env_set.push(x.key.clone());
            }
            scope.insert(x.key.clone(), value);
        }
        if let Some(v) = vars.iter().find(|v| stage_unknown.contains(v)) {
            return Err(cannot("USER", &user_written, v));
        }
        let value = crate::parse::dockerfile::substitute(&user_written, &scope);
        user.value = crate::parse::dockerfile::unquote(&value);
    }
    Ok(out)
}

/// The Dockerfiles as the repository's builds build them, each with how it is built (`None`:
/// the Dockerfile's own default, when no workflow builds it), or why that cannot be known.
pub(crate) fn built_variants<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    search: &crate::rules::ScriptSearch<'_, 'a>,
) -> Vec<(Option<Build>, Result<Dockerfile, String>)> {
    let builds = builds_of(df, repo, search);
    if builds.is_empty() {
        return vec![(None, Ok(df.clone()))];
    }
    builds
        .into_iter()
        .map(|b| {
            let built = as_built(df, &b);
            (Some(b), built)
        })
        .collect()
}

/// The stages that building stage `index` runs: itself, the stage it is `FROM`, and the stages
/// it copies or mounts `--from` (transitively). BuildKit builds exactly these.
pub(crate) fn stages_needed(df: &Dockerfile, index: usize) -> Vec<usize> {
    let mut needed = vec![index];
    let mut at = 0;
    while let Some(&i) = needed.get(at) {
        at += 1;
        let Some(stage) = df.stages.get(i) else {
            continue;
        };
        let mut deps: Vec<usize> = df.earlier_stage(i).into_iter().collect();
        for r in &stage.from_refs {
            let by_index = r.value.parse::<usize>().ok().filter(|n| *n < i);
            let by_alias = df.stages[..i].iter().rposition(|s| {
                s.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&r.value))
            });
            deps.extend(by_index.or(by_alias));
        }
        for d in deps {
            if !needed.contains(&d) {
                needed.push(d);
            }
        }
    }
    needed
}

/// An image a workflow builds from a Dockerfile of the repository and tags.
#[derive(Debug)]
pub(crate) struct TaggedImage<'a> {
    /// The image name without tag or digest, normalised ([`image_name`]).
    pub name: String,
    pub tag: String,
    pub dockerfile: &'a str,
    pub workflow: &'a str,
}

/// Every literal tag a workflow gives an image it builds (`build-push-action`'s `tags:`,
/// `docker build -t`); the `run:` scripts are read through `search`.
pub(crate) fn tagged_images<'a>(
    repo: &'a RepoFacts,
    search: &crate::rules::ScriptSearch<'_, 'a>,
) -> Vec<TaggedImage<'a>> {
    let mut out = Vec::new();
    for wf in &repo.workflows {
        let mut requests: Vec<BuildRequest> = wf
            .action_inputs
            .iter()
            .filter(|s| s.uses_action("docker/build-push-action"))
            .filter_map(build_push_request)
            .collect();
        for run in &wf.runs {
            let read = search.run_step(&wf.path, run);
            requests.extend(programs(crate::rules::commands_of(&read)).filter_map(build_command));
        }
        for r in requests {
            let Some(df) = repo.dockerfiles.iter().find(|d| d.path == r.dockerfile) else {
                continue;
            };
            for tag in &r.tags {
                if let Some(name) = image_name(tag) {
                    out.push(TaggedImage {
                        name,
                        tag: tag.clone(),
                        dockerfile: &df.path,
                        workflow: &wf.path,
                    });
                }
            }
        }
    }
    out
}

/// An image reference's repository, lowercased, without tag, digest, `docker.io/` or
/// `library/`; `None` when the name itself is computed.
pub(crate) fn image_name(reference: &str) -> Option<String> {
    let r = reference.trim().to_ascii_lowercase();
    ImageRef::parse_name_of(&r).ok().map(|r| r.familiar_name())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_build_command_is_shown_without_its_argument_values() {
        let words: Vec<String> = [
            "docker",
            "build",
            "--build-arg",
            "DB_PASSWORD=hunter2hunter2",
            "--build-arg=API_KEY=abc123",
            "--secret",
            "id=npm,src=/home/ci/.npmrc",
            "-t",
            "api",
            ".",
        ]
        .map(str::to_owned)
        .into();
        let shown = shell_words(&words);
        assert_eq!(
            shown,
            "docker build --build-arg DB_PASSWORD=… --build-arg=API_KEY=… --secret … -t api ."
        );
    }
    use super::*;
    use crate::facts::repo::BakeGroup;

    fn by_script<'a>(script: &str, repo: &'a RepoFacts) -> Vec<Built<'a>> {
        built_by_script(&shell::commands(script).unwrap(), repo)
    }

    fn df(path: &str, text: &str) -> Dockerfile {
        crate::parse::dockerfile::parse(path, text).unwrap()
    }

    const SCAN: &str = "FROM golang:1 AS base\nRUN go install golang.org/x/vuln/cmd/govulncheck@v1\n\
                        FROM base AS run\nRUN govulncheck ./...\nFROM scratch AS output\n\
                        COPY --from=run /out /\n";

    fn repo() -> RepoFacts {
        RepoFacts {
            dockerfiles: vec![
                df("hack/govulncheck.Dockerfile", SCAN),
                df("Dockerfile", "FROM a AS build\nRUN make\nFROM b AS lint\nRUN x\nFROM c\n"),
            ],
            bake_files: vec![crate::parse::bake::parse(
                "docker-bake.hcl",
                "group \"validate\" { targets = [\"vuln\"] }\ntarget \"_c\" { target = \"output\" }\n\
                 target \"vuln\" {\n  inherits = [\"_c\"]\n  dockerfile = \"./hack/govulncheck.Dockerfile\"\n}\n",
            )
            .unwrap()],
            ..RepoFacts::default()
        }
    }

    /// A step of the tests' workflow, at line 3.
    fn step(uses: &str, with: &[(&str, &str)]) -> ActionInputs {
        crate::rules::action_step(uses, 3, with)
    }

    #[test]
    fn bake_targets_resolve_through_groups_and_inherits() {
        let repo = repo();
        let built = built_by_step(
            &step("docker/bake-action@v6", &[("targets", "validate")]),
            &repo,
        );
        assert_eq!(built.len(), 1);
        assert_eq!(built[0].dockerfile.path, "hack/govulncheck.Dockerfile");
        assert_eq!(built[0].stage, 2);
        assert!(
            built[0].via.contains("docker-bake.hcl:3"),
            "{}",
            built[0].via
        );
        assert_eq!(stages_needed(built[0].dockerfile, 2), [2, 1, 0]);
        // Undefined target, unknown file, computed name: nothing.
        for with in [
            vec![("targets", "nope")],
            vec![("targets", "vuln"), ("files", "other.hcl")],
            vec![("targets", "${{ matrix.t }}")],
        ] {
            assert!(built_by_step(&step("docker/bake-action@v6", &with), &repo).is_empty());
        }
        let by_script = by_script("docker buildx bake \\\n  --progress plain vuln", &repo);
        assert_eq!(by_script.len(), 1);
        let mut cyclic = repo.clone();
        cyclic.bake_files[0].groups.push(BakeGroup {
            name: "vuln".to_owned(),
            targets: vec!["validate".to_owned()],
            unresolved: false,
        });
        assert!(
            built_by_step(
                &step("docker/bake-action@v6", &[("targets", "vuln")]),
                &cyclic
            )
            .is_empty()
        );
    }

    #[test]
    fn build_targets_resolve_to_their_stage() {
        let repo = repo();
        let built = built_by_step(
            &step(
                "docker/build-push-action@v6",
                &[("file", "hack/govulncheck.Dockerfile"), ("target", "run")],
            ),
            &repo,
        );
        assert_eq!((built.len(), built[0].stage), (1, 1));
        let built = by_script("docker build --target lint -t x:1 .", &repo);
        assert_eq!(
            (built[0].dockerfile.path.as_str(), built[0].stage),
            ("Dockerfile", 1)
        );
        // No --target: the last stage.
        assert_eq!(by_script("docker build .", &repo)[0].stage, 2);
        assert!(by_script("docker build --target missing .", &repo).is_empty());
        assert!(by_script("docker build --target $T .", &repo).is_empty());
        assert!(by_script("docker build -f other/Dockerfile .", &repo).is_empty());
    }

    /// The builds of `Dockerfile` in a repository whose one workflow runs `script` and the
    /// action `steps`.
    fn builds(
        text: &str,
        script: &str,
        steps: Vec<ActionInputs>,
    ) -> Vec<(Build, Result<Dockerfile, String>)> {
        let repo = RepoFacts {
            dockerfiles: vec![df("Dockerfile", text)],
            workflows: vec![crate::facts::repo::Workflow {
                path: ".github/workflows/release.yml".to_owned(),
                runs: vec![crate::facts::repo::Located {
                    value: script.to_owned(),
                    line: 9,
                    column: None,
                }],
                action_inputs: steps,
                ..Default::default()
            }],
            ..RepoFacts::default()
        };
        let scripts = shell::Scripts::default();
        let search = crate::rules::ScriptSearch::new(&scripts);
        built_variants(&repo.dockerfiles[0], &repo, &search)
            .into_iter()
            .filter_map(|(b, d)| Some((b?, d)))
            .collect()
    }

    const TWO_STAGES: &str = "FROM node:20-bookworm-slim AS release\nCMD [\"node\"]\n\
                              FROM gcr.io/distroless/nodejs20-debian12:nonroot AS distroless\n";

    #[test]
    fn a_build_is_judged_at_the_stage_it_targets() {
        let got = builds(
            TWO_STAGES,
            "docker build -f Dockerfile --target release -t x:1 .",
            vec![],
        );
        assert_eq!(got.len(), 1);
        let built = got[0].1.as_ref().unwrap();
        assert_eq!(built.stages.len(), 1, "later stages are not built");
        assert_eq!(built.final_chain()[0].base, "node:20-bookworm-slim");
        assert!(
            got[0].0.via.contains("--target release"),
            "{}",
            got[0].0.via
        );
        assert!(got[0].0.via.contains("release.yml:9"), "{}", got[0].0.via);
        // No workflow builds it: the default build alone, judged as written.
        let none = builds(TWO_STAGES, "echo hi", vec![]);
        assert!(none.is_empty());
        // A target no stage has, or a computed one, cannot be judged.
        for script in [
            "docker build --target missing .",
            "docker build --target \"$T\" .",
        ] {
            let got = builds(TWO_STAGES, script, vec![]);
            assert!(
                got[0].1.as_ref().unwrap_err().contains("names no stage"),
                "{script}"
            );
        }
        let step = crate::rules::action_step(
            "docker/build-push-action@v6",
            3,
            &[("target", "release"), ("push", "true")],
        );
        let got = builds(TWO_STAGES, "", vec![step]);
        assert_eq!(got[0].1.as_ref().unwrap().stages.len(), 1);
    }

    #[test]
    fn build_arguments_override_from_and_user() {
        let text = "ARG RUNTIME=gcr.io/distroless/nodejs20-debian12:nonroot@sha256:ab\n\
                    FROM ${RUNTIME}\nARG UID=10001\nUSER ${UID}\nCMD [\"node\"]\n";
        let got = builds(
            text,
            "docker build --build-arg RUNTIME=node:20-bookworm-slim --build-arg UID=0 .",
            vec![],
        );
        let built = got[0].1.as_ref().unwrap();
        assert_eq!(built.stages[0].base, "node:20-bookworm-slim");
        assert_eq!(built.stages[0].user.as_ref().unwrap().value, "0");
        // build-push-action's newline-separated `build-args:`.
        let step = crate::rules::action_step(
            "docker/build-push-action@v6",
            3,
            &[("build-args", "RUNTIME=node:22\nOTHER=a,b\n")],
        );
        let got = builds(text, "", vec![step]);
        let built = got[0].1.as_ref().unwrap();
        assert_eq!(built.stages[0].base, "node:22");
        assert_eq!(built.stages[0].user.as_ref().unwrap().value, "10001");
        // A value that cannot be read, or arguments that cannot be listed: an error naming the
        // build. An argument nothing uses changes nothing.
        for (script, steps) in [
            (
                "docker build --build-arg RUNTIME=${{ inputs.base }} .",
                vec![],
            ),
            ("docker build --build-arg UID .", vec![]),
            (
                "",
                vec![crate::rules::action_step(
                    "docker/build-push-action@v6",
                    3,
                    &[("build-args", "${{ steps.args.outputs.list }}")],
                )],
            ),
        ] {
            let got = builds(text, script, steps);
            let err = got[0].1.as_ref().unwrap_err();
            assert!(err.contains("cannot read"), "{err}");
        }
        let got = builds(
            text,
            "docker build --build-arg VERSION=${{ github.sha }} .",
            vec![],
        );
        assert_eq!(
            got[0].1.as_ref().unwrap().stages[0].base,
            df("D", text).stages[0].base
        );
        // An argument reaching FROM through another ARG's default is not recomputed.
        let chained = "ARG TAG=nonroot\nARG IMG=gcr.io/distroless/static:${TAG}\nFROM ${IMG}\n";
        let got = builds(chained, "docker build --build-arg TAG=latest .", vec![]);
        assert!(got[0].1.is_err());
        // ENV built from an overridden ARG follows it.
        let env = "FROM a\nARG UID=10001\nENV APP_UID=${UID}\nUSER $APP_UID\n";
        let got = builds(env, "docker build --build-arg UID=0 .", vec![]);
        assert_eq!(
            got[0].1.as_ref().unwrap().stages[0]
                .user
                .as_ref()
                .unwrap()
                .value,
            "0"
        );
    }

    #[test]
    fn bake_args_are_names_whose_values_are_not_read() {
        let text = "ARG RUNTIME=gcr.io/distroless/static:nonroot@sha256:ab\nFROM ${RUNTIME}\n";
        let repo = |bake: &str| RepoFacts {
            dockerfiles: vec![df("Dockerfile", text)],
            bake_files: vec![crate::parse::bake::parse("docker-bake.hcl", bake).unwrap()],
            workflows: vec![crate::facts::repo::Workflow {
                path: ".github/workflows/release.yml".to_owned(),
                runs: vec![crate::facts::repo::Located {
                    value: "docker buildx bake app".to_owned(),
                    line: 9,
                    column: None,
                }],
                ..Default::default()
            }],
            ..RepoFacts::default()
        };
        let judged = |bake: &str| {
            let repo = repo(bake);
            let scripts = shell::Scripts::default();
            let search = crate::rules::ScriptSearch::new(&scripts);
            let got = built_variants(&repo.dockerfiles[0], &repo, &search);
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].0.is_some(), "the bake target builds it");
            got[0].1.clone()
        };
        // Through `inherits`: the argument a FROM uses is set to a value not read.
        let err = judged(
            "target \"base\" {\n  args = { RUNTIME = \"node:20\" }\n}\n\
             target \"app\" {\n  inherits = [\"base\"]\n}\n",
        )
        .unwrap_err();
        assert!(err.contains("`RUNTIME`"), "{err}");
        assert!(judged("target \"app\" {\n  args = var.ARGS\n}\n").is_err());
        // An argument no FROM or USER uses changes nothing.
        let built = judged("target \"app\" {\n  args = { VERSION = \"1\" }\n}\n").unwrap();
        assert_eq!(
            built.stages[0].base,
            "gcr.io/distroless/static:nonroot@sha256:ab"
        );
    }

    #[test]
    fn tags_and_image_names() {
        let mut repo = repo();
        repo.workflows.push(crate::facts::repo::Workflow {
            path: ".github/workflows/ci.yml".to_owned(),
            runs: vec![crate::facts::repo::Located {
                value: "docker build -t ghcr.io/acme/api:${{ github.sha }} -t acme/api:dev ."
                    .to_owned(),
                line: 4,
                column: None,
            }],
            action_inputs: vec![step(
                "docker/build-push-action@v6",
                &[("tags", "${{ steps.meta.outputs.tags }}")],
            )],
            ..Default::default()
        });
        let names: Vec<String> = tagged_images(
            &repo,
            &crate::rules::ScriptSearch::new(&shell::Scripts::default()),
        )
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(names, ["ghcr.io/acme/api", "acme/api"]);
        assert_eq!(
            image_name("docker.io/library/nginx:1.27@sha256:abc").as_deref(),
            Some("nginx")
        );
        assert_eq!(
            image_name("localhost:5000/app").as_deref(),
            Some("localhost:5000/app")
        );
        assert_eq!(image_name("${REGISTRY}/app:1"), None);
        assert_eq!(image_name("Acme/API:1").as_deref(), Some("acme/api"));
        assert_eq!(
            image_name("ghcr.io/library/app").as_deref(),
            Some("ghcr.io/library/app")
        );
        // Not an image name: no image is built under it.
        assert_eq!(image_name("acme/api!:1"), None);
    }
}
