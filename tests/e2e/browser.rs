//! Headless Chromium (Debian's package; installed by scripts/test) for checking rendered pages:
//! the DOM after scripts ran, screenshots, PDFs, and the requests a page made.

use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    // Nothing resolves: a request that tried to leave could not succeed anyway.
    "--host-resolver-rules=MAP * ~NOTFOUND",
];

/// Runs Chromium headless on `page` with `args`, a fresh profile and a net log; returns
/// (stdout, URLs the page itself asked the network stack for).
pub fn run(page: &Path, args: &[String]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let net_log = profile.path().join("net-log.json");
    let out = Process::new("chromium")
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}): run `scripts/test`, which installs it")
        });
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        page_requests(&net_log),
    )
}

/// URL requests made on behalf of a `file://` page. Chromium's own background requests (the
/// few that its flags do not silence) carry no page origin and are not the page's doing.
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: Value = serde_json::from_slice(&std::fs::read(net_log).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    assert!(start_job.is_number(), "net log without event types");
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect()
}

/// The page's DOM after its scripts ran; asserts the page requested nothing but itself.
pub fn dump_dom(page: &Path) -> String {
    let (dom, requests) = run(page, &["--dump-dom".to_owned()]);
    let own = format!("file://{}", page.display());
    let foreign: Vec<&String> = requests.iter().filter(|u| **u != own).collect();
    assert!(foreign.is_empty(), "the page made requests: {foreign:?}");
    dom
}

pub fn screenshot(page: &Path, png: &Path) {
    run(
        page,
        &[
            "--window-size=1100,1400".to_owned(),
            format!("--screenshot={}", png.display()),
        ],
    );
}

/// The number shown in the `.count[data-state=STATE]` tile.
pub fn count_in(dom: &str, state: &str) -> Option<usize> {
    let tile = dom
        .split(&format!("class=\"count\" data-state=\"{state}\""))
        .nth(1)?;
    let bold = tile.split("<b>").nth(1)?.split("</b>").next()?;
    bold.trim().parse().ok()
}

/// No external scripts, styles, fonts or images: every src/href is local or a fragment, and a
/// CSP forbids loading anything else.
pub fn assert_self_contained(html: &str) {
    assert!(
        html.contains("default-src 'none'"),
        "page declares a CSP that blocks loads"
    );
    for attr in ["src=\"", "href=\""] {
        for rest in html.split(attr).skip(1) {
            let url = rest.split('"').next().unwrap_or("");
            assert!(
                url.starts_with('#') || url.starts_with("data:"),
                "external reference {attr}{url}"
            );
        }
    }
    assert!(
        !html.contains("@import") && !html.contains("url(http"),
        "no external CSS"
    );
}
