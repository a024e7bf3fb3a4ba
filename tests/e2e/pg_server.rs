//! A throwaway PostgreSQL server for tests: its own cluster in a temp dir, on a free port of
//! 127.0.0.1, stopped (and its files removed) when dropped.
//!
//! Uses Debian's PostgreSQL 15 binaries (`/usr/lib/postgresql/15/bin`, or the directory in
//! `VOUCH_PG_BIN`); `scripts/test` installs them when missing. `initdb` refuses to run as
//! root, so as root every server command runs as the `postgres` user through `runuser`
//! (recipe: /work/shared/SERVICES.md §5). Roles are cluster-wide, so a test that creates roles
//! uses its own server. Queries go through `psql -At` (unaligned, tuples only).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running server. `Drop` stops it.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    pub port: u16,
    as_root: bool,
    // Declared last: dropped after the server is stopped.
    _dir: tempfile::TempDir,
}

/// `psql` of the same installation.
pub fn psql_path() -> PathBuf {
    pg_bin().join("psql")
}

fn pg_bin() -> PathBuf {
    std::env::var_os("VOUCH_PG_BIN").map_or_else(
        || PathBuf::from("/usr/lib/postgresql/15/bin"),
        PathBuf::from,
    )
}

/// Ports tried before a server start gives up (see [`PgServer::start`]).
const PORT_ATTEMPTS: usize = 3;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    /// initdb (trust auth, no fsync) and start; panics with the server's output on failure.
    pub fn start() -> PgServer {
        let bin = pg_bin();
        assert!(
            bin.join("initdb").exists(),
            "PostgreSQL binaries not found in {} (run scripts/test, which installs postgresql-15)",
            bin.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let as_root = is_root();
        if as_root {
            let out = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .output()
                .expect("chown runs");
            check("chown to postgres", &out);
        }
        let mut server = PgServer {
            data: dir.path().join("data"),
            socket_dir: dir.path().to_path_buf(),
            port: free_port(),
            bin,
            as_root,
            _dir: dir,
        };
        let data = server.data.display().to_string();
        let out = server
            .server_command("initdb")
            .args(["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"])
            .args(["-E", "UTF8", "--locale=C.UTF-8"])
            .output()
            .expect("initdb runs");
        check("initdb", &out);
        // The free port is only free when asked: another test's server may take it before this
        // one binds. That failure is retried on a new port; any other is the test's failure.
        for _ in 0..PORT_ATTEMPTS {
            let _ = std::fs::remove_file(server.log());
            let out = server.pg_ctl_start(&data);
            let log = std::fs::read_to_string(server.log()).unwrap_or_default();
            if out.status.success() || !log.contains("Address already in use") {
                check("pg_ctl start", &out);
                return server;
            }
            server.port = free_port();
        }
        panic!("pg_ctl start: every port tried ({PORT_ATTEMPTS}) was taken");
    }

    fn log(&self) -> PathBuf {
        self.socket_dir.join("server.log")
    }

    fn pg_ctl_start(&self, data: &str) -> Output {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.socket_dir.display()
        );
        let log = self.log().display().to_string();
        self.server_command("pg_ctl")
            .args(["-D", data, "-l", &log, "-w", "-o", &options, "start"])
            .output()
            .expect("pg_ctl runs")
    }

    /// A server binary, run as `postgres` when we are root.
    fn server_command(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn psql(&self, db: &str) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-d", db, "-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .env("PGCONNECT_TIMEOUT", "10");
        c
    }

    /// Runs SQL (several statements allowed); panics with psql's message on error.
    pub fn exec(&self, db: &str, sql: &str) {
        let out = self.psql(db).args(["-c", sql]).output().expect("psql runs");
        check(&format!("psql -c {sql:?}"), &out);
    }

    /// Applies a SQL file as psql would (so `COPY … FROM stdin` data works).
    pub fn apply_file(&self, db: &str, file: &Path) {
        let out = self
            .psql(db)
            .arg("-f")
            .arg(file)
            .output()
            .expect("psql runs");
        check(&format!("psql -f {}", file.display()), &out);
    }

    /// Rows of a query, each a vector of columns (`-At -F '|'`).
    pub fn query(&self, db: &str, sql: &str) -> Vec<Vec<String>> {
        let out = self
            .psql(db)
            .args(["-A", "-t", "-F", "|", "-c", sql])
            .output()
            .expect("psql runs");
        check(&format!("psql query {sql:?}"), &out);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self
            .server_command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}
