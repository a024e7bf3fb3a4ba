//! JWT signing secrets committed beside a token they sign.
//!
//! What is flagged, precisely: a file holds a JSON Web Token (RFC 7519, compact JWS form of
//! RFC 7515 §7.1) whose header names an HMAC algorithm (`HS256`, `HS384`, `HS512`, RFC 7518
//! §3.2), AND a string literal or assigned value in the same file is the key that verifies its
//! signature. That is proof, not resemblance: with that string anyone can mint tokens the
//! service accepts. The reported span is the secret, not the token.
//!
//! Not flagged: a JWT alone (a signed token is a bearer credential that usually expires, and
//! test suites are full of them), a JWT signed with an asymmetric key (its private key would be
//! found as a PEM), or a secret that verifies no token in the file (the generic
//! `password-assignment` detector may still see it).

use std::ops::Range;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use regex::Regex;
use sha2::{Sha256, Sha384, Sha512};

/// The detector kind of a verified JWT signing secret.
pub const KIND: &str = "jwt-hmac-secret";

/// jwt.io's default debugger token is signed with these documented placeholders.
pub const DOCUMENTED_EXAMPLE_SECRETS: [&str; 3] = [
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
];

/// At most this many tokens and candidate keys per file: bounds the work on a hostile file.
const MAX_TOKENS: usize = 32;
const MAX_CANDIDATES: usize = 4096;

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    // header.payload.signature, each base64url; HS256/384/512 signatures are 43/64/86 chars.
    Regex::new(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{43,86}\b")
        .expect("valid")
});

/// Quoted literals and unquoted assigned values: where a signing key is written in code,
/// configuration and `.env` files.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#""([^"\n]{1,256})"|'([^'\n]{1,256})'|`([^`\n]{1,256})`|[=:]\s*([^\s"'`,;()]{1,256})"#,
    )
    .expect("valid")
});

/// Spans of string values in `text` that verify an HMAC-signed JWT also in `text`.
pub fn hmac_secrets(text: &str) -> Vec<Range<usize>> {
    if !text.contains("eyJ") {
        return Vec::new();
    }
    let tokens: Vec<HmacToken<'_>> = JWT
        .find_iter(text)
        .filter_map(|m| HmacToken::parse(m.as_str()))
        .take(MAX_TOKENS)
        .collect();
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<Range<usize>> = Vec::new();
    for caps in CANDIDATE.captures_iter(text).take(MAX_CANDIDATES) {
        let Some(value) = (1..=4).find_map(|i| caps.get(i)) else {
            continue;
        };
        let key = value.as_str().as_bytes();
        if tokens.iter().any(|t| t.verifies_with(key)) && !found.contains(&value.range()) {
            found.push(value.range());
        }
    }
    found
}

/// A compact JWS whose header names an HMAC algorithm.
struct HmacToken<'a> {
    alg: Alg,
    signing_input: &'a str,
    signature: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Alg {
    Hs256,
    Hs384,
    Hs512,
}

impl<'a> HmacToken<'a> {
    fn parse(token: &'a str) -> Option<Self> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, _) = signing_input.split_once('.')?;
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let alg = match header.get("alg")?.as_str()? {
            "HS256" => Alg::Hs256,
            "HS384" => Alg::Hs384,
            "HS512" => Alg::Hs512,
            _ => return None,
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        Some(HmacToken {
            alg,
            signing_input,
            signature,
        })
    }

    fn verifies_with(&self, key: &[u8]) -> bool {
        let input = self.signing_input.as_bytes();
        match self.alg {
            Alg::Hs256 => verify::<Hmac<Sha256>>(key, input, &self.signature),
            Alg::Hs384 => verify::<Hmac<Sha384>>(key, input, &self.signature),
            Alg::Hs512 => verify::<Hmac<Sha512>>(key, input, &self.signature),
        }
    }
}

fn verify<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(input);
    mac.verify_slice(signature).is_ok()
}

/// The decoded length of standard base64 text, `None` when it is not base64.
pub fn base64_len(text: &str) -> Option<usize> {
    STANDARD.decode(text).ok().map(|bytes| bytes.len())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A token signed at run time, so no token literal sits in this file.
    pub(crate) fn signed(alg: &str, key: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"svc-billing","role":"admin"}"#);
        let input = format!("{header}.{payload}");
        let sig = match alg {
            "HS384" => sign::<Hmac<Sha384>>(key, &input),
            "HS512" => sign::<Hmac<Sha512>>(key, &input),
            _ => sign::<Hmac<Sha256>>(key, &input),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn sign<M: Mac + hmac::digest::KeyInit>(key: &str, input: &str) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn the_key_that_verifies_a_token_in_the_file_is_found() {
        for alg in ["HS256", "HS384", "HS512"] {
            let key = "k9Qz-Lm2wX7vB4nR8tY1";
            let text = format!(
                "const JWT_KEY = \"{key}\";\nconst fixture = '{}';\n",
                signed(alg, key)
            );
            let spans = hmac_secrets(&text);
            assert_eq!(spans.len(), 1, "{alg}");
            assert_eq!(&text[spans[0].clone()], key);
        }
        // In a .env file, unquoted.
        let key = "a8Fh2Kq9Zm4Wp7Lx";
        let env = format!("JWT_SECRET={key}\nTEST_TOKEN={}\n", signed("HS256", key));
        assert_eq!(hmac_secrets(&env).len(), 1);
    }

    #[test]
    fn near_misses_are_not_flagged() {
        let token = signed("HS256", "the-real-key-lives-in-vault");
        // A token alone; a token beside a string that does not verify it.
        assert!(hmac_secrets(&format!("t = '{token}'\n")).is_empty());
        assert!(hmac_secrets(&format!("t = '{token}'\nk = 'k9Qz-Lm2wX7vB4nR8tY1'\n")).is_empty());
        // A truncated token (signature cut short).
        let cut = &token[..token.len() - 10];
        assert!(
            hmac_secrets(&format!("t = '{cut}'\nk = 'the-real-key-lives-in-vault'\n")).is_empty()
        );
        // An RS256 header is not an HMAC token, whatever string sits beside it.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let rs = format!("{header}.{}", &token[token.find('.').unwrap() + 1..]);
        assert!(hmac_secrets(&format!("t='{rs}'\nk='the-real-key-lives-in-vault'\n")).is_empty());
    }

    #[test]
    fn hostile_input_is_bounded() {
        assert!(hmac_secrets("eyJ").is_empty());
        assert!(hmac_secrets("eyJhbGciOiJIUzI1NiJ9.eyJ.\u{0}").is_empty());
        let many = "'x' ".repeat(100_000);
        let text = format!("{many}\n{}", signed("HS256", "nope-nope-nope"));
        assert!(hmac_secrets(&text).is_empty());
    }
}
