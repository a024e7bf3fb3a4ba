//! Headless Chromium (Debian's package; installed by scripts/test) for checking rendered pages:
//! the DOM after scripts ran, screenshots, and that a page loads nothing from the network.

use std::path::Path;
use std::process::Command;

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    // Any host lookup fails: a page that tried to fetch something could not.
    "--host-resolver-rules=MAP * ~NOTFOUND",
];

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The page's DOM after its scripts ran.
pub fn dump_dom(page: &Path) -> String {
    String::from_utf8(chromium(&["--dump-dom"], page).stdout).unwrap()
}

pub fn screenshot(page: &Path, png: &Path) {
    let arg = format!("--screenshot={}", png.display());
    chromium(&["--window-size=1100,1400", &arg], page);
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
