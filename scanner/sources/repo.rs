//! The repository source: lists the files to judge, then parses every file of a judged kind
//! in parallel.
//!
//! In a git work tree the list is git's index (what is committed, ignored-but-tracked files
//! included), read from the working tree; untracked files are not judged and are listed in the
//! scope as "in the working tree, not committed". Elsewhere every file under the root is
//! judged: no ignore file is honoured, because none says what is committed. Either way,
//! symlinks inside the tree are followed once and symlinks leaving it are never read: they are
//! recorded as unreadable (so their checks say `error`) and in the scope. A file that cannot be
//! read or parsed is recorded as unreadable with its cause, and the walk goes on.

mod fs;
mod git;
mod source;

pub use source::Repository;

use std::path::{Path, PathBuf};

use checks::facts::repo::{
    Excluded, ExcludedReason, FileKind, Listing as ListingKind, RepoFacts, RepoScope, Unreadable,
};
use checks::parse::{self, MAX_FILE_BYTES};
use globset::GlobSet;
use rayon::prelude::*;

/// Directory names never descended into: dependencies and build output, not the project's code
/// (each one skipped is listed in the scope).
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

/// One file to judge.
struct Listed {
    /// Relative to the scanned root, forward slashes (the path it appears under, for a file
    /// reached through a symlink).
    rel: String,
    abs: PathBuf,
    /// git's blob id for it, to tell whether the working tree differs from the index.
    indexed: Option<gix::ObjectId>,
}

/// A path that may hide a judged file but was not read (a symlink leaving the tree, a
/// directory that cannot be entered): it becomes unreadable, so its checks say `error`.
struct Refused {
    rel: String,
    cause: String,
    /// Also unreadable as text, i.e. never searched for secrets.
    as_text: bool,
}

/// The files to judge and what was left out.
#[derive(Default)]
struct Listing {
    files: Vec<Listed>,
    refused: Vec<Refused>,
    scope: RepoScope,
    /// `[scan] exclude`: paths never read.
    configured_out: GlobSet,
}

impl Listing {
    fn with_exclusions(configured_out: &GlobSet) -> Self {
        Listing {
            configured_out: configured_out.clone(),
            ..Listing::default()
        }
    }

    /// The shortest leading part of `rel` (a directory on its path, or `rel` itself) that
    /// `[scan] exclude` matches, so an excluded tree is listed once, not file by file.
    fn configured_exclusion(&self, rel: &str) -> Option<String> {
        if self.configured_out.is_empty() {
            return None;
        }
        rel.match_indices('/')
            .map(|(at, _)| &rel[..at])
            .chain(std::iter::once(rel))
            .find(|part| self.configured_out.is_match(part))
            .map(str::to_owned)
    }

    fn exclude(&mut self, path: String, reason: ExcludedReason) {
        self.scope.excluded.push(Excluded { path, reason });
    }

    fn refuse(&mut self, rel: String, cause: String) {
        self.refused.push(Refused {
            rel,
            cause,
            as_text: true,
        });
    }

    /// Records `rel` in the scope and, when what it hides cannot be proven harmless, as
    /// unreadable: a symlink leaving the tree always, a broken one when its name is of a judged
    /// kind (a broken link has no content to search for secrets).
    fn exclude_or_refuse(&mut self, rel: String, reason: ExcludedReason) {
        match reason {
            ExcludedReason::SymlinkOutsideTree => self.refused.push(Refused {
                rel: rel.clone(),
                cause: "a symlink leading outside the scanned tree: not read".to_owned(),
                as_text: true,
            }),
            ExcludedReason::BrokenSymlink => self.refused.push(Refused {
                rel: rel.clone(),
                cause: "a broken symlink: its target does not exist".to_owned(),
                as_text: false,
            }),
            _ => {}
        }
        self.exclude(rel, reason);
    }
}

/// `prefix/rel`, or `rel` alone when `prefix` is empty.
fn join_rel(prefix: &str, rel: &str) -> String {
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

/// The files to judge under `root`: git's index in a git work tree, every file elsewhere;
/// never a path `exclude` matches.
fn list(root: &Path, exclude: &GlobSet) -> Listing {
    let Ok(canonical_root) = std::fs::canonicalize(root) else {
        let mut out = Listing::with_exclusions(exclude);
        out.refuse(
            ".".to_owned(),
            "the scanned directory cannot be resolved".to_owned(),
        );
        return out;
    };
    let mut listing = if let Some(mut listing) = git::list(root, &canonical_root, exclude) {
        listing.scope.listing = ListingKind::GitIndex;
        listing
    } else {
        let mut listing = Listing::with_exclusions(exclude);
        fs::walk_dir(&canonical_root, root, "", &mut listing);
        listing
    };
    listing.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    listing.files.dedup_by(|a, b| a.rel == b.rel);
    listing
        .scope
        .excluded
        .sort_by(|a, b| (&a.path, a.reason).cmp(&(&b.path, b.reason)));
    listing.scope.excluded.dedup();
    listing
}

/// Every `.sql` file the walk would judge (relative, sorted), for the migrations source.
pub fn sql_files(root: &Path) -> Vec<String> {
    let listing = list(root, &GlobSet::empty());
    let mut files: Vec<String> = listing
        .files
        .iter()
        .map(|f| f.rel.clone())
        .chain(listing.refused.iter().map(|r| r.rel.clone()))
        .filter(|rel| is_sql(rel))
        .collect();
    files.sort();
    files.dedup();
    files
}

fn is_sql(rel: &str) -> bool {
    Path::new(rel)
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("sql"))
}

pub fn collect(root: &Path) -> RepoFacts {
    walk(root).facts
}

pub fn walk(root: &Path) -> Walked {
    walk_excluding(root, &GlobSet::empty())
}

/// The walk, never reading a path (file or directory, relative to `root`) that matches
/// `exclude` (`[scan] exclude`): each one left out is listed in the scope.
pub fn walk_excluding(root: &Path, exclude: &GlobSet) -> Walked {
    let listing = list(root, exclude);
    let judged = listing
        .files
        .par_iter()
        .fold(Local::default, |mut local, file| {
            local.visit(file);
            local
        })
        .reduce(Local::default, Local::merged);
    let mut facts = judged.facts;
    let mut sql_files: Vec<String> = listing
        .files
        .iter()
        .map(|f| f.rel.clone())
        .filter(|rel| is_sql(rel))
        .collect();
    for r in listing.refused {
        if is_sql(&r.rel) {
            // The migrations source reads it and refuses it too, so its set is an `error`.
            sql_files.push(r.rel.clone());
        }
        let kind = parse::classify(&r.rel);
        if kind != FileKind::Text {
            facts.unreadable.push(Unreadable {
                path: r.rel.clone(),
                kind,
                cause: r.cause.clone(),
            });
        }
        if r.as_text {
            facts.unreadable.push(Unreadable {
                path: r.rel,
                kind: FileKind::Text,
                cause: r.cause,
            });
        }
    }
    facts.scope = listing.scope;
    if let Some(git) = &mut facts.scope.git {
        git.modified.extend(judged.modified);
        git.modified.sort();
        git.modified.dedup();
        git.dirty = !git.modified.is_empty();
    }
    facts.root = root.display().to_string();
    sort(&mut facts);
    sql_files.sort();
    sql_files.dedup();
    Walked { facts, sql_files }
}

/// Per-thread accumulator of the parallel judging.
#[derive(Default)]
struct Local {
    facts: RepoFacts,
    /// Tracked files whose working-tree bytes differ from the index.
    modified: Vec<String>,
}

impl Local {
    fn merged(mut self, other: Local) -> Local {
        merge(&mut self.facts, other.facts);
        self.modified.extend(other.modified);
        self
    }

    fn visit(&mut self, file: &Listed) {
        let (abs, rel) = (file.abs.as_path(), file.rel.clone());
        self.facts.files_scanned += 1;
        let kind = parse::classify(&rel);
        let size = std::fs::metadata(abs).map_or(0, |m| m.len());
        if size > MAX_FILE_BYTES {
            // Too large to parse, but still searched for secrets, whatever its kind.
            if kind != FileKind::Text {
                self.unreadable(
                    rel.clone(),
                    kind,
                    format!("{size} bytes, over the 10 MiB limit"),
                );
            }
            if let Some(id) = file.indexed
                && large_blob_id(abs, id.kind(), size).is_none_or(|now| now != id)
            {
                self.modified.push(rel.clone());
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
        if let Some(id) = file.indexed
            && git::blob_id(id.kind(), &bytes).is_none_or(|now| now != id)
        {
            self.modified.push(rel.clone());
        }
        if let Err(cause) = parse::parse_into(kind, &rel, &bytes, &mut self.facts) {
            self.unreadable(rel.clone(), kind, cause);
        }
        // Decoded lossily: one stray byte must not hide every secret in the file. A NUL byte
        // marks a binary file, which is not searched.
        if !bytes.contains(&0) {
            let text = String::from_utf8_lossy(&bytes);
            checks::secrets::search_file(&rel, &text, &mut self.facts);
            self.facts
                .suppressions
                .extend(checks::suppress::scan_text(&rel, &text));
        }
    }

    /// A text file too large to hold in memory is still searched for secrets, in chunks.
    fn search_large_text(&mut self, abs: &Path, rel: String) {
        if checks::secret_context::is_vendored_or_generated(&rel) {
            self.facts.secrets_skipped.push(rel);
            return;
        }
        match scan_large_text(abs, &rel) {
            Ok(hits) => self.facts.secrets.extend(hits),
            Err(e) => self.unreadable(rel, FileKind::Text, format!("cannot be read: {e}")),
        }
    }

    fn unreadable(&mut self, path: String, kind: FileKind, cause: String) {
        self.facts.unreadable.push(Unreadable { path, kind, cause });
    }
}

/// The git blob id of a file too large to read at once, hashed as a stream.
fn large_blob_id(abs: &Path, kind: gix::hash::Kind, size: u64) -> Option<gix::ObjectId> {
    use std::io::Read;
    let mut file = std::fs::File::open(abs).ok()?;
    let mut hasher = gix::hash::hasher(kind);
    hasher.update(format!("blob {size}\0").as_bytes());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hasher.try_finalize().ok()
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
    into.kustomizations.extend(from.kustomizations);
    into.helm_templates.extend(from.helm_templates);
    into.helm_charts.extend(from.helm_charts);
    into.bake_files.extend(from.bake_files);
    into.compose_files.extend(from.compose_files);
    into.secrets.extend(from.secrets);
    into.secrets_skipped.extend(from.secrets_skipped);
    into.unreadable.extend(from.unreadable);
    into.suppressions.extend(from.suppressions);
}

/// Lines are gathered into chunks of about this size, so memory stays bounded.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Searches a large file for secrets chunk by chunk (whole lines per chunk), with line numbers
/// relative to the file. A file whose first chunk holds a NUL byte is binary and skipped, as
/// small files are; other bytes that are not UTF-8 are decoded lossily.
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
        if first && chunk.contains(&0) {
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
    f.bake_files.sort_by(|a, b| a.path.cmp(&b.path));
    f.compose_files.sort_by(|a, b| a.path.cmp(&b.path));
    f.workloads
        .sort_by(|a, b| (&a.location, a.subject()).cmp(&(&b.location, b.subject())));
    f.secrets
        .sort_by(|a, b| (&a.path, a.line, &a.kind).cmp(&(&b.path, b.line, &b.kind)));
    f.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    f.kustomizations.sort_by(|a, b| a.path.cmp(&b.path));
    f.helm_templates.sort();
    f.helm_charts.sort();
    f.secrets_skipped.sort();
    f.suppressions
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GitHub token shaped like a real one (no placeholder words).
    const TOKEN: &str = "ghp_R8mQ2vXk7TzL4pWn9cYb3HdJ6sFa1GeUo5Ni";

    fn write(root: &Path, p: &str, s: &[u8]) {
        let full = root.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, s).unwrap();
    }

    fn secret_paths(facts: &RepoFacts) -> Vec<&str> {
        facts.secrets.iter().map(|h| h.path.as_str()).collect()
    }

    fn excluded(facts: &RepoFacts) -> Vec<(&str, ExcludedReason)> {
        (facts.scope.excluded.iter())
            .map(|e| (e.path.as_str(), e.reason))
            .collect()
    }

    #[test]
    fn walks_hidden_dirs_skips_vendored_and_records_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            ".github/workflows/ci.yml",
            b"on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
        );
        write(root, ".github/workflows/broken.yml", b"jobs: [\n");
        write(
            root,
            "node_modules/x/.github/workflows/ci.yml",
            b"on: push\n",
        );
        let facts = collect(root);
        assert_eq!(facts.workflows.len(), 1);
        assert_eq!(facts.workflows[0].path, ".github/workflows/ci.yml");
        assert_eq!(facts.unreadable.len(), 1);
        assert_eq!(facts.unreadable[0].path, ".github/workflows/broken.yml");
        assert!(facts.unreadable[0].cause.contains("YAML"));
        assert_eq!(
            excluded(&facts),
            [("node_modules", ExcludedReason::Vendored)]
        );
    }

    #[test]
    fn without_git_no_ignore_file_hides_anything() {
        // `echo '*' > .gitignore` next to a Dockerfile with a baked token, and the same in a
        // parent directory outside the scanned tree (a dotfiles home): everything is judged.
        let outer = tempfile::tempdir().unwrap();
        write(outer.path(), ".gitignore", b"*\n");
        let root = outer.path().join("project");
        write(&root, ".gitignore", b"*\n");
        write(&root, ".ignore", b"*\n");
        write(&root, "sub/.gitignore", b"Dockerfile\n");
        let dockerfile = format!("FROM alpine:3.20\nENV GITHUB_TOKEN={TOKEN}\n");
        write(&root, "sub/Dockerfile", dockerfile.as_bytes());
        let facts = collect(&root);
        assert_eq!(facts.dockerfiles.len(), 1, "{:?}", facts.dockerfiles);
        assert_eq!(secret_paths(&facts), ["sub/Dockerfile"]);
        assert_eq!(facts.scope.listing, ListingKind::Directory);
        assert!(facts.scope.git.is_none());
    }

    #[test]
    fn one_stray_byte_does_not_hide_the_secrets_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"# caf\xe9 config\n".to_vec();
        bytes.extend_from_slice(format!("token = \"{TOKEN}\"\n").as_bytes());
        write(dir.path(), "settings.conf", &bytes);
        write(
            dir.path(),
            "blob.bin",
            &[&[0u8, 1, 2][..], TOKEN.as_bytes()].concat(),
        );
        let facts = collect(dir.path());
        assert_eq!(secret_paths(&facts), ["settings.conf"]);
        assert_eq!(facts.secrets[0].line, 2);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_inside_are_followed_once_and_those_leaving_the_tree_are_refused() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        write(
            outside.path(),
            "secret.env",
            format!("TOKEN={TOKEN}\n").as_bytes(),
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "real/Dockerfile", b"FROM alpine:3.20\nUSER app\n");
        write(
            root,
            "shared/workflows/ci.yml",
            b"on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
        );
        std::fs::create_dir_all(root.join(".github")).unwrap();
        symlink("../shared/workflows", root.join(".github/workflows")).unwrap();
        symlink("real/Dockerfile", root.join("Dockerfile")).unwrap();
        symlink(outside.path().join("secret.env"), root.join(".env")).unwrap();
        symlink(outside.path(), root.join("elsewhere")).unwrap();
        symlink(".", root.join("real/loop")).unwrap();
        symlink("missing/Dockerfile", root.join("Dockerfile.gone")).unwrap();

        let facts = collect(root);
        let dockerfiles: Vec<&str> = facts.dockerfiles.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(dockerfiles, ["Dockerfile", "real/Dockerfile"]);
        let workflows: Vec<&str> = facts.workflows.iter().map(|w| w.path.as_str()).collect();
        assert!(
            workflows.contains(&".github/workflows/ci.yml"),
            "{workflows:?}"
        );
        assert!(facts.secrets.is_empty(), "nothing outside the tree is read");
        let unreadable: Vec<(&str, FileKind)> = (facts.unreadable.iter())
            .map(|u| (u.path.as_str(), u.kind))
            .collect();
        assert_eq!(
            unreadable,
            [
                (".env", FileKind::Text),
                ("Dockerfile.gone", FileKind::Dockerfile),
                ("elsewhere", FileKind::Text),
            ]
        );
        assert!(
            facts.unreadable[0]
                .cause
                .contains("outside the scanned tree")
        );
        assert_eq!(
            excluded(&facts),
            [
                (".env", ExcludedReason::SymlinkOutsideTree),
                ("Dockerfile.gone", ExcludedReason::BrokenSymlink),
                ("elsewhere", ExcludedReason::SymlinkOutsideTree),
                ("real/loop", ExcludedReason::SymlinkLoop),
            ]
        );
    }

    fn git(root: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(root)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[cfg(unix)]
    #[test]
    fn in_a_git_work_tree_tracked_files_are_judged_whatever_gitignore_says() {
        let outside = tempfile::tempdir().unwrap();
        write(
            outside.path(),
            "secret.env",
            format!("T={TOKEN}\n").as_bytes(),
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        write(root, ".gitignore", b".env\nbuild/\n");
        write(root, ".env", format!("GITHUB_TOKEN={TOKEN}\n").as_bytes());
        write(root, "Dockerfile", b"FROM alpine:3.20\n");
        git(root, &["add", ".gitignore", "Dockerfile"]);
        git(root, &["add", "-f", ".env"]);
        // A submodule (a gitlink) with a checked-out file: listed once, never file by file.
        let gitlink = "160000,1111111111111111111111111111111111111111,lib/sub";
        git(root, &["update-index", "--add", "--cacheinfo", gitlink]);
        write(root, "lib/sub/README", b"another repository\n");
        // A tracked symlink leaving the tree: never read, an error for secrets-committed.
        std::os::unix::fs::symlink(outside.path().join("secret.env"), root.join("prod.env"))
            .unwrap();
        git(root, &["add", "prod.env"]);
        git(root, &["commit", "-q", "-m", "init"]);
        git(
            root,
            &[
                "remote",
                "add",
                "origin",
                "https://ci:s3cr3t@example.com/acme/api.git?x=1",
            ],
        );
        // Untracked: never judged as committed, listed in the scope.
        write(root, "notes.txt", format!("old token {TOKEN}\n").as_bytes());
        write(root, "build/Dockerfile", b"FROM node:latest\n");

        let facts = collect(root);
        assert_eq!(secret_paths(&facts), [".env"]);
        let dockerfiles: Vec<&str> = facts.dockerfiles.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(dockerfiles, ["Dockerfile"]);
        assert_eq!(facts.scope.listing, ListingKind::GitIndex);
        assert_eq!(
            excluded(&facts),
            [
                ("build/", ExcludedReason::Untracked),
                ("lib/sub", ExcludedReason::Submodule),
                ("notes.txt", ExcludedReason::Untracked),
                ("prod.env", ExcludedReason::SymlinkOutsideTree),
            ]
        );
        let unreadable: Vec<(&str, FileKind)> = (facts.unreadable.iter())
            .map(|u| (u.path.as_str(), u.kind))
            .collect();
        assert_eq!(unreadable, [("prod.env", FileKind::Text)]);
        let git_state = facts.scope.git.clone().unwrap();
        assert_eq!(
            git_state.remote.as_deref(),
            Some("https://example.com/acme/api.git")
        );
        assert_eq!(git_state.branch.as_deref(), Some("main"));
        assert_eq!(git_state.commit.as_ref().map(String::len), Some(40));
        assert!(!git_state.dirty, "{:?}", git_state.modified);

        // A local edit is judged as it is in the working tree, and makes the tree dirty.
        write(root, "Dockerfile", b"FROM alpine:3.21\n");
        let facts = collect(root);
        let git_state = facts.scope.git.unwrap();
        assert!(git_state.dirty);
        assert_eq!(git_state.modified, ["Dockerfile"]);
        assert_eq!(facts.dockerfiles[0].stages[0].base, "alpine:3.21");
    }

    #[test]
    fn a_plain_directory_inside_an_unrelated_git_home_is_listed_as_a_directory() {
        let home = tempfile::tempdir().unwrap();
        git(home.path(), &["init", "-q"]);
        write(home.path(), ".gitignore", b"*\n");
        write(home.path(), ".bashrc", b"export A=1\n");
        git(home.path(), &["add", "-f", ".bashrc", ".gitignore"]);
        git(home.path(), &["commit", "-q", "-m", "dotfiles"]);
        let root = home.path().join("project");
        write(
            &root,
            "Dockerfile",
            format!("FROM alpine:3.20\nENV T={TOKEN}\n").as_bytes(),
        );
        let facts = collect(&root);
        assert_eq!(facts.scope.listing, ListingKind::Directory);
        assert_eq!(secret_paths(&facts), ["Dockerfile"]);
    }

    #[test]
    fn excluded_paths_are_never_read_and_suppressions_are_collected() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "third_party/lib/Dockerfile", b"FROM node:20\n");
        write(root, "gen/Dockerfile", b"FROM node:20\n");
        write(
            root,
            "Dockerfile",
            b"# vouch:ignore[docker-base-pinned] base image rebuilt nightly\nFROM node:20\n",
        );
        let exclude = globs(&["third_party", "gen/*"]);
        let walked = walk_excluding(root, &exclude);
        assert_eq!(dockerfile_paths(&walked.facts), ["Dockerfile"]);
        assert_eq!(walked.facts.files_scanned, 1);
        assert_eq!(
            excluded(&walked.facts),
            [
                ("gen/Dockerfile", ExcludedReason::Configured),
                ("third_party", ExcludedReason::Configured),
            ]
        );
        let s = &walked.facts.suppressions;
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].path.as_str(), s[0].line), ("Dockerfile", 1));
    }

    #[test]
    fn in_a_git_work_tree_excluded_trees_are_listed_once_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        write(root, "third_party/a/Dockerfile", b"FROM node:20\n");
        write(root, "third_party/b/Dockerfile", b"FROM node:20\n");
        write(root, "Dockerfile", b"FROM alpine:3.20\n");
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "init"]);
        write(root, "third_party/c/Dockerfile", b"FROM node:20\n");
        let walked = walk_excluding(root, &globs(&["third_party"]));
        assert_eq!(walked.facts.scope.listing, ListingKind::GitIndex);
        assert_eq!(dockerfile_paths(&walked.facts), ["Dockerfile"]);
        assert_eq!(walked.facts.files_scanned, 1);
        assert_eq!(
            excluded(&walked.facts),
            [("third_party", ExcludedReason::Configured)],
            "tracked and untracked files under it are one entry"
        );
    }

    fn globs(patterns: &[&str]) -> GlobSet {
        let mut set = globset::GlobSetBuilder::new();
        for p in patterns {
            set.add(globset::Glob::new(p).unwrap());
        }
        set.build().unwrap()
    }

    fn dockerfile_paths(facts: &RepoFacts) -> Vec<&str> {
        facts.dockerfiles.iter().map(|d| d.path.as_str()).collect()
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
