//! Real TLS and HTTP servers for the endpoint tests: `openssl s_server` and nginx, started on
//! free 127.0.0.1 ports in temporary directories and killed when dropped. Certificates are made
//! here with the openssl crate, with fixed validity dates (so the facts fixtures cut from them
//! do not change from run to run) around the pinned test clock.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509Builder, X509NameBuilder};
use tempfile::TempDir;

use super::harness::EPOCH;
use crate::harness::{KillOnDrop, free_port};

pub const DAY: i64 = 86_400;

/// The pinned test clock, in Unix seconds.
pub fn epoch() -> i64 {
    EPOCH.parse().expect("EPOCH is a number")
}

/// The real time, which vouch judges certificates against (`SOURCE_DATE_EPOCH` never moves it).
pub fn wall_clock() -> i64 {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    i64::try_from(secs).expect("the clock fits in i64")
}

/// A certificate authority and the leaves it issues, as PEM files in a temp dir.
pub struct Pki {
    pub dir: TempDir,
    ca_cert: X509,
    ca_key: PKey<Private>,
    pub ca_file: PathBuf,
}

/// What a leaf looks like.
#[derive(Clone, Copy)]
pub struct Leaf<'a> {
    pub name: &'a str,
    pub sans_dns: &'a [&'a str],
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
    /// An RSA key of this size instead of EC P-256.
    pub rsa_bits: Option<u32>,
    /// Signed (by the EC CA, or itself) with SHA-1 instead of SHA-256: a deliberately weak leaf.
    pub sha1: bool,
}

/// 2046-01-01T00:00:00Z: the end of a good leaf, fixed so its facts are the same every run and
/// far enough ahead that the real clock (which vouch judges by) stays before it.
pub const GOOD_UNTIL: i64 = 2_398_377_600;

/// The collection time written into the certificate fixtures (`collected_at`, which the
/// fixtures test judges by): after the end of the expired leaf (the pinned clock plus 30 days)
/// and long before [`GOOD_UNTIL`], so each fixed-date leaf gets the verdict it got live.
pub const CERT_FIXTURE_CLOCK: &str = "2026-06-01T00:00:00Z";

impl Leaf<'_> {
    /// Valid for localhost/127.0.0.1 from a day before the pinned test clock until
    /// [`GOOD_UNTIL`], so both the pinned clock and the real one (used by the HTTP client)
    /// accept it.
    pub fn good(name: &str) -> Leaf<'_> {
        Leaf {
            name,
            sans_dns: &["localhost"],
            not_before: epoch() - DAY,
            not_after: GOOD_UNTIL,
            self_signed: false,
            rsa_bits: None,
            sha1: false,
        }
    }
}

/// Unix seconds as the collector writes a certificate date (RFC 3339, UTC).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .expect("a valid time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
}

static SERIAL: AtomicU32 = AtomicU32::new(1);

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
    PKey::from_ec_key(EcKey::generate(&group).expect("EC key")).expect("PKey")
}

fn builder(cn: &str, key: &PKey<Private>, not_before: i64, not_after: i64) -> X509Builder {
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("v3");
    let serial = BigNum::from_u32(SERIAL.fetch_add(1, Ordering::Relaxed)).expect("serial");
    b.set_serial_number(&Asn1Integer::from_bn(&serial).expect("serial"))
        .expect("serial");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", cn).expect("CN");
    let name = name.build();
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_pubkey(key).expect("key");
    b.set_not_before(&Asn1Time::from_unix(not_before).expect("time"))
        .expect("not before");
    b.set_not_after(&Asn1Time::from_unix(not_after).expect("time"))
        .expect("not after");
    b
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_key = ec_key();
        let mut b = builder(
            "vouch test CA",
            &ca_key,
            epoch() - 30 * DAY,
            wall_clock() + 3650 * DAY,
        );
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("bc");
        b.sign(&ca_key, MessageDigest::sha256()).expect("sign");
        let ca_cert = b.build();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.to_pem().expect("pem")).expect("write ca");
        Pki {
            dir,
            ca_cert,
            ca_key,
            ca_file,
        }
    }

    /// Issues (or self-signs) a leaf; returns (certificate file, key file).
    pub fn leaf(&self, leaf: &Leaf<'_>) -> (PathBuf, PathBuf) {
        let key = match leaf.rsa_bits {
            Some(bits) => PKey::from_rsa(Rsa::generate(bits).expect("RSA key")).expect("PKey"),
            None => ec_key(),
        };
        let mut b = builder(leaf.name, &key, leaf.not_before, leaf.not_after);
        if !leaf.self_signed {
            b.set_issuer_name(self.ca_cert.subject_name())
                .expect("issuer");
        }
        let mut san = SubjectAlternativeName::new();
        for dns in leaf.sans_dns {
            san.dns(dns);
        }
        san.ip("127.0.0.1");
        let issuer = (!leaf.self_signed).then_some(self.ca_cert.as_ref());
        let san = san.build(&b.x509v3_context(issuer, None)).expect("san");
        b.append_extension(san).expect("san");
        b.append_extension(BasicConstraints::new().build().expect("bc"))
            .expect("bc");
        b.append_extension(ExtendedKeyUsage::new().server_auth().build().expect("eku"))
            .expect("eku");
        let signer = if leaf.self_signed { &key } else { &self.ca_key };
        let digest = if leaf.sha1 {
            MessageDigest::sha1()
        } else {
            MessageDigest::sha256()
        };
        b.sign(signer, digest).expect("sign");
        let cert = self.dir.path().join(format!("{}.crt", leaf.name));
        let key_file = self.dir.path().join(format!("{}.key", leaf.name));
        std::fs::write(&cert, b.build().to_pem().expect("pem")).expect("write cert");
        std::fs::write(&key_file, key.private_key_to_pem_pkcs8().expect("pem")).expect("write key");
        (cert, key_file)
    }
}

/// A server process, killed on drop.
pub struct Server {
    child: KillOnDrop,
    pub port: u16,
    what: String,
}

impl Server {
    /// Spawns `cmd` (`tool`, which `scripts/test` installs) as the server named `what`, its
    /// standard error kept for [`Server::ready`] to show.
    fn spawn(cmd: &mut Command, tool: &str, port: u16, what: String) -> Server {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{tool} is installed (scripts/test installs it): {e:?}"));
        Server {
            child: KillOnDrop(child),
            port,
            what,
        }
    }

    /// Waits until `port` accepts connections; panics with the server's output if it died.
    fn ready(mut self, port: u16) -> Server {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.child.0.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("{} exited ({status}) before listening: {err}", self.what);
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return self;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("{} did not listen on port {port} within 20 s", self.what);
    }

    pub fn url(&self) -> String {
        format!("https://localhost:{}/", self.port)
    }
}

/// `openssl s_server -www` with a certificate and extra flags (`-min_protocol TLSv1.2`…).
pub fn s_server(cert: &Path, key: &Path, flags: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .args(flags);
    let what = format!("openssl s_server {}", flags.join(" "));
    Server::spawn(&mut cmd, "openssl", port, what).ready(port)
}

/// `template` with each `{NAME}` of `names` replaced by the port at the same place in `ports`.
pub fn with_ports<const N: usize>(template: &str, names: [&str; N], ports: [u16; N]) -> String {
    names
        .iter()
        .zip(ports)
        .fold(template.to_owned(), |text, (name, port)| {
            text.replace(&format!("{{{name}}}"), &port.to_string())
        })
}

/// One nginx process (no master, no daemon) serving `servers` (the `server { … }` blocks,
/// with `{dir}` replaced by its temp dir); `ports` are checked for readiness.
pub struct Nginx {
    server: Server,
    dir: TempDir,
}

impl Nginx {
    pub fn start(servers: &str, ports: &[u16]) -> Nginx {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display().to_string();
        let conf = format!(
            "worker_processes 1; master_process off; daemon off;\n\
             pid {d}/nginx.pid; error_log {d}/error.log warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off; server_tokens off; default_type text/plain;\n  \
             client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n{}\n}}\n",
            servers.replace("{dir}", &d)
        );
        let conf_file = dir.path().join("nginx.conf");
        std::fs::write(&conf_file, conf).expect("write nginx.conf");
        let mut cmd = Command::new(nginx_binary());
        cmd.arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_file);
        let mut server = Server::spawn(&mut cmd, "nginx", ports[0], "nginx".to_owned());
        for port in ports {
            server = server.ready(*port);
        }
        Nginx { server, dir }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The temp dir `{dir}` stood for (logs written there by the configuration).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// nginx lives in /usr/sbin, which is not always on a non-root PATH.
fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}
