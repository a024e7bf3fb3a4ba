//! `http-rate-limited` against nginx `limit_req` on 127.0.0.1: a location limited as claimed
//! passes, an unlimited one and one limited far above the claim fail, an unreachable endpoint
//! is an error; and nginx's own access log proves the burst stayed within its bound, went to
//! the configured path only and named vouch in its User-Agent.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::harness::scan_json;
use super::tls_servers::{Leaf, Nginx, Pki, free_port};

/// nginx's leaky bucket drains 2 requests per second; `burst` more are served at once. With
/// the claim "10 per 5s" the probe paces requests 25 ms apart (5 s / (20 × 10)), so `strict`
/// (burst 9: ten served) limits at the claim and `loose` (burst 14: fifteen served) above
/// claim + tolerance (13), with room on both sides for a slow machine.
/// `return` would answer before `limit_req` runs, so the locations serve files. (The harness
/// sets `access_log off` at the http level, which cancels any other log there: each server
/// logs itself.)
const SERVERS: &str = r#"
  limit_req_zone $binary_remote_addr zone=strict:1m rate=2r/s;
  limit_req_zone $binary_remote_addr zone=loose:1m rate=2r/s;
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
  server { listen 127.0.0.1:{loose} ssl; server_name localhost;
    ssl_certificate {cert}; ssl_certificate_key {key}; root {www};
    access_log {dir}/access.log probe;
    location /api/ { limit_req zone=loose burst=14 nodelay; limit_req_status 429; }
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
    let [strict, open, loose, refused] = [free_port(), free_port(), free_port(), free_port()];
    let servers = SERVERS
        .replace("{strict}", &strict.to_string())
        .replace("{open}", &open.to_string())
        .replace("{loose}", &loose.to_string())
        .replace("{cert}", &cert.display().to_string())
        .replace("{key}", &key.display().to_string())
        .replace("{www}", &www.path().display().to_string());
    let nginx = Nginx::start(&servers, &[strict, open, loose]);

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = String::from("[endpoint]\ntimeout_ms = 3000\n");
    for port in [strict, open, loose, refused] {
        let _ = write!(
            config,
            "\n[[target.endpoint]]\nurl = \"https://localhost:{port}/\"\nca_file = {:?}\n\
             http_url = \"http://127.0.0.1:{refused}/\"\nrate_limit = {CLAIM}\n",
            pki.ca_file.display().to_string()
        );
    }
    let config_file = dir.path().join("vouch.toml");
    std::fs::write(&config_file, config).expect("config");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("repo");
    let (_, report) = scan_json(
        &repo,
        &[
            "--config",
            config_file.to_str().expect("utf-8"),
            "--all-targets",
        ],
    );
    let finding = |port: u16, status: &str| -> Value {
        let subject = format!("localhost:{port}");
        let f = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["check"] == "http-rate-limited" && f["subject"] == subject)
            .unwrap_or_else(|| panic!("no http-rate-limited finding for {subject}"))
            .clone();
        assert_eq!(f["status"], status, "{subject}: {}", f["message"]);
        f
    };

    let pass = finding(strict, "pass");
    let first = pass["evidence"]["probe"]["first_limited_at"]
        .as_u64()
        .expect("a limited request");
    assert!(
        (11..=14).contains(&first),
        "limited at request {first}: {pass:#}"
    );
    let never = finding(open, "fail");
    assert_eq!(never["evidence"]["probe"]["sent"], BOUND, "{never:#}");
    let message = never["message"].as_str().unwrap_or_default();
    assert!(message.contains("none of 25 requests"), "{message}");
    let late = finding(loose, "fail");
    let late_at = late["evidence"]["probe"]["first_limited_at"]
        .as_u64()
        .expect("the loose limit bites within the bound");
    assert!((15..=25).contains(&late_at), "{late:#}");
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
    for (port, f) in [(strict, &pass), (open, &never), (loose, &late)] {
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
}
