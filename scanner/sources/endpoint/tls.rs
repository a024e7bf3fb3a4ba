//! TLS probes with OpenSSL: one handshake per protocol version and per weak suite class, and
//! one at the best version that fetches and verifies the certificate chain.
//!
//! Probes run at security level 0 so that legacy versions and suites really are offered on the
//! wire; the verdict on what was accepted belongs to the checks.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checks::facts::endpoint::{
    CertSummary, Certificate, CipherClassProbe, Probe, ProtocolProbe, Verification,
};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::error::ErrorStack;
use openssl::pkey::Id;
use openssl::ssl::{
    HandshakeError, Ssl, SslConnector, SslContext, SslContextBuilder, SslMethod, SslStream,
    SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509NameRef, X509Ref};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::probe::{connect_failure, skipped_probe};

const VERSIONS: [(&str, SslVersion); 4] = [
    ("1.0", SslVersion::TLS1),
    ("1.1", SslVersion::TLS1_1),
    ("1.2", SslVersion::TLS1_2),
    ("1.3", SslVersion::TLS1_3),
];

/// Weak suite classes probed on TLS 1.2: (class, OpenSSL cipher string).
const CIPHER_CLASSES: [(&str, &str); 6] = [
    ("NULL", "eNULL"),
    ("anonymous", "aNULL"),
    ("EXPORT", "EXPORT"),
    ("RC4", "RC4"),
    ("3DES", "3DES"),
    ("no-forward-secrecy", "kRSA"),
];

/// Every legacy suite OpenSSL can offer at security level 0, for the version probes.
const ALL_SUITES: &str = "ALL:@SECLEVEL=0";

/// OpenSSL verify error codes for a name that does not match the certificate.
const X509_V_ERR_HOSTNAME_MISMATCH: i32 = 62;
const X509_V_ERR_IP_ADDRESS_MISMATCH: i32 = 64;

/// The non-verifying client contexts of every probe, built once per scan and shared by all
/// endpoints (creating an OpenSSL 3 context costs more than a local handshake).
pub struct ProbeContexts {
    versions: Vec<(&'static str, Result<SslContext, String>)>,
    /// (class, cipher string offered, context)
    classes: Vec<(&'static str, String, Result<SslContext, String>)>,
}

impl ProbeContexts {
    pub fn new() -> ProbeContexts {
        let versions = VERSIONS
            .iter()
            .map(|(name, version)| (*name, probe_context(*version, ALL_SUITES)))
            .collect();
        let classes = CIPHER_CLASSES
            .iter()
            .map(|(class, suites)| {
                let offered = format!("{suites}:@SECLEVEL=0");
                let ctx = probe_context(SslVersion::TLS1_2, &offered);
                (*class, offered, ctx)
            })
            .collect();
        ProbeContexts { versions, classes }
    }
}

/// A non-verifying client offering exactly one protocol version and the given suites.
fn probe_context(version: SslVersion, suites: &str) -> Result<SslContext, String> {
    let build = || -> Result<SslContext, ErrorStack> {
        let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
        // Level 0 lets OpenSSL offer SHA-1 signatures, small groups and legacy suites: the
        // probe must see what the server accepts, not what a careful client would.
        builder.set_security_level(0);
        builder.set_min_proto_version(Some(version))?;
        builder.set_max_proto_version(Some(version))?;
        builder.set_cipher_list(suites)?;
        builder.set_verify(SslVerifyMode::NONE);
        Ok(builder.build())
    };
    build().map_err(|e| first_reason(&e))
}

pub struct Prober {
    addr: SocketAddr,
    host: String,
    timeout: Duration,
    /// Unix time the chain is verified at: the recorded collection time, so the verifier and
    /// the checks agree on "now".
    verify_at: Option<i64>,
    /// Set after a timeout: the remaining probes would only wait again.
    gave_up: Option<String>,
}

/// Why a handshake did not complete.
enum Failure {
    Refused(String),
    Untestable(String),
    Error { cause: String, timed_out: bool },
}

impl Prober {
    pub fn new(addr: SocketAddr, host: &str, timeout: Duration, collected_at: &str) -> Self {
        let verify_at = OffsetDateTime::parse(collected_at, &Rfc3339)
            .ok()
            .map(OffsetDateTime::unix_timestamp);
        Prober {
            addr,
            host: host.to_owned(),
            timeout,
            verify_at,
            gave_up: None,
        }
    }

    /// Why the probes stopped early, if they did.
    pub fn gave_up(&self) -> Option<&str> {
        self.gave_up.as_deref()
    }

    pub fn protocols(&mut self, contexts: &ProbeContexts) -> Vec<ProtocolProbe> {
        contexts
            .versions
            .iter()
            .map(|(name, ctx)| ProtocolProbe {
                version: (*name).to_owned(),
                result: self.probe(ctx),
            })
            .collect()
    }

    pub fn cipher_classes(&mut self, contexts: &ProbeContexts) -> Vec<CipherClassProbe> {
        contexts
            .classes
            .iter()
            .map(|(class, offered, ctx)| CipherClassProbe {
                class: (*class).to_owned(),
                offered: offered.clone(),
                result: self.probe(ctx),
            })
            .collect()
    }

    /// One handshake with the given settings; the connection is closed right after.
    fn probe(&mut self, context: &Result<SslContext, String>) -> Probe {
        if let Some(cause) = &self.gave_up {
            return skipped_probe(cause);
        }
        let ssl = match context {
            Ok(ctx) => self.probe_ssl(ctx),
            Err(reason) => Err(reason.clone()),
        };
        let ssl = match ssl {
            Ok(ssl) => ssl,
            Err(reason) => {
                return Probe::Untestable {
                    reason: format!("OpenSSL cannot offer this: {reason}"),
                };
            }
        };
        match self.handshake(ssl) {
            Ok(stream) => accepted(&stream),
            Err(Failure::Refused(reason)) => Probe::Refused { reason },
            Err(Failure::Untestable(reason)) => Probe::Untestable { reason },
            Err(Failure::Error { cause, timed_out }) => {
                if timed_out {
                    self.gave_up = Some(cause.clone());
                }
                Probe::Error { cause }
            }
        }
    }

    /// A handshake at the best version both sides support, verifying the chain and the host
    /// name against `ca_file` or the system roots; every verifier error is recorded.
    pub fn certificate(
        &mut self,
        ca_file: Option<&str>,
        verifier: &Result<SslConnector, String>,
    ) -> Certificate {
        let trust = ca_file.map_or_else(|| "system".to_owned(), ToOwned::to_owned);
        let mut cert = Certificate {
            verification: Verification {
                trust,
                ..Verification::default()
            },
            ..Certificate::default()
        };
        if let Some(cause) = &self.gave_up {
            cert.error = Some(format!("not attempted: {cause}"));
            return cert;
        }
        let connector = match verifier {
            Ok(c) => c,
            Err(e) => {
                cert.error = Some(e.clone());
                return cert;
            }
        };
        let errors = Arc::new(Mutex::new(Vec::<(u32, i32, String)>::new()));
        let ssl = match self.verifying_ssl(connector, Arc::clone(&errors)) {
            Ok(ssl) => ssl,
            Err(e) => {
                cert.error = Some(first_reason(&e));
                return cert;
            }
        };
        let stream = match self.handshake(ssl) {
            Ok(s) => s,
            Err(Failure::Refused(r) | Failure::Untestable(r)) => {
                cert.error = Some(format!("handshake refused: {r}"));
                return cert;
            }
            Err(Failure::Error { cause, .. }) => {
                cert.error = Some(cause);
                return cert;
            }
        };
        let ssl = stream.ssl();
        ssl.version_str().clone_into(&mut cert.version);
        cert.cipher = ssl
            .current_cipher()
            .map(|c| c.name().to_owned())
            .unwrap_or_default();
        if let Some(chain) = ssl.peer_cert_chain() {
            cert.chain = chain.iter().map(summarize).collect();
        }
        // A poisoned lock still holds every error recorded: never read it as "no errors".
        let errors = errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let is_name = |code: i32| {
            code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH
        };
        cert.verification.hostname_match = !errors.iter().any(|(_, code, _)| is_name(*code));
        cert.verification.chain_verified = !errors.iter().any(|(_, code, _)| !is_name(*code));
        cert.verification.errors = errors
            .iter()
            .map(|(depth, _, reason)| format!("depth {depth}: {reason}"))
            .collect();
        cert
    }

    /// A non-verifying client at security level 0 (no trust store is loaded: probes only
    /// look at what the server accepts). SNI is sent unless the host is an IP address.
    fn probe_ssl(&self, context: &SslContext) -> Result<Ssl, String> {
        let mut ssl = Ssl::new(context).map_err(|e| first_reason(&e))?;
        if self.host.parse::<std::net::IpAddr>().is_err() {
            ssl.set_hostname(&self.host).map_err(|e| first_reason(&e))?;
        }
        Ok(ssl)
    }

    /// The verifying client: host name checked, chain verified at the collection time.
    fn verifying_ssl(
        &self,
        connector: &SslConnector,
        errors: Arc<Mutex<Vec<(u32, i32, String)>>>,
    ) -> Result<Ssl, ErrorStack> {
        let mut config = connector.configure()?.verify_hostname(true);
        config.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
            if !ok {
                let e = ctx.error();
                let mut list = errors
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let entry = (ctx.error_depth(), e.as_raw(), e.error_string().to_owned());
                if !list.contains(&entry) {
                    list.push(entry);
                }
            }
            // Keep going: every error is recorded and the check judges them.
            true
        });
        if let Some(at) = self.verify_at {
            config.param_mut().set_time(at);
        }
        config.into_ssl(&self.host)
    }

    /// Connect and handshake under ONE deadline: a per-read timeout alone lets a server that
    /// trickles its handshake a byte at a time keep the probe alive indefinitely.
    fn handshake(&self, ssl: Ssl) -> Result<SslStream<DeadlineStream>, Failure> {
        let deadline = Instant::now() + self.timeout;
        let tcp =
            TcpStream::connect_timeout(&self.addr, self.timeout).map_err(|e| Failure::Error {
                cause: connect_failure(&self.addr, &e, self.timeout),
                timed_out: is_timeout(&e),
            })?;
        ssl.connect(DeadlineStream { tcp, deadline })
            .map_err(|e| self.classify(e))
    }

    fn classify(&self, e: HandshakeError<DeadlineStream>) -> Failure {
        let err = match e {
            HandshakeError::SetupFailure(stack) => {
                return Failure::Untestable(first_reason(&stack));
            }
            HandshakeError::Failure(mid) | HandshakeError::WouldBlock(mid) => mid.into_error(),
        };
        if let Some(io) = err.io_error() {
            return Failure::Error {
                cause: if is_timeout(io) {
                    format!(
                        "TLS handshake with {} timed out after {} ms",
                        self.addr,
                        self.timeout.as_millis()
                    )
                } else {
                    format!("TLS handshake with {} failed: {io}", self.addr)
                },
                timed_out: is_timeout(io),
            };
        }
        let reason = err
            .ssl_error()
            .map_or_else(|| err.to_string(), first_reason);
        if reason.contains("no ciphers available") || reason.contains("no protocols available") {
            Failure::Untestable(reason)
        } else if reason.contains("alert")
            || reason.contains("unsupported protocol")
            || reason.contains("no shared cipher")
        {
            Failure::Refused(reason)
        } else if err.ssl_error().is_none() {
            Failure::Error {
                cause: format!("{} closed the connection during the handshake", self.addr),
                timed_out: false,
            }
        } else {
            Failure::Error {
                cause: format!("TLS handshake with {} failed: {reason}", self.addr),
                timed_out: false,
            }
        }
    }
}

/// A socket whose reads and writes all end at one instant: each operation may wait only for
/// what is left of the probe's time.
pub struct DeadlineStream {
    tcp: TcpStream,
    deadline: Instant,
}

impl DeadlineStream {
    fn time_left(&self) -> std::io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the probe's deadline passed",
            ))
        } else {
            Ok(left)
        }
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.time_left()?;
        self.tcp.set_read_timeout(Some(left))?;
        self.tcp.read(buf)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.time_left()?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// The verifying client for one trust source (`ca_file`, or the system roots when `None`).
/// Built once per scan and shared: loading the system bundle costs more than a handshake.
pub fn verifier(ca_file: Option<&str>) -> Result<SslConnector, String> {
    let mut builder =
        SslConnector::builder(SslMethod::tls_client()).map_err(|e| first_reason(&e))?;
    // Level 0 so that weak certificates are still fetched and judged by the check.
    builder.set_security_level(0);
    builder
        .set_cipher_list(ALL_SUITES)
        .map_err(|e| first_reason(&e))?;
    if let Some(path) = ca_file {
        builder.set_cert_store(ca_store(path)?);
    }
    builder.set_verify(SslVerifyMode::PEER);
    Ok(builder.build())
}

/// A store trusting exactly the certificates of a PEM file.
fn ca_store(path: &str) -> Result<openssl::x509::store::X509Store, String> {
    let pem = crate::bounded::read_ca_file(path)?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| {
        format!(
            "ca_file {path} is not PEM certificates: {}",
            first_reason(&e)
        )
    })?;
    if certs.is_empty() {
        return Err(format!("ca_file {path} holds no certificate"));
    }
    let mut store = X509StoreBuilder::new().map_err(|e| first_reason(&e))?;
    for c in certs {
        store.add_cert(c).map_err(|e| first_reason(&e))?;
    }
    Ok(store.build())
}

fn accepted(stream: &SslStream<DeadlineStream>) -> Probe {
    let ssl = stream.ssl();
    Probe::Accepted {
        version: ssl.version_str().to_owned(),
        cipher: ssl
            .current_cipher()
            .map(|c| c.name().to_owned())
            .unwrap_or_default(),
    }
}

/// The reason of the first OpenSSL error ("tlsv1 alert protocol version").
fn first_reason(stack: &ErrorStack) -> String {
    stack.errors().first().map_or_else(
        || stack.to_string(),
        |e| e.reason().map_or_else(|| e.to_string(), ToOwned::to_owned),
    )
}

fn summarize(cert: &X509Ref) -> CertSummary {
    let (key_type, key_bits) = cert.public_key().map_or_else(
        |_| ("unreadable".to_owned(), 0),
        |k| (key_type(k.id()), k.bits()),
    );
    CertSummary {
        subject: name(cert.subject_name()),
        issuer: name(cert.issuer_name()),
        sans: sans(cert),
        not_before: rfc3339(cert.not_before()),
        not_after: rfc3339(cert.not_after()),
        key_type,
        key_bits,
        signature_algorithm: cert
            .signature_algorithm()
            .object()
            .nid()
            .long_name()
            .unwrap_or("unknown")
            .to_owned(),
    }
}

fn key_type(id: Id) -> String {
    match id {
        Id::RSA => "RSA",
        Id::RSA_PSS => "RSA-PSS",
        Id::DSA => "DSA",
        Id::EC => "EC",
        Id::ED25519 => "Ed25519",
        Id::ED448 => "Ed448",
        _ => return format!("unknown ({})", id.as_raw()),
    }
    .to_owned()
}

/// `CN=example.com, O=Example` in certificate order.
fn name(n: &X509NameRef) -> String {
    n.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sans(cert: &X509Ref) -> Vec<String> {
    let Some(names) = cert.subject_alt_names() else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| {
            if let Some(dns) = n.dnsname() {
                Some(format!("DNS:{dns}"))
            } else if let Some(ip) = n.ipaddress() {
                ip_text(ip).map(|ip| format!("IP:{ip}"))
            } else {
                n.email().map(|e| format!("email:{e}"))
            }
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

/// An ASN.1 time as RFC 3339 UTC (the raw text if it cannot be converted).
fn rfc3339(t: &Asn1TimeRef) -> String {
    let seconds = Asn1Time::from_unix(0)
        .and_then(|epoch| epoch.diff(t))
        .map(|d| i64::from(d.days) * 86_400 + i64::from(d.secs));
    seconds
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    use super::*;

    /// A server that sends the header of a 16 KiB handshake record, then one byte every 50 ms:
    /// each read gets data well within any per-read timeout, the handshake never completes.
    fn trickling_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
                    while s.write_all(&[0x02]).is_ok() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn a_byte_trickling_handshake_ends_at_the_probe_deadline() {
        let addr = trickling_server();
        let mut prober = Prober::new(
            addr,
            "127.0.0.1",
            Duration::from_millis(800),
            "2026-01-01T00:00:00Z",
        );
        let contexts = ProbeContexts::new();
        let started = Instant::now();
        let protocols = prober.protocols(&contexts);
        let took = started.elapsed();
        // One probe spends the deadline; the others are not attempted.
        assert!(took < Duration::from_secs(4), "took {took:?}");
        let timed_out = protocols.iter().any(|p| {
            matches!(&p.result, Probe::Error { cause } if cause.contains("timed out after 800 ms"))
        });
        assert!(timed_out, "{protocols:?}");
        assert!(prober.gave_up().is_some());
    }
}
