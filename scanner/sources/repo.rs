//! The repository source: walks a tree in parallel and parses every file of a judged kind.
//!
//! Honours `.gitignore` (even outside a git checkout) and skips vendored trees. A file that
//! cannot be read or parsed is recorded as unreadable with its cause, and the walk goes on.

use std::path::Path;
use std::sync::Mutex;

use checks::facts::repo::{FileKind, RepoFacts, Unreadable};
use checks::parse::{self, MAX_FILE_BYTES};
use ignore::{WalkBuilder, WalkState};

/// Directory names never descended into: dependencies and build output, not the project's code.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    "__pycache__",
];

/// What one walk of the tree yields: the repository facts and, for the migrations source,
/// every `.sql` file (relative, sorted), so a scan walks the tree once.
#[derive(Default)]
pub struct Walked {
    pub facts: RepoFacts,
    pub sql_files: Vec<String>,
}

pub fn collect(root: &Path) -> RepoFacts {
    walk(root).facts
}

pub fn walk(root: &Path) -> Walked {
    walk_excluding(root, &globset::GlobSet::empty())
}

/// The walk, never reading a path (file or directory, relative to `root`) that matches
/// `exclude` (`[scan] exclude`).
pub fn walk_excluding(root: &Path, exclude: &globset::GlobSet) -> Walked {
    let merged = Mutex::new(Walked::default());
    let root_for_filter = root.to_path_buf();
    let exclude_for_filter = exclude.clone();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if e.depth() == 0 {
                return true;
            }
            let excluded = !exclude_for_filter.is_empty()
                && exclude_for_filter.is_match(relative(&root_for_filter, e.path()));
            let skipped_dir =
                is_dir && SKIPPED_DIRS.contains(&e.file_name().to_string_lossy().as_ref());
            !excluded && !skipped_dir
        })
        .build_parallel();

    walker.run(|| {
        let merged = &merged;
        let mut local = Local::new(merged);
        Box::new(move |entry| {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    let rel = relative(root, e.path());
                    local.visit(e.path(), rel);
                }
                Ok(_) => {}
                Err(err) => local.walk_error(root, &err),
            }
            WalkState::Continue
        })
    });

    let mut walked = merged
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    walked.facts.root = root.display().to_string();
    sort(&mut walked.facts);
    walked.sql_files.sort();
    walked
}

/// Per-thread accumulator, merged into the shared facts when the thread's walker is dropped.
struct Local<'a> {
    facts: RepoFacts,
    sql_files: Vec<String>,
    merged: &'a Mutex<Walked>,
}

impl<'a> Local<'a> {
    fn new(merged: &'a Mutex<Walked>) -> Self {
        Local {
            facts: RepoFacts::default(),
            sql_files: Vec::new(),
            merged,
        }
    }

    fn visit(&mut self, abs: &Path, rel: String) {
        self.facts.files_scanned += 1;
        if Path::new(&rel)
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("sql"))
        {
            self.sql_files.push(rel.clone());
        }
        let kind = parse::classify(&rel);
        let size = std::fs::symlink_metadata(abs).map_or(0, |m| m.len());
        if size > MAX_FILE_BYTES {
            // Too large to parse, but still searched for secrets, whatever its kind.
            if kind != FileKind::Text {
                self.unreadable(
                    rel.clone(),
                    kind,
                    format!("{size} bytes, over the 10 MiB limit"),
                );
            }
            self.search_large_text(abs, rel);
            return;
        }
        let bytes = match std::fs::read(abs) {
            Ok(b) => b,
            Err(e) => {
                let cause = format!("cannot be read: {e}");
                if kind != FileKind::Text {
                    self.unreadable(rel.clone(), kind, cause.clone());
                }
                // Recorded as text too: whatever its kind, it was not searched for secrets.
                self.unreadable(rel, FileKind::Text, cause);
                return;
            }
        };
        if let Err(cause) = parse::parse_into(kind, &rel, &bytes, &mut self.facts) {
            self.unreadable(rel.clone(), kind, cause);
        }
        if let Ok(text) = std::str::from_utf8(&bytes)
            && !text.contains('\0')
        {
            self.facts
                .secrets
                .extend(checks::secrets::scan_text(&rel, text));
            self.facts
                .suppressions
                .extend(checks::suppress::scan_text(&rel, text));
        }
    }

    /// A text file too large to hold in memory is still searched for secrets, in chunks.
    fn search_large_text(&mut self, abs: &Path, rel: String) {
        match scan_large_text(abs, &rel) {
            Ok(hits) => self.facts.secrets.extend(hits),
            Err(e) => self.unreadable(rel, FileKind::Text, format!("cannot be read: {e}")),
        }
    }

    fn unreadable(&mut self, path: String, kind: FileKind, cause: String) {
        self.facts.unreadable.push(Unreadable { path, kind, cause });
    }

    fn walk_error(&mut self, root: &Path, err: &ignore::Error) {
        // A directory or file the walk could not enter: it may hide a judged file, so it is
        // recorded (as text: no check can know which kind it would have been).
        let path = match err {
            ignore::Error::WithPath { path, .. } => relative(root, path),
            _ => String::from("."),
        };
        self.unreadable(path, FileKind::Text, err.to_string());
    }
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut self.facts);
        let mut all = self
            .merged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        merge(&mut all.facts, mine);
        all.sql_files.append(&mut self.sql_files);
    }
}

fn merge(into: &mut RepoFacts, from: RepoFacts) {
    into.files_scanned += from.files_scanned;
    into.manifests.extend(from.manifests);
    into.lockfiles.extend(from.lockfiles);
    into.dockerfiles.extend(from.dockerfiles);
    into.workflows.extend(from.workflows);
    into.sboms.extend(from.sboms);
    into.update_configs.extend(from.update_configs);
    into.workloads.extend(from.workloads);
    into.secrets.extend(from.secrets);
    into.unreadable.extend(from.unreadable);
    into.suppressions.extend(from.suppressions);
}

/// Lines are gathered into chunks of about this size, so memory stays bounded.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Searches a large file for secrets chunk by chunk (whole lines per chunk), with line numbers
/// relative to the file. A file whose first chunk holds a NUL byte or is not UTF-8 is binary
/// and skipped, as small files are.
fn scan_large_text(abs: &Path, rel: &str) -> std::io::Result<Vec<checks::facts::repo::SecretHit>> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(abs)?);
    let mut hits = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK_BYTES);
    let mut lines_before: u32 = 0;
    let mut first = true;
    loop {
        chunk.clear();
        let mut lines: u32 = 0;
        while chunk.len() < CHUNK_BYTES && reader.read_until(b'\n', &mut chunk)? > 0 {
            lines += 1;
        }
        if chunk.is_empty() {
            return Ok(hits);
        }
        let text = String::from_utf8_lossy(&chunk);
        if first && (chunk.contains(&0) || matches!(text, std::borrow::Cow::Owned(_))) {
            return Ok(hits);
        }
        first = false;
        hits.extend(
            checks::secrets::scan_text(rel, &text)
                .into_iter()
                .map(|mut h| {
                    h.line += lines_before;
                    h
                }),
        );
        lines_before = lines_before.saturating_add(lines);
    }
}

/// Parallel walks finish in any order: sort so facts (and so reports) are deterministic.
fn sort(f: &mut RepoFacts) {
    f.manifests.sort_by(|a, b| a.path.cmp(&b.path));
    f.lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
    f.dockerfiles.sort_by(|a, b| a.path.cmp(&b.path));
    f.workflows.sort_by(|a, b| a.path.cmp(&b.path));
    f.sboms.sort_by(|a, b| a.path.cmp(&b.path));
    f.update_configs.sort_by(|a, b| a.path.cmp(&b.path));
    f.workloads
        .sort_by(|a, b| (&a.location, a.subject()).cmp(&(&b.location, b.subject())));
    f.secrets
        .sort_by(|a, b| (&a.path, a.line, &a.kind).cmp(&(&b.path, b.line, &b.kind)));
    f.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    f.suppressions
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}

/// The path relative to the scanned root, with forward slashes.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_hidden_dirs_skips_vendored_and_ignored_and_records_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, s: &str| {
            let full = root.join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, s).unwrap();
        };
        write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
        );
        write(".github/workflows/broken.yml", "jobs: [\n");
        write("node_modules/x/.github/workflows/ci.yml", "on: push\n");
        write("ignored/.github/workflows/ci.yml", "on: push\n");
        write(".gitignore", "ignored/\n");
        let facts = collect(root);
        assert_eq!(facts.workflows.len(), 1);
        assert_eq!(facts.workflows[0].path, ".github/workflows/ci.yml");
        assert_eq!(facts.unreadable.len(), 1);
        assert_eq!(facts.unreadable[0].path, ".github/workflows/broken.yml");
        assert!(facts.unreadable[0].cause.contains("YAML"));
    }

    #[test]
    fn excluded_paths_are_never_read_and_suppressions_are_collected() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, s: &str| {
            let full = root.join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, s).unwrap();
        };
        write("third_party/lib/Dockerfile", "FROM node:20\n");
        write("gen/Dockerfile", "FROM node:20\n");
        write(
            "Dockerfile",
            "# vouch:ignore[docker-base-pinned] base image rebuilt nightly\nFROM node:20\n",
        );
        let mut globs = globset::GlobSetBuilder::new();
        globs.add(globset::Glob::new("third_party").unwrap());
        globs.add(globset::Glob::new("gen/*").unwrap());
        let walked = walk_excluding(root, &globs.build().unwrap());
        let paths: Vec<_> = walked
            .facts
            .dockerfiles
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(paths, ["Dockerfile"]);
        assert_eq!(walked.facts.files_scanned, 1);
        let s = &walked.facts.suppressions;
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].path.as_str(), s[0].line), ("Dockerfile", 1));
    }

    #[test]
    fn text_files_over_the_size_limit_are_still_searched_for_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let filler = "x".repeat(79) + "\n";
        let lines = usize::try_from(MAX_FILE_BYTES).unwrap() / filler.len() + 10_000;
        let token = format!(
            "token = \"ghp_{}\"\n",
            "A1b2C3d4E5".repeat(4).get(..36).unwrap()
        );
        let mut big = filler.repeat(lines);
        big.push_str(&token);
        std::fs::write(dir.path().join("dump.log"), &big).unwrap();
        let mut binary = vec![0u8; 16];
        binary.extend_from_slice(big.as_bytes());
        std::fs::write(dir.path().join("blob.dat"), binary).unwrap();

        let facts = collect(dir.path());
        let hits: Vec<_> = facts
            .secrets
            .iter()
            .map(|h| (h.path.as_str(), h.line))
            .collect();
        assert_eq!(hits, [("dump.log", u32::try_from(lines + 1).unwrap())]);
        assert!(!facts.secrets[0].preview.contains("A1b2C3d4E5"));
        assert!(facts.unreadable.is_empty(), "{:?}", facts.unreadable);
    }

    #[test]
    fn an_oversized_file_of_a_judged_kind_is_unreadable_for_its_checks_but_searched_for_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let filler = "# padding line\n".repeat(usize::try_from(MAX_FILE_BYTES).unwrap() / 15 + 10);
        let token = format!("token: ghp_{}\n", "Zx9Yw8Vu7T".repeat(4).get(..36).unwrap());
        std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
        std::fs::write(dir.path().join("deploy/values.yaml"), filler + &token).unwrap();

        let facts = collect(dir.path());
        assert_eq!(facts.secrets.len(), 1, "{:?}", facts.secrets);
        assert_eq!(facts.secrets[0].path, "deploy/values.yaml");
        let unreadable: Vec<_> = facts
            .unreadable
            .iter()
            .map(|u| (u.path.as_str(), u.kind))
            .collect();
        assert_eq!(unreadable, [("deploy/values.yaml", FileKind::Yaml)]);
    }
}
