//! Turning a target into a read-only session: the DSN (from the environment only), sslmode,
//! TLS with rustls, timeouts, and the redaction of every secret the DSN carries.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use checks::settings::PostgresTarget;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Row, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
const DEFAULT_STATEMENT_TIMEOUT: u64 = 60;
/// Added to `statement_timeout` for the client-side deadline of each round trip: the server
/// cancels a statement at `statement_timeout`, and its answer still has to travel back.
const REPLY_GRACE: Duration = Duration::from_secs(5);

/// Values that must never appear in any output, and their replacement.
#[derive(Debug, Default, Clone)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace('\n', " ");
        for s in self.longest_first().filter(|s| !s.is_empty()) {
            out = out.replace(s.as_str(), "***");
        }
        out
    }

    /// `json` with every secret of at least six characters replaced, in its JSON-escaped form.
    pub fn redact_json(&self, json: &str) -> String {
        let mut out = json.to_owned();
        for s in self.longest_first().filter(|s| s.chars().count() >= 6) {
            let escaped = serde_json::to_string(s).unwrap_or_default();
            out = out.replace(escaped.trim_matches('"'), "***");
        }
        out
    }

    fn add(&mut self, s: impl Into<String>) {
        self.0.push(s.into());
    }

    /// Longest first, so a secret that contains a shorter one (`Wr@ngPw` and `Wr`) is replaced
    /// whole before the shorter one can cut it in two.
    fn longest_first(&self) -> impl Iterator<Item = &String> {
        let mut all: Vec<&String> = self.0.iter().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.into_iter()
    }
}

/// A target ready to connect to.
pub struct Plan {
    pub config: Config,
    /// `postgres://HOST:PORT/DB`.
    pub uri: String,
    sslmode: String,
    ca_file: Option<String>,
    statement_timeout: u64,
    pub secrets: Secrets,
}

/// Reads the DSN from the target's environment variable and resolves sslmode and timeouts.
/// The error is one sentence without the DSN.
pub fn plan(target: &PostgresTarget, dsn: Option<String>) -> Result<Plan, (String, Secrets)> {
    let mut secrets = Secrets::default();
    let Some(raw) = dsn.filter(|d| !d.trim().is_empty()) else {
        return Err((
            format!("environment variable {} is not set", target.dsn_env),
            secrets,
        ));
    };
    secrets.add(raw.clone());
    collect_password_like(&raw, &mut secrets);
    let (rest, ssl_params) = split_ssl_params(&raw);
    let mut config = Config::from_str(&rest).map_err(|e| {
        let msg = format!(
            "the DSN in {} could not be parsed: {}",
            target.dsn_env,
            secrets.redact(&e.to_string())
        );
        (msg, secrets.clone())
    })?;
    if let Some(pw) = config.get_password() {
        secrets.add(String::from_utf8_lossy(pw).into_owned());
    }
    let sslmode = target
        .sslmode
        .clone()
        .or(ssl_params.sslmode)
        .unwrap_or_else(|| "prefer".to_owned());
    config.ssl_mode(match sslmode.as_str() {
        "disable" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" | "verify-ca" | "verify-full" => SslMode::Require,
        other => {
            let msg = format!(
                "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
            );
            return Err((msg, secrets));
        }
    });
    let connect_timeout = target.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    config.connect_timeout(Duration::from_secs(connect_timeout));
    config.application_name("vouch");
    let uri = resource_uri(&config);
    Ok(Plan {
        config,
        uri,
        sslmode,
        ca_file: target.ca_file.clone().or(ssl_params.sslrootcert),
        statement_timeout: target
            .statement_timeout
            .unwrap_or(DEFAULT_STATEMENT_TIMEOUT),
        secrets,
    })
}

/// `postgres://HOST:PORT/DB`: the location of every finding about the target, never with a
/// user or password.
fn resource_uri(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        // A host holding `@` is the tail of a password with an unencoded `@` (tokio-postgres
        // splits the user-info at the first one): only what follows the last `@` is a host.
        Some(Host::Tcp(h)) if h.contains(':') => format!("[{}]", after_last_at(h)),
        Some(Host::Tcp(h)) => after_last_at(h).to_owned(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    checks::Location::postgres_database(&host, port, db).into_anchor()
}

fn after_last_at(host: &str) -> &str {
    host.rsplit('@').next().unwrap_or(host)
}

#[derive(Default)]
struct SslParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

/// Removes `sslmode` and `sslrootcert` from a DSN (URL or key=value form): tokio-postgres
/// knows only disable/prefer/require, while vouch also verifies certificates.
fn split_ssl_params(dsn: &str) -> (String, SslParams) {
    let mut params = SslParams::default();
    let mut take = |key: &str, value: &str| match key {
        "sslmode" => params.sslmode = Some(value.to_owned()),
        "sslrootcert" => params.sslrootcert = Some(value.to_owned()),
        _ => {}
    };
    let is_ssl_key = |k: &str| k == "sslmode" || k == "sslrootcert";
    if dsn.starts_with("postgres://") || dsn.starts_with("postgresql://") {
        let Some((base, query)) = dsn.split_once('?') else {
            return (dsn.to_owned(), params);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if is_ssl_key(k) {
                    take(k, v);
                    false
                } else {
                    true
                }
            })
            .collect();
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rebuilt, params);
    }
    let mut kept = String::with_capacity(dsn.len());
    for (start, end) in kv_pairs(dsn) {
        let pair = &dsn[start..end];
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if is_ssl_key(k.trim()) {
            take(k.trim(), v.trim().trim_matches('\''));
        } else {
            kept.push_str(pair);
            kept.push(' ');
        }
    }
    (kept, params)
}

/// Byte ranges of the `key = value` pairs of a key/value DSN; single-quoted values may hold
/// spaces and `\'`.
fn kv_pairs(dsn: &str) -> Vec<(usize, usize)> {
    let bytes = dsn.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' {
            i += 1;
        }
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        pairs.push((start, i.min(bytes.len())));
    }
    pairs
}

/// Registers what looks like a password in the raw DSN even when it cannot be parsed: the
/// URL's user-info and any `password=` value.
///
/// The user-info ends at the *last* `@` of the authority (a password may hold an unencoded
/// `@`, which libpq and tokio-postgres split at the first one); it is also taken up to the
/// last `@` before the query, for a password holding `/`. Each `@`-separated piece of the
/// password is registered too, since a first-`@` parser makes the tail part of the host.
fn collect_password_like(raw: &str, secrets: &mut Secrets) {
    if let Some(after) = raw.split_once("://").map(|(_, a)| a) {
        let authority = after.split(['/', '?', '#']).next().unwrap_or(after);
        let before_query = after.split('?').next().unwrap_or(after);
        for part in [authority, before_query] {
            let Some((userinfo, _)) = part.rsplit_once('@') else {
                continue;
            };
            if let Some((_, pw)) = userinfo.split_once(':') {
                secrets.add(pw);
                pw.split('@')
                    .filter(|piece| piece.chars().count() >= 4)
                    .for_each(|piece| secrets.add(piece));
            }
            secrets.add(userinfo);
        }
    }
    for (start, end) in kv_pairs(raw) {
        if let Some((k, v)) = raw[start..end].split_once('=')
            && k.trim() == "password"
        {
            secrets.add(v.trim().trim_matches('\''));
        }
    }
}

impl Plan {
    /// Connects, then makes the session read-only and deterministic, all within
    /// `connect_timeout` (TCP, TLS, authentication and the session setup: a server that
    /// authenticates and then stalls must not hang the scan). Errors are one sentence,
    /// redacted.
    pub async fn connect(&self) -> Result<Session, String> {
        let limit = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or_default();
        match tokio::time::timeout(limit, self.connect_and_set_up()).await {
            Err(_) => Err(format!(
                "timed out after {} s connecting (TCP, TLS, authentication and session setup)",
                limit.as_secs()
            )),
            Ok(Err(e)) => Err(self.secrets.redact(&e)),
            Ok(Ok(session)) => Ok(session),
        }
    }

    async fn connect_and_set_up(&self) -> Result<Session, String> {
        let tls = self.tls()?;
        let (client, connection) = self.config.connect(tls).await.map_err(|e| describe(&e))?;
        // The connection task ends when the client is dropped; its errors surface on queries.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let setup = format!(
            "SET default_transaction_read_only = on; SET statement_timeout = '{}s'; \
             SET lock_timeout = '5s'; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; \
             SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'",
            self.statement_timeout
        );
        client
            .batch_execute(&setup)
            .await
            .map_err(|e| describe(&e))?;
        Ok(Session::new(client, self.reply_deadline()))
    }

    /// The client-side deadline of one round trip. `statement_timeout = 0` disables the
    /// server's limit, never the client's.
    fn reply_deadline(&self) -> Duration {
        let seconds = match self.statement_timeout {
            0 => DEFAULT_STATEMENT_TIMEOUT,
            s => s,
        };
        Duration::from_secs(seconds) + REPLY_GRACE
    }

    fn tls(&self) -> Result<MakeRustlsConnect, String> {
        // Deprecated since rustls 0.23.48, with no replacement for ring (see cli.rs `main`).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match (self.sslmode.as_str(), &self.ca_file) {
            ("verify-full" | "verify-ca", None) => {
                return Err(format!(
                    "sslmode {} needs ca_file (or sslrootcert in the DSN)",
                    self.sslmode
                ));
            }
            ("verify-full", Some(ca)) => webpki_verifier(ca, &provider)?,
            ("verify-ca" | "require", Some(ca)) => {
                Arc::new(IgnoreHostname(webpki_verifier(ca, &provider)?))
            }
            _ => Arc::new(NoVerification(provider.signature_verification_algorithms)),
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

/// A read-only session whose every round trip has a client-side deadline. `statement_timeout`
/// alone does not bound a read: a server that stops answering (or a hostile one) never sends
/// the cancellation. After one missed deadline the server is taken as stalled and the later
/// reads fail at once instead of waiting again.
pub struct Session {
    client: Client,
    deadline: Duration,
    stalled: AtomicBool,
}

impl Session {
    fn new(client: Client, deadline: Duration) -> Session {
        Session {
            client,
            deadline,
            stalled: AtomicBool::new(false),
        }
    }

    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, String> {
        self.bounded(self.client.query(sql, params)).await
    }

    pub async fn query_one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, String> {
        self.bounded(self.client.query_one(sql, params)).await
    }

    pub async fn batch_execute(&self, sql: &str) -> Result<(), String> {
        self.bounded(self.client.batch_execute(sql)).await
    }

    pub async fn simple_query(&self, sql: &str) -> Result<Vec<SimpleQueryMessage>, String> {
        self.bounded(self.client.simple_query(sql)).await
    }

    async fn bounded<T>(
        &self,
        request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, String> {
        let seconds = self.deadline.as_secs();
        if self.stalled.load(Ordering::Relaxed) {
            return Err(format!(
                "not attempted: the server did not answer an earlier read within {seconds} s"
            ));
        }
        if let Ok(reply) = tokio::time::timeout(self.deadline, request).await {
            return reply.map_err(|e| describe(&e));
        }
        self.stalled.store(true, Ordering::Relaxed);
        Err(format!(
            "no answer within {seconds} s (statement_timeout plus {} s; the server stalled)",
            REPLY_GRACE.as_secs()
        ))
    }
}

/// The error and its causes on one line: "error connecting to server: Connection refused".
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("the server said: {} ({})", db.message(), db.code().code());
    }
    crate::sources::cause_chain(e)
}

fn webpki_verifier(
    ca_file: &str,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    let pem = crate::bounded::read_ca_file(ca_file)?;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("ca_file {ca_file} is not PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file {ca_file} holds an unusable certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("ca_file {ca_file} holds no certificate"));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("TLS setup failed: {e}"))
}

/// `verify-ca`: the chain must lead to the CA, the host name may differ (libpq semantics).
#[derive(Debug)]
struct IgnoreHostname(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for IgnoreHostname {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without a CA: encrypted but unauthenticated, as libpq does. The
/// handshake signature is still checked.
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> PostgresTarget {
        PostgresTarget {
            name: "t".into(),
            dsn_env: "T_DSN".into(),
            ..Default::default()
        }
    }

    #[test]
    fn url_dsn_keeps_no_secret_in_the_uri() {
        let dsn = "postgres://auditor:S3cret-pw@db.example:6543/app?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3";
        let p = plan(&target(), Some(dsn.into())).ok().unwrap();
        assert_eq!(p.uri, "postgres://db.example:6543/app");
        assert_eq!(p.sslmode, "verify-full");
        assert_eq!(p.ca_file.as_deref(), Some("/ca.pem"));
        assert_eq!(p.secrets.redact("x S3cret-pw y"), "x *** y");
    }

    #[test]
    fn a_password_with_an_unencoded_at_is_redacted_wholly() {
        let dsn = "postgresql://app:Wr@ngPw_Secret42@127.0.0.1/app";
        let p = plan(&target(), Some(dsn.into())).ok().unwrap();
        assert_eq!(p.uri, "postgres://127.0.0.1:5432/app");
        let msg = p
            .secrets
            .redact("auth for app:Wr@ngPw_Secret42 at ngPw_Secret42@127.0.0.1");
        assert!(!msg.contains("Secret42") && !msg.contains("Wr@"), "{msg}");
        let json = p
            .secrets
            .redact_json(r#"{"host":"ngPw_Secret42@127.0.0.1"}"#);
        assert!(!json.contains("Secret42"), "{json}");
    }

    #[test]
    fn key_value_dsn_with_quoted_password() {
        let dsn = "host=127.0.0.1 port=5433 user=a password='p w\\'d' dbname=app sslmode=require";
        let p = plan(&target(), Some(dsn.into())).ok().unwrap();
        assert_eq!(p.uri, "postgres://127.0.0.1:5433/app");
        assert_eq!(p.sslmode, "require");
        assert!(!p.secrets.redact("p w\\'d").contains("p w"));
    }

    #[test]
    fn json_redaction_replaces_escaped_secrets_and_spares_short_ones() {
        let mut secrets = Secrets::default();
        secrets.add("pa\"ss-word");
        secrets.add("abc");
        let json = serde_json::to_string(&serde_json::json!({ "e": "x pa\"ss-word y", "abc": 1 }))
            .unwrap();
        let cleaned = secrets.redact_json(&json);
        assert!(!cleaned.contains("ss-word"), "{cleaned}");
        assert!(
            cleaned.contains("\"abc\""),
            "short secrets are redacted in messages only"
        );
        assert_eq!(secrets.redact("abc and pa\"ss-word"), "*** and ***");
    }

    #[test]
    fn unset_variable_and_bad_sslmode_are_errors_without_the_dsn() {
        let (msg, _) = plan(&target(), None).err().unwrap();
        assert_eq!(msg, "environment variable T_DSN is not set");
        let bad = "postgres://u:hunter22@h/db?sslmode=sometimes";
        let (msg, secrets) = plan(&target(), Some(bad.into())).err().unwrap();
        assert!(msg.contains("sometimes") && !secrets.redact(&msg).contains("hunter22"));
    }
}
