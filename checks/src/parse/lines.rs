//! Finding the line of a parsed value in its source text.
//!
//! YAML and JSON parsers give values without positions; rather than a second, positional
//! parser, we look the value up in the text in document order. Values are searched after the
//! previous hit for the same key, so repeated values get their own lines.

use std::collections::HashMap;

pub struct LineIndex<'a> {
    lines: Vec<&'a str>,
    cursor: HashMap<String, usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            lines: text.lines().collect(),
            cursor: HashMap::new(),
        }
    }

    /// The 1-based line of the next `key:` whose line also contains the first line of `value`
    /// (when non-empty), searching after the previous hit for this key; 0 when not found.
    pub fn next(&mut self, key: &str, value: &str) -> u32 {
        let first = value.lines().next().unwrap_or("").trim();
        let probe = format!("{key}:");
        let start = self.cursor.get(key).copied().unwrap_or(0);
        let hit = |line: &&str| {
            let l = line.trim_start().trim_start_matches("- ");
            l.starts_with(&probe) && (first.is_empty() || line.contains(first))
        };
        let found = self.lines[start..]
            .iter()
            .position(&hit)
            .map(|i| i + start)
            .or_else(|| self.lines.iter().position(hit));
        match found {
            Some(i) => {
                self.cursor.insert(key.to_owned(), i + 1);
                u32::try_from(i + 1).unwrap_or(u32::MAX)
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_get_successive_lines() {
        let text = "a:\n  - uses: x@1\n  - run: hi\n  - uses: x@1\n";
        let mut idx = LineIndex::new(text);
        assert_eq!(idx.next("uses", "x@1"), 2);
        assert_eq!(idx.next("uses", "x@1"), 4);
        assert_eq!(idx.next("run", "hi"), 3);
        assert_eq!(idx.next("nope", ""), 0);
    }
}
