//! From a `[[target.kube]]` to a working client: kubeconfig, context, timeouts, and the server
//! version (the first request, which tells "cannot read this cluster at all" from list faults).

use std::path::{Path, PathBuf};
use std::time::Duration;

use checks::facts::kube::Cluster;
use checks::settings::{DEFAULT_KUBE_TIMEOUT_SECS, KubeTarget};
use http::Response;
use http_body_util::Limited;
use kube::Client;
use kube::client::{ClientBuilder, DynBody};
use tower::util::MapResponseLayer;

use crate::bounded;
use crate::sources::cause_chain;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for one context, with what the facts record about it.
pub(super) struct Connection {
    pub client: Client,
    pub context: String,
    /// The API server URL without any user info.
    pub server: String,
    /// `gitVersion`, empty when `/version` was refused (the lists then decide).
    pub version: String,
    /// The most one API request may take in all. The client's timeouts bound connecting and
    /// each read; a server that drips its answer needs this too.
    pub deadline: Duration,
}

/// The most one API response body may hold. The deadline bounds how long an answer takes, not
/// how big it is: on a fast link a server could send gigabytes within it. A LIST page is
/// [`super::list`]'s 500 objects, a few MiB even for large pod specs, so 64 MiB only stops an
/// answer no healthy API server sends; up to `IN_FLIGHT` of them are held at once.
pub(super) const RESPONSE_MAX: u64 = 64 * 1024 * 1024;

type LimitBody = fn(Response<Box<DynBody>>) -> Response<Limited<Box<DynBody>>>;

/// The response with its body cut at [`RESPONSE_MAX`]: reading past it is an error
/// ([`describe`] names the limit).
fn limit_body(response: Response<Box<DynBody>>) -> Response<Limited<Box<DynBody>>> {
    response.map(|body| Limited::new(body, usize::try_from(RESPONSE_MAX).unwrap_or(usize::MAX)))
}

/// One API request's deadline, in request timeouts: connecting, then reading the answer.
const REQUEST_DEADLINE_TIMEOUTS: u32 = 2;

/// `request` cut at `deadline`; what it says on expiry is the caller's (as a kube error's text
/// would be).
pub(super) async fn within_deadline<T>(
    deadline: Duration,
    request: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(deadline, Box::pin(request))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the API server did not finish answering within {} s \
                 ({REQUEST_DEADLINE_TIMEOUTS} times the target's `timeout`: raise it for a slow \
                 but healthy server)",
                deadline.as_secs()
            ))
        })
}

/// Why a cluster could not be read at all.
pub(super) struct Failure {
    context: Option<String>,
    server: String,
    cause: String,
}

impl Failure {
    fn new(context: Option<&str>, cause: String) -> Self {
        Failure {
            context: context.map(str::to_owned),
            server: String::new(),
            cause,
        }
    }

    pub fn into_cluster(self, target: &KubeTarget) -> Cluster {
        let mut cluster = super::failure(target, &self.cause);
        if let Some(context) = self.context {
            cluster.context = context;
        }
        cluster.server = self.server;
        cluster
    }
}

pub(super) async fn connect(target: &KubeTarget) -> Result<Connection, Failure> {
    let (mut kubeconfig, origin) = read_kubeconfig(target)?;
    let context = choose_context(target, &kubeconfig, &origin)?;
    read_referenced_files(&mut kubeconfig, &context).map_err(|cause| {
        Failure::new(
            Some(&context),
            format!("{origin}, context `{context}`: {cause}"),
        )
    })?;
    let timeout = Duration::from_secs(target.timeout.unwrap_or(DEFAULT_KUBE_TIMEOUT_SECS));
    let deadline = timeout * REQUEST_DEADLINE_TIMEOUTS;
    super::exec::inline_credential(&mut kubeconfig, &context, deadline)
        .await
        .map_err(|cause| {
            Failure::new(
                Some(&context),
                format!("{origin}, context `{context}`: {cause}"),
            )
        })?;
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| {
            Failure::new(
                Some(&context),
                format!("{origin}, context `{context}`: {}", cause_chain(&e)),
            )
        })?;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    // Names vouch in the cluster's audit log, so the auditee can see what the audit read.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("vouch/", env!("CARGO_PKG_VERSION"))),
    ));
    let server = without_user_info(&config.cluster_url.to_string());
    let client = ClientBuilder::try_from(config)
        .map(|builder| {
            builder
                .with_layer(&MapResponseLayer::new(limit_body as LimitBody))
                .build()
        })
        .map_err(|e| Failure {
            context: Some(context.clone()),
            server: server.clone(),
            cause: format!("cannot build a client for {server}: {}", cause_chain(&e)),
        })?;
    let version = within_deadline(deadline, async {
        match client.apiserver_version().await {
            Ok(info) => Ok(info.git_version),
            // Some clusters hide /version; the lists show whether anything can be read.
            Err(kube::Error::Api(status)) if status.code != 401 => Ok(String::new()),
            Err(e) => Err(describe(&e)),
        }
    })
    .await
    .map_err(|cause| Failure {
        context: Some(context.clone()),
        cause: format!("cannot read the API server {server}: {cause}"),
        server: server.clone(),
    })?;
    Ok(Connection {
        client,
        context,
        server,
        version,
        deadline,
    })
}

/// The configured kubeconfig file, else `KUBECONFIG` (merged) or `~/.kube/config` as kubectl
/// reads them; with a description of where it came from for messages.
fn read_kubeconfig(target: &KubeTarget) -> Result<(Kubeconfig, String), Failure> {
    let context = target.context.as_deref();
    match &target.kubeconfig {
        Some(path) => read_kubeconfig_file(Path::new(path))
            .map(|k| (k, format!("kubeconfig {path}")))
            .map_err(|cause| Failure::new(context, cause)),
        None => default_kubeconfig()
            .map(|k| (k, "the default kubeconfig".to_owned()))
            .map_err(|cause| {
                Failure::new(
                    context,
                    format!("no usable kubeconfig (KUBECONFIG or ~/.kube/config): {cause}"),
                )
            }),
    }
}

/// What kube-rs's `Kubeconfig::read` reads, each file within [`bounded::KUBECONFIG_MAX`]: the
/// files `KUBECONFIG` lists (empty entries ignored), merged first-wins; else `~/.kube/config`.
fn default_kubeconfig() -> Result<Kubeconfig, String> {
    let listed: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|value| {
            std::env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        let home = std::env::home_dir().ok_or("no home directory to find ~/.kube/config in")?;
        return read_kubeconfig_file(&home.join(".kube").join("config"));
    }
    merge_kubeconfigs(&listed)
}

/// The files merged as kubectl merges `KUBECONFIG`: the first file to set a value or a named
/// entry wins.
fn merge_kubeconfigs(paths: &[PathBuf]) -> Result<Kubeconfig, String> {
    paths
        .iter()
        .try_fold(Kubeconfig::default(), |merged, path| {
            let next = read_kubeconfig_file(path)?;
            merged
                .merge(next)
                .map_err(|e| format!("kubeconfig {}: {}", path.display(), cause_chain(&e)))
        })
}

/// Where kube-rs's parser failed, and no more: its message quotes the lines around the error
/// (and a mistyped value), which may hold a token or a key.
fn kubeconfig_parse_error(e: &kube::config::KubeconfigError) -> checks::redact::ParseError {
    let at = match e {
        kube::config::KubeconfigError::Parse(e) => e.location(),
        _ => None,
    };
    let (line, column) = at.map_or((0, 0), |at| {
        (
            usize::try_from(at.line()).unwrap_or(0),
            usize::try_from(at.column()).unwrap_or(0),
        )
    });
    checks::redact::ParseError::new(
        "YAML",
        line,
        column,
        "the parser's message is not shown, as it quotes the file",
    )
}

/// One kubeconfig file read within [`bounded::KUBECONFIG_MAX`] (kube-rs's own reader reads any
/// file whole: a FIFO or `/dev/zero` would hang the scan or exhaust memory), then parsed as
/// kube-rs's `Kubeconfig::read_from` does: a UTF-8 or UTF-16 byte-order mark, several YAML
/// documents merged, and the file paths in it relative to the file's directory. The error is
/// one line naming the file.
fn read_kubeconfig_file(path: &Path) -> Result<Kubeconfig, String> {
    let named = |cause: String| format!("kubeconfig {}: {cause}", path.display());
    let bytes =
        bounded::read_file(path, bounded::KUBECONFIG_MAX).map_err(|e| named(e.to_string()))?;
    let text = decode_kubeconfig(bytes).map_err(named)?;
    let mut kubeconfig = Kubeconfig::from_yaml(&text).map_err(|e| {
        named(format!(
            "is not a kubeconfig: {}",
            kubeconfig_parse_error(&e)
        ))
    })?;
    if let Some(dir) = path.parent() {
        let absolute = |file: &mut Option<String>| {
            if let Some(name) = file.as_deref()
                && Path::new(name).is_relative()
                && let Some(joined) = dir.join(name).to_str()
            {
                *file = Some(joined.to_owned());
            }
        };
        for cluster in kubeconfig
            .clusters
            .iter_mut()
            .filter_map(|c| c.cluster.as_mut())
        {
            absolute(&mut cluster.certificate_authority);
        }
        for user in kubeconfig
            .auth_infos
            .iter_mut()
            .filter_map(|u| u.auth_info.as_mut())
        {
            absolute(&mut user.client_certificate);
            absolute(&mut user.client_key);
            absolute(&mut user.token_file);
        }
    }
    Ok(kubeconfig)
}

/// The text of a kubeconfig: UTF-8, with or without a byte-order mark, or UTF-16 with one.
fn decode_kubeconfig(bytes: Vec<u8>) -> Result<String, String> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|pair| from([pair[0], pair.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16(&units).map_err(|_| "is not valid UTF-16".to_owned())
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|_| "is not valid UTF-8".to_owned())
        }
        _ => String::from_utf8(bytes).map_err(|e| {
            format!(
                "is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            )
        }),
    }
}

/// The cluster and user entries `context` names in `kubeconfig`, to complete before kube-rs
/// reads it (each `None` when the kubeconfig lacks it: kube-rs then says what is missing).
pub(super) struct Chosen<'a> {
    pub cluster: Option<&'a mut kube::config::Cluster>,
    pub user: Option<&'a mut kube::config::AuthInfo>,
}

pub(super) fn chosen<'a>(kubeconfig: &'a mut Kubeconfig, context: &str) -> Chosen<'a> {
    let Some(named) = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.clone())
    else {
        return Chosen {
            cluster: None,
            user: None,
        };
    };
    let cluster = kubeconfig
        .clusters
        .iter_mut()
        .find(|c| c.name == named.cluster)
        .and_then(|c| c.cluster.as_mut());
    let user = named.user.as_deref().and_then(|name| {
        kubeconfig
            .auth_infos
            .iter_mut()
            .find(|u| u.name == name)
            .and_then(|u| u.auth_info.as_mut())
    });
    Chosen { cluster, user }
}

/// The files the chosen context's cluster and user name (certificate authority, client
/// certificate and key), read within [`bounded::CONFIG_MAX`] into the kubeconfig as their
/// `-data` fields, so kube-rs, which would read them whole, never opens them. The token file
/// is only checked (a regular file within the cap): kube-rs re-reads it as it rotates.
fn read_referenced_files(kubeconfig: &mut Kubeconfig, context: &str) -> Result<(), String> {
    use base64::Engine as _;
    let read = |what: &str, file: &str| {
        bounded::read_file(Path::new(file), bounded::CONFIG_MAX)
            .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
            .map_err(|e| format!("cannot read {what} {file}: {e}"))
    };
    let Chosen { cluster, user } = chosen(kubeconfig, context);
    if let Some(cluster) = cluster
        && cluster.certificate_authority_data.is_none()
        && let Some(file) = cluster.certificate_authority.take()
    {
        cluster.certificate_authority_data = Some(read("certificate-authority", &file)?);
    }
    let Some(user) = user else {
        return Ok(());
    };
    if user.client_certificate_data.is_none()
        && let Some(file) = user.client_certificate.take()
    {
        user.client_certificate_data = Some(read("client-certificate", &file)?);
    }
    if user.client_key_data.is_none()
        && let Some(file) = user.client_key.take()
    {
        user.client_key_data = Some(read("client-key", &file)?.into());
    }
    if user.token.is_none()
        && let Some(file) = user.token_file.as_deref()
    {
        bounded::regular_size(Path::new(file), bounded::CONFIG_MAX)
            .map_err(|e| format!("cannot read tokenFile {file}: {e}"))?;
    }
    Ok(())
}

/// The target's context, which must exist, or the kubeconfig's current one.
fn choose_context(
    target: &KubeTarget,
    kubeconfig: &Kubeconfig,
    origin: &str,
) -> Result<String, Failure> {
    let Some(context) = target
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .filter(|c| !c.is_empty())
    else {
        return Err(Failure::new(
            None,
            format!("{origin} has no current-context; set `context` in [[target.kube]]"),
        ));
    };
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        return Err(Failure::new(
            Some(&context),
            format!("{origin} has no context named `{context}`"),
        ));
    }
    Ok(context)
}

/// `scheme://host:port/path`: a URL in a kubeconfig should carry no credentials, but if it does
/// they must not reach the facts.
fn without_user_info(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}{path}")
}

/// One line for a failed request: the API's status for refusals, the cause chain otherwise.
pub(super) fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => {
            let what = match status.code {
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not found",
                _ => "refused",
            };
            let message = status
                .message
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            format!("{what} ({}): {message}", status.code)
        }
        kube::Error::Service(cause) if over_limit(&**cause) => format!(
            "the API server's answer is over the limit of {} per response; vouch stops reading \
             there",
            bounded::cap_text(RESPONSE_MAX)
        ),
        // The transport's own chain, without kube's "ServiceError:" wrapper.
        kube::Error::Service(cause) => cause_chain(&**cause),
        other => cause_chain(other),
    }
}

/// Whether `error` or one of its causes is [`Limited`]'s: the body reached [`RESPONSE_MAX`].
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(current: &str, clusters: &[(&str, &str)], extra: &str) -> String {
        use std::fmt::Write as _;
        let clusters = clusters
            .iter()
            .fold(String::new(), |mut text, (name, server)| {
                let _ = writeln!(text, "- name: {name}\n  cluster: {{server: '{server}'}}");
                text
            });
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}{extra}"
        )
    }

    #[test]
    fn kubeconfig_files_merge_first_wins_with_paths_relative_to_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a"), dir.path().join("sub/b"));
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            &first,
            kubeconfig("one", &[("shared", "https://first")], ""),
        )
        .unwrap();
        std::fs::write(
            &second,
            kubeconfig(
                "two",
                &[("shared", "https://second"), ("own", "https://own")],
                "users:\n- name: u\n  user: {client-certificate: c.crt, client-key: /abs/k.key}\n",
            ),
        )
        .unwrap();
        let merged = merge_kubeconfigs(&[first.clone(), second.clone()]).unwrap();
        assert_eq!(merged.current_context.as_deref(), Some("one"));
        let servers: Vec<_> = merged
            .clusters
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.cluster.as_ref().unwrap().server.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            servers,
            [
                ("shared", Some("https://first")),
                ("own", Some("https://own"))
            ]
        );
        let user = merged.auth_infos[0].auth_info.as_ref().unwrap();
        let relative = dir.path().join("sub/c.crt");
        assert_eq!(user.client_certificate.as_deref(), relative.to_str());
        assert_eq!(user.client_key.as_deref(), Some("/abs/k.key"));
        // The same as kube-rs's own (unbounded) reader.
        let theirs = Kubeconfig::read_from(&first)
            .unwrap()
            .merge(Kubeconfig::read_from(&second).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::to_value(&merged).unwrap(),
            serde_json::to_value(&theirs).unwrap()
        );
    }

    #[test]
    fn an_unreadable_kubeconfig_is_one_line_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::bounded::tests::mkfifo(&fifo);
        let broken = dir.path().join("broken");
        std::fs::write(&broken, "clusters: [\n  - {name: x\n").unwrap();
        let missing = dir.path().join("missing");
        let error = |path: &Path| read_kubeconfig_file(path).unwrap_err();
        assert_eq!(
            error(Path::new("/dev/zero")),
            "kubeconfig /dev/zero: is a device, not a regular file"
        );
        assert_eq!(
            error(&fifo),
            format!(
                "kubeconfig {}: is a FIFO, not a regular file",
                fifo.display()
            )
        );
        assert_eq!(
            error(&missing),
            format!("kubeconfig {}: does not exist", missing.display())
        );
        // A later file in KUBECONFIG is read the same way.
        let good = dir.path().join("good");
        std::fs::write(&good, kubeconfig("one", &[], "")).unwrap();
        assert_eq!(
            merge_kubeconfigs(&[good, fifo.clone()]).unwrap_err(),
            format!(
                "kubeconfig {}: is a FIFO, not a regular file",
                fifo.display()
            )
        );
        let parse = error(&broken);
        assert!(
            parse.starts_with(&format!("kubeconfig {}: ", broken.display()))
                && !parse.contains('\n'),
            "{parse}"
        );
        // The parser's message quotes the lines around the error: a token there stays out.
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "users:\n- name: u\n  user: {token: s3cretT0ken\n").unwrap();
        let parse = error(&secret);
        assert!(!parse.contains("s3cretT0ken"), "{parse}");
        // Only where: line and column.
        assert!(parse.contains(": invalid YAML at line "), "{parse}");
        // A value of the wrong type, quoted by the parser's message: not shown either.
        std::fs::write(&secret, "users:\n- name: u\n  user: s3cretT0ken\n").unwrap();
        let parse = error(&secret);
        assert!(!parse.contains("s3cretT0ken"), "{parse}");
        assert!(parse.contains("invalid YAML at line 3, column "), "{parse}");
    }

    #[test]
    fn byte_order_marks_are_read_as_kube_rs_reads_them() {
        let text = kubeconfig("one", &[("c", "https://c")], "");
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend(text.as_bytes());
        for bytes in [le, be, utf8] {
            assert_eq!(decode_kubeconfig(bytes).unwrap(), text);
        }
        assert_eq!(
            decode_kubeconfig(b"ab\xFF".to_vec()).unwrap_err(),
            "is not valid UTF-8 (at byte 2)"
        );
    }

    #[test]
    fn the_files_a_context_names_are_read_within_the_cap() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.crt"), b"CA PEM").unwrap();
        crate::bounded::tests::mkfifo(&dir.path().join("key.fifo"));
        let users = "users:\n\
            - name: fifo\n  user: {client-certificate: ca.crt, client-key: key.fifo}\n\
            - name: zero\n  user: {tokenFile: /dev/zero}\n\
            - name: inline\n  user: {token: t, tokenFile: /dev/zero}\n\
            contexts:\n\
            - name: fifo\n  context: {cluster: c, user: fifo}\n\
            - name: zero\n  context: {cluster: c, user: zero}\n\
            - name: inline\n  context: {cluster: c, user: inline}\n";
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            kubeconfig("fifo", &[("c", "https://c")], users).replace(
                "{server: 'https://c'}",
                "{server: 'https://c', certificate-authority: ca.crt}",
            ),
        )
        .unwrap();
        let read = || read_kubeconfig_file(&path).unwrap();
        let key = dir.path().join("key.fifo");
        assert_eq!(
            read_referenced_files(&mut read(), "fifo").unwrap_err(),
            format!(
                "cannot read client-key {}: is a FIFO, not a regular file",
                key.display()
            )
        );
        assert_eq!(
            read_referenced_files(&mut read(), "zero").unwrap_err(),
            "cannot read tokenFile /dev/zero: is a device, not a regular file"
        );
        // An inline token wins over the token file, which kube-rs then never reads.
        let mut kubeconfig = read();
        read_referenced_files(&mut kubeconfig, "inline").unwrap();
        let cluster = kubeconfig.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.certificate_authority, None);
        let ca = cluster.certificate_authority_data.as_deref().unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(ca)
                .unwrap(),
            b"CA PEM"
        );
    }

    #[test]
    fn the_bounds_are_those_the_docs_state() {
        // docs/guide/kubernetes.md and the `[[target.kube]]` setting docs give these numbers.
        assert_eq!(bounded::cap_text(bounded::KUBECONFIG_MAX), "16 MiB");
        assert_eq!(bounded::cap_text(bounded::CONFIG_MAX), "4 MiB");
        assert_eq!(bounded::cap_text(RESPONSE_MAX), "64 MiB");
    }

    #[test]
    fn user_info_never_reaches_the_facts() {
        assert_eq!(
            without_user_info("https://admin:hunter2@10.0.0.1:6443/k8s/"),
            "https://10.0.0.1:6443/k8s"
        );
        assert_eq!(
            without_user_info("https://10.0.0.1:6443/"),
            "https://10.0.0.1:6443"
        );
    }
}
