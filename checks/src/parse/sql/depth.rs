//! A bound on how deep the expression trees of a statement can be, read from its tokens
//! before anything builds a tree.
//!
//! sqlparser limits nesting by parentheses (its recursion limit), but parses a chain such as
//! `a = 1 AND b = 2 AND …` in a loop into a left-deep tree: a 30,000-term chain parses into
//! a tree 60,000 levels deep, and rendering or even dropping that tree recurses once per level
//! and overflows the stack (vouch aborted with exit 134). The tokenizer is iterative, so the
//! bound is computed from tokens and a statement over it is never handed to the parser.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Deepest expression nesting vouch parses. Real policies and constraints stay far below it
/// (tens of levels); a tree of this depth renders and drops well within a 2 MiB thread stack.
pub const MAX_NESTING: usize = 300;

/// sqlparser's own limit on nested sub-expressions (parentheses, `NOT`, subqueries), set
/// explicitly wherever vouch parses SQL so it does not depend on the crate's default.
pub const RECURSION_LIMIT: usize = 50;

/// An upper bound on the depth of the expression trees `text` parses into: the parenthesis
/// depth plus, at each open level, the operators seen since the level's last comma (every
/// operator of a chain adds one level to the tree). `None` when the text does not tokenize
/// (the parser then refuses it too).
pub fn nesting_bound(text: &str) -> Option<usize> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .ok()?;
    // Operators counted at each open parenthesis level; their sum plus the depth is the bound.
    let mut levels: Vec<usize> = vec![0];
    let mut operators = 0usize;
    let mut deepest = 0usize;
    for token in &tokens {
        match token {
            Token::LParen | Token::LBracket => levels.push(0),
            Token::RParen | Token::RBracket if levels.len() > 1 => {
                operators -= levels.pop().unwrap_or(0);
            }
            Token::Comma => {
                if let Some(level) = levels.last_mut() {
                    operators -= *level;
                    *level = 0;
                }
            }
            t if is_operator(t) => {
                if let Some(level) = levels.last_mut() {
                    *level += 1;
                    operators += 1;
                }
            }
            _ => {}
        }
        deepest = deepest.max(levels.len() + operators);
    }
    Some(deepest)
}

/// `true` when `text` may parse into a tree deeper than [`MAX_NESTING`] (or does not
/// tokenize): such a statement is not parsed.
pub fn too_deep(text: &str) -> bool {
    nesting_bound(text).is_none_or(|n| n > MAX_NESTING)
}

/// Tokens that can add a level to an expression tree: symbols other than punctuation, and the
/// keywords that build expressions.
fn is_operator(token: &Token) -> bool {
    match token {
        Token::Word(w) => matches!(
            w.keyword,
            Keyword::AND
                | Keyword::OR
                | Keyword::NOT
                | Keyword::IS
                | Keyword::IN
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::SIMILAR
                | Keyword::BETWEEN
                | Keyword::ANY
                | Keyword::ALL
                | Keyword::SOME
                | Keyword::EXISTS
                | Keyword::CASE
                | Keyword::WHEN
                | Keyword::COLLATE
                | Keyword::AT
                | Keyword::SELECT
                | Keyword::WHERE
        ),
        Token::Whitespace(_)
        | Token::Period
        | Token::SemiColon
        | Token::EOF
        | Token::Number(..)
        | Token::Char(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::EscapedStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::Placeholder(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_count_their_operators_and_commas_reset_them() {
        let chain = |n: usize| vec!["a = 1"; n].join(" AND ");
        assert!(nesting_bound(&chain(10)).unwrap() >= 19);
        assert!(!too_deep(&chain(10)));
        assert!(too_deep(&chain(30_000)));
        // A wide list is not deep.
        let wide = format!("({})", vec!["a = 1"; 5_000].join(", "));
        assert!(!too_deep(&wide), "{:?}", nesting_bound(&wide));
        let nested = format!("{}x{}", "(".repeat(400), ")".repeat(400));
        assert!(too_deep(&nested));
        assert!(too_deep("'unterminated"));
    }

    /// A migration with a 30,000-term policy made vouch abort with a stack overflow (exit 134)
    /// while rendering and dropping the parsed tree. Now the statement stays unparsed (its table
    /// is `error`), on a thread with a stack smaller than the scanner's worker threads.
    #[test]
    fn a_policy_with_a_huge_and_chain_is_unparsed_not_a_stack_overflow() {
        let chain =
            vec!["tenant_id = current_setting('app.tenant_id')::uuid"; 30_000].join(" AND ");
        let sql = format!(
            "CREATE TABLE orders (id int, tenant_id uuid);\n\
             CREATE POLICY huge ON orders USING ({chain});\n\
             CREATE POLICY small ON orders USING (tenant_id = current_setting('app.tenant_id')::uuid);\n"
        );
        let file = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || crate::parse::sql::parse_file("m/001.sql", &sql))
            .unwrap()
            .join()
            .expect("parsing a deep policy must not overflow the stack");
        assert_eq!(file.stats.unparsed, 1, "{:?}", file.stats);
        assert_eq!(file.stats.parsed, 2);
        let unparsed = file
            .changes
            .iter()
            .find_map(|c| match &c.change {
                crate::parse::sql::Change::Unparsed(u) => Some(u),
                _ => None,
            })
            .expect("the deep policy is kept as an unparsed record");
        assert!(
            unparsed.excerpt.contains("CREATE POLICY huge"),
            "{unparsed:?}"
        );
        assert!(
            unparsed.mentions.iter().any(|m| m == "orders"),
            "{unparsed:?}"
        );
    }
}
