//! Live endpoint audit against real local servers: `openssl s_server` for TLS versions,
//! suites and certificates; nginx for headers, cookies, redirects and security.txt.

use std::fmt::Write as _;
use std::net::TcpListener;

use serde_json::Value;

use super::harness::{Findings, findings_by_key, scan_targets, vouch};
use super::live_fixtures::Fragment;
use super::tls_servers::{
    CERT_FIXTURE_CLOCK, DAY, Leaf, Nginx, Pki, Server, epoch, rfc3339, s_server, wall_clock,
    with_ports,
};
use crate::harness::{free_port, free_ports};

/// One endpoint in the generated vouch.toml.
struct Target {
    url: String,
    ca_file: Option<String>,
    http_url: Option<String>,
    cookie_paths: Vec<&'static str>,
    require_preload: Option<bool>,
}

impl Target {
    fn new(url: String, pki: &Pki) -> Target {
        Target {
            url,
            ca_file: Some(pki.ca_file.display().to_string()),
            http_url: None,
            cookie_paths: Vec::new(),
            require_preload: None,
        }
    }
}

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
        if let Some(preload) = t.require_preload {
            let _ = writeln!(config, "require_preload = {preload}");
        }
    }
    let (report, facts_file) = scan_targets(dir.path(), &config);
    let facts = std::fs::read_to_string(&facts_file).expect("facts written");
    (findings_by_key(&report), facts)
}

fn subject(port: u16) -> String {
    format!("localhost:{port}")
}

/// Every check that judges a configured endpoint.
const ENDPOINT_CHECKS: [&str; 8] = [
    "tls-min-version",
    "tls-weak-ciphers",
    "tls-cert-valid",
    "http-hsts",
    "http-security-headers",
    "http-cookies-secure",
    "http-https-redirect",
    "security-txt",
];

/// `expect`, and the finding's message contains `part`.
fn expect_saying<'a>(
    findings: &'a Findings,
    check: &str,
    port: u16,
    status: &str,
    part: &str,
) -> &'a Value {
    let f = expect(findings, check, port, status);
    assert!(
        f["message"].as_str().unwrap_or_default().contains(part),
        "{}",
        f["message"]
    );
    f
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
            // Valid on the pinned SOURCE_DATE_EPOCH, expired in real time (fixed dates, ended
            // 2026-01-31): vouch judges certificates against the real clock, so this must fail.
            not_before: epoch() - 90 * DAY,
            not_after: epoch() + 30 * DAY,
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
            rsa_bits: Some(1024),
            sha1: true,
            ..Leaf::good("weak-key")
        });
        // The server itself needs security level 0 to load a 1024-bit key.
        s_server(
            &cert,
            &key,
            &["-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1.2"],
        )
    };
    // The one leaf whose end must follow the real clock (to expire soon live): it ends 17
    // days after today's UTC midnight, and its fixture maps that day onto the fixture clock.
    let today = wall_clock() - wall_clock().rem_euclid(DAY);
    let soon = cert_server(
        &pki,
        Leaf {
            not_after: today + 17 * DAY,
            ..Leaf::good("soon")
        },
    );
    // An RSA leaf with the default suites: static-RSA key exchange (no forward secrecy) is
    // accepted, which the weak-suite check notes without failing.
    let rsa = {
        let (cert, key) = pki.leaf(&Leaf {
            rsa_bits: Some(2048),
            ..Leaf::good("rsa")
        });
        s_server(&cert, &key, &["-min_protocol", "TLSv1.2"])
    };
    // TLS 1.3 with only a suite no default client offers: every handshake is refused, so no
    // certificate is ever seen.
    let no_handshake = serve(&["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"]);

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
        &rsa,
        &no_handshake,
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
    expect_saying(&findings, "tls-cert-valid", expired.port, "fail", "expired");
    expect_saying(
        &findings,
        "tls-cert-valid",
        self_signed.port,
        "fail",
        "does not verify",
    );
    let wrong = expect_saying(
        &findings,
        "tls-cert-valid",
        wrong_host.port,
        "fail",
        "not valid for localhost",
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

    let rsa_f = expect(&findings, "tls-weak-ciphers", rsa.port, "pass");
    let rsa_message = rsa_f["message"].as_str().unwrap_or_default();
    assert!(rsa_message.contains("forward secrecy"), "{rsa_message}");
    expect_saying(
        &findings,
        "tls-cert-valid",
        no_handshake.port,
        "error",
        "could not be fetched",
    );

    // The protocol and weak-suite probes carry no dates or keys: their fixtures are these
    // servers' facts.
    let facts: Value = serde_json::from_str(&facts).unwrap();
    let test = "endpoints::tls_versions_suites_and_certificates_of_openssl_servers";
    // A server's record, its port written as 8443 and the test CA's directory as /tmp/vouch-pki.
    let pki_dir = pki.ca_file.parent().unwrap().display().to_string();
    let fragment = |server: &Server| {
        Fragment::new(&facts, "endpoints")
            .target(&server.url())
            .port_as(server.port, 8443)
            .replace(&pki_dir, "/tmp/vouch-pki")
    };
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
        (
            &rsa,
            &["cipher_classes"],
            "tls-weak-ciphers/pass/only-no-forward-secrecy-noted",
        ),
    ] {
        fragment(server).fields(fields).assert_fixture(test, case);
    }
    // The certificates have fixed dates (the soon-expiring one: mapped from today onto the
    // fixture clock), judged at a fixed collection time that gives each the verdict it got
    // live. The chain was verified live, at the real time.
    let soon_end = rfc3339(today + 17 * DAY);
    let fixture_clock = time::OffsetDateTime::parse(
        CERT_FIXTURE_CLOCK,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    for (server, case) in [
        (&modern, "tls-cert-valid/pass/verified-ec256"),
        (&expired, "tls-cert-valid/fail/expired"),
        (&soon, "tls-cert-valid/fail/expires-in-17-days-low"),
        (&weak_key, "tls-cert-valid/fail/rsa1024-sha1"),
        (&self_signed, "tls-cert-valid/fail/self-signed"),
        (&wrong_host, "tls-cert-valid/fail/wrong-hostname"),
        (&no_handshake, "tls-cert-valid/error/no-handshake"),
    ] {
        fragment(server)
            .replace(&soon_end, &rfc3339(fixture_clock + 17 * DAY))
            .fields(&["certificate", "collected_at"])
            .set("collected_at", CERT_FIXTURE_CLOCK)
            .assert_fixture(test, case);
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

/// An origin with a one-year HSTS policy but no preload, no cookie, no security.txt (nginx's
/// own 404 for every path but `/`) and a temporary redirect from plain HTTP; on a second port,
/// its `/login` drops the connection without answering (nginx's 444); and an origin whose
/// handshake completes but which drops every request.
const BARE_SERVER: &str = r#"
  server { listen 127.0.0.1:{bare} ssl; listen 127.0.0.1:{broken} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    location = /login { return 444; }
    location = / { return 200 "ok\n"; }
  }
  server { listen 127.0.0.1:{temporary}; return 302 https://localhost:{bare}$request_uri; }
  server { listen 127.0.0.1:{dropped} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 444; }
  }
"#;

#[test]
fn http_headers_cookies_redirects_and_security_txt_of_nginx() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("nginx"));
    // Held while chosen: eight distinct ports.
    let ports = free_ports();
    let [good, bad, redirect, plain, bare, broken, temporary, dropped] = ports;
    let names = [
        "good",
        "bad",
        "redirect",
        "plain",
        "bare",
        "broken",
        "temporary",
        "dropped",
    ];
    let servers = with_ports(&(GOOD_SERVER.to_owned() + BARE_SERVER), names, ports)
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string());
    let nginx = Nginx::start(&servers, &ports);
    assert_eq!(nginx.port(), good);

    let mut good_target = Target::new(format!("https://localhost:{good}/"), &pki);
    good_target.http_url = Some(format!("http://127.0.0.1:{redirect}/"));
    good_target.cookie_paths = vec!["/login"];
    let mut bad_target = Target::new(format!("https://localhost:{bad}/"), &pki);
    bad_target.http_url = Some(format!("http://127.0.0.1:{plain}/"));
    let mut bare_target = Target::new(format!("https://localhost:{bare}/"), &pki);
    bare_target.http_url = Some(format!("http://127.0.0.1:{temporary}/"));
    bare_target.require_preload = Some(true);
    let mut broken_target = Target::new(format!("https://localhost:{broken}/"), &pki);
    broken_target.http_url = Some(format!("http://127.0.0.1:{temporary}/"));
    broken_target.cookie_paths = vec!["/login"];
    let mut dropped_target = Target::new(format!("https://localhost:{dropped}/"), &pki);
    dropped_target.http_url = Some(format!("http://127.0.0.1:{temporary}/"));
    let (findings, facts) = scan(
        &[
            good_target,
            bad_target,
            bare_target,
            broken_target,
            dropped_target,
        ],
        "[endpoint]\nrequire_preload = false\n",
    );

    for check in ENDPOINT_CHECKS {
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
    expect_saying(&findings, "http-https-redirect", bad, "fail", "answers 200");
    expect_saying(&findings, "security-txt", bad, "fail", "expired");
    // nginx's default suites include static-RSA ones only with an RSA key; with this EC key the
    // weak-suite probe has nothing to report, but the probe itself must have run.
    expect(&findings, "tls-weak-ciphers", bad, "pass");

    // A one-year policy with subdomains fails only because this endpoint requires preload.
    let preload = expect(&findings, "http-hsts", bare, "fail");
    let preload_message = preload["message"].as_str().unwrap_or_default();
    assert!(
        preload_message.ends_with("\": preload is required but missing"),
        "{preload_message}"
    );
    expect(&findings, "http-hsts", broken, "pass");
    let no_cookies = expect(&findings, "http-cookies-secure", bare, "pass");
    assert!(
        no_cookies["evidence"]["cookies"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{no_cookies}"
    );
    let temporary_f = expect(&findings, "http-https-redirect", bare, "fail");
    let temporary_message = temporary_f["message"].as_str().unwrap_or_default();
    assert!(temporary_message.contains("302"), "{temporary_message}");
    let missing_txt = expect(&findings, "security-txt", bare, "fail");
    let missing_message = missing_txt["message"].as_str().unwrap_or_default();
    assert!(missing_message.contains("404"), "{missing_message}");
    let login = expect(&findings, "http-cookies-secure", broken, "error");
    let login_message = login["message"].as_str().unwrap_or_default();
    assert!(login_message.contains("/login"), "{login_message}");
    // The handshake completes, the request is dropped: the TLS checks pass, the HTTP ones
    // cannot judge.
    expect(&findings, "tls-min-version", dropped, "pass");
    for check in ["http-hsts", "http-security-headers", "security-txt"] {
        let f = expect(&findings, check, dropped, "error");
        let message = f["message"].as_str().unwrap_or_default();
        // `GET URL failed: CAUSE`: the request, not the handshake (`could not be probed`).
        assert!(
            message.starts_with(&format!("GET https://localhost:{dropped}/"))
                && message.contains(" failed: "),
            "{check}: {message}"
        );
    }

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
            .port_as(bare, 8444)
            .port_as(broken, 8445)
            .port_as(temporary, 8081)
            .port_as(dropped, 8446)
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
        (bare, &["https"], "http-hsts/fail/preload-required"),
        (
            bare,
            &["https", "cookie_pages"],
            "http-cookies-secure/pass/no-cookies",
        ),
        (
            bare,
            &["https", "http_redirect"],
            "http-https-redirect/fail/temporary-redirect",
        ),
        (
            broken,
            &["https", "cookie_pages"],
            "http-cookies-secure/error/cookie-page-failed",
        ),
        (dropped, &["https"], "http-hsts/error/fetch-failed"),
        (
            dropped,
            &["https"],
            "http-security-headers/error/fetch-failed",
        ),
    ] {
        fragment(port, fields).assert_fixture(test, case);
    }
    for (port, case) in [
        (good, "security-txt/pass/contact-and-future-expiry"),
        (bad, "security-txt/fail/expired"),
        (bare, "security-txt/fail/not-found"),
        (dropped, "security-txt/error/fetch-failed"),
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
    // Its plain-HTTP side is the silent listener below.
    let timed_http = s_server(&cert, &key, &["-tls1_3"]);
    let refused_port = free_port();
    // Accepts TCP connections (the kernel completes them) but never answers the handshake.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    // A second silent origin whose plain-HTTP port refuses.
    let silent2 = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent2_port = silent2.local_addr().expect("addr").port();
    let refused2_port = free_port();

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("vouch.toml");
    std::fs::write(
        &config,
        format!(
            "[endpoint]\ntimeout_ms = 700\n\n[[target.endpoint]]\nurl = \"https://localhost:{refused_port}/\"\n\n\
             [[target.endpoint]]\nurl = \"https://localhost:{silent_port}/\"\n\n\
             [[target.endpoint]]\nurl = \"https://localhost:{}/\"\nhttp_url = \"http://127.0.0.1:{silent_port}/\"\n\n\
             [[target.endpoint]]\nurl = \"https://localhost:{silent2_port}/\"\nhttp_url = \"http://127.0.0.1:{refused2_port}/\"\n",
            timed_http.port
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
    let findings = findings_by_key(&report);

    for check in ENDPOINT_CHECKS {
        expect_saying(&findings, check, refused_port, "error", "refused");
    }
    expect_saying(
        &findings,
        "tls-min-version",
        silent_port,
        "error",
        "timed out",
    );
    expect(&findings, "tls-cert-valid", silent_port, "error");
    for check in [
        "tls-weak-ciphers",
        "http-hsts",
        "http-security-headers",
        "security-txt",
    ] {
        expect(&findings, check, silent_port, "error");
    }
    // The HTTPS side answers; the plain-HTTP side never does.
    let timed = expect(&findings, "http-https-redirect", timed_http.port, "error");
    let timed_message = timed["message"].as_str().unwrap_or_default();
    assert!(
        timed_message.contains("timeout") || timed_message.contains("timed out"),
        "{timed_message}"
    );
    expect(&findings, "tls-min-version", timed_http.port, "pass");
    // A refused plain port proves nothing when HTTPS does not answer either.
    let unanswered = expect(&findings, "http-https-redirect", silent2_port, "error");
    let unanswered_message = unanswered["message"].as_str().unwrap_or_default();
    assert!(
        unanswered_message.contains("refuse"),
        "{unanswered_message}"
    );
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
        (
            silent_port,
            &["cipher_classes"],
            "tls-weak-ciphers/error/probe-failed",
        ),
        (
            timed_http.port,
            &["https", "http_redirect"],
            "http-https-redirect/error/plain-http-timed-out",
        ),
        (
            silent2_port,
            &["https", "http_redirect"],
            "http-https-redirect/error/refused-and-https-unanswered",
        ),
    ] {
        Fragment::new(&facts, "endpoints")
            .target(&format!("https://localhost:{port}/"))
            .port_as(refused_port, 8443)
            .port_as(silent_port, 9443)
            .port_as(timed_http.port, 8444)
            .port_as(silent2_port, 9444)
            .port_as(refused2_port, 8081)
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
    drop(silent2);
}

#[test]
fn https_only_origin_whose_plain_port_refuses_passes_the_redirect_check_with_a_note() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("nginx"));
    let ports = free_ports();
    let [good, bad, _, plain] = ports;
    let servers = with_ports(GOOD_SERVER, ["good", "bad", "redirect", "plain"], ports)
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string());
    let _nginx = Nginx::start(&servers, &ports);
    // Nothing listens on this port: the kernel refuses the connection.
    let refused = free_port();
    let mut https_only = Target::new(format!("https://localhost:{good}/"), &pki);
    https_only.http_url = Some(format!("http://127.0.0.1:{refused}/"));
    // Near miss: plaintext served without a redirect still fails.
    let mut plaintext = Target::new(format!("https://localhost:{bad}/"), &pki);
    plaintext.http_url = Some(format!("http://127.0.0.1:{plain}/"));
    // A TLS 1.3 floor: the origin's TLS 1.2 (nginx `ssl_protocols TLSv1.2 TLSv1.3`) fails it.
    let (findings, facts) = scan(
        &[https_only, plaintext],
        "[endpoint]\nrequire_preload = false\ntls_floor = \"1.3\"\n",
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

    let floor = expect(&findings, "tls-min-version", good, "fail");
    let floor_message = floor["message"].as_str().unwrap_or_default();
    assert!(floor_message.contains("TLS 1.2"), "{floor_message}");
    assert_eq!(
        floor["evidence"]["protocols"][2]["result"]["version"], "TLSv1.2",
        "TLS 1.2 really negotiated: {floor:#}"
    );
    Fragment::new(&facts, "endpoints")
        .target(&format!("https://localhost:{good}/"))
        .port_as(good, 8443)
        .port_as(refused, 8080)
        .replace(pki.ca_file.parent().unwrap().display().to_string(), "/tmp/vouch-pki")
        .fields(&["protocols"])
        .assert_fixture(
            "endpoints::https_only_origin_whose_plain_port_refuses_passes_the_redirect_check_with_a_note",
            "tls-min-version/fail/floor-13-rejects-12",
        );
}
