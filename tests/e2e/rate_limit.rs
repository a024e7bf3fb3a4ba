//! `http-rate-limited` against nginx `limit_req` on 127.0.0.1: a location limited as claimed
//! passes, an unlimited one and one limited far above the claim fail, an unreachable endpoint
//! is an error; and nginx's own access log proves the burst stayed within its bound, went to
//! the configured path only and named vouch in its User-Agent.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::harness::{find_finding, scan_targets};
use super::live_fixtures::Fragment;
use super::tls_servers::{Leaf, Nginx, Pki, with_ports};
use crate::harness::free_ports;

/// nginx's leaky bucket drains 1 request per minute, nothing during a burst, so the first
/// limited request is `burst + 2` on every run and machine (the facts are fixtures): with the
/// claim "10 per 5s" (tolerance 3), `strict` (burst 9: ten served) limits at the claim,
/// `within` (burst 11: twelve served) above it but within the tolerance, `loose` (burst 14:
/// fifteen served) above claim + tolerance, `default503` limits at the claim with nginx's
/// default status 503 instead of the claimed 429, and `always` answers 429 from the first
/// request. `return` would answer before `limit_req` runs, so the limited locations serve
/// files. (The harness sets `access_log off` at the http level, which cancels any other log
/// there: each server logs itself.)
const SERVERS: &str = r#"
  limit_req_zone $binary_remote_addr zone=strict:1m rate=1r/m;
  limit_req_zone $binary_remote_addr zone=within:1m rate=1r/m;
  limit_req_zone $binary_remote_addr zone=loose:1m rate=1r/m;
  limit_req_zone $binary_remote_addr zone=default503:1m rate=1r/m;
  log_format probe '$server_port $request_method $uri $status "$http_user_agent"';
  server { listen 127.0.0.1:{strict} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { limit_req zone=strict burst=9 nodelay; limit_req_status 429; }
  }
  server { listen 127.0.0.1:{open} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
  }
  server { listen 127.0.0.1:{within} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { limit_req zone=within burst=11 nodelay; limit_req_status 429; }
  }
  server { listen 127.0.0.1:{loose} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { limit_req zone=loose burst=14 nodelay; limit_req_status 429; }
  }
  server { listen 127.0.0.1:{default503} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { limit_req zone=default503 burst=9 nodelay; }
  }
  server { listen 127.0.0.1:{always} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { return 429; }
  }
"#;

/// The claim every target makes; the probe's bound is 10 × 1.5 + 10 = 25 requests.
const CLAIM: &str = r#"{ path = "/api/search", limit = 10, per = "5s", tolerance = 3 }"#;
const BOUND: usize = 25;

#[test]
fn rate_limit_probe_judges_nginx_limits_and_stays_within_its_bound() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&Leaf::good("ratelimit"));
    let www = tempfile::tempdir().expect("www dir");
    std::fs::create_dir(www.path().join("api")).expect("api dir");
    std::fs::write(www.path().join("api/search"), "results\n").expect("file");
    std::fs::write(www.path().join("index.html"), "home\n").expect("file");
    let [strict, open, within, loose, default503, always, refused] = free_ports();
    let served = [strict, open, within, loose, default503, always];
    let names = ["strict", "open", "within", "loose", "default503", "always"];
    let servers = with_ports(SERVERS, names, served)
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string())
        .replace("{www}", &www.path().display().to_string());
    let nginx = Nginx::start(&servers, &served);

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = String::from("[endpoint]\ntimeout_ms = 3000\n");
    for port in [strict, open, within, loose, default503, always, refused] {
        let _ = write!(
            config,
            "\n[[target.endpoint]]\nurl = \"https://localhost:{port}/\"\nca_file = {:?}\n\
             http_url = \"http://127.0.0.1:{refused}/\"\nrate_limit = {CLAIM}\n",
            pki.ca_file.display().to_string()
        );
    }
    let (report, facts_file) = scan_targets(dir.path(), &config);
    let finding = |port: u16, status: &str| -> Value {
        let subject = format!("localhost:{port}");
        let f = find_finding(&report, "http-rate-limited", &subject)
            .unwrap_or_else(|| panic!("no http-rate-limited finding for {subject}"))
            .clone();
        assert_eq!(f["status"], status, "{subject}: {}", f["message"]);
        f
    };

    let pass = finding(strict, "pass");
    let first = pass["evidence"]["probe"]["first_limited_at"]
        .as_u64()
        .expect("a limited request");
    assert_eq!(first, 11, "ten served, the eleventh limited: {pass:#}");
    let tolerated = finding(within, "pass");
    assert_eq!(
        tolerated["evidence"]["probe"]["first_limited_at"], 13,
        "twelve served (claim 10 + tolerance 3 allows 13): {tolerated:#}"
    );
    let never = finding(open, "fail");
    assert_eq!(never["evidence"]["probe"]["sent"], BOUND, "{never:#}");
    let message = never["message"].as_str().unwrap_or_default();
    assert!(message.contains("none of 25 requests"), "{message}");
    let late = finding(loose, "fail");
    assert_eq!(
        late["evidence"]["probe"]["first_limited_at"], 16,
        "fifteen served: {late:#}"
    );
    let wrong_status = finding(default503, "fail");
    let wrong_message = wrong_status["message"].as_str().unwrap_or_default();
    assert!(
        wrong_message.contains("200 ×10, 503 ×15") && wrong_message.contains("status = 503"),
        "{wrong_message}"
    );
    let limited_at_once = finding(always, "error");
    let once_message = limited_at_once["message"].as_str().unwrap_or_default();
    assert!(
        once_message.contains("very first request"),
        "{once_message}"
    );
    let unreachable = finding(refused, "error");
    assert!(
        unreachable["message"]
            .as_str()
            .unwrap_or_default()
            .contains("refused"),
        "{unreachable:#}"
    );

    // nginx's view: per port, the probe's requests (its User-Agent), all to the one path.
    let log = std::fs::read_to_string(nginx.dir().join("access.log")).expect("access log");
    let mut probe_requests: BTreeMap<u16, usize> = BTreeMap::new();
    for line in log.lines() {
        let mut fields = line.splitn(5, ' ');
        let port: u16 = fields.next().unwrap_or_default().parse().expect("port");
        let (method, uri) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        let agent = line.split('"').nth(1).unwrap_or_default();
        if agent.contains("rate-limit probe") {
            assert!(agent.starts_with("vouch/"), "{line}");
            assert_eq!((method, uri), ("GET", "/api/search"), "{line}");
            *probe_requests.entry(port).or_default() += 1;
        } else {
            assert!(
                !uri.starts_with("/api/"),
                "only the probe touches /api/: {line}"
            );
        }
    }
    for (port, f) in [
        (strict, &pass),
        (within, &tolerated),
        (open, &never),
        (loose, &late),
        (default503, &wrong_status),
        (always, &limited_at_once),
    ] {
        let seen = probe_requests.get(&port).copied().unwrap_or(0);
        assert!(
            seen <= BOUND,
            "port {port}: {seen} requests, above the bound"
        );
        assert_eq!(
            Some(seen as u64),
            f["evidence"]["probe"]["sent"].as_u64(),
            "nginx saw what vouch says it sent on port {port}"
        );
    }
    assert_eq!(
        probe_requests.get(&strict).copied(),
        usize::try_from(first).ok()
    );

    // The limits bite at fixed requests, so each target's facts are its case's fixture (the
    // burst's duration, which no verdict depends on, made stable).
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(&facts_file).expect("facts")).unwrap();
    let pki_dir = pki.ca_file.parent().unwrap().display().to_string();
    let records = facts["endpoints"].as_array().expect("endpoint records");
    for (port, case) in [
        (strict, "http-rate-limited/pass/limited-at-the-claim"),
        (within, "http-rate-limited/pass/limited-within-tolerance"),
        (open, "http-rate-limited/fail/never-limited"),
        (loose, "http-rate-limited/fail/limit-far-above-claim"),
        (default503, "http-rate-limited/fail/nginx-default-503"),
        (always, "http-rate-limited/error/always-limited"),
        (refused, "http-rate-limited/error/unreachable"),
    ] {
        let url = format!("https://localhost:{port}/");
        // The duration of a burst paced exactly: (sent - 1) × interval.
        let probe = &records
            .iter()
            .find(|r| r["url"] == url.as_str())
            .expect("record")["rate_limit"];
        let paced = probe["interval_ms"].as_u64().unwrap_or(0)
            * probe["sent"].as_u64().unwrap_or(1).saturating_sub(1);
        Fragment::new(&facts, "endpoints")
            .target(&url)
            .port_as(port, 8443)
            .port_as(refused, 8080)
            .replace(&pki_dir, "/tmp/vouch-pki")
            .replace(
                format!("vouch/{}", env!("CARGO_PKG_VERSION")),
                "vouch/VERSION",
            )
            .fields(&["rate_limit"])
            .set_at("/rate_limit/elapsed_ms", paced)
            .assert_fixture(
                "rate_limit::rate_limit_probe_judges_nginx_limits_and_stays_within_its_bound",
                case,
            );
    }
}
