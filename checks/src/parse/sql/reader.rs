//! Reads a file's statements into [`Change`]s: top-level statements, the statements inside
//! `DO` blocks and constant `EXECUTE`s (recursively, to a fixed depth), function bodies
//! (summarised as effects) and calls of functions.

use super::names::Resolver;
use super::plpgsql::{self, Piece};
use super::split::{self, RawStatement};
use super::{Change, Located, ParsedFile, QName, classify, convert, targeted, trigger_args};
use crate::facts::pg::{self, Unparsed};
use crate::model::Location;

/// Procedural code nested deeper than this (`DO` running `EXECUTE` of a `DO` …) is not read:
/// it is reported as unreadable.
const MAX_DEPTH: u8 = 4;

pub struct Reader<'a> {
    path: &'a str,
    names: Resolver,
    changes: Vec<Located>,
    stats: pg::ParseStats,
    /// Set when a statement produced an unparsed record (used to count a `DO` block).
    saw_unparsed: bool,
    /// `standard_conforming_strings` as the file's last top-level SET/RESET left it, once one
    /// was seen: a ROLLBACK may undo it, and a migration tool may carry it into the next file.
    strings_setting: Option<bool>,
    /// Where that SET/RESET was.
    strings_setting_line: u32,
}

impl<'a> Reader<'a> {
    pub fn new(path: &'a str) -> Self {
        let stats = pg::ParseStats {
            files: 1,
            ..pg::ParseStats::default()
        };
        Reader {
            path,
            names: Resolver::default(),
            changes: Vec::new(),
            stats,
            saw_unparsed: false,
            strings_setting: None,
            strings_setting_line: 0,
        }
    }

    pub fn finish(mut self) -> ParsedFile {
        if self.strings_setting == Some(false) {
            // The session may run the next migration with the setting off (golang-migrate,
            // `psql -f a -f b`), which this reader of one file cannot follow.
            let line = self.strings_setting_line;
            self.may_do_anything(
                "SET standard_conforming_strings = off (to the end of the file)",
                line,
            );
        }
        ParsedFile {
            path: self.path.to_owned(),
            changes: self.changes,
            stats: self.stats,
            error: None,
            engine: super::sections::Engine::Unknown,
        }
    }

    /// One statement of the file, counted in the parse statistics.
    pub fn top_level(&mut self, s: &RawStatement<'_>) {
        self.stats.statements += 1;
        self.saw_unparsed = false;
        let counted = if let Some(on) = split::standard_conforming_strings(s.text) {
            self.strings_setting = Some(on);
            self.strings_setting_line = s.line;
            Outcome::Skipped
        } else if self.strings_setting.is_some() && starts_with_word(s.text, "ROLLBACK")
            || self.strings_setting.is_some() && starts_with_word(s.text, "ABORT")
        {
            // A rolled-back SET of the setting is undone: the splitter kept the new value, and
            // from here what the setting is, is unknown (said once, here).
            self.strings_setting = None;
            self.may_do_anything(s.text, s.line)
        } else {
            self.statement(s.text, s.line, s.backslash_strings, s.gexec, 0)
        };
        let bucket = match counted {
            Outcome::Skipped => &mut self.stats.skipped,
            Outcome::Read if self.saw_unparsed => &mut self.stats.unparsed,
            Outcome::Read => &mut self.stats.parsed,
            Outcome::Unread => &mut self.stats.unparsed,
        };
        *bucket += 1;
    }

    fn push(&mut self, line: u32, change: Change) {
        if matches!(change, Change::Unparsed(_)) {
            self.saw_unparsed = true;
        }
        self.changes.push(Located {
            location: Location::file(self.path, line),
            change,
        });
    }

    fn unreadable(&mut self, text: &str, line: u32) {
        let location = Location::file(self.path, line);
        if let Some(u) = targeted::unparsed(text, location, &self.names) {
            self.push(line, Change::Unparsed(u));
        }
    }

    fn statement(
        &mut self,
        text: &str,
        line: u32,
        backslash_strings: bool,
        gexec: bool,
        depth: u8,
    ) -> Outcome {
        if gexec {
            // psql runs every value the query returns as a statement.
            self.dynamic(&plpgsql::literals(text), true, text, line);
            return Outcome::Unread;
        }
        if changes_string_syntax_unseen(text, depth) {
            // `set_config('standard_conforming_strings', …)`, `ALTER DATABASE|ROLE … SET
            // standard_conforming_strings`, a SET inside a body: how every later `'…'` string
            // ends may change, in this session or the next migration's, and the splitter
            // follows only a top-level SET/RESET.
            return self.may_do_anything(text, line);
        }
        match classify::classify(text) {
            classify::Kind::Skip => {
                self.calls(text, line);
                Outcome::Skipped
            }
            classify::Kind::SearchPath => {
                self.names.set_search_path(text);
                Outcome::Read
            }
            classify::Kind::Role => {
                self.names.set_role(text);
                Outcome::Read
            }
            classify::Kind::Parse if starts_with_word(text, "DO") => {
                self.do_block(text, line, backslash_strings, depth)
            }
            classify::Kind::Parse => self.parse(text, line, backslash_strings, depth),
        }
    }

    fn parse(&mut self, text: &str, line: u32, backslash_strings: bool, depth: u8) -> Outcome {
        // With standard_conforming_strings off, `'…\'…'` means what sqlparser cannot know.
        let readable = !(backslash_strings && text.contains('\\'));
        let changes = readable
            .then(|| {
                convert::statement(text, &self.names)
                    .or_else(|| {
                        psql_variables_quoted(text)
                            .and_then(|t| convert::statement(&t, &self.names))
                    })
                    .or_else(|| {
                        trigger_args::non_guard_trigger_without_arguments(text)
                            .and_then(|t| convert::statement(&t, &self.names))
                    })
            })
            .flatten();
        let Some(changes) = changes else {
            self.unreadable(text, line);
            if let Some(function) = targeted::defined_function(text, &self.names) {
                self.function_effects(function, text, line, depth);
            }
            return Outcome::Unread;
        };
        for change in changes {
            let function = match &change {
                Change::CreateFunction(f) => Some(QName {
                    schema: f.schema.clone(),
                    name: f.name.clone(),
                }),
                _ => None,
            };
            self.push(line, change);
            if let Some(function) = function {
                self.function_effects(function, text, line, depth);
            }
        }
        Outcome::Read
    }

    /// `DO [LANGUAGE plpgsql] $$ … $$`: its statements, read in order.
    fn do_block(&mut self, text: &str, line: u32, backslash_strings: bool, depth: u8) -> Outcome {
        // With standard_conforming_strings off, a `'…'` body's `\'` is a quote inside it; the body
        // reader would end the body there and could read a fragment instead of the code.
        let misread = backslash_strings && text.contains('\\');
        let Some(body) = plpgsql::body(text).filter(|_| depth < MAX_DEPTH && !misread) else {
            // Code vouch cannot read (another language, nested too deep, quoting it cannot
            // undo) may do anything.
            return self.may_do_anything(text, line);
        };
        self.body(&body, line, depth + 1);
        Outcome::Read
    }

    /// Records `text` as a statement vouch cannot read that may change anything after it.
    fn may_do_anything(&mut self, text: &str, line: u32) -> Outcome {
        let u = Unparsed {
            location: Location::file(self.path, line),
            excerpt: targeted::excerpt(text),
            mentions: Vec::new(),
            topics: Vec::new(),
            creates: None,
            targeted: false,
            decided_later: Vec::new(),
        };
        self.push(line, Change::Unparsed(u));
        Outcome::Unread
    }

    /// Reads every statement of a procedural body as if it ran here; a statement under a
    /// condition (see [`plpgsql::Nesting::certain`]) is read too, but what it may change is
    /// also recorded as uncertain.
    fn body(&mut self, body: &plpgsql::Body<'_>, line: u32, depth: u8) {
        let first_line = line + body.line_offset;
        let mut nesting = plpgsql::Nesting::default();
        for raw in super::split::split(&body.text) {
            let piece = plpgsql::piece(raw.text);
            // The line of the statement itself, after the control words peeled off.
            let start = match &piece {
                Piece::Inert => raw.text.len(),
                Piece::Sql(sql) | Piece::Perform(sql) => offset_in(raw.text, sql),
                _ => raw.text.to_ascii_uppercase().find("EXECUTE").unwrap_or(0),
            };
            nesting.track(&raw.text[..start]);
            if matches!(piece, Piece::Inert) {
                continue;
            }
            let at = first_line + raw.line - 1 + newlines(&raw.text[..start]);
            let creates = matches!(&piece, Piece::Sql(sql) if starts_with_word(sql, "CREATE"));
            if nesting.certain(creates) {
                self.piece(piece, raw.text, at, depth);
            } else {
                self.conditional_piece(piece, raw.text, start, at, depth);
            }
        }
    }

    /// A statement that may not run (under `IF`, in a loop or an exception handler): its
    /// changes are folded, followed by an unparsed record of the judged properties it may
    /// change, so they are `error` unless a later statement decides them again.
    fn conditional_piece(&mut self, piece: Piece<'_>, raw: &str, start: usize, at: u32, depth: u8) {
        let mut inner = Reader::new(self.path);
        inner.names = self.names.clone();
        inner.piece(piece, raw, at, depth);
        let location = Location::file(self.path, at);
        let summary = summarise(&inner.changes, location.clone(), raw);
        self.names = inner.names;
        self.saw_unparsed |= inner.saw_unparsed;
        self.changes.extend(inner.changes);
        if let Some(mut u) = summary {
            // The innermost control line (`IF NOT EXISTS (…) THEN`) and the statement.
            let control = raw[..start]
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .unwrap_or_default();
            u.excerpt = format!(
                "{} {} (under a condition, loop or exception handler of a DO block: it may \
                 not run)",
                targeted::excerpt(control),
                targeted::excerpt(&raw[start..])
            );
            // Not counted as unparsed: the statement was read; only whether it runs is unknown.
            self.changes.push(Located {
                location,
                change: Change::Unparsed(u),
            });
        }
    }

    /// One statement of a body, read as if it ran here.
    fn piece(&mut self, piece: Piece<'_>, raw: &str, at: u32, depth: u8) {
        {
            match piece {
                Piece::Inert => {}
                Piece::Sql(sql) => {
                    self.statement(sql, at, false, false, depth);
                }
                Piece::Perform(sql) if changes_string_syntax_unseen(sql, depth) => {
                    self.may_do_anything(sql, at);
                }
                Piece::Perform(sql) => self.calls(sql, at),
                Piece::ExecuteConstant(sql) => {
                    if depth < MAX_DEPTH {
                        for inner in super::split::split(&sql) {
                            self.statement(inner.text, at, false, false, depth + 1);
                        }
                    } else {
                        self.dynamic(&[sql], false, raw, at);
                    }
                }
                Piece::ExecuteDynamic {
                    fragments,
                    substituted,
                } => self.dynamic(&fragments, substituted, raw, at),
            }
        }
    }

    fn dynamic(&mut self, fragments: &[String], substituted: bool, text: &str, line: u32) {
        let location = Location::file(self.path, line);
        if let Some(u) = targeted::dynamic(fragments, substituted, location, text) {
            self.push(line, Change::Unparsed(u));
        }
    }

    /// `SELECT f(…)` / `PERFORM f(…)` / `CALL p(…)`: the functions it runs.
    fn calls(&mut self, text: &str, line: u32) {
        let first = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_ascii_uppercase();
        if !matches!(
            first.as_str(),
            "SELECT" | "PERFORM" | "CALL" | "WITH" | "VALUES"
        ) {
            return;
        }
        let words = targeted::tokens(text);
        let mut functions: Vec<QName> = words
            .windows(2)
            .filter(|w| w[1] == "(" && is_name(&w[0]))
            .map(|w| self.names.dotted(&w[0]))
            .collect();
        functions.sort();
        functions.dedup();
        if !functions.is_empty() {
            let excerpt = targeted::excerpt(text);
            self.push(line, Change::Call { functions, excerpt });
        }
    }

    /// The effects of a function's body, when it has judged statements.
    fn function_effects(&mut self, function: QName, text: &str, line: u32, depth: u8) {
        let Some(body) = plpgsql::body(text) else {
            return;
        };
        let mut inner = Reader::new(self.path);
        inner.names = self.names.clone();
        inner.body(&body, line, depth + 1);
        if let Some(effects) = summarise(&inner.changes, Location::file(self.path, line), text) {
            self.push(line, Change::FunctionEffects { function, effects });
        }
    }
}

/// How a statement was counted.
enum Outcome {
    Skipped,
    Read,
    Unread,
}

/// Where `part` (a subslice of `whole`) starts in it.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .filter(|o| *o <= whole.len())
        .unwrap_or(0)
}

fn newlines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|b| *b == b'\n').count()).unwrap_or(u32::MAX)
}

/// A statement that may change `standard_conforming_strings` other than as the top-level
/// `SET`/`RESET` the splitter follows (see [`split::standard_conforming_strings`]): one that
/// names it (in a body, `SET LOCAL`, `set_config()`, `ALTER DATABASE|ROLE … SET`), a
/// `set_config()` whose setting is not a plain literal, or a `U&"…"` name that could spell it.
/// `SHOW` only reads it.
fn changes_string_syntax_unseen(text: &str, depth: u8) -> bool {
    let lower = text.to_ascii_lowercase();
    if starts_with_word(text, "SHOW") {
        return false;
    }
    let names_it = lower.contains("standard_conforming_strings")
        && (depth > 0 || split::standard_conforming_strings(text).is_none());
    let hidden_setting = lower
        .match_indices("set_config(")
        .any(|(at, call)| !starts_with_plain_argument(&lower[at + call.len()..]))
        || lower.contains("u&\"");
    names_it || hidden_setting
}

/// Whether `args` starts with a plain `'…'` literal that is the whole first argument.
fn starts_with_plain_argument(args: &str) -> bool {
    let Some(rest) = args.trim_start().strip_prefix('\'') else {
        return false;
    };
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                continue;
            }
            return rest[i + 1..].trim_start().starts_with(',');
        }
    }
    false
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.get(..word.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(word))
        && text[word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
}

fn is_name(w: &str) -> bool {
    w.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '"')
}

/// psql substitutes `:name` (and `:'name'`, `:"name"`) before the server sees the statement;
/// vouch does not know the values, so each becomes an identifier or string naming the
/// variable (`GRANT … TO :DATABASE_OWNER` grants to a role called `:DATABASE_OWNER`). `None`
/// when the statement has no psql variable.
fn psql_variables_quoted(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    let (mut i, mut copied, mut found) = (0usize, 0usize, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' if i == 0 || bytes[i - 1] != b':' => {
                let rest = &text[i + 1..];
                let (name, quote) = match rest.as_bytes().first() {
                    Some(b'\'') => (rest[1..].split('\'').next().unwrap_or(""), Some('\'')),
                    Some(b'"') => (rest[1..].split('"').next().unwrap_or(""), Some('"')),
                    _ => (
                        &rest[..rest
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len())],
                        None,
                    ),
                };
                let starts_like_name = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_');
                if !starts_like_name {
                    i += 1;
                    continue;
                }
                out.push_str(&text[copied..i]);
                let len = 1 + name.len() + if quote.is_some() { 2 } else { 0 };
                let q = if quote == Some('\'') { '\'' } else { '"' };
                out.push(q);
                out.push(':');
                out.push_str(name);
                out.push(q);
                i += len;
                copied = i;
                found = true;
            }
            _ => i += 1,
        }
    }
    if !found {
        return None;
    }
    out.push_str(&text[copied.min(text.len())..]);
    Some(out)
}

/// The judged properties `changes` (a function body's) may change, as one unparsed record:
/// its topics, and the objects when every change names them.
fn summarise(changes: &[Located], location: Location, text: &str) -> Option<Unparsed> {
    let mut topics: Vec<String> = Vec::new();
    let mut mentions: Vec<String> = Vec::new();
    let mut narrowed = true;
    let mut every_topic = false;
    let table = |q: &QName| [format!("{}.{}", q.schema, q.name), q.name.clone()];
    for located in changes {
        let (topic, names): (&str, Vec<String>) = match &located.change {
            Change::Unparsed(u) => {
                every_topic |= u.topics.is_empty();
                topics.extend(u.topics.iter().cloned());
                narrowed &= u.targeted || !u.mentions.is_empty();
                mentions.extend(u.mentions.iter().cloned());
                continue;
            }
            Change::SetRls { table: t, .. } => ("rls", table(t).to_vec()),
            Change::SetForce { table: t, .. } => ("force", table(t).to_vec()),
            Change::SetOwner { table: t, owner } => {
                let mut n = table(t).to_vec();
                n.push(owner.clone());
                ("owner", n)
            }
            Change::CreatePolicy { table: t, .. }
            | Change::AlterPolicy { table: t, .. }
            | Change::DropPolicy { table: t, .. } => ("policy", table(t).to_vec()),
            Change::CreateTrigger { table: t, .. } | Change::DropTrigger { table: t, .. } => {
                ("trigger", table(t).to_vec())
            }
            Change::Privileges {
                target, grantees, ..
            } => {
                let mut n = grantees.clone();
                match target {
                    super::GrantTarget::Tables(ts) => n.extend(ts.iter().flat_map(table)),
                    super::GrantTarget::AllTablesInSchemas(_) => narrowed = false,
                    super::GrantTarget::Schemas(s) => n.extend(s.iter().cloned()),
                }
                ("grant", n)
            }
            Change::DefaultPrivileges { .. } => {
                narrowed = false;
                ("grant", Vec::new())
            }
            Change::CreateRole { name, .. }
            | Change::AlterRole { name, .. }
            | Change::RenameRole { name, .. } => ("role", vec![name.clone()]),
            Change::DropRoles(names) => ("role", names.clone()),
            Change::Membership {
                roles, grantees, ..
            } => ("role", roles.iter().chain(grantees).cloned().collect()),
            Change::CreateFunction(f) => ("function", vec![f.name.clone()]),
            Change::AlterFunction { function, .. } => ("function", vec![function.name.clone()]),
            _ => continue,
        };
        topics.push(topic.to_owned());
        mentions.extend(names);
    }
    if topics.is_empty() && !every_topic {
        return None;
    }
    if every_topic {
        topics.clear();
    }
    topics.sort();
    topics.dedup();
    if !narrowed {
        mentions.clear();
    }
    mentions.sort();
    mentions.dedup();
    Some(Unparsed {
        location,
        excerpt: targeted::excerpt(text),
        mentions,
        topics,
        creates: None,
        targeted: narrowed,
        decided_later: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_variables_become_names() {
        assert_eq!(
            psql_variables_quoted("GRANT ALL ON TABLE t TO :DATABASE_OWNER").as_deref(),
            Some("GRANT ALL ON TABLE t TO \":DATABASE_OWNER\"")
        );
        assert_eq!(
            psql_variables_quoted("SELECT x::text, ':a' FROM t WHERE a = :'v'").as_deref(),
            Some("SELECT x::text, ':a' FROM t WHERE a = ':v'")
        );
        assert_eq!(psql_variables_quoted("SELECT a::int"), None);
    }
}
