//! A throwaway PostgreSQL server for the fold tests: a [`Cluster`] without TLS whose TCP
//! port trusts 127.0.0.1, stopped (and its files removed) when dropped. Roles are
//! cluster-wide, so a test that creates roles uses its own server. Queries go through
//! `psql -At` (unaligned, tuples only).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::run;
use crate::pg_live_harness::{Cluster, ServerSpec, pg_bin, psql_script};

/// A running server. `Drop` stops it.
pub struct PgServer {
    pub port: u16,
    /// Held for its `Drop`, which stops the server.
    _cluster: Cluster,
}

/// `psql` of the same installation.
pub fn psql_path() -> PathBuf {
    pg_bin().join("psql")
}

impl PgServer {
    /// initdb (trust auth, no fsync) and start; panics with the server's output on failure.
    pub fn start() -> PgServer {
        let cluster = Cluster::start(&ServerSpec {
            ssl: false,
            hba: vec!["host all all 127.0.0.1/32 trust"],
            settings: Vec::new(),
        });
        PgServer {
            port: cluster.port,
            _cluster: cluster,
        }
    }

    fn psql(&self, db: &str) -> Command {
        let mut c = psql_script();
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", db, "-F", "|"])
            .env("PGCONNECT_TIMEOUT", "10");
        c
    }

    /// Runs SQL (several statements allowed); panics with psql's message on error.
    pub fn exec(&self, db: &str, sql: &str) {
        run(self.psql(db).args(["-c", sql]), &format!("psql -c {sql:?}"));
    }

    /// Applies a SQL file as psql would (so `COPY … FROM stdin` data works).
    pub fn apply_file(&self, db: &str, file: &Path) {
        run(
            self.psql(db).arg("-f").arg(file),
            &format!("psql -f {}", file.display()),
        );
    }

    /// Rows of a query, each a vector of columns (`-At -F '|'`).
    pub fn query(&self, db: &str, sql: &str) -> Vec<Vec<String>> {
        let out = run(
            self.psql(db).args(["-c", sql]),
            &format!("psql query {sql:?}"),
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }
}
