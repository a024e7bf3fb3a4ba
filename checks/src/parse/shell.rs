//! Shell scripts (Dockerfile `RUN` lines, workflow `run:` steps) split into the simple commands
//! that run, each with its words: the one shell reader every check uses.
//!
//! Hand-written, not a crate. The crates weighed (December 2026):
//! - `brush-parser` 0.4 (the only maintained full bash grammar) takes `insta`, `cached`, `bon`,
//!   `peg` and `tracing` as normal dependencies, and fails a whole script on its first syntax
//!   error. CI scripts are templates (`${{ matrix.os }}` is substituted before any shell sees
//!   it), Dockerfile `RUN` text arrives with its heredoc terminators removed, and some steps are
//!   PowerShell: a check must still see every command it can, so a strict parser would need a
//!   tolerant fallback, which is this module anyway. Its PEG rules also recurse without a bound.
//! - `yash-syntax` is GPL-3.0 (vouch is Apache-2.0); `conch-parser` has had no release since 2019.
//! - `shlex` / `shell-words` split one command's words, but know no operators (`a&&b`), no
//!   `$(…)`, no heredocs: finding those is the part that needs care, and then splitting words is
//!   a few lines.
//!
//! What is read, following the POSIX shell grammar and bash's extensions where CI scripts use
//! them: quoting (`'…'`, `"…"`, `$'…'`, `\`), `\`-newline continuations, comments, the
//! operators `&&`, `||`, `;`, `;;`, `&`, `|`, `|&` and newlines (each ends a simple command),
//! redirections (their targets are not words), heredocs (the body is data, not commands, unless
//! it is fed to a shell: `bash <<EOF`, or a bare `<<EOF` as a Dockerfile `RUN <<EOF` has, where
//! BuildKit runs the body), `$(…)`, `` `…` `` and `<(…)` (their commands are found too, marked
//! as inside a substitution), `( … )` subshells, `{ …; }` groups, `if`/`while`/`until`/`for`/
//! `case` (the body's commands are marked as compound; `for` headers and `case` patterns are
//! not commands), `f() { … }` definitions, and `sh -c 'SCRIPT'` (SCRIPT is what runs, so it is
//! read as commands too). Parameter expansions (`$X`, `${X:-y}`, `${{ expr }}`) and arithmetic
//! stay in the word as written, and the word is marked as not literal.
//!
//! Bounded: a script over [`MAX_SCRIPT_BYTES`] or nested deeper than [`MAX_DEPTH`] (`$(…)`,
//! subshells, backticks, `sh -c`, heredocs fed to a shell) is refused with a [`ShellError`];
//! nothing recurses past that depth and no input panics. Unclosed quotes and parentheses end at
//! the end of the script, as a tolerant reader must.
//!
//! Not read: commands inside `${X:-$(cmd)}` (the expansion stays one word), the body of a
//! function when it is called (it is read where it is defined), aliases, `eval` strings.

use std::fmt;

/// Longer scripts are refused.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Deeper nesting of substitutions, subshells and nested scripts is refused.
pub const MAX_DEPTH: usize = 16;
/// Bytes read again as nested scripts (`sh -c "…"`, backtick bodies, heredocs fed to a shell),
/// all levels together: `sh -c "$(sh -c "$(…)")"` re-reads its inner text at every level, so
/// the depth limit alone would let the work double per level.
pub const MAX_NESTED_BYTES: usize = 4 * MAX_SCRIPT_BYTES;
/// Commands and heredocs one script may hold: a reader that bounds its input also bounds its
/// output and the heredoc bookkeeping done per command.
pub const MAX_COMMANDS: usize = 20_000;
pub const MAX_HEREDOCS_PER_LINE: usize = 64;

/// Why a script was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellError {
    TooLong {
        bytes: usize,
    },
    TooDeep,
    /// Nested scripts, commands or heredocs past [`MAX_NESTED_BYTES`], [`MAX_COMMANDS`] or
    /// [`MAX_HEREDOCS_PER_LINE`].
    TooMuch,
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShellError::TooLong { bytes } => write!(
                f,
                "the script has {bytes} bytes, more than the {MAX_SCRIPT_BYTES} read"
            ),
            ShellError::TooDeep => write!(
                f,
                "the script nests substitutions or subshells deeper than {MAX_DEPTH} levels"
            ),
            ShellError::TooMuch => write!(
                f,
                "the script holds more than {MAX_COMMANDS} commands, {MAX_HEREDOCS_PER_LINE} \
                 heredocs on a line or {MAX_NESTED_BYTES} bytes of nested scripts"
            ),
        }
    }
}

/// Where a command sits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nesting {
    /// Inside `$(…)`, `` `…` `` or `<(…)`.
    pub substitution: bool,
    /// Inside `( … )`.
    pub subshell: bool,
    /// Inside `if`, `while`, `until`, `for`, `case`, `{ … }` or a function body (conditions
    /// included).
    pub compound: bool,
    /// Inside a script handed to another shell: `sh -c '…'`, `bash <<EOF`.
    pub nested_script: bool,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Line offset of the command's first word in the script (0 = the first line).
    pub line: usize,
    /// Leading `NAME=value` assignments (quotes removed).
    pub assignments: Vec<String>,
    /// The words, quotes removed; expansions kept as written (`$HOME`, `$(date)`).
    pub words: Vec<String>,
    /// Per word: no expansion in it (quoted or not).
    literal: Vec<bool>,
    pub nesting: Nesting,
}

impl Command {
    /// Whether word `i` has no expansion: its text is what the program receives.
    pub fn is_literal(&self, i: usize) -> bool {
        self.literal.get(i).copied().unwrap_or(false)
    }

    /// The words of the program that runs, after the wrappers `sudo`, `doas`, `env`, `time`,
    /// `exec`, `nohup`, `nice`, `timeout`, `stdbuf`, `ionice`, `setsid`, `chronic`, `runuser -u`
    /// and `command` with their options (`sudo -u app npm ci` → `npm ci`, `timeout 300 npm
    /// install` → `npm install`). Empty when no program runs (`command -v npm`, a bare `sudo
    /// -v`).
    pub fn program(&self) -> &[String] {
        let mut i = 0;
        while let Some(word) = self.words.get(i) {
            let Some(wrapper) = Wrapper::of(base_name(word)) else {
                break;
            };
            // `runuser -l app -c SCRIPT` runs a script, as `su` does: read by `shell_script`.
            let rest = &self.words[i..];
            if base_name(word) == "runuser" && runuser_runs_script(rest) {
                break;
            }
            let is_command = base_name(word) == "command";
            let is_env = base_name(word) == "env";
            let mut operands = wrapper.operands;
            i += 1;
            while let Some(w) = self.words.get(i) {
                if is_command && (w == "-v" || w == "-V") {
                    return &[];
                }
                if w == "--" {
                    i += 1;
                    break;
                }
                if wrapper.with_value.contains(&w.as_str()) {
                    i += 2;
                } else if w.starts_with('-') || (is_env && is_assignment(w)) {
                    i += 1;
                } else if operands > 0 {
                    // `timeout 300 CMD`: the duration comes before the program.
                    operands -= 1;
                    i += 1;
                } else {
                    break;
                }
            }
        }
        self.words.get(i..).unwrap_or_default()
    }
}

/// A program that runs the rest of its words as a command.
struct Wrapper {
    /// Options that take the next word as their value.
    with_value: &'static [&'static str],
    /// Operands before the program (`timeout DURATION`).
    operands: usize,
}

impl Wrapper {
    fn of(name: &str) -> Option<Wrapper> {
        let (with_value, operands): (&'static [&'static str], usize) = match name {
            "sudo" | "doas" => (
                &[
                    "-u",
                    "-g",
                    "-C",
                    "-D",
                    "-h",
                    "-p",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "--user",
                    "--group",
                    "--close-from",
                    "--chdir",
                    "--host",
                    "--prompt",
                    "--role",
                    "--type",
                    "--other-user",
                    "--command-timeout",
                ],
                0,
            ),
            "env" => (&["-u", "-C", "-S", "--unset", "--chdir"], 0),
            "time" | "nohup" | "command" | "setsid" | "chronic" => (&[], 0),
            "exec" => (&["-a"], 0),
            "nice" => (&["-n", "--adjustment"], 0),
            "timeout" => (&["-s", "-k", "--signal", "--kill-after"], 1),
            "stdbuf" => (&["-i", "-o", "-e", "--input", "--output", "--error"], 0),
            "ionice" => (&["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"], 0),
            "runuser" => (&["-u", "-g", "-G", "--user", "--group", "--supp-group"], 0),
            _ => return None,
        };
        Some(Wrapper {
            with_value,
            operands,
        })
    }
}

/// `/usr/bin/sudo` → `sudo`.
fn base_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `NAME=…`, `NAME+=…`, `NAME[i]=…` with a valid name.
fn is_assignment(word: &str) -> bool {
    let Some(eq) = word.find('=') else {
        return false;
    };
    let name = word[..eq].trim_end_matches('+');
    let name = name.split('[').next().unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Shells whose `-c` string or heredoc is a script.
fn is_shell(program: &str) -> bool {
    matches!(
        base_name(program),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh"
    )
}

/// Where a shell invocation takes its script from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptFrom {
    /// The word at `index`, after its first `skip` bytes (`-c SCRIPT`; `--command=SCRIPT`).
    Word { index: usize, skip: usize },
    /// Standard input (`bash`, `sh -s ARGS`): a heredoc fed to it is the script.
    Stdin,
}

/// Whether `runuser …` (its words) hands a script to a shell: it has a command option and no
/// `-u`/`--user` before `--`. util-linux refuses `--command` with `--user`, so with `-u` the
/// words after `--` are the command and its own options (`pip install -c FILE`, `tar -czf`).
fn runuser_runs_script(words: &[String]) -> bool {
    let options = || words.iter().skip(1).take_while(|w| *w != "--");
    let user = options().any(|w| {
        w == "--user" || w.starts_with("--user=") || (w.starts_with("-u") && !w.starts_with("--"))
    });
    !user && words.iter().any(|w| is_command_option(w))
}

/// `su`'s and `runuser`'s option that gives the script: `-c`, `--command`, `--command=SCRIPT`.
fn is_command_option(word: &str) -> bool {
    command_option(word).is_some()
}

/// Where a `su`/`runuser` option puts its script.
#[derive(Clone, Copy)]
enum CommandAt {
    /// The next word (`-c`, `-lc`, `--command`, `--session-command`).
    NextWord,
    /// The rest of the option's own word, after this many bytes (`--command=SCRIPT`, `-cSCRIPT`).
    Rest(usize),
}

/// Where a `su`/`runuser` option word puts the script; `None` when it gives none.
fn command_option(word: &str) -> Option<CommandAt> {
    for long in ["--command", "--session-command"] {
        if word == long {
            return Some(CommandAt::NextWord);
        }
        if word
            .strip_prefix(long)
            .is_some_and(|rest| rest.starts_with('='))
        {
            return Some(CommandAt::Rest(long.len() + 1));
        }
    }
    let flags = word.strip_prefix('-').filter(|f| !f.starts_with('-'))?;
    for (i, flag) in flags.char_indices() {
        match flag {
            'c' => {
                let rest = i + 2; // the leading `-`, the flags before, the `c`
                return Some(if rest < word.len() {
                    CommandAt::Rest(rest)
                } else {
                    CommandAt::NextWord
                });
            }
            // Options whose value is the rest of the word or the next word.
            's' | 'g' | 'G' | 'w' | 'u' => return None,
            _ => {}
        }
    }
    None
}

/// Where `words` (a program's) take a script from; `None` when it is not a shell or runs a
/// script file.
fn shell_script(words: &[String]) -> Option<ScriptFrom> {
    let program = base_name(words.first()?);
    if program == "su" || program == "runuser" {
        // `su app -c SCRIPT`, `su -lc SCRIPT app`, `runuser -l app --command=SCRIPT`: the user
        // comes anywhere. Without a command, the login shell reads standard input (a heredoc
        // or a pipe fed to `su app`).
        let Some((c, at)) =
            (words.iter().enumerate()).find_map(|(i, w)| command_option(w).map(|at| (i, at)))
        else {
            return Some(ScriptFrom::Stdin);
        };
        return match at {
            CommandAt::Rest(skip) => Some(ScriptFrom::Word { index: c, skip }),
            CommandAt::NextWord => (c + 1 < words.len()).then_some(ScriptFrom::Word {
                index: c + 1,
                skip: 0,
            }),
        };
    }
    if !is_shell(program) {
        return None;
    }
    let (mut with_c, mut with_s) = (false, false);
    let mut i = 1;
    while let Some(w) = words.get(i) {
        // `-o pipefail`, `-O extglob`: an option and its value.
        if matches!(w.as_str(), "-o" | "+o" | "-O" | "+O") {
            i += 2;
            continue;
        }
        if w == "--" {
            i += 1;
            break;
        }
        if w.starts_with("--") {
            i += 1;
            continue;
        }
        if let Some(flags) = w.strip_prefix('-').or_else(|| w.strip_prefix('+')) {
            with_c |= flags.contains('c');
            with_s |= flags.contains('s');
            i += 1;
            continue;
        }
        break;
    }
    let operand = i < words.len();
    match (with_c, with_s, operand) {
        (true, _, true) => Some(ScriptFrom::Word { index: i, skip: 0 }),
        // `bash -s ARGS`, `sh` alone: the script comes from standard input.
        (false, true, _) | (false, false, false) => Some(ScriptFrom::Stdin),
        // `sh -c` without its operand; `bash script.sh`, a file.
        (true, _, false) | (false, false, true) => None,
    }
}

/// What a command writes to a pipe that a shell may read as its script.
#[derive(Clone)]
enum PipedText {
    /// `cat <<EOF |`: the heredocs of the command with this order.
    Heredocs(usize),
    /// `echo 'npm install' |`: the words, joined by spaces, at this line.
    Words(String, usize),
}

/// What `program` (a command's words after its wrappers) writes to standard output that could
/// be a script: `cat` with no file (its heredoc), `echo` of literal words (no `-e`).
fn piped_text(command: &Command, seq: usize, program: &[String], line: usize) -> Option<PipedText> {
    let (name, args) = program.split_first()?;
    match base_name(name) {
        "cat" if args.iter().all(|a| a == "-") => Some(PipedText::Heredocs(seq)),
        "echo" => {
            let offset = command.words.len() - program.len();
            let all_literal = (1..program.len()).all(|i| command.is_literal(offset + i));
            let text = args
                .iter()
                .skip_while(|a| *a == "-n")
                .cloned()
                .collect::<Vec<_>>();
            (all_literal && !text.iter().any(|a| a.starts_with('-')))
                .then(|| PipedText::Words(text.join(" "), line))
        }
        _ => None,
    }
}

/// The simple commands of `script`, in the order they start.
pub fn commands(script: &str) -> Result<Vec<Command>, ShellError> {
    if script.len() > MAX_SCRIPT_BYTES {
        return Err(ShellError::TooLong {
            bytes: script.len(),
        });
    }
    let mut shared = Shared::default();
    let mut parser = Parser::new(script.as_bytes(), 0, 0, Nesting::default(), &mut shared);
    parser.list(false);
    if let Some(e) = shared.error {
        return Err(e);
    }
    let mut out = shared.out;
    out.sort_by_key(|(seq, _)| *seq);
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// What [`commands`] made of one script, shared by every check that reads it.
pub type Read = std::sync::Arc<Result<Vec<Command>, ShellError>>;

/// The scripts of one judgement, each read once ([`commands`]) however many checks and
/// Dockerfiles ask: `run:` steps and `RUN` lines are read by several checks, and some helpers
/// (which Dockerfiles ship, which images a workflow tags) read every script once per
/// Dockerfile. Keyed by the script's text, which lives as long as the facts judged, so equal
/// text is read once and a key never outlives its facts. Nothing of it is serialized.
#[derive(Default)]
pub struct Scripts<'a> {
    read: std::sync::Mutex<std::collections::HashMap<&'a str, Read>>,
}

impl<'a> Scripts<'a> {
    /// The commands of `script` ([`commands`]), read on the first call only.
    pub fn read(&self, script: &'a str) -> Read {
        let mut read = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::sync::Arc::clone(
            read.entry(script)
                .or_insert_with(|| std::sync::Arc::new(commands(script))),
        )
    }

    /// How many distinct scripts have been read (for tests).
    pub fn len(&self) -> usize {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Default)]
struct Shared {
    /// (order of start, command)
    out: Vec<(usize, Command)>,
    seq: usize,
    error: Option<ShellError>,
    /// Bytes handed to nested readers so far (see [`MAX_NESTED_BYTES`]).
    nested_bytes: usize,
}

/// A command being read.
#[derive(Default)]
struct Pending {
    seq: Option<usize>,
    line: usize,
    assignments: Vec<String>,
    words: Vec<String>,
    literal: Vec<bool>,
    word_lines: Vec<usize>,
    /// A `for`/`select`/`case` header or a `function` name: read, not a command.
    header: Option<Header>,
    /// Standard output goes elsewhere than the pipe (`> file`, `&> log`): nothing it writes
    /// reaches a shell after a `|`.
    stdout_redirected: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Header {
    Loop,
    Case,
    Function,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Plain,
    /// `case … in`; `true` while reading patterns.
    Case(bool),
}

struct Heredoc {
    delimiter: Vec<u8>,
    strip_tabs: bool,
    owner: Option<usize>,
    /// Whether the body runs as a script (set when the owning command ends).
    runs: bool,
    nesting: Nesting,
}

/// One word as read: text with quotes removed, whether it has no expansion, whether any of it
/// was quoted or escaped (a quoted `if` is not a keyword), and how many bytes of the text came
/// before the first quote, escape or expansion.
struct Word {
    text: Vec<u8>,
    literal: bool,
    quoted: bool,
    plain_len: usize,
}

struct Parser<'s> {
    src: &'s [u8],
    pos: usize,
    line: usize,
    depth: usize,
    nesting: Nesting,
    heredocs: Vec<Heredoc>,
    /// What the command before a `|` writes, when a shell after it could run it.
    piped: Option<PipedText>,
    shared: &'s mut Shared,
}

impl<'s> Parser<'s> {
    fn new(
        src: &'s [u8],
        line: usize,
        depth: usize,
        nesting: Nesting,
        shared: &'s mut Shared,
    ) -> Self {
        Parser {
            src,
            pos: 0,
            line,
            depth,
            nesting,
            heredocs: Vec::new(),
            piped: None,
            shared,
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Consumes one byte, counting lines.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek(0)?;
        if b == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
        Some(b)
    }

    fn failed(&self) -> bool {
        self.shared.error.is_some()
    }

    /// Records that the script is over one of the work limits. Reading goes on to the end of
    /// the input (linear: no more commands, heredocs or nested scripts are kept), and the
    /// result is the error.
    fn too_much(&mut self) {
        self.shared.error.get_or_insert(ShellError::TooMuch);
    }

    /// Whether one more level of nesting is allowed; records the error when not.
    fn deeper(&mut self) -> bool {
        if self.depth + 1 >= MAX_DEPTH {
            self.shared.error.get_or_insert(ShellError::TooDeep);
            self.pos = self.src.len();
            return false;
        }
        true
    }

    /// Reads `text` as a script of its own (a `-c` string, a backtick body, a heredoc fed to
    /// a shell) starting on `line`.
    fn nested_script(&mut self, text: &[u8], line: usize, nesting: Nesting) {
        if !self.deeper() {
            return;
        }
        self.shared.nested_bytes += text.len();
        if self.shared.nested_bytes > MAX_NESTED_BYTES {
            self.too_much();
            return;
        }
        let mut inner = Parser::new(text, line, self.depth + 1, nesting, self.shared);
        inner.list(false);
    }

    fn skip_blanks(&mut self) {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(b' ' | b'\t' | b'\r'), _) => self.pos += 1,
                (Some(b'\\'), Some(b'\n')) => {
                    self.bump();
                    self.bump();
                }
                (Some(b'\\'), Some(b'\r')) if self.peek(2) == Some(b'\n') => {
                    self.pos += 2;
                    self.bump();
                }
                _ => return,
            }
        }
    }

    /// A command list up to the end of the text, or (when `in_parens`) up to the `)` that
    /// closes it, which is consumed.
    fn list(&mut self, in_parens: bool) {
        let mut cur = Pending::default();
        let mut blocks: Vec<Block> = Vec::new();
        loop {
            if self.failed() {
                return;
            }
            self.skip_blanks();
            let Some(b) = self.peek(0) else {
                self.finish(&mut cur, &blocks);
                return;
            };
            let in_pattern = blocks.last() == Some(&Block::Case(true));
            match b {
                b'#' => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'\n' => {
                    self.finish(&mut cur, &blocks);
                    self.bump();
                    self.heredoc_bodies();
                }
                b';' => {
                    self.finish(&mut cur, &blocks);
                    self.pos += 1;
                    if matches!(self.peek(0), Some(b';' | b'&')) {
                        self.pos += 1;
                        if self.peek(0) == Some(b'&') {
                            self.pos += 1;
                        }
                        if let Some(Block::Case(p)) = blocks.last_mut() {
                            *p = true;
                        }
                    }
                }
                b'&' if self.peek(1) == Some(b'>') => self.redirection(&mut cur),
                b'&' | b'|' => {
                    // `|` and `|&` pipe; `||` does not.
                    let pipe = b == b'|' && self.peek(1) != Some(b'|');
                    let piped = self.finish(&mut cur, &blocks);
                    self.piped = piped.filter(|_| pipe);
                    self.pos += 1;
                    if matches!(self.peek(0), Some(b'&' | b'|')) && self.peek(0) != Some(b) {
                        // `|&`
                        self.pos += 1;
                    } else if self.peek(0) == Some(b) {
                        self.pos += 1;
                    }
                }
                b'(' if in_pattern => self.pos += 1,
                b'(' => self.open_paren(&mut cur, &blocks),
                b')' if in_pattern => {
                    cur = Pending::default();
                    if let Some(Block::Case(p)) = blocks.last_mut() {
                        *p = false;
                    }
                    self.pos += 1;
                }
                b')' => {
                    self.finish(&mut cur, &blocks);
                    self.pos += 1;
                    if in_parens {
                        return;
                    }
                }
                b'<' | b'>' => {
                    if self.peek(1) == Some(b'(') {
                        self.start(&mut cur);
                        let line = self.line;
                        let word = self.process_substitution(&blocks);
                        cur.push_word(&word, line);
                    } else {
                        self.redirection(&mut cur);
                    }
                }
                b'0'..=b'9' if self.fd_redirection() => self.redirection(&mut cur),
                _ => {
                    self.start(&mut cur);
                    let line = self.line;
                    let word = self.word(&blocks);
                    if in_pattern {
                        if !word.quoted && word.text == b"esac" {
                            blocks.pop();
                        }
                        continue;
                    }
                    self.take_word(&mut cur, &mut blocks, word, line);
                }
            }
        }
    }

    /// Assigns the command its place in the order when its first token is read.
    fn start(&mut self, cur: &mut Pending) {
        if cur.seq.is_none() {
            cur.seq = Some(self.shared.seq);
            self.shared.seq += 1;
            cur.line = self.line;
        }
    }

    fn take_word(&mut self, cur: &mut Pending, blocks: &mut Vec<Block>, word: Word, line: usize) {
        let fresh = cur.words.is_empty() && cur.assignments.is_empty() && cur.header.is_none();
        if !word.quoted && word.literal && fresh {
            let keyword = match word.text.as_slice() {
                b"if" | b"while" | b"until" | b"{" => {
                    blocks.push(Block::Plain);
                    true
                }
                b"then" | b"else" | b"elif" | b"do" | b"!" => true,
                b"fi" | b"done" | b"esac" | b"}" => {
                    blocks.pop();
                    true
                }
                b"for" | b"select" => {
                    blocks.push(Block::Plain);
                    cur.header = Some(Header::Loop);
                    true
                }
                b"case" => {
                    blocks.push(Block::Case(false));
                    cur.header = Some(Header::Case);
                    true
                }
                b"function" => {
                    cur.header = Some(Header::Function);
                    true
                }
                _ => false,
            };
            if keyword {
                return;
            }
        }
        if cur.header == Some(Header::Function) && !cur.words.is_empty() {
            // `function name {`: the name is read; what follows is the body.
            *cur = Pending::default();
            self.start(cur);
            return self.take_word(cur, blocks, word, line);
        }
        if cur.header == Some(Header::Case) && !word.quoted && word.text == b"in" {
            *cur = Pending::default();
            if let Some(Block::Case(p)) = blocks.last_mut() {
                *p = true;
            }
            return;
        }
        if cur.header.is_none() && cur.words.is_empty() && word.is_assignment() {
            cur.assignments
                .push(String::from_utf8_lossy(&word.text).into_owned());
            return;
        }
        cur.push_word(&word, line);
    }

    /// `(`: a subshell at the start of a command, `((…))` arithmetic, an array assignment
    /// `a=(x y)`, or the `()` of a function definition.
    fn open_paren(&mut self, cur: &mut Pending, blocks: &[Block]) {
        let empty = cur.words.is_empty() && cur.assignments.is_empty();
        if empty && cur.header.is_none() && self.peek(1) == Some(b'(') {
            let mut skipped = Vec::new();
            self.balanced(&mut skipped);
            return;
        }
        if empty && cur.header.is_none() {
            self.pos += 1;
            if !self.deeper() {
                return;
            }
            let mut nesting = self.effective(blocks);
            nesting.subshell = true;
            let saved = (self.depth, self.nesting);
            self.depth += 1;
            self.nesting = nesting;
            self.list(true);
            (self.depth, self.nesting) = saved;
            return;
        }
        if cur.words.is_empty() && cur.assignments.last().is_some_and(|a| a.ends_with('=')) {
            let mut raw = Vec::new();
            self.balanced(&mut raw);
            if let Some(a) = cur.assignments.last_mut() {
                a.push_str(&String::from_utf8_lossy(&raw));
            }
            return;
        }
        // `name()` or `function name()`: what follows is the body; the name is not a command.
        self.pos += 1;
        self.skip_blanks();
        if self.peek(0) == Some(b')') {
            self.pos += 1;
            *cur = Pending::default();
        }
    }

    /// Copies a balanced `( … )` (quotes respected) into `out`, without reading commands in it.
    fn balanced(&mut self, out: &mut Vec<u8>) {
        let mut depth = 0usize;
        while let Some(b) = self.peek(0) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        out.push(b')');
                        self.pos += 1;
                        return;
                    }
                }
                b'\'' | b'"' => {
                    out.push(b);
                    self.bump();
                    while let Some(c) = self.bump() {
                        out.push(c);
                        if c == b {
                            break;
                        }
                    }
                    continue;
                }
                _ => {}
            }
            out.push(b);
            self.bump();
        }
    }

    /// Digits directly followed by `<` or `>`: a redirection of that descriptor (`2>&1`).
    fn fd_redirection(&self) -> bool {
        let rest = &self.src[self.pos..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        matches!(rest.get(digits), Some(b'<' | b'>'))
    }

    /// A redirection: the operator and its target, neither of which is a word of the command.
    fn redirection(&mut self, cur: &mut Pending) {
        self.start(cur);
        let fd_start = self.pos;
        while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let fd = &self.src[fd_start..self.pos];
        let rest = &self.src[self.pos..];
        // `>`, `>>`, `>|`, `1>`, `&>`, `&>>` send standard output away (`2>` and `>&2` too
        // for the latter: what is piped is then nothing certain either).
        let writes_out =
            (rest.starts_with(b">") || rest.starts_with(b"&>")) && (fd.is_empty() || fd == b"1");
        cur.stdout_redirected |= writes_out;
        let heredoc = rest.starts_with(b"<<") && !rest.starts_with(b"<<<");
        let strip_tabs = rest.starts_with(b"<<-");
        let op_len = [
            "<<<", "<<-", "&>>", "<<", ">>", ">|", "<>", ">&", "<&", "&>", "<", ">",
        ]
        .iter()
        .find(|op| rest.starts_with(op.as_bytes()))
        .map_or(1, |op| op.len());
        self.pos += op_len;
        self.skip_blanks();
        if self.peek(0).is_none_or(|b| b"\n;&|()<>".contains(&b)) {
            return;
        }
        let target = self.word(&[]);
        if heredoc && self.heredocs.len() >= MAX_HEREDOCS_PER_LINE {
            self.too_much();
            return;
        }
        if heredoc {
            self.heredocs.push(Heredoc {
                delimiter: target.text,
                strip_tabs,
                owner: cur.seq,
                runs: false,
                nesting: self.nesting,
            });
        }
    }

    /// The nesting of a command read now, inside `blocks`.
    fn effective(&self, blocks: &[Block]) -> Nesting {
        let mut n = self.nesting;
        n.compound |= !blocks.is_empty();
        n
    }

    /// Ends the command being read: records it, reads a `sh -c` script in it, and marks the
    /// heredocs it feeds to a shell. Returns what it writes that a shell after a `|` would run
    /// (`cat <<EOF | bash`, `echo 'npm ci' | sh`).
    fn finish(&mut self, cur: &mut Pending, blocks: &[Block]) -> Option<PipedText> {
        let done = std::mem::take(cur);
        let seq = done.seq?;
        let piped_in = self.piped.take();
        if done.header.is_some() {
            return None;
        }
        let nesting = self.effective(blocks);
        let command = Command {
            line: done.line,
            assignments: done.assignments,
            words: done.words,
            literal: done.literal,
            nesting,
        };
        let program = command.program();
        let script = shell_script(program);
        let runs_stdin = command.words.is_empty() || script == Some(ScriptFrom::Stdin);
        let piped_out = (!done.stdout_redirected)
            .then(|| piped_text(&command, seq, program, done.line))
            .flatten();
        let fed_heredocs = match (&piped_in, runs_stdin) {
            (Some(PipedText::Heredocs(from)), true) => Some(*from),
            _ => None,
        };
        for h in &mut self.heredocs {
            if h.owner == Some(seq) {
                h.runs = runs_stdin;
                h.nesting = nesting;
            } else if h.owner.is_some() && h.owner == fed_heredocs {
                h.runs = true;
                h.nesting = nesting;
            }
        }
        let mut inner = script.and_then(|from| {
            let ScriptFrom::Word { index, skip } = from else {
                return None;
            };
            let offset = command.words.len() - program.len();
            let text = program.get(index)?.get(skip..)?.to_owned();
            Some((text, done.word_lines.get(offset + index).copied()?))
        });
        if let (Some(PipedText::Words(text, line)), true, None) = (piped_in, runs_stdin, &inner) {
            inner = Some((text, line));
        }
        if !command.words.is_empty() {
            if self.shared.out.len() >= MAX_COMMANDS {
                self.too_much();
                return None;
            }
            self.shared.out.push((seq, command));
        }
        if let Some((text, line)) = inner {
            let mut n = nesting;
            n.nested_script = true;
            self.nested_script(text.as_bytes(), line, n);
        }
        piped_out
    }

    /// Reads the bodies of the heredocs opened on the line that just ended.
    fn heredoc_bodies(&mut self) {
        for h in std::mem::take(&mut self.heredocs) {
            let first_line = self.line;
            let mut body = Vec::new();
            while self.pos < self.src.len() {
                let rest = &self.src[self.pos..];
                let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                let text = &rest[..end];
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let compared = if h.strip_tabs {
                    let tabs = text.iter().take_while(|&&b| b == b'\t').count();
                    &text[tabs..]
                } else {
                    text
                };
                let is_end = compared == h.delimiter.as_slice();
                if !is_end {
                    body.extend_from_slice(&rest[..end]);
                    body.push(b'\n');
                }
                self.pos += end;
                if self.peek(0) == Some(b'\n') {
                    self.bump();
                }
                if is_end {
                    break;
                }
            }
            if h.runs && shell_shebang(&body) {
                let mut n = h.nesting;
                n.nested_script = true;
                self.nested_script(&body, first_line, n);
            }
        }
    }

    /// `<(…)` / `>(…)`: its commands are read; the word is the text as written.
    fn process_substitution(&mut self, blocks: &[Block]) -> Word {
        let start = self.pos;
        self.pos += 2;
        self.substitution_list(blocks);
        Word {
            text: self.src[start..self.pos].to_vec(),
            literal: false,
            quoted: false,
            plain_len: 0,
        }
    }

    /// The commands of `$(…)` (after its opening), up to and including the closing `)`.
    fn substitution_list(&mut self, blocks: &[Block]) {
        if !self.deeper() {
            return;
        }
        let mut nesting = self.effective(blocks);
        nesting.substitution = true;
        let saved = (self.depth, self.nesting, std::mem::take(&mut self.heredocs));
        self.depth += 1;
        self.nesting = nesting;
        self.list(true);
        (self.depth, self.nesting, self.heredocs) = saved;
    }

    /// One word, up to an unquoted blank or operator.
    fn word(&mut self, blocks: &[Block]) -> Word {
        let mut w = Word {
            text: Vec::new(),
            literal: true,
            quoted: false,
            plain_len: 0,
        };
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => {
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some(b'\n') | None => {}
                        Some(c) => {
                            w.text.push(c);
                            w.quoted = true;
                        }
                    }
                }
                b'\'' => {
                    w.quoted = true;
                    self.pos += 1;
                    while let Some(c) = self.bump() {
                        if c == b'\'' {
                            break;
                        }
                        w.text.push(c);
                    }
                }
                b'"' => {
                    w.quoted = true;
                    self.pos += 1;
                    self.double_quoted(&mut w, blocks);
                }
                b'$' => self.dollar(&mut w, blocks),
                b'`' => self.backticks(&mut w, blocks),
                _ => {
                    w.text.push(b);
                    self.bump();
                    if w.literal && !w.quoted {
                        w.plain_len = w.text.len();
                    }
                }
            }
            if self.failed() {
                break;
            }
        }
        w
    }

    /// The inside of `"…"` (after the opening quote), through the closing quote.
    fn double_quoted(&mut self, w: &mut Word, blocks: &[Block]) {
        while let Some(b) = self.peek(0) {
            match b {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek(0) {
                        Some(b'\n') => {
                            self.bump();
                        }
                        Some(c @ (b'$' | b'`' | b'"' | b'\\')) => {
                            w.text.push(c);
                            self.pos += 1;
                        }
                        _ => w.text.push(b'\\'),
                    }
                }
                b'$' => self.dollar(w, blocks),
                b'`' => self.backticks(w, blocks),
                _ => {
                    w.text.push(b);
                    self.bump();
                }
            }
            if self.failed() {
                return;
            }
        }
    }

    /// `$…`: a substitution (its commands read), an expansion (kept as written), `$'…'`
    /// quoting, or a plain `$`.
    fn dollar(&mut self, w: &mut Word, blocks: &[Block]) {
        let start = self.pos;
        match self.peek(1) {
            Some(b'(') if self.peek(2) == Some(b'(') => {
                self.pos += 1;
                let mut raw = Vec::new();
                self.balanced(&mut raw);
                w.text.push(b'$');
                w.text.extend_from_slice(&raw);
                w.literal = false;
            }
            Some(b'(') => {
                self.pos += 2;
                self.substitution_list(blocks);
                w.text.extend_from_slice(&self.src[start..self.pos]);
                w.literal = false;
            }
            Some(b'{') => {
                self.pos += 1;
                self.braces();
                w.text.extend_from_slice(&self.src[start..self.pos]);
                w.literal = false;
            }
            Some(b'\'') => {
                w.quoted = true;
                self.pos += 2;
                while let Some(c) = self.bump() {
                    match c {
                        b'\'' => break,
                        b'\\' => {
                            if let Some(e) = self.bump() {
                                w.text.push(match e {
                                    b'n' => b'\n',
                                    b't' => b'\t',
                                    other => other,
                                });
                            }
                        }
                        _ => w.text.push(c),
                    }
                }
            }
            Some(b'"') => {
                w.quoted = true;
                self.pos += 2;
                self.double_quoted(w, blocks);
            }
            Some(c) if c.is_ascii_alphanumeric() || b"_?#@*$!-".contains(&c) => {
                self.pos += 2;
                if c.is_ascii_alphabetic() || c == b'_' {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        self.pos += 1;
                    }
                }
                w.text.extend_from_slice(&self.src[start..self.pos]);
                w.literal = false;
            }
            _ => {
                w.text.push(b'$');
                self.pos += 1;
            }
        }
    }

    /// `{…}` of `${…}` (also GitHub's `${{ expr }}`), nested braces and quotes respected.
    fn braces(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.bump() {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                b'\\' => {
                    self.bump();
                }
                b'\'' | b'"' => {
                    while let Some(c) = self.bump() {
                        if c == b {
                            break;
                        }
                        if c == b'\\' && b == b'"' {
                            self.bump();
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// `` `…` ``: the body, unescaped, is read as commands.
    fn backticks(&mut self, w: &mut Word, blocks: &[Block]) {
        let start = self.pos;
        let line = self.line;
        self.pos += 1;
        let mut body = Vec::new();
        while let Some(c) = self.bump() {
            match c {
                b'`' => break,
                b'\\' => match self.peek(0) {
                    Some(e @ (b'`' | b'$' | b'\\')) => {
                        body.push(e);
                        self.pos += 1;
                    }
                    _ => body.push(b'\\'),
                },
                _ => body.push(c),
            }
        }
        w.text.extend_from_slice(&self.src[start..self.pos]);
        w.literal = false;
        let mut nesting = self.effective(blocks);
        nesting.substitution = true;
        self.nested_script(&body, line, nesting);
    }
}

impl Pending {
    fn push_word(&mut self, word: &Word, line: usize) {
        self.words
            .push(String::from_utf8_lossy(&word.text).into_owned());
        self.literal.push(word.literal);
        self.word_lines.push(line);
    }
}

impl Word {
    /// `NAME=…` with the name and `=` written plainly (`"A=b"` and `$X=b` are words).
    fn is_assignment(&self) -> bool {
        let text = String::from_utf8_lossy(&self.text);
        is_assignment(&text) && text.find('=').is_some_and(|eq| eq < self.plain_len)
    }
}

/// A heredoc body fed to a shell is a script unless its `#!` line names another interpreter.
fn shell_shebang(body: &[u8]) -> bool {
    let Some(first) = body.strip_prefix(b"#!") else {
        return true;
    };
    let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let interpreter = match words.next() {
        Some(p) if base_name(p) == "env" => words.find(|w| !w.starts_with('-')),
        other => other,
    };
    interpreter.is_some_and(is_shell)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(script: &str) -> Vec<(usize, String)> {
        commands(script)
            .unwrap()
            .into_iter()
            .map(|c| (c.line, c.program().join(" ")))
            .collect()
    }

    /// Asserts the (line, program words) of each command.
    fn assert_lines(script: &str, want: &[(usize, &str)]) {
        let want: Vec<(usize, String)> = want.iter().map(|(l, w)| (*l, (*w).to_owned())).collect();
        assert_eq!(words(script), want, "{script}");
    }

    /// Asserts the program words of each command and one flag of its nesting.
    fn assert_flagged(all: &[Command], flag: fn(&Nesting) -> bool, want: &[(&str, bool)]) {
        let got: Vec<(String, bool)> = all
            .iter()
            .map(|c| (c.program().join(" "), flag(&c.nesting)))
            .collect();
        let want: Vec<(String, bool)> = want.iter().map(|(w, f)| ((*w).to_owned(), *f)).collect();
        assert_eq!(got, want);
    }

    fn flat(script: &str) -> Vec<String> {
        words(script)
            .into_iter()
            .map(|(_, w)| w)
            .filter(|w| !w.is_empty())
            .collect()
    }

    #[test]
    fn splits_on_operators_and_lines() {
        let script = "set -eux\nnpm ci && npm run build\n# npm install\ncargo build \\\n  --locked\nFOO=1 sudo pip install x\n";
        assert_lines(
            script,
            &[
                (0, "set -eux"),
                (1, "npm ci"),
                (1, "npm run build"),
                (3, "cargo build --locked"),
                (5, "pip install x"),
            ],
        );
        assert_eq!(flat("a|b||c;d&e|&f"), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(flat("a&&b"), ["a", "b"]);
    }

    #[test]
    fn quoted_operators_stay_in_the_word() {
        assert_eq!(
            flat(r#"echo "a; npm install" && echo 'b && yarn add x' ; echo c\;d"#),
            ["echo a; npm install", "echo b && yarn add x", "echo c;d"]
        );
        let c = &commands(r#"git commit -m "fix: a | b""#).unwrap()[0];
        assert_eq!(c.words, ["git", "commit", "-m", "fix: a | b"]);
        assert!(c.is_literal(3));
    }

    #[test]
    fn finds_commands_in_substitutions() {
        let all =
            commands("VERSION=$(npm install -g x && cat v) echo \"v=`pip install y`\"").unwrap();
        assert_flagged(
            &all,
            |n| n.substitution,
            &[
                ("echo v=`pip install y`", false),
                ("npm install -g x", true),
                ("cat v", true),
                ("pip install y", true),
            ],
        );
        assert_eq!(all[1].line, 0);
        let echo = &all[0];
        assert!(!echo.is_literal(1));
        assert_eq!(echo.assignments, ["VERSION=$(npm install -g x && cat v)"]);
        // Nested, and quoted inside.
        assert_eq!(
            flat(r#"x="$(dirname "$(npm ci; echo ")")")""#),
            ["dirname $(npm ci; echo \")\")", "npm ci", "echo )"]
        );
        assert_eq!(flat("diff <(npm ls) b"), ["diff <(npm ls) b", "npm ls"]);
        // Arithmetic is not a command.
        assert_eq!(flat("echo $((1 + 2)); ((i++))"), ["echo $((1 + 2))"]);
    }

    #[test]
    fn continuations_keep_line_offsets() {
        let script = "apt-get update && \\\n  apt-get install -y \\\n    curl\nnpm \\\n ci\n\necho \"a\\\nb\"\npip install x";
        assert_lines(
            script,
            &[
                (0, "apt-get update"),
                (1, "apt-get install -y curl"),
                (3, "npm ci"),
                (6, "echo ab"),
                (8, "pip install x"),
            ],
        );
        // A CRLF script.
        assert_lines("npm \\\r\n ci\r\nyarn\r\n", &[(0, "npm ci"), (2, "yarn")]);
    }

    #[test]
    fn heredoc_bodies_are_data() {
        let script = "cat <<EOF > /etc/x.conf\nnpm install\n$(yarn add y)\nEOF\nnpm ci\ncat <<-'END'\n\tpip install z\n\tEND\necho done";
        assert_lines(
            script,
            &[(0, "cat"), (4, "npm ci"), (5, "cat"), (8, "echo done")],
        );
        // Fed to a shell, the body is what runs; so is a Dockerfile `RUN <<EOF` (its text arrives
        // without the terminator).
        assert_lines(
            "bash -e <<EOF\nnpm install\nEOF\n",
            &[(0, "bash -e"), (1, "npm install")],
        );
        let run = commands("<<EOF\nset -e\nnpm install\n").unwrap();
        assert_eq!(run.len(), 2);
        assert_eq!(
            (run[1].line, run[1].words.join(" ")),
            (2, "npm install".to_owned())
        );
        assert!(run[1].nesting.nested_script);
        // ... but not one for another interpreter.
        assert_eq!(flat("python3 <<EOF\nimport os\nEOF"), ["python3"]);
        assert_eq!(flat("bash -s x <<EOF\nyarn\nEOF"), ["bash -s x", "yarn"]);
        assert_eq!(flat("bash ci.sh <<EOF\nyarn\nEOF"), ["bash ci.sh"]);
        assert_eq!(
            flat("<<EOF\n#!/usr/bin/env python3\nnpm install\n"),
            [] as [&str; 0]
        );
        // `<<<` is a here-string, not a heredoc.
        assert_eq!(flat("cat <<< x\nnpm ci"), ["cat", "npm ci"]);
    }

    #[test]
    fn sh_c_scripts_are_read() {
        let all = commands("sudo -u app sh -ec \"npm ci && pip install 'x==1'\"").unwrap();
        assert_flagged(
            &all,
            |n| n.nested_script,
            &[
                ("sh -ec npm ci && pip install 'x==1'", false),
                ("npm ci", true),
                ("pip install x==1", true),
            ],
        );
        assert_eq!(
            flat("bash -o pipefail -c 'yarn install'"),
            ["bash -o pipefail -c yarn install", "yarn install"]
        );
        // A script file is not read; nor is `-c` in another program.
        assert_eq!(flat("bash ./ci.sh -c x"), ["bash ./ci.sh -c x"]);
        assert_eq!(flat("git -c a=b pull"), ["git -c a=b pull"]);
    }

    #[test]
    fn compound_commands() {
        let script = "if [ -f yarn.lock ]; then yarn install; else npm install; fi\nfor p in a b; do pip install \"$p\"; done\ncase \"$X\" in\n  npm|x) npm ci ;;\n  (*) yarn ;;\nesac\n( cd web && pnpm i )\nf() { uv sync; }\nfunction g { cargo build; }\n{ echo; } > out\nnpm run x";
        let all = commands(script).unwrap();
        let with = |flag: fn(&Nesting) -> bool| -> Vec<String> {
            all.iter()
                .filter(|c| flag(&c.nesting))
                .map(|c| c.words.join(" "))
                .collect()
        };
        let compound = "[ -f yarn.lock ]|yarn install|npm install|pip install $p|npm ci|yarn|uv sync|cargo build|echo";
        assert_eq!(with(|n| n.compound).join("|"), compound);
        assert_eq!(with(|n| n.subshell), ["cd web", "pnpm i"]);
        assert_eq!(with(|n| !n.compound && !n.subshell), ["npm run x"]);
        assert!(!all[3].is_literal(2));
        assert!(all[0].is_literal(1));
    }

    #[test]
    fn keywords_only_at_command_start() {
        assert_eq!(flat("echo if then fi"), ["echo if then fi"]);
        assert_eq!(flat("'if' x"), ["if x"]);
        assert_eq!(flat("A=1 B=\"x y\" npm ci"), ["npm ci"]);
        let c = &commands("A=1 B=\"x y\" npm ci").unwrap()[0];
        assert_eq!(c.assignments, ["A=1", "B=x y"]);
        assert_eq!(flat("arr=(a b) ; npm ci"), ["npm ci"]);
    }

    #[test]
    fn redirections_are_not_words() {
        assert_eq!(
            flat("npm ci >/dev/null 2>&1 < in &> all; cat >> log 2> err file"),
            ["npm ci", "cat file"]
        );
    }

    #[test]
    fn wrappers() {
        assert_eq!(
            flat("env -i PATH=/bin time -p nice -n 5 nohup npm ci"),
            ["npm ci"]
        );
        assert_eq!(flat("command -v npm"), [] as [&str; 0]);
        assert_eq!(flat("exec npm start"), ["npm start"]);
    }

    #[test]
    fn more_wrappers_and_their_operands() {
        assert_eq!(flat("timeout 300 npm install"), ["npm install"]);
        assert_eq!(
            flat("timeout -k 10 --signal TERM 5m yarn install"),
            ["yarn install"]
        );
        assert_eq!(flat("sudo --user app --chdir /srv npm ci"), ["npm ci"]);
        assert_eq!(
            flat("stdbuf -o L ionice -c 3 setsid chronic pip install x"),
            ["pip install x"]
        );
        assert_eq!(flat("runuser -u app -- npm install"), ["npm install"]);
        // With `-u`, the words after `--` are the command's own: its `-c` or `-czf` gives
        // runuser no script (util-linux refuses `--command` with `--user`).
        assert_eq!(
            flat("runuser -u app -- pip install -c constraints.txt -r requirements.txt"),
            ["pip install -c constraints.txt -r requirements.txt"]
        );
        assert_eq!(
            flat("runuser --user=app -- tar -czf a.tgz ."),
            ["tar -czf a.tgz ."]
        );
        // `timeout` with only its duration runs nothing.
        assert_eq!(flat("timeout 5"), [] as [&str; 0]);
    }

    #[test]
    fn shells_read_scripts_from_su_options_and_pipes() {
        assert_eq!(
            flat("bash -O extglob -c 'npm install'"),
            ["bash -O extglob -c npm install", "npm install"]
        );
        assert_eq!(
            flat("su app -c 'npm install'"),
            ["su app -c npm install", "npm install"]
        );
        assert_eq!(
            flat("runuser -l app -c 'npm install'"),
            ["runuser -l app -c npm install", "npm install"]
        );
        assert_eq!(
            flat("su app --command='npm install'"),
            ["su app --command=npm install", "npm install"]
        );
        assert_eq!(
            flat("runuser -l app --command 'npm ci'"),
            ["runuser -l app --command npm ci", "npm ci"]
        );
        assert_eq!(flat("su -lc 'npm ci' app"), ["su -lc npm ci app", "npm ci"]);
        assert_eq!(flat("su app -c'npm ci'"), ["su app -cnpm ci", "npm ci"]);
        assert_eq!(
            flat("su app --session-command='npm ci'"),
            ["su app --session-command=npm ci", "npm ci"]
        );
        // `-s SHELL` takes a value: its `c`-less word is no command.
        assert_eq!(
            flat("su -s /bin/sh app -c 'npm ci'"),
            ["su -s /bin/sh app -c npm ci", "npm ci"]
        );
        // Without a command, su's shell reads what is fed to it.
        assert_eq!(flat("su app <<'EOF'\nnpm ci\nEOF"), ["su app", "npm ci"]);
        assert_eq!(
            flat("echo 'npm ci' | su app"),
            ["echo npm ci", "su app", "npm ci"]
        );
        // What is written to a file reaches no shell after the pipe.
        assert_eq!(
            flat("echo 'npm install' > /dev/null | sh"),
            ["echo npm install", "sh"]
        );
        assert_eq!(
            flat("cat <<EOF > /dev/null | bash\nnpm install\nEOF"),
            ["cat", "bash"]
        );
        assert_eq!(
            flat("echo 'npm install' | sh"),
            ["echo npm install", "sh", "npm install"]
        );
        // `echo -e` interprets escapes, and an expansion is unknown: not read as a script.
        assert_eq!(flat("echo -e 'npm ci' | sh"), ["echo -e npm ci", "sh"]);
        assert_eq!(flat("echo \"$CMD\" | sh"), ["echo $CMD", "sh"]);
        // `||` is no pipe.
        assert_eq!(flat("echo 'npm install' || sh"), ["echo npm install", "sh"]);
        let heredoc = "cat <<EOF | bash\nnpm install\nEOF\nnpm ci";
        assert_eq!(flat(heredoc), ["cat", "bash", "npm install", "npm ci"]);
        let all = commands(heredoc).unwrap();
        assert!(all[2].nesting.nested_script && !all[3].nesting.nested_script);
        // A heredoc piped to anything else stays data.
        assert_eq!(
            flat("cat <<EOF | tee x\nnpm install\nEOF"),
            ["cat", "tee x"]
        );
        assert_eq!(flat("cat <<EOF > x\nnpm install\nEOF"), ["cat"]);
    }

    #[test]
    fn github_expressions_stay_one_word() {
        let c = &commands(
            "docker build -t ghcr.io/a/b:${{ github.sha }} --build-arg X=${{ a || b }} .",
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].words,
            [
                "docker",
                "build",
                "-t",
                "ghcr.io/a/b:${{ github.sha }}",
                "--build-arg",
                "X=${{ a || b }}",
                "."
            ]
        );
        assert!(!c[0].is_literal(3));
    }

    #[test]
    fn unclosed_text_ends_at_the_end() {
        assert_eq!(flat("echo \"npm install"), ["echo npm install"]);
        assert_eq!(flat("x $(npm ci"), ["x $(npm ci", "npm ci"]);
        assert_eq!(flat("echo 'a"), ["echo a"]);
        assert_eq!(flat("echo ${x"), ["echo ${x"]);
    }

    #[test]
    fn the_work_is_bounded_not_only_the_input() {
        // `sh -c "$(…)"` re-reads its operand: nested 7 levels, the innermost text would be
        // read 2^7 times. The nested-bytes budget stops it.
        let mut amplified = ":;".repeat(60 * 1024);
        for _ in 0..7 {
            amplified = format!("sh -c \"$({amplified})\"");
        }
        assert!(amplified.len() < MAX_SCRIPT_BYTES);
        assert_eq!(commands(&amplified), Err(ShellError::TooMuch));
        // Commands: 120,000 `:` on one line.
        assert_eq!(commands(&":;".repeat(60_000)), Err(ShellError::TooMuch));
        // Heredocs on one line: each command end used to walk all of them.
        assert_eq!(commands(&":<<a;".repeat(1_000)), Err(ShellError::TooMuch));
        assert!(commands(&":<<a;".repeat(10)).is_ok());
    }

    #[test]
    fn depth_and_length_are_bounded() {
        let deep = format!("{}npm ci{}", "$(".repeat(100), ")".repeat(100));
        assert_eq!(commands(&deep), Err(ShellError::TooDeep));
        // Escaped backticks outside a substitution are text: no nesting, no error.
        let backticks = format!("echo {}", "\\`".repeat(1000));
        assert_eq!(commands(&backticks).map(|c| c.len()), Ok(1));
        let subshells = "( ".repeat(50_000);
        assert_eq!(commands(&subshells), Err(ShellError::TooDeep));
        let sh = "sh -c \"sh -c 'sh -c x'\"";
        assert_eq!(commands(sh).unwrap().len(), 4);
        // Heredocs fed to shells, each holding the next.
        let mut nested = "npm ci\n".to_owned();
        for i in 0..40 {
            nested = format!("bash <<E{i}\n{nested}E{i}\n");
        }
        assert_eq!(commands(&nested), Err(ShellError::TooDeep));
        let quoted = format!(
            "sh -c {}",
            shell_quote(&format!("sh -c {}", shell_quote("npm ci")))
        );
        assert!(
            commands(&quoted)
                .unwrap()
                .iter()
                .any(|c| c.words == ["npm", "ci"])
        );
        let shallow = format!("{}npm ci{}", "$(".repeat(10), ")".repeat(10));
        assert!(
            commands(&shallow)
                .unwrap()
                .iter()
                .any(|c| c.words == ["npm", "ci"])
        );
        let long = "x ".repeat(MAX_SCRIPT_BYTES);
        assert!(matches!(commands(&long), Err(ShellError::TooLong { .. })));
    }

    fn shell_quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "'\\''"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(script in "[a-z $`'\"\\\\(){};&|<>#=\n\t\r-]{0,300}") {
            if let Ok(all) = commands(&script) {
                let lines = script.matches('\n').count();
                for c in &all {
                    proptest::prop_assert!(c.line <= lines);
                    proptest::prop_assert!(!c.words.is_empty());
                    let _ = c.program();
                }
            }
        }

        #[test]
        fn never_panics_on_any_text(script in "\\PC{0,200}") {
            let _ = commands(&script);
        }
    }
}
