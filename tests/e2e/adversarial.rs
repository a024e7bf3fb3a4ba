//! Hostile input: files in a scanned tree, servers on 127.0.0.1, packs and workbooks. Every
//! case runs the vouch binary under a wall-clock limit and watches its peak memory (VmHWM from
//! /proc, sampled until it exits): the limits are generous, the point is that both are bounded
//! and that the outcome is a one-line error naming the input, never a hang, a crash or a pass.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{EPOCH, find_finding, findings, findings_of, fixture, message};

const WALL_LIMIT: Duration = Duration::from_secs(30);
const MEMORY_LIMIT_KIB: u64 = 1024 * 1024;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_kib: u64,
}

impl Run {
    fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", self.stderr))
    }
}

fn vouch_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("vouch"));
    cmd.args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Peak resident set of a running process, in KiB (0 once it is gone).
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `cmd` to completion, killing it past [`WALL_LIMIT`], and asserts both bounds.
fn run_bounded(mut cmd: Command) -> Run {
    let started = Instant::now();
    let mut child = cmd.spawn().expect("vouch starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(peak_rss_kib(pid));
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > WALL_LIMIT || peak_kib > MEMORY_LIMIT_KIB {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        wall: started.elapsed(),
        peak_kib,
    };
    assert!(
        status.is_some(),
        "vouch was killed after {:?} at {} KiB (limits {WALL_LIMIT:?}, {MEMORY_LIMIT_KIB} KiB); stderr: {}",
        run.wall,
        run.peak_kib,
        run.stderr
    );
    assert!(run.wall < WALL_LIMIT, "took {:?}", run.wall);
    assert!(run.peak_kib < MEMORY_LIMIT_KIB, "peak {} KiB", run.peak_kib);
    eprintln!("bounded: {:?}, peak {} KiB", run.wall, run.peak_kib);
    run
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The error findings located at `path`.
fn errors_at<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["status"] == "error" && f["location"]["path"] == path)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Hostile files in a scanned tree
// ---------------------------------------------------------------------------------------

/// 50,000 manifests took 3.9 GB and made a 195 MB HTML page. The page now lists at most 2,000
/// findings (problems first) and counts the rest, which report.json keeps; memory grows with
/// the findings, not with their renderings.
#[test]
fn thousands_of_manifests_make_a_pack_with_a_bounded_page() {
    const WORKLOADS: usize = 3_000;
    let repo = tempfile::tempdir().unwrap();
    for i in 0..WORKLOADS {
        write(
            &repo.path().join(format!("k8s/app-{i}.yaml")),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n"
            )
            .as_bytes(),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let pack = out.path().join("pack");
    let run = run_bounded(vouch_command(&[
        "scan",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "--pack",
        pack.to_str().unwrap(),
    ]));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let workloads_judged = findings_of(&run.report(), "k8s-no-privileged").len();
    assert_eq!(
        workloads_judged, WORKLOADS,
        "report.json keeps every finding"
    );
    let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
    assert_eq!(html.matches("<article class=\"finding").count(), 2_000);
    assert!(html.contains("findings are not listed on this page"));
    assert!(
        html.len() < 8 * 1024 * 1024,
        "report.html is {} bytes",
        html.len()
    );
}

const PLANTED_TOKEN: &str = "ghp_Adv3rsarialPlantedT0kenXYZ0123456789ab";

#[test]
fn hostile_repository_files_end_in_bounded_errors_naming_each_file() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    // 400 KB of nested `[`: the YAML scanner took 98 s on it.
    let bomb = format!("on: push\njobs: {}\n", "[".repeat(400_000));
    write(&root.join(".github/workflows/bomb.yml"), bomb.as_bytes());
    // Deep JSON5 recursed once per level in the parser.
    write(&root.join("renovate.json5"), "[".repeat(200_000).as_bytes());
    // Deep TOML dotted keys and arrays.
    let dotted = vec!["k"; 50_000].join(".");
    write(
        &root.join("Cargo.toml"),
        format!("[package]\nname = \"x\"\n{dotted} = 1\n").as_bytes(),
    );
    // A migration over the cap (sparse: no disk, and must take no memory either).
    write(
        &root.join("db/migrations/001_init.up.sql"),
        b"CREATE TABLE t (id int);\n",
    );
    let big = std::fs::File::create(root.join("db/migrations/002_big.up.sql")).unwrap();
    big.set_len(40 * 1024 * 1024).unwrap();
    // A committed token, which must be found and never printed.
    write(
        &root.join("Dockerfile"),
        format!("FROM alpine:3.20\nENV GITHUB_TOKEN={PLANTED_TOKEN}\n").as_bytes(),
    );
    let run = run_bounded(vouch_command(&[
        "scan",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = run.report();
    for path in [".github/workflows/bomb.yml", "renovate.json5", "Cargo.toml"] {
        let messages: Vec<&str> = errors_at(&report, path)
            .iter()
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("nested deeper than 128 levels")),
            "{path}: {messages:?}"
        );
        assert!(messages.iter().all(|m| !m.contains('\n')), "{messages:?}");
    }
    let migration = findings(&report)
        .iter()
        .filter(|f| f["status"] == "error")
        .filter_map(|f| f["message"].as_str())
        .find(|m| m.contains("002_big.up.sql"))
        .unwrap_or_else(|| panic!("no error names the large migration"));
    assert!(
        migration.contains("over the limit of 32 MiB"),
        "{migration}"
    );
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["check"] == "secrets-committed" && f["status"] == "fail"),
        "the planted token is found"
    );
    assert!(
        !run.all_output().contains(PLANTED_TOKEN),
        "the token leaked"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile servers on 127.0.0.1
// ---------------------------------------------------------------------------------------

/// Serves each connection with `serve` on its own thread; the listener lives for the test.
fn hostile_server(serve: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    port
}

fn drain(mut s: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
}

fn read_startup(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
    s.read_exact(&mut body).ok()?;
    Some(body)
}

/// Speaks just enough PostgreSQL to authenticate the client, then never answers again.
fn pg_stall_after_auth(mut s: TcpStream) {
    let Some(body) = read_startup(&mut s) else {
        return;
    };
    if body.starts_with(&80_877_103u32.to_be_bytes()) {
        let _ = s.write_all(b"N");
        let _ = read_startup(&mut s);
    }
    let _ = s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 0, b'Z', 0, 0, 0, 5, b'I']);
    drain(s);
}

#[test]
fn a_postgres_server_that_stalls_after_authentication_ends_in_a_bounded_error() {
    let port = hostile_server(pg_stall_after_auth);
    let repo = tempfile::tempdir().unwrap();
    write(
        &repo.path().join("vouch.toml"),
        b"[[target.postgres]]\nname = \"stall\"\ndsn_env = \"ADV_STALL_DSN\"\n\
          connect_timeout = 3\nstatement_timeout = 1\n",
    );
    let mut cmd = vouch_command(&[
        "scan",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "--all-targets",
    ]);
    cmd.env(
        "ADV_STALL_DSN",
        format!("postgres://auditor:Adv-Pg-Secret-77@127.0.0.1:{port}/app"),
    );
    let run = run_bounded(cmd);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = run.report();
    let error = find_finding(&report, "pg-ssl-enforced", "stall")
        .expect("a finding for the stalled target");
    assert_eq!(error["status"], "error");
    let says = message(error);
    assert!(says.contains("target stall"), "{says}");
    assert!(says.contains("timed out after 3 s"), "{says}");
    assert!(!says.contains('\n'));
    assert!(!run.all_output().contains("Adv-Pg-Secret-77"));
}

#[cfg(feature = "endpoint")]
mod servers_of_endpoints {
    use super::*;
    use crate::harness::finding_of;

    /// A TLS record header announcing 16 KiB, then one byte every 100 ms, for ever.
    fn tls_trickle(mut s: TcpStream) {
        let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
        while s.write_all(&[0x02]).is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A plain HTTP response whose headers never end, sent as fast as the client reads.
    fn endless_headers(mut s: TcpStream) {
        let mut request = [0u8; 4096];
        let _ = s.read(&mut request);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        let line =
            b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(64);
        while s.write_all(&line).is_ok() {}
    }

    fn endpoint_scan(url: &str, http_url: &str) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("vouch.toml");
        write(
            &config,
            format!(
                "[endpoint]\ntimeout_ms = 1500\n\n[[target.endpoint]]\nurl = {url:?}\nhttp_url = {http_url:?}\n"
            )
            .as_bytes(),
        );
        run_bounded(vouch_command(&[
            "scan",
            dir.path().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--format",
            "json",
            "--all-targets",
        ]))
    }

    #[test]
    fn a_byte_trickling_tls_server_and_endless_headers_end_at_the_deadline() {
        let tls = hostile_server(tls_trickle);
        let http = hostile_server(endless_headers);
        let run = endpoint_scan(
            &format!("https://127.0.0.1:{tls}/"),
            &format!("http://127.0.0.1:{http}/"),
        );
        // One probe spends the 1.5 s deadline, the rest are not attempted; the HTTP request has
        // its own. Far below the 590 s the trickle used to last.
        assert!(run.wall < Duration::from_secs(15), "took {:?}", run.wall);
        let report = run.report();
        let tls_finding = finding_of(&report, "tls-min-version");
        assert_eq!(tls_finding["status"], "error");
        assert!(
            tls_finding.to_string().contains("timed out after 1500 ms"),
            "{tls_finding}"
        );
        let redirect = finding_of(&report, "http-https-redirect");
        assert_eq!(redirect["status"], "error", "{redirect}");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile packs
// ---------------------------------------------------------------------------------------

fn demo_pack(dir: &Path) {
    let status = vouch_command(&[
        "scan",
        fixture("demo").to_str().unwrap(),
        "--pack",
        dir.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status()
    .unwrap();
    assert_eq!(status.code(), Some(1), "the demo fails a check");
}

fn verify_pack(dir: &Path) -> Run {
    run_bounded(vouch_command(&["verify", dir.to_str().unwrap()]))
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn a_pack_with_a_manifest_linked_to_dev_zero_fails_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    demo_pack(&pack);
    std::fs::remove_file(pack.join("MANIFEST.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", pack.join("MANIFEST.json")).unwrap();
    let run = verify_pack(&pack);
    assert_eq!(run.code, Some(1), "{}", run.all_output());
    assert!(
        run.all_output()
            .contains("MANIFEST.json: is a symbolic link, not a regular file"),
        "{}",
        run.all_output()
    );
}

#[test]
fn fifos_and_links_in_a_pack_fail_verification_without_blocking() {
    for victim in ["facts.json", "report.json", "report.html"] {
        let tmp = tempfile::tempdir().unwrap();
        let pack = tmp.path().join("pack");
        demo_pack(&pack);
        mkfifo(&pack.join(victim));
        let run = verify_pack(&pack);
        assert_eq!(run.code, Some(1), "{victim}: {}", run.all_output());
        assert!(
            run.all_output().contains(&format!("{victim}: ")),
            "{victim}: {}",
            run.all_output()
        );
        std::fs::remove_file(pack.join(victim)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", pack.join(victim)).unwrap();
        let run = verify_pack(&pack);
        assert_eq!(run.code, Some(1), "{victim}: {}", run.all_output());
    }
}

// ---------------------------------------------------------------------------------------
// Hostile workbooks
// ---------------------------------------------------------------------------------------

/// A 100 MiB worksheet of spaces, deflated to about 100 KB.
fn zip_bomb(path: &Path) {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..100 {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap();
}

/// `vouch answer --workbook W --report R --out O`, bounded in time.
fn answer_bounded(workbook: &Path, report: &Path, out: &Path) -> Run {
    let arg = |p: &Path| p.to_str().unwrap().to_owned();
    let args = [
        "answer".to_owned(),
        "--workbook".to_owned(),
        arg(workbook),
        "--report".to_owned(),
        arg(report),
        "--out".to_owned(),
        arg(out),
    ];
    run_bounded(vouch_command(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ))
}

fn report_json(dir: &Path) -> PathBuf {
    let out = vouch_command(&[
        "scan",
        fixture("demo").to_str().unwrap(),
        "--format",
        "json",
    ])
    .output()
    .unwrap();
    let path = dir.join("report.json");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

#[test]
fn a_zip_bomb_workbook_is_refused_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let workbook = tmp.path().join("caiq.xlsx");
    zip_bomb(&workbook);
    assert!(std::fs::metadata(&workbook).unwrap().len() < 2 * 1024 * 1024);
    let report = report_json(tmp.path());
    let out = tmp.path().join("filled.xlsx");
    let run = answer_bounded(&workbook, &report, &out);
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("caiq.xlsx") && run.stderr.contains("over the limit of 64 MiB"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

/// A workbook whose relationships name `worksheets/sheet1.xml` while the archive holds
/// `sheet0.xml`: found by the `questionnaire` fuzz target, it made umya-spreadsheet `unwrap` a
/// missing part and `vouch answer` panic.
fn workbook_missing_its_sheet(path: &Path) {
    use zip::write::SimpleFileOptions;
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml".to_owned(),
            "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"
                .to_owned(),
        ),
        (
            "_rels/.rels".to_owned(),
            format!(
                "<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".to_owned(),
            format!(
                "<workbook xmlns=\"{MAIN}\" xmlns:r=\"{DOC}\"><sheets><sheet name=\"CAIQ\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(
                "<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{DOC}/styles\" Target=\"styles.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/styles.xml".to_owned(),
            format!("<styleSheet xmlns=\"{MAIN}\"/>"),
        ),
        (
            "xl/worksheets/sheet0.xml".to_owned(),
            format!("<worksheet xmlns=\"{MAIN}\"><sheetData/></worksheet>"),
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in parts {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_workbook_missing_a_part_it_names_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let workbook = tmp.path().join("caiq.xlsx");
    workbook_missing_its_sheet(&workbook);
    let report = report_json(tmp.path());
    let out = tmp.path().join("filled.xlsx");
    let run = answer_bounded(&workbook, &report, &out);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("caiq.xlsx")
            && run.stderr.contains("malformed workbook")
            && !run.stderr.contains("panicked"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

#[test]
fn a_fifo_as_workbook_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let workbook = tmp.path().join("caiq.csv");
    mkfifo(&workbook);
    let report = report_json(tmp.path());
    let run = answer_bounded(&workbook, &report, &tmp.path().join("filled.csv"));
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("is a FIFO"), "{}", run.stderr);
}
