//! A linear pre-check of bracket nesting, run before a YAML, JSON(5) or TOML parser sees a
//! file. The YAML parser's scanner costs time proportional to the flow nesting depth for every
//! token (a 400 KB workflow of nested `[` took 98 s), and the JSON5 parser recurses once per
//! level (a deep enough file overflows the stack). Every parser used here refuses more than
//! 128 levels anyway, so nothing parseable is lost by refusing it up front.
//!
//! The count follows each syntax's quoting and comments, so brackets inside strings and
//! comments are not counted. For YAML it also follows where a flow collection or a quoted
//! scalar can start (at the start of a value) and skips block scalars (`|`, `>`).

/// The deepest nesting any parser is handed (the parsers' own recursion limit is 128).
pub const MAX_NESTING: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    /// JSON and JSON5: `"` and `'` strings with `\` escapes, `//` and `/* */` comments.
    Json5,
    /// TOML: `"` strings with escapes, `'` literal strings, `"""`/`'''` multi-line, `#`.
    Toml,
}

/// The syntax of a file from its name, when it is one of the nested formats.
pub fn syntax_of(path: &str) -> Option<Syntax> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "yml" | "yaml" => Some(Syntax::Yaml),
        "json" | "json5" => Some(Syntax::Json5),
        "toml" => Some(Syntax::Toml),
        _ => match name.as_str() {
            "cargo.lock" | "poetry.lock" | "uv.lock" | "pdm.lock" | "pipfile" => Some(Syntax::Toml),
            "bun.lock" | "composer.lock" | ".renovaterc" | "pipfile.lock" | "package.resolved" => {
                Some(Syntax::Json5)
            }
            _ => None,
        },
    }
}

/// `Err` (one sentence, no file content) when `text` nests deeper than [`MAX_NESTING`].
pub fn check(text: &str, syntax: Syntax) -> Result<(), String> {
    let over = match syntax {
        Syntax::Yaml => yaml_over_limit(text.as_bytes()),
        Syntax::Json5 | Syntax::Toml => brackets_over_limit(text.as_bytes(), syntax),
    };
    match over {
        Some(line) => Err(format!(
            "nested deeper than {MAX_NESTING} levels (at line {line}): not parsed"
        )),
        None => Ok(()),
    }
}

/// Counts lines while skipping.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.text.get(self.at + ahead).copied().unwrap_or(0)
    }

    fn done(&self) -> bool {
        self.at >= self.text.len()
    }

    fn bump(&mut self) {
        if self.peek(0) == b'\n' {
            self.line += 1;
        }
        self.at += 1;
    }

    /// Skips past the closing `quote`; `\` escapes the next byte when `escapes`, a doubled
    /// quote stands for itself when `doubled` (YAML single quotes).
    fn skip_string(&mut self, quote: u8, escapes: bool, doubled: bool) {
        self.bump();
        while !self.done() {
            let c = self.peek(0);
            if escapes && c == b'\\' {
                self.bump();
                self.bump();
            } else if c == quote {
                self.bump();
                if !(doubled && self.peek(0) == quote) {
                    return;
                }
                self.bump();
            } else {
                self.bump();
            }
        }
    }

    /// Skips past the closing `delim` (three bytes).
    fn skip_until(&mut self, delim: &[u8], escapes: bool) {
        while !self.done() && !self.text[self.at..].starts_with(delim) {
            if escapes && self.peek(0) == b'\\' {
                self.bump();
            }
            self.bump();
        }
        for _ in 0..delim.len() {
            self.bump();
        }
    }

    fn skip_line(&mut self) {
        while !self.done() && self.peek(0) != b'\n' {
            self.bump();
        }
    }
}

/// JSON5 and TOML: every bracket outside strings and comments counts.
fn brackets_over_limit(text: &[u8], syntax: Syntax) -> Option<usize> {
    let mut c = Cursor {
        text,
        at: 0,
        line: 1,
    };
    let mut depth = 0usize;
    // TOML dotted keys (`a.b.c = 1`, `[a.b.c]`) nest tables without brackets.
    let mut dots_on_line = 0usize;
    while !c.done() {
        let rest = &text[c.at..];
        match (syntax, c.peek(0)) {
            (Syntax::Toml, b'"') if rest.starts_with(b"\"\"\"") => {
                c.bump();
                c.bump();
                c.bump();
                c.skip_until(b"\"\"\"", true);
            }
            (Syntax::Toml, b'\'') if rest.starts_with(b"'''") => {
                c.bump();
                c.bump();
                c.bump();
                c.skip_until(b"'''", false);
            }
            (Syntax::Toml, b'\'') => c.skip_string(b'\'', false, false),
            (_, q @ (b'"' | b'\'')) => c.skip_string(q, true, false),
            (Syntax::Toml, b'#') => c.skip_line(),
            (Syntax::Json5, b'/') if c.peek(1) == b'/' => c.skip_line(),
            (Syntax::Json5, b'/') if c.peek(1) == b'*' => c.skip_until(b"*/", false),
            (_, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(c.line);
                }
                c.bump();
            }
            (_, b']' | b'}') => {
                depth = depth.saturating_sub(1);
                c.bump();
            }
            (Syntax::Toml, b'.') => {
                dots_on_line += 1;
                if dots_on_line > MAX_NESTING {
                    return Some(c.line);
                }
                c.bump();
            }
            (_, b'\n') => {
                dots_on_line = 0;
                c.bump();
            }
            _ => c.bump(),
        }
    }
    None
}

/// YAML: flow collections open at the start of a value, anywhere inside a flow collection;
/// quoted scalars likewise; block scalars and plain-scalar continuation lines are skipped by
/// indentation as the YAML scanner does (content deeper than the enclosing block collection).
fn yaml_over_limit(text: &[u8]) -> Option<usize> {
    let mut y = Yaml {
        c: Cursor {
            text,
            at: 0,
            line: 1,
        },
        depth: 0,
        value_start: true,
        line_begin: 0,
        block_indent: 0,
        scalar_column: 0,
        plain_open: None,
        after_node: false,
    };
    y.run()
}

struct Yaml<'a> {
    c: Cursor<'a>,
    depth: usize,
    /// The next non-blank byte starts a node (so `[`, `{`, quotes, `|`, `>` are syntax).
    value_start: bool,
    line_begin: usize,
    /// Column of the innermost block collection on this line (a block scalar or a plain
    /// scalar's continuation lines must be indented more).
    block_indent: usize,
    /// Column where the current block-context scalar began (a key, when `: ` follows).
    scalar_column: usize,
    /// A block-context plain scalar is open, continued by lines indented more than this.
    plain_open: Option<usize>,
    /// The last node was quoted or a closed flow collection (`"a":x` is a pair in flow).
    after_node: bool,
}

impl Yaml<'_> {
    fn column(&self) -> usize {
        self.c.at - self.line_begin
    }

    fn run(&mut self) -> Option<usize> {
        self.start_line();
        while !self.c.done() {
            let byte = self.c.peek(0);
            let text = self.c.text;
            let at = self.c.at;
            let after_blank = at == 0 || matches!(text[at - 1], b' ' | b'\t' | b'\n' | b'\r');
            let blank_after = matches!(self.c.peek(1), 0 | b' ' | b'\t' | b'\n' | b'\r');
            match byte {
                b'\n' => {
                    self.c.bump();
                    self.start_line();
                }
                b' ' | b'\t' | b'\r' => self.c.bump(),
                b'#' if after_blank => self.c.skip_line(),
                b'\'' | b'"' if self.value_start => {
                    self.scalar_column = self.column();
                    self.c.skip_string(byte, byte == b'"', byte == b'\'');
                    self.value_start = false;
                    self.after_node = true;
                }
                b'[' | b'{' if self.value_start || self.depth > 0 => {
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Some(self.c.line);
                    }
                    self.c.bump();
                    self.value_start = true;
                    self.after_node = false;
                }
                b']' | b'}' if self.depth > 0 => {
                    self.depth -= 1;
                    self.c.bump();
                    self.value_start = false;
                    self.after_node = true;
                }
                b',' if self.depth > 0 => {
                    self.c.bump();
                    self.value_start = true;
                    self.after_node = false;
                }
                b'|' | b'>' if self.value_start && self.depth == 0 => {
                    self.c.skip_line();
                    skip_block_scalar(&mut self.c, self.block_indent);
                    self.start_line();
                }
                b'-' | b'?' if self.value_start && blank_after => {
                    if self.depth == 0 {
                        self.block_indent = self.column();
                    }
                    self.c.bump();
                }
                b':' if blank_after || (self.depth > 0 && self.after_node) => {
                    if self.depth == 0 {
                        self.block_indent = self.scalar_column;
                        self.plain_open = None;
                    }
                    self.c.bump();
                    self.value_start = true;
                    self.after_node = false;
                }
                b'&' | b'!' if self.value_start => {
                    // An anchor or a tag: the node starts after it.
                    while !self.c.done() && !matches!(self.c.peek(0), b' ' | b'\t' | b'\n') {
                        self.c.bump();
                    }
                }
                _ => {
                    if self.value_start && self.depth == 0 {
                        self.scalar_column = self.column();
                        self.plain_open = Some(self.block_indent);
                    }
                    self.value_start = false;
                    self.after_node = false;
                    self.c.bump();
                }
            }
        }
        None
    }

    /// At the start of a line: skips its indentation and, in block context, decides whether it
    /// continues a plain scalar (text) or starts nodes (`---` and `...` included).
    fn start_line(&mut self) {
        self.line_begin = self.c.at;
        let indent = count_spaces(&self.c.text[self.c.at..]);
        self.c.at += indent;
        if self.depth > 0 {
            return; // Flow context ignores indentation.
        }
        let rest = &self.c.text[self.c.at..];
        if self.plain_open.is_some_and(|parent| indent > parent) {
            return; // Continues the plain scalar: text.
        }
        self.plain_open = None;
        self.value_start = true;
        self.after_node = false;
        self.block_indent = indent;
        self.scalar_column = indent;
        if indent == 0 && (rest.starts_with(b"---") || rest.starts_with(b"...")) {
            let blank = matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
            if blank {
                self.c.at += 3;
            }
        }
    }
}

fn count_spaces(rest: &[u8]) -> usize {
    rest.iter().take_while(|b| **b == b' ').count()
}

/// Skips the content lines of a block scalar whose header line was just skipped: blank lines
/// and lines indented at least as much as its first content line, which must be indented more
/// than `parent`. Leaves the cursor at the start of the first line that is not content.
fn skip_block_scalar(c: &mut Cursor<'_>, parent: usize) {
    let mut content: Option<usize> = None;
    while c.peek(0) == b'\n' {
        let start = c.at + 1;
        let indent = count_spaces(&c.text[start.min(c.text.len())..]);
        let blank = matches!(c.text.get(start + indent), None | Some(b'\n' | b'\r'));
        let inside = blank
            || match content {
                Some(m) => indent >= m,
                None => indent > parent,
            };
        if !inside {
            break;
        }
        if !blank && content.is_none() {
            content = Some(indent);
        }
        c.bump();
        c.skip_line();
    }
    if c.peek(0) == b'\n' {
        c.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, levels: usize) -> String {
        format!("{}{}", open.repeat(levels), close.repeat(levels))
    }

    #[test]
    fn deep_flow_nesting_is_refused_in_every_syntax() {
        let deep = nested("[", "]", MAX_NESTING + 1);
        let yaml = format!("on: push\njobs: {deep}\n");
        let err = check(&yaml, Syntax::Yaml).unwrap_err();
        assert_eq!(err, "nested deeper than 128 levels (at line 2): not parsed");
        assert!(check(&format!("{{\"a\": {deep}}}"), Syntax::Json5).is_err());
        assert!(check(&format!("a = {deep}\n"), Syntax::Toml).is_err());
        let dotted = vec!["k"; MAX_NESTING + 2].join(".");
        assert!(check(&format!("{dotted} = 1\n"), Syntax::Toml).is_err());
        assert!(check(&format!("[{dotted}]\n"), Syntax::Toml).is_err());
        let yaml_maps = format!("a: {}", nested("{b: ", "}", MAX_NESTING + 1));
        assert!(check(&yaml_maps, Syntax::Yaml).is_err());
        // The 400 KB bomb of the report is refused at once.
        let bomb = "[".repeat(400_000);
        assert!(check(&bomb, Syntax::Yaml).is_err());
    }

    #[test]
    fn nesting_at_the_limit_passes() {
        let ok = nested("[", "]", MAX_NESTING);
        assert_eq!(check(&format!("a: {ok}\n"), Syntax::Yaml), Ok(()));
        assert_eq!(check(&ok, Syntax::Json5), Ok(()));
        assert_eq!(check(&format!("a = {ok}"), Syntax::Toml), Ok(()));
    }

    #[test]
    fn brackets_in_strings_comments_and_scalars_do_not_count() {
        let many = "[".repeat(MAX_NESTING + 5);
        let yaml = format!(
            "a: '{many}'\nb: \"{many}\"\n# {many}\nc: echo {many}\nd: |\n  {many}\n  more {many}\ne: >-\n    {many}\nf: [x, '{many}', \"{many}\"] # {many}\ng: don't {many}\n"
        );
        assert_eq!(check(&yaml, Syntax::Yaml), Ok(()));
        let json = format!("{{\"a\": \"{many}\", 'b': '{many}' // {many}\n /* {many} */}}");
        assert_eq!(check(&json, Syntax::Json5), Ok(()));
        let toml = format!(
            "a = \"{many}\"\nb = '{many}'\nc = \"\"\"\n{many}\n\"\"\"\nd = '''{many}'''\n# {many}\n[table]\n[[array]]\n"
        );
        assert_eq!(check(&toml, Syntax::Toml), Ok(()));
    }

    #[test]
    fn quoted_closers_do_not_hide_real_nesting() {
        // Each level holds a quoted `]`: a count that ignored quotes would see no depth.
        let level = "['] ', ";
        let yaml = format!("a: {}\n", level.repeat(MAX_NESTING + 1));
        assert!(check(&yaml, Syntax::Yaml).is_err());
        let json = format!("{}\n", "[\"]\", ".repeat(MAX_NESTING + 1));
        assert!(check(&json, Syntax::Json5).is_err());
    }

    #[test]
    fn block_scalars_end_where_yaml_ends_them() {
        let deep = nested("[", "]", MAX_NESTING + 1);
        // The key `b` is a sibling of `key` (column 2): not block scalar content.
        let yaml = format!("- key: |\n    text\n  b: {deep}\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        // Content at column 2 of a `- |` in a sequence at column 0 is the block scalar's.
        let yaml = format!("a:\n- |\n  'x\nb: {deep} # '\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        // A plain scalar continuation that starts with a quote is text, not a string.
        let yaml = format!("a: plain\n  'continued\nb: {deep} # '\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        let yaml = format!("a: [x\n 'y, {deep} # '\n]\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        let yaml = format!("a: [x - 'y, {deep} # ']\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        let yaml = format!("a: [x:'y, {deep} # ']\n");
        assert!(check(&yaml, Syntax::Yaml).is_err());
        assert!(check(&format!("--- {deep}\n"), Syntax::Yaml).is_err());
    }

    #[test]
    fn syntax_from_the_file_name() {
        assert_eq!(syntax_of(".github/workflows/ci.yml"), Some(Syntax::Yaml));
        assert_eq!(syntax_of("web/renovate.json5"), Some(Syntax::Json5));
        assert_eq!(syntax_of("Cargo.lock"), Some(Syntax::Toml));
        assert_eq!(syntax_of("bun.lock"), Some(Syntax::Json5));
        assert_eq!(syntax_of("yarn.lock"), None);
        assert_eq!(syntax_of("Dockerfile"), None);
    }
}
