//! From a `[[target.kube]]` to a working client: kubeconfig, context, timeouts, and the server
//! version (the first request, which tells "cannot read this cluster at all" from list faults).

use std::time::Duration;

use checks::facts::kube::Cluster;
use checks::settings::{DEFAULT_KUBE_TIMEOUT_SECS, KubeTarget};
use kube::Client;

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
    let (kubeconfig, origin) = read_kubeconfig(target)?;
    let context = choose_context(target, &kubeconfig, &origin)?;
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
    let timeout = Duration::from_secs(target.timeout.unwrap_or(DEFAULT_KUBE_TIMEOUT_SECS));
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    // Names vouch in the cluster's audit log, so the auditee can see what the audit read.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("vouch/", env!("CARGO_PKG_VERSION"))),
    ));
    let server = without_user_info(&config.cluster_url.to_string());
    let client = Client::try_from(config).map_err(|e| Failure {
        context: Some(context.clone()),
        server: server.clone(),
        cause: format!("cannot build a client for {server}: {}", cause_chain(&e)),
    })?;
    let deadline = timeout * REQUEST_DEADLINE_TIMEOUTS;
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
        Some(path) => Kubeconfig::read_from(path)
            .map(|k| (k, format!("kubeconfig {path}")))
            .map_err(|e| Failure::new(context, format!("kubeconfig {path}: {}", cause_chain(&e)))),
        None => Kubeconfig::read()
            .map(|k| (k, "the default kubeconfig".to_owned()))
            .map_err(|e| {
                Failure::new(
                    context,
                    format!(
                        "no usable kubeconfig (KUBECONFIG or ~/.kube/config): {}",
                        cause_chain(&e)
                    ),
                )
            }),
    }
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
        // The transport's own chain, without kube's "ServiceError:" wrapper.
        kube::Error::Service(cause) => cause_chain(&**cause),
        other => cause_chain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
