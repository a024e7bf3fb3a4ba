//! Sources: all I/O. Each reads one kind of target into [`checks::Facts`] and judges nothing.
//!
//! [`ALL`] is the one list of sources the engine runs ([`crate::engine`]); their facts go into
//! `Facts` in this order (the repository's folded migrations before live databases).

pub mod artifact;
pub mod aws;
pub mod endpoint;
pub mod image;
pub mod kube;
pub mod migrations;
pub mod postgres;
pub mod repo;
pub mod vuln_evidence;

use crate::engine::Source;

/// Every source, one line each.
pub static ALL: &[&dyn Source] = &[
    &repo::Repository,
    &vuln_evidence::ScannerOutputs,
    &endpoint::Endpoints,
    &aws::Accounts,
    &postgres::Databases,
    &kube::Clusters,
    &image::Images,
    &artifact::Artifacts,
];

/// An error and its causes on one line, `outer: inner: root cause`: client libraries hide the
/// cause that says what happened ("connection refused") levels down. A cause whose text is
/// already said is skipped (many errors repeat their source in their own message); runs of
/// whitespace and line breaks become one space. Display forms only: the Debug forms of SDK
/// errors carry raw responses.
pub(crate) fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `max` characters, saying how much was left out: a remote service's answer
/// (a registry's error body) quoted in a finding stays one readable line.
#[cfg(any(feature = "aws", feature = "image"))]
pub(crate) fn clipped(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((at, _)) => {
            let left = text[at..].chars().count();
            format!("{}… ({left} more characters)", &text[..at])
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    /// An error with a message and an optional source.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    #[cfg(any(feature = "aws", feature = "image"))]
    fn clipped_keeps_short_text_and_says_what_it_cut() {
        assert_eq!(super::clipped("short".to_owned(), 10), "short");
        assert_eq!(
            super::clipped("é".repeat(12), 10),
            format!("{}… (2 more characters)", "é".repeat(10))
        );
    }

    #[test]
    fn cause_chain_joins_causes_once_on_one_line() {
        let err = Layer(
            "error sending request",
            Some(Box::new(Layer(
                "client error (Connect)",
                Some(Box::new(Layer("Connection\nrefused", None))),
            ))),
        );
        assert_eq!(
            super::cause_chain(&err),
            "error sending request: client error (Connect): Connection refused"
        );
        let repeats = Layer(
            "timed out: deadline has elapsed",
            Some(Box::new(Layer("deadline has elapsed", None))),
        );
        assert_eq!(
            super::cause_chain(&repeats),
            "timed out: deadline has elapsed"
        );
    }
}
