//! Dockerfiles (`Dockerfile`, `Containerfile`, `*.dockerfile`, `Dockerfile.*`).
//!
//! A small hand-written parser rather than the `dockerfile-parser` crate (0.9, pest grammar):
//! that crate has no heredoc support (HewlettPackard/dockerfile-parser-rs#37, still open; the
//! PRs adding it were not merged), ignores the `# escape=` directive, and does no `ARG`
//! substitution, which is the one thing `docker-base-pinned` needs most. What we need is
//! narrow — stages, their base, `USER`, `RUN`, `ENV`/`ARG`, `COPY`/`ADD` sources — and follows
//! the Dockerfile reference closely enough to write in a page: logical lines joined on the
//! escape character, comment lines dropped (also inside continuations), heredoc bodies
//! consumed, JSON (exec) form with a fallback to shell form exactly as BuildKit does.
//!
//! Secrets are redacted here, at collection: `ENV`/`ARG` values that look like a credential are
//! replaced by `<redacted KIND, N chars>`, and token-shaped spans in `RUN` lines likewise.

use std::collections::BTreeMap;

use crate::facts::repo::{Dockerfile, HeredocSecret, Located, Setting, Stage};
use crate::secrets;

/// The `secret_kind` of a value redacted because of its key's name (`DB_PASSWORD=…`).
pub const NAMED_SECRET: &str = "named-secret";

pub fn parse(path: &str, text: &str) -> Result<Dockerfile, String> {
    let mut df = Dockerfile {
        path: path.to_owned(),
        ..Dockerfile::default()
    };
    let mut global_args: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut scope = Scope::default();
    for ins in instructions(text)? {
        match ins.keyword.as_str() {
            "FROM" => {
                let stage = from_stage(&ins, &global_args)?;
                df.stages.push(stage);
                scope = Scope::default();
            }
            "ARG" => {
                for (key, default) in key_values(&ins.args, false) {
                    let raw_default = default.clone();
                    let Some(stage) = df.stages.last_mut() else {
                        // A default may use earlier ARGs: `ARG BASE=node:${NODE}-alpine`.
                        let default = default
                            .map(|d| substitute(&d, &global_args))
                            .filter(|d| !is_placeholder(d));
                        let mut recorded = setting("ARG", &key, default.as_deref(), ins.line);
                        recorded.uses = raw_default.as_deref().map(variables).unwrap_or_default();
                        // Later `${KEY}`s see the redacted value, never the secret.
                        global_args.insert(key, default.map(|_| recorded.value.clone()));
                        df.global_args.push(recorded);
                        continue;
                    };
                    // A stage `ARG X` without a default re-imports the global one.
                    let value = default
                        .map(|d| substitute(&d, &scope.vars))
                        .filter(|d| !is_placeholder(d))
                        .or_else(|| global_args.get(&key).cloned().flatten());
                    let mut recorded = setting("ARG", &key, value.as_deref(), ins.line);
                    recorded.uses = raw_default.as_deref().map(variables).unwrap_or_default();
                    scope.set(key, value.map(|_| recorded.value.clone()));
                    stage.settings.push(recorded);
                }
            }
            _ => {
                let Some(stage) = df.stages.last_mut() else {
                    continue; // BuildKit rejects these; nothing before a FROM is judged.
                };
                stage_instruction(stage, &mut scope, &ins);
            }
        }
    }
    if df.stages.is_empty() {
        return Err("no FROM instruction: not a buildable Dockerfile".to_owned());
    }
    Ok(df)
}

/// An `ARG` default that only holds the place of a value the build passes in
/// (`ARG RUNTIME_IMAGE=placeholder`, oauth2-proxy's form): taken as no default, so what it
/// stands for stays unresolved instead of being judged as an image named `placeholder`.
fn is_placeholder(default: &str) -> bool {
    let word: String = default
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '<' | '>'))
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "placeholder" | "changeme" | "replaceme" | "overrideme" | "setme" | "tbd" | "todo"
    )
}

/// Variables visible inside a stage: its `ARG`s and `ENV`s so far.
#[derive(Default)]
struct Scope {
    vars: BTreeMap<String, Option<String>>,
}

impl Scope {
    fn set(&mut self, key: String, value: Option<String>) {
        self.vars.insert(key, value);
    }
}

fn stage_instruction(stage: &mut Stage, scope: &mut Scope, ins: &Instruction) {
    match ins.keyword.as_str() {
        "ENV" => {
            for (key, value) in key_values(&ins.args, true) {
                let recorded = setting("ENV", &key, Some(&value.unwrap_or_default()), ins.line);
                scope.set(key, Some(recorded.value.clone()));
                stage.settings.push(recorded);
            }
        }
        "USER" => {
            // BuildKit reads the operand as one shell word: quotes are removed
            // (`USER "root"` is root), variables expanded.
            let written = ins.args.trim();
            let user = unquote(&substitute(written, &scope.vars));
            stage.user_written = (user != written).then(|| written.to_owned());
            stage.user = Some(Located {
                value: user,
                line: ins.line,
                column: None,
            });
        }
        "RUN" => {
            let found: Vec<HeredocSecret> = inline_files_of(ins)
                .iter()
                .flat_map(heredoc_secrets)
                .collect();
            let mut command = command_text(&ins.args);
            for doc in &ins.heredocs {
                command.push('\n');
                command.push_str(&without_secret_lines(doc, &found));
            }
            stage.runs.push(Located {
                value: secrets::redact(&command).0,
                line: ins.line,
                column: None,
            });
            stage.heredoc_secrets.extend(found);
            record_from_refs(stage, scope, ins);
        }
        "COPY" | "ADD" => {
            for file in inline_files_of(ins) {
                stage.heredoc_secrets.extend(heredoc_secrets(&file));
            }
            for source in copy_sources(&ins.args) {
                stage.copies.push(Located {
                    value: source,
                    line: ins.line,
                    column: None,
                });
            }
            record_from_refs(stage, scope, ins);
        }
        "CMD" | "ENTRYPOINT" => {
            // The instruction and its command (redacted), e.g. `ENTRYPOINT ["/app"]`.
            let text = format!("{} {}", ins.keyword, command_text(&ins.args));
            stage.command = Some(Located {
                value: secrets::redact(&text).0,
                line: ins.line,
                column: None,
            });
        }
        _ => {}
    }
}

/// The `from` operands of an instruction's leading flags: `COPY --from=X` and
/// `RUN --mount=type=cache,from=X,…`, with the stage's variables substituted.
fn record_from_refs(stage: &mut Stage, scope: &Scope, ins: &Instruction) {
    for flag in split_words(&ins.args)
        .iter()
        .take_while(|w| w.starts_with("--"))
    {
        let operand = if let Some(from) = flag.strip_prefix("--from=") {
            Some(from)
        } else if let Some(mount) = flag.strip_prefix("--mount=") {
            mount.split(',').find_map(|kv| kv.strip_prefix("from="))
        } else {
            None
        };
        if let Some(from) = operand.filter(|f| !f.is_empty()) {
            stage.from_refs.push(Located {
                value: substitute(from, &scope.vars),
                line: ins.line,
                column: None,
            });
        }
    }
}

/// `FROM [--platform=…] image [AS name]`, with global `ARG` defaults substituted (only global
/// ARGs are visible to FROM). An unresolvable variable is left as written: the check reports
/// it as unprovable.
fn from_stage(
    ins: &Instruction,
    global_args: &BTreeMap<String, Option<String>>,
) -> Result<Stage, String> {
    let words = split_words(&ins.args);
    let mut rest = words.iter().skip_while(|w| w.starts_with("--"));
    let Some(written) = rest.next() else {
        return Err(format!("FROM at line {} names no image", ins.line));
    };
    let alias = match (rest.next(), rest.next()) {
        (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => Some(name.clone()),
        _ => None,
    };
    let base = substitute(written, global_args);
    Ok(Stage {
        base_written: (base != *written).then(|| written.clone()),
        base,
        line: ins.line,
        alias,
        ..Stage::default()
    })
}

/// An `ENV`/`ARG` record, its value redacted when it looks like a credential.
fn setting(instruction: &str, key: &str, value: Option<&str>, line: u32) -> Setting {
    let value = value.unwrap_or_default();
    let detected = secrets::find_all(value).first().map(|m| m.kind);
    let kind = detected
        .or_else(|| {
            (secrets::is_secret_name(key) && !secrets::is_placeholder(value))
                .then_some(NAMED_SECRET)
        })
        .or_else(|| {
            secrets::connection_password(value)
                .filter(|(_, p)| !secrets::is_placeholder(p))
                .map(|(kind, _)| kind)
        });
    Setting {
        instruction: instruction.to_owned(),
        key: key.to_owned(),
        value: match kind {
            Some(k) => secrets::redaction(k, value),
            None => value.to_owned(),
        },
        secret_kind: kind.map(str::to_owned),
        line,
        uses: Vec::new(),
    }
}

/// One logical instruction.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
    /// 1-based line where the instruction starts.
    line: u32,
    /// The `<<EOF` heredocs that follow the instruction, in order.
    heredocs: Vec<Heredoc>,
}

/// One heredoc: its name (`EOF`), its body and the 1-based line the body starts on.
#[derive(Debug)]
struct Heredoc {
    name: String,
    body: String,
    first_line: u32,
}

/// A file a `COPY`/`ADD` heredoc writes into the image: its destination path (the heredoc's
/// name under a directory destination, as BuildKit names it), its content and the Dockerfile
/// line the content starts on. Not redacted: only [`crate::secrets`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineFile {
    pub destination: String,
    pub body: String,
    pub first_line: u32,
}

/// Every file written into an image by a `COPY <<EOF …`/`ADD <<EOF …` heredoc, in order; none
/// when the text is not a readable Dockerfile (the parse reports that).
pub fn inline_files(text: &str) -> Vec<InlineFile> {
    instructions(text)
        .map(|all| all.iter().flat_map(inline_files_of).collect())
        .unwrap_or_default()
}

fn inline_files_of(ins: &Instruction) -> Vec<InlineFile> {
    if ins.keyword == "RUN" {
        return run_heredoc_files(ins);
    }
    if !matches!(ins.keyword.as_str(), "COPY" | "ADD") || ins.heredocs.is_empty() {
        return Vec::new();
    }
    let words = raw_words(strip_flags(&ins.args));
    let Some((dest, sources)) = words.split_last() else {
        return Vec::new();
    };
    let dest = unquote(dest);
    let into_dir = dest.ends_with('/') || sources.len() > 1;
    ins.heredocs
        .iter()
        .map(|doc| InlineFile {
            destination: if into_dir {
                format!("{}/{}", dest.trim_end_matches('/'), doc.name)
            } else {
                dest.clone()
            },
            body: doc.body.clone(),
            first_line: doc.first_line,
        })
        .collect()
}

/// How deep scripts nest in scripts (`RUN <<EOF` running `bash <<SH` …) before the inner ones
/// are not read for files: real Dockerfiles nest once or twice, and every level re-reads its
/// body.
const SCRIPT_DEPTH: usize = 4;

/// The files a `RUN` writes with heredocs: its one heredoc when its command writes that into a
/// file ([`run_heredoc_file`]); else, when the heredoc is the script itself (`RUN <<EOF`), the
/// heredocs that the script's own lines write into files (`cat > /app/.env <<EOT` … `EOT`),
/// read the same way, at their lines in the Dockerfile.
fn run_heredoc_files(ins: &Instruction) -> Vec<InlineFile> {
    script_files(ins, 0)
}

fn script_files(ins: &Instruction, depth: usize) -> Vec<InlineFile> {
    if let Some(file) = run_heredoc_file(ins) {
        return vec![file];
    }
    let [script] = ins.heredocs.as_slice() else {
        return Vec::new();
    };
    if depth >= SCRIPT_DEPTH {
        return Vec::new();
    }
    let lines: Vec<&str> = script.body.lines().collect();
    let line_of = |index: usize| {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        script.first_line.saturating_add(index)
    };
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let command = shell_heredoc_words(lines[i]);
        let mut next = i + 1;
        let mut heredocs = Vec::new();
        for marker in heredoc_markers(&command) {
            let first_line = line_of(next);
            // Left open, a heredoc runs to the script's end (the shell warns and goes on), so
            // nothing follows it: the rest of the script is not scanned again.
            let (body, after) = heredoc_body(&lines, next, &marker)
                .unwrap_or_else(|| (lines[next.min(lines.len())..].join("\n"), lines.len()));
            heredocs.push(Heredoc {
                name: marker.word,
                body,
                first_line,
            });
            next = after;
        }
        let inner = Instruction {
            keyword: "RUN".to_owned(),
            args: command,
            line: line_of(i),
            heredocs,
        };
        files.extend(script_files(&inner, depth + 1));
        i = next;
    }
    files
}

/// A script line with its heredocs written as BuildKit's word rules read them: the shell also
/// takes `cat<<EOT` and `cat << EOT`, which BuildKit's rule (a whole word `<<NAME`) does not.
fn shell_heredoc_words(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 2);
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        if !before.is_empty() && !before.ends_with([' ', '\t']) {
            out.push(' ');
        }
        out.push_str("<<");
        let mut after = &after[2..];
        if let Some(here_string) = after.strip_prefix('<') {
            out.push('<');
            rest = here_string;
            continue;
        }
        if let Some(tabs) = after.strip_prefix('-') {
            out.push('-');
            after = tabs;
        }
        rest = after.trim_start_matches([' ', '\t']);
    }
    out.push_str(rest);
    out
}

/// The file a `RUN` writes its one heredoc into: `RUN cat > /app/.env <<EOT`, `cat <<EOT >>
/// FILE`, `tee FILE <<EOT` (a command whose standard input is the heredoc and whose output goes
/// to one file). A heredoc that is the script itself (`RUN <<EOF`) writes no file here.
fn run_heredoc_file(ins: &Instruction) -> Option<InlineFile> {
    let [doc] = ins.heredocs.as_slice() else {
        return None;
    };
    let words = split_words(&ins.args);
    let mut targets = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words
            .get(i + 1)
            .filter(|w| !w.starts_with('<') && !w.starts_with('-'));
        match word.as_str() {
            ">" | ">>" => targets.extend(next.cloned()),
            // `tee -a FILE`: the first word that is no option.
            "tee" => targets.extend(
                (words[i + 1..].iter())
                    .take_while(|w| !w.starts_with(['<', '>', '|', '&', ';']))
                    .find(|w| !w.starts_with('-'))
                    .cloned(),
            ),
            w if w.starts_with('>') && !w.starts_with(">&") => {
                targets.push(w.trim_start_matches('>').to_owned());
            }
            _ => {}
        }
    }
    // `tee FILE > /dev/null`: what goes to a device is written to no file.
    targets.retain(|t| !t.starts_with("/dev/"));
    let [destination] = targets.as_slice() else {
        return None;
    };
    (!destination.is_empty()).then(|| InlineFile {
        destination: destination.clone(),
        body: doc.body.clone(),
        first_line: doc.first_line,
    })
}

/// A heredoc's body with each line that holds one of `found` replaced by its redaction (the
/// key kept): the body is kept in the facts as part of the `RUN` text, which the token
/// redaction alone would leave a `.env` line's value in.
fn without_secret_lines(doc: &Heredoc, found: &[HeredocSecret]) -> String {
    let lines = doc.body.lines().enumerate().map(|(i, line)| {
        let at = doc
            .first_line
            .saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        match found.iter().find(|hit| hit.line == at) {
            // As the finding quotes it (not `<redacted …>`, which reads as a token in the
            // `RUN` text): the heredoc finding already reports it.
            Some(hit) => match &hit.key {
                Some(key) => format!("{key}=…"),
                None => "…".to_owned(),
            },
            None => line.to_owned(),
        }
    });
    lines.collect::<Vec<_>>().join("\n")
}

/// The secret-looking values of an inline file, judged as the file at its destination by the
/// detectors committed files go through (a `.env` destination's `KEY=value` lines included);
/// documented examples are left out.
fn heredoc_secrets(file: &InlineFile) -> Vec<HeredocSecret> {
    let lines: Vec<&str> = file.body.lines().collect();
    secrets::scan_text(&file.destination, &file.body)
        .into_iter()
        .filter(|hit| hit.class != crate::facts::repo::HitClass::Example)
        .map(|hit| {
            let index = usize::try_from(hit.line.saturating_sub(1)).unwrap_or(usize::MAX);
            HeredocSecret {
                destination: file.destination.clone(),
                line: file.first_line.saturating_add(hit.line.saturating_sub(1)),
                kind: hit.kind,
                key: lines.get(index).and_then(|l| assigned_key(l)),
            }
        })
        .collect()
}

/// `KEY` of a `KEY=value`, `export KEY=value` or `key: value` line, when it is a plain name.
fn assigned_key(line: &str) -> Option<String> {
    let line = line.trim();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let end = line.find(['=', ':'])?;
    let key = line[..end].trim().trim_matches(|c| c == '"' || c == '\'');
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    plain.then(|| key.to_owned())
}

/// Splits the text into logical instructions: parser directives read, comments dropped,
/// continuations joined, heredoc bodies attached to their instruction.
fn instructions(text: &str) -> Result<Vec<Instruction>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let escape = escape_directive(&lines);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let line = line_number(i);
        let mut logical = String::new();
        while i < lines.len() {
            let current = lines[i].trim_end();
            i += 1;
            let Some(joined) = current.strip_suffix(escape) else {
                logical.push_str(current);
                break;
            };
            logical.push_str(joined);
            // Comment and empty lines inside a continuation are dropped, as BuildKit does.
            while i < lines.len() && is_blank_or_comment(lines[i]) {
                i += 1;
            }
        }
        let logical = logical.trim_start();
        let (keyword, args) = logical
            .split_once(char::is_whitespace)
            .unwrap_or((logical, ""));
        let keyword = keyword.to_ascii_uppercase();
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for marker in heredoc_markers(args) {
                let (body, next) = heredoc_body(&lines, i, &marker).ok_or_else(|| {
                    format!(
                        "heredoc `{}` opened at line {line} is never closed",
                        marker.word
                    )
                })?;
                heredocs.push(Heredoc {
                    name: marker.word,
                    body,
                    first_line: line_number(i),
                });
                i = next;
            }
        }
        out.push(Instruction {
            keyword,
            args: args.trim().to_owned(),
            line,
            heredocs,
        });
    }
    Ok(out)
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// The escape character from a leading `# escape=` parser directive (`\` by default).
/// Directives are only recognised before any other line, comment or blank.
fn escape_directive(lines: &[&str]) -> char {
    let mut escape = '\\';
    for line in lines {
        let Some(body) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = body.split_once('=') else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") && value.trim() == "`" {
            escape = '`';
        }
    }
    escape
}

struct HeredocMarker {
    word: String,
    /// `<<-EOF`: leading tabs are stripped from body lines and the terminator.
    strip_tabs: bool,
}

/// The heredocs an instruction's arguments open, by BuildKit's rule
/// (`frontend/dockerfile/parser`, `heredocsFromLine`): the arguments are split into shell
/// words with their quotes kept, and a heredoc is a whole word `[fd]<<[-]NAME` whose `NAME`
/// holds no `<` and unquotes to one word (`<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, several on
/// one line). A quoted `"<<EOF"`, `cat<<EOF` or `["<<EOF"]` opens none.
fn heredoc_markers(args: &str) -> Vec<HeredocMarker> {
    raw_words(args)
        .iter()
        .filter_map(|word| {
            let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
            let rest = rest.strip_prefix("<<")?;
            let (strip_tabs, rest) = match rest.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if rest.is_empty() || rest.contains('<') {
                return None;
            }
            let mut names = split_words(rest);
            (names.len() == 1).then(|| HeredocMarker {
                word: names.remove(0),
                strip_tabs,
            })
        })
        .filter(|m| !m.word.is_empty())
        .collect()
}

/// Shell words with their quotes and escapes kept as written (BuildKit's `RawQuotes`,
/// `RawEscapes`): whitespace outside quotes separates words.
fn raw_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (Some('"') | None, '\\') => {
                word.push(c);
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The body of a heredoc starting at line index `from`, and the index after its terminator.
fn heredoc_body(lines: &[&str], from: usize, marker: &HeredocMarker) -> Option<(String, usize)> {
    let mut body = Vec::new();
    for (i, raw) in lines.iter().enumerate().skip(from) {
        let line = if marker.strip_tabs {
            raw.trim_start_matches('\t')
        } else {
            raw
        };
        if line.trim_end() == marker.word {
            return Some((body.join("\n"), i + 1));
        }
        body.push(line);
    }
    None
}

/// `RUN` text: the JSON (exec) form joined with spaces, else the shell form without leading
/// BuildKit flags (`--mount=…`, `--network=…`).
fn command_text(args: &str) -> String {
    if let Some(argv) = json_form(args) {
        return argv.join(" ");
    }
    strip_flags(args).to_owned()
}

/// The arguments after leading `--flag` / `--flag=value` words.
fn strip_flags(args: &str) -> &str {
    let mut rest = args.trim_start();
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// `["a", "b"]`; `None` when the text is not a JSON array of strings (BuildKit then treats it
/// as shell form).
fn json_form(args: &str) -> Option<Vec<String>> {
    let t = args.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str(t).ok()
}

/// Sources of `COPY`/`ADD`: every operand but the last, unless copied `--from` another stage
/// or image, and not inline heredoc content.
fn copy_sources(args: &str) -> Vec<String> {
    let words = split_words(args);
    let flags: Vec<&String> = words.iter().take_while(|w| w.starts_with("--")).collect();
    if flags.iter().any(|f| f.starts_with("--from")) {
        return Vec::new();
    }
    let operands = json_form(strip_flags(args)).unwrap_or_else(|| words[flags.len()..].to_vec());
    let Some((_, sources)) = operands.split_last() else {
        return Vec::new();
    };
    sources
        .iter()
        .filter(|s| !s.starts_with("<<"))
        .cloned()
        .collect()
}

/// `ENV`/`ARG` operands: `k=v k2="v 2"`, `ARG k` (no default) and, for `ENV` only, the legacy
/// `ENV k v w` (everything after the key is the value).
fn key_values(args: &str, is_env: bool) -> Vec<(String, Option<String>)> {
    let words = split_words(args);
    let legacy = is_env && words.first().is_some_and(|w| !w.contains('='));
    if legacy {
        let value = args
            .trim()
            .split_once(char::is_whitespace)
            .map_or("", |(_, v)| v);
        return vec![(words[0].clone(), Some(unquote(value)))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (w, None),
        })
        .collect()
}

/// A value read as shell words, quotes removed (`"root"` → `root`).
pub(crate) fn unquote(value: &str) -> String {
    split_words(value).join(" ")
}

/// Shell-like words: whitespace separates, quotes group (and are removed), a backslash escapes
/// the next character outside single quotes.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}` from `vars` (a
/// variable declared without a value counts as unset). An unresolved reference is left exactly
/// as written, so the checks can see it and report the value as unprovable.
pub(crate) fn substitute(s: &str, vars: &BTreeMap<String, Option<String>>) -> String {
    let lookup = |name: &str| vars.get(name).cloned().flatten();
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            match expand_braced(&inner[..end], &lookup) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&rest[at..=at + 2 + end]),
            }
            rest = &inner[end + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            match lookup(name) {
                Some(v) if !name.is_empty() => out.push_str(&v),
                _ => {
                    out.push('$');
                    out.push_str(name);
                }
            }
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

/// The names of the variables `s` refers to (`$A`, `${B}`, `${C:-x}`), in order.
pub(crate) fn variables(s: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let after = after.strip_prefix('{').unwrap_or(after);
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
        rest = &after[len..];
    }
    names
}

fn expand_braced(expr: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some((name, default)) = expr.split_once(":-") {
        return Some(
            lookup(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned()),
        );
    }
    if let Some((name, alternative)) = expr.split_once(":+") {
        return Some(match lookup(name) {
            Some(v) if !v.is_empty() => alternative.to_owned(),
            _ => String::new(),
        });
    }
    lookup(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(text: &str) -> Vec<Stage> {
        parse("Dockerfile", text).unwrap().stages
    }

    #[test]
    fn multi_stage_with_platform_alias_and_arg_substitution() {
        let df = parse(
            "Dockerfile",
            "# syntax=docker/dockerfile:1\nARG NODE=20\nARG BASE=node:${NODE}-alpine\n\nFROM --platform=$BUILDPLATFORM ${BASE} AS Build\nRUN npm ci\nFROM gcr.io/distroless/nodejs20:nonroot\nCOPY --from=build /app /app\nUSER nonroot\n",
        )
        .unwrap();
        assert_eq!(df.global_args.len(), 2);
        let s = &df.stages;
        assert_eq!(s[0].base, "node:20-alpine");
        assert_eq!(s[0].base_written.as_deref(), Some("${BASE}"));
        assert_eq!((s[0].line, s[0].alias.as_deref()), (5, Some("Build")));
        assert_eq!(s[0].runs[0].value, "npm ci");
        assert_eq!(s[1].base, "gcr.io/distroless/nodejs20:nonroot");
        assert!(s[1].copies.is_empty(), "--from copies are not source files");
        assert_eq!(
            s[1].user.as_ref().map(|u| (u.value.as_str(), u.line)),
            Some(("nonroot", 9))
        );
    }

    #[test]
    fn unresolvable_from_is_kept_as_written() {
        let s = stages("ARG BASE\nFROM ${BASE}\nFROM $OTHER:1\n");
        assert_eq!(s[0].base, "${BASE}");
        assert_eq!(s[0].base_written, None);
        assert_eq!(s[1].base, "$OTHER:1");
        let s = stages("ARG TAG\nFROM alpine:${TAG:-3.20}\n");
        assert_eq!(s[0].base, "alpine:3.20");
    }

    #[test]
    fn placeholder_defaults_stay_unresolved() {
        let s = stages(
            "ARG RUNTIME_IMAGE=placeholder\nARG TAG=3.20\nFROM ${RUNTIME_IMAGE}\nFROM alpine:${TAG}\n",
        );
        assert_eq!(s[0].base, "${RUNTIME_IMAGE}");
        assert_eq!(s[1].base, "alpine:3.20");
        let s = stages("FROM a\nARG U=<change-me>\nUSER $U\n");
        assert_eq!(s[0].user.as_ref().unwrap().value, "$U");
        // A real image whose name merely contains the word is kept.
        assert_eq!(
            stages("ARG B=placeholder-app:1\nFROM $B\n")[0].base,
            "placeholder-app:1"
        );
    }

    #[test]
    fn target_os_stage_names_resolve_to_the_linux_stage() {
        // docker/buildx's Dockerfile: one artefact stage per OS, chosen by `$TARGETOS`.
        let text = "FROM golang:1.26 AS build\nRUN go build -o /out/buildx\n\
                    FROM scratch AS binaries-unix\nCOPY --from=build /out/buildx /buildx\n\
                    FROM binaries-unix AS binaries-linux\n\
                    FROM scratch AS binaries-windows\nCOPY --from=build /out/buildx /buildx.exe\n\
                    FROM binaries-${TARGETOS} AS binaries\nFROM binaries\n";
        let df = parse("Dockerfile", text).unwrap();
        assert_eq!(df.earlier_stage(4), Some(2));
        let chain: Vec<&str> = df.final_chain().iter().map(|s| s.base.as_str()).collect();
        assert_eq!(
            chain,
            [
                "binaries",
                "binaries-${TARGETOS}",
                "binaries-unix",
                "scratch"
            ]
        );
        // An architecture is never guessed, nor a stage that does not exist.
        let df = parse(
            "Dockerfile",
            "FROM scratch AS out-amd64\nFROM out-$TARGETARCH\n",
        )
        .unwrap();
        assert_eq!(df.earlier_stage(1), None);
        let df = parse(
            "Dockerfile",
            "FROM scratch AS out-darwin\nFROM out-$TARGETOS\n",
        )
        .unwrap();
        assert_eq!(df.earlier_stage(1), None);
    }

    #[test]
    fn user_is_read_as_a_shell_word() {
        let user = |text: &str| stages(text)[0].user.clone().unwrap().value;
        assert_eq!(user("FROM a\nUSER \"root\"\n"), "root");
        assert_eq!(user("FROM a\nUSER '0'\n"), "0");
        assert_eq!(user("FROM a\nARG UID=0\nUSER \"${UID}:${UID}\"\n"), "0:0");
        assert_eq!(user("FROM a\nUSER app\n"), "app");
    }

    #[test]
    fn stage_args_do_not_reach_from_but_reach_user() {
        let s = stages("FROM alpine\nARG UID=10001\nUSER ${UID}:${UID}\n");
        assert_eq!(s[0].user.as_ref().unwrap().value, "10001:10001");
        let s = stages("ARG V=1\nFROM alpine\nARG V\nENV A=$V\nUSER $NOPE\n");
        assert_eq!(
            s[0].settings[0].value, "1",
            "stage ARG re-imports the global default"
        );
        assert_eq!(s[0].user.as_ref().unwrap().value, "$NOPE");
    }

    #[test]
    fn continuations_comments_and_escape_directive() {
        let s = stages(
            "FROM alpine\nRUN apk add \\\n  # a comment inside\n\n  curl \\\n  git\nUSER app\n",
        );
        assert_eq!(s[0].runs[0].value, "apk add   curl   git");
        assert_eq!(s[0].runs[0].line, 2);
        assert_eq!(s[0].user.as_ref().unwrap().line, 7);
        let s = stages("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nUSER x\n");
        assert_eq!(s[0].runs[0].value, "dir   c:\\");
    }

    #[test]
    fn heredocs_are_consumed() {
        let s = stages(
            "FROM alpine\nRUN <<EOF\nFROM evil\nUSER root\nEOF\nCOPY <<-'CONF' /etc/x.conf\n\tkey=1\n\tCONF\nUSER app\n",
        );
        assert_eq!(s.len(), 1, "heredoc bodies are not instructions");
        assert_eq!(s[0].runs[0].value, "<<EOF\nFROM evil\nUSER root");
        assert!(s[0].copies.is_empty());
        assert_eq!(s[0].user.as_ref().unwrap().value, "app");
        let err = parse("Dockerfile", "FROM a\nRUN <<EOF\necho\n").unwrap_err();
        assert!(err.contains("never closed"), "{err}");
    }

    #[test]
    fn heredoc_markers_follow_buildkit_words() {
        let names = |args: &str| -> Vec<(String, bool)> {
            heredoc_markers(args)
                .into_iter()
                .map(|m| (m.word, m.strip_tabs))
                .collect()
        };
        let one = |w: &str, t: bool| vec![(w.to_owned(), t)];
        assert_eq!(names("<<EOF /app/x"), one("EOF", false));
        assert_eq!(names("<<-EOF /x"), one("EOF", true));
        assert_eq!(names("<<\"EOF\" /x"), one("EOF", false));
        assert_eq!(names("<<'E O' /x"), one("E O", false));
        assert_eq!(names("3<<EOF cat"), one("EOF", false));
        assert_eq!(names("<<a <<b /d/").len(), 2);
        for none in [
            "echo \"<<EOF\"",
            "echo '<<EOF' x",
            "cat<<EOF",
            "[\"<<EOF\"]",
            "cat <<<EOF",
            "<<",
            "<<-",
            "<<a<<b",
        ] {
            assert!(names(none).is_empty(), "{none}");
        }
        // A quoted marker inside RUN does not swallow the instructions after it.
        let s = stages("FROM a\nRUN echo \"<<WORD\"\nUSER app\nWORD\n");
        assert_eq!(s[0].user.as_ref().unwrap().value, "app");
    }

    #[test]
    fn copy_heredocs_are_files_at_their_destination() {
        use std::fmt::Write as _;
        let text = "FROM a\nCOPY <<EOF /app/.env\nK=1\nEOF\nADD --chmod=600 <<one <<two /etc/\nx\none\ny\ntwo\nCOPY <<EOF notes.txt /d\nz\nEOF\n";
        let files = inline_files(text);
        let got: Vec<_> = files
            .iter()
            .map(|f| (f.destination.as_str(), f.body.as_str(), f.first_line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/app/.env", "K=1", 3),
                ("/etc/one", "x", 6),
                ("/etc/two", "y", 8),
                ("/d/EOF", "z", 11),
            ]
        );
        assert!(inline_files("FROM a\nRUN <<EOF\nK=1\nEOF\n").is_empty());
        // A RUN that writes its heredoc into one file writes that file.
        for run in [
            "cat > /app/.env <<EOT",
            "cat <<EOT >>/app/.env",
            "tee /app/.env <<EOT",
        ] {
            let files = inline_files(&format!("FROM a\nRUN {run}\nK=1\nEOT\n"));
            let got: Vec<(&str, &str)> = (files.iter())
                .map(|f| (f.destination.as_str(), f.body.as_str()))
                .collect();
            assert_eq!(got, [("/app/.env", "K=1")], "{run}");
        }
        assert!(inline_files("FROM a\nRUN cat <<EOT > /dev/null\nK=1\nEOT\n").is_empty());
        // A script heredoc whose lines write heredocs into files writes those files.
        let script = "FROM a\nRUN <<EOF\nset -eu\nmkdir -p /app\ncat > /app/.env <<'EOT'\nK=1\nEOT\n\
                      bash <<SH\ntee /etc/x.conf <<-IN\n\tdeep\n\tIN\nSH\necho done\nEOF\n";
        let got: Vec<(String, String, u32)> = (inline_files(script).into_iter())
            .map(|f| (f.destination, f.body, f.first_line))
            .collect();
        assert_eq!(
            got,
            [
                ("/app/.env".to_owned(), "K=1".to_owned(), 6),
                ("/etc/x.conf".to_owned(), "deep".to_owned(), 10),
            ]
        );
        // The shell's other spellings, `tee` options and a copy to a device.
        for line in [
            "cat << EOT > /app/.env",
            "cat<<EOT >/app/.env",
            "tee /app/.env > /dev/null <<EOT",
            "sudo tee -a /app/.env >/dev/null <<'EOT'",
        ] {
            let files = inline_files(&format!("FROM a\nRUN <<EOF\n{line}\nK=1\nEOT\nEOF\n"));
            let got: Vec<&str> = files.iter().map(|f| f.destination.as_str()).collect();
            assert_eq!(got, ["/app/.env"], "{line}");
        }
        // A heredoc left open runs to the script's end; deep nesting is read to a bound.
        let open = format!("FROM a\nRUN <<EOF\n{}EOF\n", "cat <<U\n".repeat(20_000));
        assert!(inline_files(&open).is_empty());
        let mut nested = String::new();
        for i in 0..3000 {
            let _ = writeln!(nested, "cat <<L{i}");
        }
        for i in (0..3000).rev() {
            let _ = writeln!(nested, "L{i}");
        }
        assert!(inline_files(&format!("FROM a\nRUN <<EOF\n{nested}EOF\n")).is_empty());
        assert_eq!(
            assigned_key("export DB_PASSWORD=\"x\""),
            Some("DB_PASSWORD".into())
        );
        assert_eq!(assigned_key("password: x"), Some("password".into()));
        assert_eq!(assigned_key("no key here"), None);
    }

    #[test]
    fn json_forms_and_copy_flags() {
        let s = stages(
            "FROM a\nRUN [\"npm\", \"ci\"]\nRUN [not json\nCOPY --chown=1:1 [\"a b\", \".env\", \"/app/\"]\nADD --link id_rsa /root/.ssh/\nCOPY --from=0 /x /y\n",
        );
        assert_eq!(s[0].runs[0].value, "npm ci");
        assert_eq!(s[0].runs[1].value, "[not json");
        let copies: Vec<_> = s[0]
            .copies
            .iter()
            .map(|c| (c.value.as_str(), c.line))
            .collect();
        assert_eq!(copies, vec![("a b", 4), (".env", 4), ("id_rsa", 5)]);
    }

    #[test]
    fn env_and_arg_forms() {
        let s = stages(
            "FROM a\nENV A=1 B=\"two words\" C=\nENV LEGACY some value here\nARG NOVAL\nARG X=1 Y=2\n",
        );
        let kv: Vec<_> = s[0]
            .settings
            .iter()
            .map(|s| (s.instruction.as_str(), s.key.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            kv,
            vec![
                ("ENV", "A", "1"),
                ("ENV", "B", "two words"),
                ("ENV", "C", ""),
                ("ENV", "LEGACY", "some value here"),
                ("ARG", "NOVAL", ""),
                ("ARG", "X", "1"),
                ("ARG", "Y", "2"),
            ]
        );
    }

    #[test]
    fn secrets_are_redacted_at_collection() {
        let token = format!("ghp_{}", "FAKE".repeat(9));
        let text = format!(
            "ARG NPM_TOKEN=abc123def\nFROM a\nENV GH_TOKEN={token} DB_PASSWORD=${{DB_PASSWORD}}\nRUN curl -H \"Authorization: {token}\" x\n"
        );
        let df = parse("Dockerfile", &text).unwrap();
        let dump = serde_json::to_string(&df).unwrap();
        assert!(!dump.contains(&token), "{dump}");
        assert!(!dump.contains("abc123def"), "{dump}");
        assert_eq!(df.global_args[0].secret_kind.as_deref(), Some(NAMED_SECRET));
        let env = &df.stages[0].settings;
        assert_eq!(env[0].value, "<redacted github-token, 40 chars>");
        assert_eq!(
            env[1].secret_kind, None,
            "a variable reference is not a secret"
        );
        assert!(
            df.stages[0].runs[0]
                .value
                .contains("<redacted github-token")
        );
    }

    #[test]
    fn errors_name_the_cause() {
        assert!(parse("D", "").unwrap_err().contains("no FROM"));
        assert!(
            parse("D", "# only a comment\nRUN x\n")
                .unwrap_err()
                .contains("no FROM")
        );
        assert!(
            parse("D", "FROM --platform=x\n")
                .unwrap_err()
                .contains("line 1")
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        // A deterministic pseudo-random stream over an alphabet rich in Dockerfile syntax.
        let alphabet: Vec<char> = "FROMRUNCOPYUSERENVARG \\\n\t\"'`$={}[]<<-#:@é\u{0}\r"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(state % 200) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let idx = usize::try_from(state % alphabet.len() as u64).unwrap_or(0);
                text.push(alphabet[idx]);
            }
            state = state.wrapping_add(1);
            let _ = parse("Dockerfile", &text);
        }
        for odd in [
            "FROM",
            "FROM a AS",
            "ENV",
            "ENV =",
            "ARG =x",
            "COPY",
            "FROM ${",
            "FROM $",
            "USER ${A:-",
            "RUN \\",
            "FROM a\nRUN <<<x",
            "FROM a\nCOPY <<",
            "\\\n\\\n",
        ] {
            let _ = parse("Dockerfile", odd);
        }
    }

    #[test]
    fn a_heredoc_secret_is_not_kept_in_the_run_text() {
        let df = parse(
            "Dockerfile",
            "FROM a\nRUN <<EOF\ncat > /app/.env <<EOT\nDB_PASSWORD=Xk9mQ2vL8pR4tW7zY1qa\nEOT\nEOF\n",
        )
        .unwrap();
        let dumped = format!("{df:?}");
        assert!(!dumped.contains("Xk9mQ2vL8pR4tW7zY1qa"), "{dumped}");
        assert!(dumped.contains("DB_PASSWORD=…"), "{dumped}");
    }

    #[test]
    fn url_passwords_are_redacted_and_substitution_never_restores_a_secret() {
        let df = parse(
            "Dockerfile",
            "ARG DB_PASSWORD=Xk93mfP2qLw9\nFROM debian:12\nARG DB_PASSWORD\n\
             ARG DSN=postgres://app:${DB_PASSWORD}@db/app\n\
             ENV DATABASE_URL=postgres://app:Zq81LmPw7Rt2@db/app\n\
             ENV SPRING_DATASOURCE_URL=jdbc:postgresql://db/app?user=app&password=Wt4Kp9Lm2Qx7\n",
        )
        .unwrap();
        let dumped = format!("{df:?}");
        assert!(!dumped.contains("Xk93mfP2qLw9"), "{dumped}");
        assert!(!dumped.contains("Zq81LmPw7Rt2"), "{dumped}");
        assert!(!dumped.contains("Wt4Kp9Lm2Qx7"), "{dumped}");
        let jdbc = (df.stages[0].settings.iter())
            .find(|s| s.key == "SPRING_DATASOURCE_URL")
            .unwrap();
        assert_eq!(
            jdbc.secret_kind.as_deref(),
            Some(crate::secrets::KEYWORD_PASSWORD)
        );
        let url = df.stages[0]
            .settings
            .iter()
            .find(|s| s.key == "DATABASE_URL")
            .unwrap();
        // The database-URL detector names it before the generic URL rule is consulted.
        assert_eq!(url.secret_kind.as_deref(), Some("database-url-password"));
    }
}
