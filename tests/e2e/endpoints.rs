//! Live endpoint audit against real local servers: `openssl s_server` for TLS versions,
//! suites and certificates; nginx for headers, cookies, redirects and security.txt.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpListener;

use serde_json::Value;

use super::harness::{scan_json, vouch};
use super::live_fixtures::Fragment;
use super::tls_servers::{DAY, Leaf, Nginx, Pki, Server, epoch, free_port, s_server, wall_clock};

/// One endpoint in the generated vouch.toml.
struct Target {
    url: String,
    ca_file: Option<String>,
    http_url: Option<String>,
    cookie_paths: Vec<&'static str>,
}

impl Target {
    fn new(url: String, pki: &Pki) -> Target {
        Target {
            url,
            ca_file: Some(pki.ca_file.display().to_string()),
            http_url: None,
            cookie_paths: Vec::new(),
        }
    }
}

/// (check, subject) → the finding.
type Findings = BTreeMap<(String, String), Value>;

/// Runs `vouch scan` over an empty repository with these endpoints; returns the findings and
/// the raw facts text.
fn scan(targets: &[Target], extra_config: &str) -> (Findings, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = String::from(extra_config);
    for t in targets {
        let _ = writeln!(config, "\n[[target.endpoint]]\nurl = {:?}", t.url);
        if let Some(ca) = &t.ca_file {
            let _ = writeln!(config, "ca_file = {ca:?}");
        }
        if let Some(http) = &t.http_url {
            let _ = writeln!(config, "http_url = {http:?}");
        }
        if !t.cookie_paths.is_empty() {
            let _ = writeln!(config, "cookie_paths = {:?}", t.cookie_paths);
        }
    }
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("repo dir");
    let config_file = dir.path().join("vouch.toml");
    std::fs::write(&config_file, config).expect("write config");
    let facts_file = dir.path().join("facts.json");
    let (_, report) = scan_json(
        &repo,
        &[
            "--config",
            config_file.to_str().expect("utf-8 path"),
            // Configured endpoints are probed only when selected.
            "--all-targets",
            "--dump-facts",
            facts_file.to_str().expect("utf-8 path"),
        ],
    );
    let facts = std::fs::read_to_string(&facts_file).expect("facts written");
    (index(&report), facts)
}

fn index(report: &Value) -> Findings {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let key = (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["subject"].as_str().unwrap_or_default().to_owned(),
            );
            (key, f.clone())
        })
        .collect()
}

fn subject(port: u16) -> String {
    format!("localhost:{port}")
}

/// Asserts the status of (check, subject) and returns the finding.
fn expect<'a>(findings: &'a Findings, check: &str, port: u16, status: &str) -> &'a Value {
    let key = (check.to_owned(), subject(port));
    let f = findings.get(&key).unwrap_or_else(|| {
        panic!(
            "no {check} finding for {}; have {:?}",
            key.1,
            findings.keys()
        )
    });
    assert_eq!(
        f["status"], status,
        "{check} on {}: {}",
        key.1, f["message"]
    );
    f
}

#[test]
fn tls_versions_suites_and_certificates_of_openssl_servers() {
    let pki = Pki::new();
    let (good_cert, good_key) = pki.leaf(&Leaf::good("good"));
    let serve = |flags: &[&str]| s_server(&good_cert, &good_key, flags);
    let legacy = serve(&["-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1"]);
    let modern = serve(&["-min_protocol", "TLSv1.2"]);
    let only13 = serve(&["-tls1_3"]);
    let weak = serve(&[
        "-cipher",
        "ALL:eNULL:@SECLEVEL=0",
        "-min_protocol",
        "TLSv1.2",
    ]);

    let expired = cert_server(
        &pki,
        Leaf {
            // Valid on the pinned SOURCE_DATE_EPOCH, expired in real time: vouch judges
            // certificates against the real clock, so this must fail.
            not_before: epoch() - 90 * DAY,
            not_after: wall_clock() - 30 * DAY,
            ..Leaf::good("expired")
        },
    );
    let self_signed = cert_server(
        &pki,
        Leaf {
            self_signed: true,
            ..Leaf::good("self-signed")
        },
    );
    let wrong_host = cert_server(
        &pki,
        Leaf {
            sans_dns: &["wrong.example"],
            ..Leaf::good("wrong.example")
        },
    );
    let weak_key = {
        let (cert, key) = pki.leaf(&Leaf {
            weak_rsa_sha1: Some(1024),
            ..Leaf::good("weak-key")
        });
        // The server itself needs security level 0 to load a 1024-bit key.
        s_server(
            &cert,
            &key,
            &["-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1.2"],
        )
    };
    let soon = cert_server(
        &pki,
        Leaf {
            not_after: wall_clock() + 10 * DAY,
            ..Leaf::good("soon")
        },
    );

    let servers = [
        &legacy,
        &modern,
        &only13,
        &weak,
        &expired,
        &self_signed,
        &wrong_host,
        &weak_key,
        &soon,
    ];
    let targets: Vec<Target> = servers.iter().map(|s| Target::new(s.url(), &pki)).collect();
    let (findings, facts) = scan(&targets, "");

    let legacy_min = expect(&findings, "tls-min-version", legacy.port, "fail");
    let message = legacy_min["message"].as_str().unwrap_or_default();
    assert!(message.contains("TLS 1.0, TLS 1.1"), "{message}");
    let probes = &legacy_min["evidence"]["protocols"];
    assert_eq!(
        probes[0]["result"]["version"], "TLSv1",
        "TLS 1.0 really negotiated: {probes}"
    );
    expect(&findings, "tls-min-version", modern.port, "pass");
    let only13_min = expect(&findings, "tls-min-version", only13.port, "pass");
    assert_eq!(
        only13_min["evidence"]["protocols"][2]["result"]["outcome"],
        "refused"
    );

    expect(&findings, "tls-weak-ciphers", modern.port, "pass");
    expect(&findings, "tls-weak-ciphers", only13.port, "pass");
    let weak_f = expect(&findings, "tls-weak-ciphers", weak.port, "fail");
    let weak_message = weak_f["message"].as_str().unwrap_or_default();
    // Both classes really negotiated: e.g. "NULL (ECDHE-ECDSA-NULL-SHA), anonymous (AECDH-…)".
    assert!(
        weak_message.contains("NULL (") && weak_message.contains("anonymous ("),
        "{weak_message}"
    );

    for good in [&legacy, &modern, &only13] {
        let f = expect(&findings, "tls-cert-valid", good.port, "pass");
        assert_eq!(f["evidence"]["certificate"]["chain"][0]["key_type"], "EC");
    }
    let exp = expect(&findings, "tls-cert-valid", expired.port, "fail");
    assert!(
        exp["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{}",
        exp["message"]
    );
    let selfs = expect(&findings, "tls-cert-valid", self_signed.port, "fail");
    assert!(
        selfs["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not verify"),
        "{}",
        selfs["message"]
    );
    let wrong = expect(&findings, "tls-cert-valid", wrong_host.port, "fail");
    assert!(
        wrong["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid for localhost"),
        "{}",
        wrong["message"]
    );
    assert_eq!(
        wrong["evidence"]["certificate"]["verification"]["chain_verified"],
        true
    );
    let weak_key_f = expect(&findings, "tls-cert-valid", weak_key.port, "fail");
    let weak_key_message = weak_key_f["message"].as_str().unwrap_or_default();
    assert!(
        weak_key_message.contains("1024 bits") && weak_key_message.contains("ecdsa-with-SHA1"),
        "{weak_key_message}"
    );
    let soon_f = expect(&findings, "tls-cert-valid", soon.port, "fail");
    assert_eq!(soon_f["severity"], "low", "{}", soon_f["message"]);
    assert_eq!(
        soon_f["location"]["uri"],
        format!("tls://localhost:{}", soon.port)
    );

    // The protocol and weak-suite probes carry no dates or keys: their fixtures are these
    // servers' facts. (The certificate cases stay hand-kept: their dates follow the clock.)
    let facts: Value = serde_json::from_str(&facts).unwrap();
    for (server, fields, case) in [
        (
            &legacy,
            &["protocols"][..],
            "tls-min-version/fail/accepts-tls10-and-11",
        ),
        (
            &weak,
            &["cipher_classes"],
            "tls-weak-ciphers/fail/null-and-anonymous-accepted",
        ),
    ] {
        Fragment::new(&facts, "endpoints")
            .target(&server.url())
            .port_as(server.port, 8443)
            .replace(
                pki.ca_file.parent().unwrap().display().to_string(),
                "/tmp/vouch-pki",
            )
            .fields(fields)
            .assert_fixture(
                "endpoints::tls_versions_suites_and_certificates_of_openssl_servers",
                case,
            );
    }
}

fn cert_server(pki: &Pki, leaf: Leaf<'_>) -> Server {
    let (cert, key) = pki.leaf(&leaf);
    s_server(&cert, &key, &["-min_protocol", "TLSv1.2"])
}

const GOOD_SERVER: &str = r#"
  server { listen 127.0.0.1:{good} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header X-Frame-Options DENY always;
    add_header X-Content-Type-Options nosniff always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header Set-Cookie "__Host-sid=s3cr3t-session-value; Path=/; Secure; HttpOnly; SameSite=Lax" always;
    location = /.well-known/security.txt { return 200 "Contact: mailto:security@example.com\nExpires: 2099-01-01T00:00:00Z\n"; }
    location = /login { add_header Set-Cookie "csrf=s3cr3t-csrf-value; Path=/login; Secure; HttpOnly; SameSite=Strict" always; return 200 "login\n"; }
    location / { return 200 "ok\n"; }
  }
  server { listen 127.0.0.1:{bad} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    add_header Strict-Transport-Security "max-age=86400" always;
    add_header X-Frame-Options SAMEORIGIN always;
    add_header Set-Cookie "sid=s3cr3t-session-value; Path=/" always;
    location = /.well-known/security.txt { return 200 "Contact: mailto:security@example.com\nExpires: 2020-01-01T00:00:00Z\n"; }
    location / { return 200 "ok\n"; }
  }
  server { listen 127.0.0.1:{redirect}; return 301 https://localhost:{good}$request_uri; }
  server { listen 127.0.0.1:{plain}; location / { return 200 "plain http\n"; } }
"#;

#[test]
fn http_headers_cookies_redirects_and_security_txt_of_nginx() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("nginx"));
    let [good, bad, redirect, plain] = [free_port(), free_port(), free_port(), free_port()];
    let servers = GOOD_SERVER
        .replace("{good}", &good.to_string())
        .replace("{bad}", &bad.to_string())
        .replace("{redirect}", &redirect.to_string())
        .replace("{plain}", &plain.to_string())
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string());
    let nginx = Nginx::start(&servers, &[good, bad, redirect, plain]);
    assert_eq!(nginx.port(), good);

    let mut good_target = Target::new(format!("https://localhost:{good}/"), &pki);
    good_target.http_url = Some(format!("http://127.0.0.1:{redirect}/"));
    good_target.cookie_paths = vec!["/login"];
    let mut bad_target = Target::new(format!("https://localhost:{bad}/"), &pki);
    bad_target.http_url = Some(format!("http://127.0.0.1:{plain}/"));
    let (findings, facts) = scan(
        &[good_target, bad_target],
        "[endpoint]\nrequire_preload = false\n",
    );

    for check in [
        "tls-min-version",
        "tls-weak-ciphers",
        "tls-cert-valid",
        "http-hsts",
        "http-security-headers",
        "http-cookies-secure",
        "http-https-redirect",
        "security-txt",
    ] {
        expect(&findings, check, good, "pass");
    }
    let hsts = expect(&findings, "http-hsts", good, "pass");
    assert_eq!(
        hsts["location"]["uri"],
        format!("https://localhost:{good}/")
    );
    let cookies = expect(&findings, "http-cookies-secure", good, "pass");
    assert_eq!(
        cookies["evidence"]["cookies"].as_array().map(Vec::len),
        Some(2),
        "{cookies}"
    );

    for check in [
        "http-hsts",
        "http-security-headers",
        "http-cookies-secure",
        "http-https-redirect",
        "security-txt",
    ] {
        expect(&findings, check, bad, "fail");
    }
    let plain_f = expect(&findings, "http-https-redirect", bad, "fail");
    assert!(
        plain_f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("answers 200"),
        "{}",
        plain_f["message"]
    );
    let txt = expect(&findings, "security-txt", bad, "fail");
    assert!(
        txt["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{}",
        txt["message"]
    );
    // nginx's default suites include static-RSA ones only with an RSA key; with this EC key the
    // weak-suite probe has nothing to report, but the probe itself must have run.
    expect(&findings, "tls-weak-ciphers", bad, "pass");

    assert!(
        facts.contains("__Host-sid=<redacted>"),
        "cookie names are kept"
    );
    assert!(
        !facts.contains("s3cr3t"),
        "cookie values never reach the facts"
    );

    // The fixtures of the endpoint checks are these two servers' facts, each cut to what its
    // check reads; security.txt's Expires (2099, 2020) is judged at a stable collection time.
    let test = "endpoints::http_headers_cookies_redirects_and_security_txt_of_nginx";
    let facts: Value = serde_json::from_str(&facts).unwrap();
    let pki_dir = pki.ca_file.parent().unwrap().display().to_string();
    let fragment = |port: u16, fields: &[&'static str]| {
        Fragment::new(&facts, "endpoints")
            .target(&format!("https://localhost:{port}/"))
            .port_as(good, 8443)
            .port_as(bad, 9443)
            .port_as(redirect, 8080)
            .port_as(plain, 9080)
            .replace(&pki_dir, "/tmp/vouch-pki")
            .fields(fields)
    };
    for (port, fields, case) in [
        (
            good,
            &["https"][..],
            "http-hsts/pass/one-year-with-subdomains",
        ),
        (good, &["https"], "http-security-headers/pass/all-set"),
        (
            good,
            &["https", "cookie_pages"],
            "http-cookies-secure/pass/host-prefixed-session",
        ),
        (
            good,
            &["https", "http_redirect"],
            "http-https-redirect/pass/permanent-to-https",
        ),
        (
            good,
            &["protocols"],
            "tls-min-version/pass/tls12-and-13-only",
        ),
        (bad, &["https"], "http-hsts/fail/one-day-no-subdomains"),
        (
            bad,
            &["https"],
            "http-security-headers/fail/sameorigin-and-missing",
        ),
        (
            bad,
            &["https", "cookie_pages"],
            "http-cookies-secure/fail/missing-attributes",
        ),
        (
            bad,
            &["https", "http_redirect"],
            "http-https-redirect/fail/serves-plain-http",
        ),
    ] {
        fragment(port, fields).assert_fixture(test, case);
    }
    for (port, case) in [
        (good, "security-txt/pass/contact-and-future-expiry"),
        (bad, "security-txt/fail/expired"),
    ] {
        fragment(port, &["security_txt", "collected_at"])
            .set("collected_at", "2026-01-01T00:00:00Z")
            .assert_fixture(test, case);
    }
}

#[test]
fn unreachable_and_silent_endpoints_are_errors_and_cli_endpoint_works() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("cli"));
    let only13 = s_server(&cert, &key, &["-tls1_3"]);
    let refused_port = free_port();
    // Accepts TCP connections (the kernel completes them) but never answers the handshake.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("vouch.toml");
    std::fs::write(
        &config,
        format!(
            "[endpoint]\ntimeout_ms = 700\n\n[[target.endpoint]]\nurl = \"https://localhost:{refused_port}/\"\n\n\
             [[target.endpoint]]\nurl = \"https://localhost:{silent_port}/\"\n"
        ),
    )
    .expect("config");
    let out = vouch()
        .arg("scan")
        .arg(dir.path())
        .args([
            "--config",
            config.to_str().expect("utf-8"),
            "--format",
            "json",
            "--all-targets",
            "--dump-facts",
        ])
        .arg(dir.path().join("facts.json"))
        .args(["--endpoint", &only13.url()])
        // The CA comes from SSL_CERT_FILE: the "system roots" honour it.
        .env("SSL_CERT_FILE", &pki.ca_file)
        .output()
        .expect("vouch runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "errors gate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = index(&report);

    for check in [
        "tls-min-version",
        "tls-weak-ciphers",
        "tls-cert-valid",
        "http-hsts",
        "http-security-headers",
        "http-cookies-secure",
        "http-https-redirect",
        "security-txt",
    ] {
        let f = expect(&findings, check, refused_port, "error");
        assert!(
            f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("refused"),
            "{}",
            f["message"]
        );
    }
    let silent_f = expect(&findings, "tls-min-version", silent_port, "error");
    assert!(
        silent_f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("timed out"),
        "{}",
        silent_f["message"]
    );
    expect(&findings, "tls-cert-valid", silent_port, "error");
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("facts.json")).unwrap())
            .unwrap();
    let test = "endpoints::unreachable_and_silent_endpoints_are_errors_and_cli_endpoint_works";
    for (port, fields, case) in [
        (
            refused_port,
            &["protocols"][..],
            "tls-min-version/error/unreachable",
        ),
        (refused_port, &["https"], "http-hsts/error/unreachable"),
        (
            silent_port,
            &["protocols"],
            "tls-min-version/error/probe-timed-out",
        ),
    ] {
        Fragment::new(&facts, "endpoints")
            .target(&format!("https://localhost:{port}/"))
            .port_as(refused_port, 8443)
            .port_as(silent_port, 9443)
            .fields(fields)
            .assert_fixture(test, case);
    }

    expect(&findings, "tls-min-version", only13.port, "pass");
    let cert_f = expect(&findings, "tls-cert-valid", only13.port, "pass");
    assert_eq!(
        cert_f["evidence"]["certificate"]["verification"]["trust"],
        "system"
    );
    drop(silent);
}

#[test]
fn https_only_origin_whose_plain_port_refuses_passes_the_redirect_check_with_a_note() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("nginx"));
    let [good, bad, redirect, plain] = [free_port(), free_port(), free_port(), free_port()];
    let servers = GOOD_SERVER
        .replace("{good}", &good.to_string())
        .replace("{bad}", &bad.to_string())
        .replace("{redirect}", &redirect.to_string())
        .replace("{plain}", &plain.to_string())
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string());
    let _nginx = Nginx::start(&servers, &[good, bad, redirect, plain]);
    // Nothing listens on this port: the kernel refuses the connection.
    let refused = free_port();
    let mut https_only = Target::new(format!("https://localhost:{good}/"), &pki);
    https_only.http_url = Some(format!("http://127.0.0.1:{refused}/"));
    // Near miss: plaintext served without a redirect still fails.
    let mut plaintext = Target::new(format!("https://localhost:{bad}/"), &pki);
    plaintext.http_url = Some(format!("http://127.0.0.1:{plain}/"));
    let (findings, facts) = scan(
        &[https_only, plaintext],
        "[endpoint]\nrequire_preload = false\n",
    );

    let f = expect(&findings, "http-https-redirect", good, "pass");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains("refuses connections"), "{message}");
    assert_eq!(f["evidence"]["http"]["refused"], true, "{f:#}");
    let facts: Value = serde_json::from_str(&facts).unwrap();
    Fragment::new(&facts, "endpoints")
        .target(&format!("https://localhost:{good}/"))
        .port_as(good, 8443)
        .port_as(refused, 8080)
        .replace(pki.ca_file.parent().unwrap().display().to_string(), "/tmp/vouch-pki")
        .fields(&["https", "http_redirect"])
        .assert_fixture(
            "endpoints::https_only_origin_whose_plain_port_refuses_passes_the_redirect_check_with_a_note",
            "http-https-redirect/pass/port-80-refused",
        );
    expect(&findings, "http-https-redirect", bad, "fail");
}
