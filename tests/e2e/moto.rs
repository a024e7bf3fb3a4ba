//! A real moto server (the AWS API emulator) started by the test on a free port, with its
//! request recorder, and stopped when dropped.
//!
//! moto comes from the Python venv `scripts/test` builds (`VOUCH_TEST_VENV`). Without it the
//! test fails with a message saying how to get it: an AWS test never passes by skipping.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{KillOnDrop, free_port, repo_root, venv_candidates};

/// How long moto may take to answer its first request (1.4–1.7 s idle; more under load).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Moto {
    /// Held for its drop, which stops moto.
    _child: KillOnDrop,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The venv's python, or a panic that says how to get one.
pub fn python() -> PathBuf {
    for venv in venv_candidates() {
        if venv.join("bin/moto_server").exists() {
            return venv.join("bin/python");
        }
    }
    panic!(
        "no Python venv with moto[server] and boto3: run the tests with scripts/test (it builds \
         the venv), or set VOUCH_TEST_VENV to a venv where `pip install 'moto[server]' boto3` ran"
    );
}

impl Moto {
    /// Starts moto (with vouch's one protocol fix, see `moto_server.py`) and its recorder file,
    /// and waits until it answers.
    pub fn start() -> Moto {
        let python = python();
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("moto.log")).expect("log file");
        let child = Command::new(&python)
            .arg(repo_root().join("tests/e2e/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map(KillOnDrop)
            .expect("moto starts");
        let moto = Moto {
            _child: child,
            port,
            dir,
        };
        let start = Instant::now();
        while moto.post("/moto-api/reset").is_err() {
            assert!(
                start.elapsed() < READY_TIMEOUT,
                "moto did not answer on port {port} within {READY_TIMEOUT:?}; log: {}",
                moto.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// `http://localhost:PORT`: `localhost`, so the account-prefixed s3control host
    /// (`ACCOUNT.localhost`) resolves to the same server.
    pub fn endpoint(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// Runs a Python script of tests/e2e with the venv and `args` (the endpoint or the port
    /// among them); returns what it printed.
    pub fn run_script(&self, script: &str, args: &[&str]) -> String {
        let out = Command::new(python())
            .arg(repo_root().join("tests/e2e").join(script))
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{script} {} failed: {}\nmoto log: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// POSTs to a moto control path (`/moto-api/...`) and returns the body; `Err` until the
    /// server answers 200.
    pub fn post(&self, path: &str) -> Result<String, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| e.to_string())?;
        if response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200") {
            Ok(response)
        } else {
            Err(response.lines().next().unwrap_or_default().to_owned())
        }
    }

    pub fn start_recording(&self) {
        self.post("/moto-api/recorder/start-recording")
            .expect("recorder starts");
    }

    /// Stops the recorder and returns every request recorded since it started.
    pub fn stop_recording(&self) -> Vec<serde_json::Value> {
        self.post("/moto-api/recorder/stop-recording")
            .expect("recorder stops");
        let text = std::fs::read_to_string(self.recording_path()).unwrap_or_default();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a recorded request is JSON"))
            .collect()
    }

    fn recording_path(&self) -> PathBuf {
        self.dir.path().join("recording.jsonl")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
