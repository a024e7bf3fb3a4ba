use super::*;

// Token-shaped values are built at run time so this file holds no token-shaped literal.
fn github_token() -> String {
    format!("ghp_{}", "Ab3dEf6h".repeat(5).get(..36).unwrap_or_default())
}

const DSN_PASSWORD: &str = "Wr@ngPw_Secret42";

#[test]
fn toml_error_keeps_position_and_reason_but_not_the_line() {
    let token = github_token();
    let text = format!("[package]\nname = \"x\"\nrepository = {token} trailing\n");
    let e = toml::from_str::<toml::Table>(&text).unwrap_err();
    assert!(
        e.to_string().contains(&token),
        "the raw error quotes the line"
    );
    let msg = ParseError::toml(&e, &text).to_string();
    assert!(msg.starts_with("invalid TOML at line 3, column "), "{msg}");
    assert!(!msg.contains(&token) && !msg.contains("trailing"), "{msg}");
}

#[test]
fn toml_error_does_not_quote_a_password_no_detector_knows() {
    let text = format!("[tool.poetry]\npassword = {DSN_PASSWORD} oops\n");
    let e = toml::from_str::<toml::Table>(&text).unwrap_err();
    let msg = ParseError::toml(&e, &text).to_string();
    assert!(!msg.contains("Secret42") && !msg.contains("oops"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn json5_error_keeps_only_the_expectation() {
    let text = format!("{{\n  \"extends\": [\"config:base\"],\n  token: {DSN_PASSWORD} x\n}}");
    let e = json5::from_str::<serde_json::Value>(&text).unwrap_err();
    assert!(
        e.to_string().contains("Secret42"),
        "the raw error draws the line"
    );
    let msg = ParseError::json5(&e).to_string();
    assert!(msg.starts_with("invalid JSON5 at line 3"), "{msg}");
    assert!(!msg.contains("Secret42") && !msg.contains('\n'), "{msg}");
}

#[test]
fn json_and_yaml_errors_have_positions() {
    let e = serde_json::from_str::<serde_json::Value>("{\"a\": 1,\n \"b\" 2}").unwrap_err();
    assert_eq!(
        ParseError::json(&e).to_string(),
        "invalid JSON at line 2, column 6: expected `:`"
    );
    let e = serde_norway::from_str::<serde_norway::Value>("a: [1, 2\nb: c").unwrap_err();
    let msg = ParseError::yaml(&e).to_string();
    assert!(msg.starts_with("invalid YAML at line "), "{msg}");
    assert!(
        !msg.contains(" at line 2 column"),
        "one position only: {msg}"
    );
}

#[test]
fn reasons_are_bounded_and_drop_long_quotes() {
    let long = "x".repeat(400_000);
    let reason = bounded_reason(&format!("invalid type: string \"{long}\", expected a map"));
    assert_eq!(reason, "invalid type: string \"…\", expected a map");
    let reason = bounded_reason(&format!("bad {long}\nsecond line"));
    assert!(reason.chars().count() <= MAX_REASON_CHARS + 1, "{reason}");
    assert_eq!(
        bounded_reason("duplicate key `name`"),
        "duplicate key `name`"
    );
    assert_eq!(bounded_reason("unterminated \"abc"), "unterminated \"…");
}

/// A typed document, for serde's `invalid type` message.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Doc {
    port: u16,
}

#[test]
fn double_quoted_input_is_dropped_however_short_and_grammar_tokens_kept() {
    // serde quotes a value, serde_norway a duplicate key: input, even when short.
    assert_eq!(
        bounded_reason("invalid type: string \"hunter2\", expected a map"),
        "invalid type: string \"…\", expected a map"
    );
    let e = serde_norway::from_str::<serde_norway::Value>("env:\n  hunter2: 1\n  hunter2: 2\n")
        .unwrap_err();
    assert!(
        e.to_string().contains("hunter2"),
        "the raw error quotes the key"
    );
    let msg = ParseError::yaml(&e).to_string();
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(msg.starts_with("invalid YAML at line "), "{msg}");
    // A mistyped value in a typed document.
    let e = serde_norway::from_str::<Doc>("port: hunter2\n").unwrap_err();
    assert!(
        e.to_string().contains("hunter2"),
        "the raw error quotes the value"
    );
    assert!(!ParseError::yaml(&e).to_string().contains("hunter2"));
    // libyaml's grammar tokens in single quotes, serde's and toml's in backticks, stay.
    assert_eq!(
        bounded_reason("did not find expected ',' or ']'"),
        "did not find expected ',' or ']'"
    );
    assert_eq!(bounded_reason("expected `.`, `=`"), "expected `.`, `=`");
    assert_eq!(bounded_reason("found 'hunter2' here"), "found '…' here");
}

#[test]
fn dsn_user_info_is_removed_wholly_even_with_an_unencoded_at() {
    let r = Redactor::default();
    let dsn = format!("postgresql://app:{DSN_PASSWORD}@127.0.0.1/app");
    assert_eq!(r.text(&dsn), "postgresql://<redacted>@127.0.0.1/app");
    let msg = format!("cannot connect to {dsn}: refused");
    assert_eq!(
        r.text(&msg),
        "cannot connect to postgresql://<redacted>@127.0.0.1/app: refused"
    );
    // A host that a first-`@` parser made of the password's tail is user-info too.
    assert_eq!(
        r.text("postgres://ngPw_Secret42@127.0.0.1:5432/app"),
        "postgres://<redacted>@127.0.0.1:5432/app"
    );
}

#[test]
fn secret_named_parameters_are_redacted_and_others_kept() {
    let r = Redactor::default();
    assert_eq!(
        r.text("https://api.example.com/v1?page=2&access_token=abc123&sort=asc"),
        "https://api.example.com/v1?page=2&access_token=<redacted>&sort=asc"
    );
    let token = github_token();
    assert_eq!(
        r.text(&format!(
            "https://h/?q={token}&sig=abc&access_token={token}"
        )),
        "https://h/?q=<redacted github-token, 40 chars>&sig=<redacted>&access_token=<redacted>",
        "a detector's redaction does not cut the URL short"
    );
    assert_eq!(
        r.text("see https://h/x?X-Amz-Signature=f00d;sig=1#id_token=zzz, then"),
        "see https://h/x?X-Amz-Signature=<redacted>;sig=<redacted>#id_token=<redacted>, then"
    );
    // Idempotent: a dump re-judged by `check --facts` is redacted again, unchanged.
    let once = r
        .text("https://tickets.example.com/SEC-1?token=abc&a=1")
        .into_owned();
    assert_eq!(
        once,
        "https://tickets.example.com/SEC-1?token=<redacted>&a=1"
    );
    assert_eq!(r.text(&once), once);
    // A value the collection already redacted keeps its kind and length.
    let collected = "jdbc:postgresql://db/app?user=app&password=<redacted connection-string-password, 16 chars>&ssl=true";
    assert_eq!(r.text(collected), collected);
    for keep in [
        "https://app.example.com/login?next=/home",
        "oci://ghcr.io/acme/api@sha256:0123abcd",
        "postgres://db.internal:5432/app",
        "no url here",
    ] {
        assert!(matches!(r.text(keep), Cow::Borrowed(_)), "{keep}");
    }
}

#[test]
fn detector_tokens_anywhere() {
    let token = github_token();
    let r = Redactor::default();
    for planted in [
        format!("ghcr.io/acme/api:{token}"),
        format!("https://h/x?q={token}"),
        format!("component {token} 1.0"),
    ] {
        let clean = r.text(&planted);
        assert!(!clean.contains(&token), "{clean}");
        assert!(
            clean.contains("<redacted github-token, 40 chars>"),
            "{clean}"
        );
    }
}

#[test]
fn sql_password_literals_are_redacted_even_when_cut_off() {
    let r = Redactor::default();
    assert_eq!(
        r.text("CREATE ROLE app LOGIN PASSWORD 'S3cr''et!x' VALID UNTIL 'infinity';"),
        "CREATE ROLE app LOGIN PASSWORD '<redacted>' VALID UNTIL 'infinity';"
    );
    assert_eq!(
        r.text("alter user app with encrypted password 'SCRAM-SHA-256$4096:abc"),
        "alter user app with encrypted password '<redacted>'"
    );
    assert_eq!(
        r.text("password_encryption = 'scram-sha-256'"),
        "password_encryption = 'scram-sha-256'"
    );
    // Inside a `DO '…'` body the literal's quotes are doubled or escaped.
    for quoted in [
        "DO 'BEGIN CREATE ROLE app PASSWORD ''hunter2x''; END'",
        "DO 'BEGIN CREATE ROLE app PASSWORD \\'hunter2x\\'; END'",
    ] {
        let clean = r.text(quoted);
        assert!(!clean.contains("hunter2x"), "{clean}");
        assert!(clean.contains("<redacted>"), "{clean}");
    }
}

#[test]
fn the_root_becomes_relative() {
    let r = Redactor::for_root(&["/home/runner/work/app/".to_owned()]);
    assert_eq!(
        r.text("/home/runner/work/app/src/x.rs: Permission denied"),
        "src/x.rs: Permission denied"
    );
    assert_eq!(r.text("/home/runner/work/app"), ".");
    assert_eq!(
        r.text("/home/runner/work/app2/x"),
        "/home/runner/work/app2/x"
    );
    assert!(
        Redactor::for_root(&["/".to_owned(), "rel".to_owned()])
            .roots
            .is_empty()
    );
}

#[test]
fn json_values_are_redacted_keys_included() {
    let token = github_token();
    let mut v = serde_json::json!({
        "name": format!("lib-{token}"),
        token.clone(): [format!("https://u:p@h/?key={token}"), 3],
    });
    Redactor::default().json(&mut v);
    let text = v.to_string();
    assert!(!text.contains(&token), "{text}");
    assert!(!text.contains("u:p@"), "{text}");
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    /// Secrets of the shapes the detectors know, and DSN passwords (which no detector knows)
    /// as `(secret, is_detector_token)`.
    fn secret() -> impl Strategy<Value = (String, bool)> {
        prop_oneof![
            "[A-Za-z0-9]{36}".prop_map(|s| (format!("ghp_{s}"), true)),
            "[A-Z0-9]{16}".prop_map(|s| (format!("AKIA{s}"), true)),
            "[A-Za-z0-9]{24}".prop_map(|s| (format!("sk_live_{s}"), true)),
            "[A-Za-z0-9]{20,40}".prop_map(|s| (format!("xoxb-{s}"), true)),
            "[A-Za-z0-9]{36}".prop_map(|s| (format!("npm_{s}"), true)),
            "[A-Za-z0-9_!%@$^*]{6,24}".prop_map(|s| (format!("Pw{s}"), false)),
        ]
    }

    /// Where a secret may sit. `{}` is the secret; those marked `true` hold only secrets a
    /// detector recognises (a bare password there is indistinguishable from text).
    const PLACES: &[(&str, bool)] = &[
        ("postgresql://app:{}@127.0.0.1/app", false),
        ("postgres://{}@db:5432/x", false),
        (
            "cannot connect to mysql://root:{}@[::1]:3306/db: refused",
            false,
        ),
        (
            "https://api.example.com/v1?page=2&access_token={}&x=1",
            false,
        ),
        ("https://h/cb#state=1&id_token={}", false),
        ("https://h/?X-Amz-Security-Token={}", false),
        ("https://h/?q={}", true),
        ("ghcr.io/acme/api:{}", true),
        ("docs/{}\nPASS critical everything", true),
        ("component {} 1.0.0", true),
        ("token = {}", true),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_planted_secret_survives(
            (secret, is_token) in secret(),
            place in 0..PLACES.len(),
            prefix in "[ a-z:/.=]{0,12}",
        ) {
            let (template, needs_token) = PLACES[place];
            prop_assume!(is_token || !needs_token);
            let planted = format!("{prefix}{}", template.replace("{}", &secret));
            let clean = Redactor::default().text(&planted);
            prop_assert!(!clean.contains(&secret), "{planted:?} -> {clean:?}");
        }

        #[test]
        fn parse_errors_never_quote_the_line(
            (secret, _) in secret(),
            before in "[a-z_]{1,8} = \"[a-z]{0,6}\"\n",
            junk in "[ =\\[\\]{}]{0,3}",
        ) {
            // A malformed line holding the secret, after a valid one.
            let toml_text = format!("{before}key = {secret}{junk} x\n");
            if let Err(e) = toml::from_str::<toml::Table>(&toml_text) {
                let msg = ParseError::toml(&e, &toml_text).to_string();
                prop_assert!(!msg.contains(&secret), "{msg}");
            }
            let json5_text = format!("{{\n a: 1,\n b: {secret}{junk} x\n}}");
            if let Err(e) = json5::from_str::<serde_json::Value>(&json5_text) {
                let msg = ParseError::json5(&e).to_string();
                prop_assert!(!msg.contains(&secret), "{msg}");
            }
            let json_text = format!("{{\"a\": {secret}{junk}}}");
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&json_text) {
                let msg = ParseError::json(&e).to_string();
                prop_assert!(!msg.contains(&secret), "{msg}");
            }
            let yaml_text = format!("a: [{secret}{junk}\nb: {{\n");
            if let Err(e) = serde_norway::from_str::<serde_norway::Value>(&yaml_text) {
                let msg = ParseError::yaml(&e).to_string();
                prop_assert!(!msg.contains(&secret), "{msg}");
            }
        }
    }
}

#[test]
fn an_image_digest_is_not_user_info() {
    let pinned =
        "docker://alpine@sha256:beefed2b6d0e6b8a1f7b6e9e8c7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d";
    assert_eq!(redact_url(pinned), pinned);
    assert_eq!(Redactor::default().text(pinned), pinned);
    // A password is still removed.
    assert!(!redact_url("https://u:hunter2@host/x").contains("hunter2"));
    assert!(!redact_url("docker://u:hunter2@sha256x/y").contains("hunter2"));
}
