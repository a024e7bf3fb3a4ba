//! A kubeconfig's `exec` credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`,
//! `kubelogin`…), run by vouch within the target's request deadline, its credential then
//! written into the kubeconfig so that kube-rs never runs the plugin itself.
//!
//! kube-rs runs the plugin with no bound, on the thread that builds the client: a plugin that
//! waits (for a browser login, a hung network call, a terminal) would hold the scan for ever.
//! Here it gets no terminal (vouch runs unattended), a deadline after which it is killed, and
//! at most [`MAX_CREDENTIAL_BYTES`] of output. Its stderr is not read: plugins may print
//! secrets there, and nothing vouch prints may carry one.
//!
//! The credential is not refreshed: a token that expires during the scan makes the requests
//! after it fail (401), each an `error`, never a pass.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use kube::config::{ExecAuthCluster, ExecConfig, ExecInteractiveMode, Kubeconfig};
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncReadExt as _;

use super::connect::{Chosen, chosen};
use crate::sources::cause_chain;

/// The most a plugin may print: an ExecCredential is a token or a certificate and its key.
const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;

/// The part of the plugin's `ExecCredential` vouch reads.
#[derive(Deserialize)]
struct ExecCredential {
    status: Option<CredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialStatus {
    token: Option<String>,
    /// PEM, not base64 (unlike the kubeconfig's `client-certificate-data`).
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// Runs the exec plugin of `context`'s user, if it has one and no inline credential, and puts
/// what it prints in place of it.
pub(super) async fn inline_credential(
    kubeconfig: &mut Kubeconfig,
    context: &str,
    deadline: Duration,
) -> Result<(), String> {
    let Chosen { cluster, user } = chosen(kubeconfig, context);
    let Some(user) = user else {
        return Ok(());
    };
    if let Some(provider) = &user.auth_provider
        && provider.config.contains_key("cmd-path")
    {
        // kube-rs would run the command with no bound, as it runs exec plugins.
        return Err(format!(
            "the `{}` auth-provider runs its `cmd-path` with no time limit, which vouch does not \
             do: use an exec credential plugin (gke-gcloud-auth-plugin), as kubectl has since 1.26",
            provider.name
        ));
    }
    // kube-rs's order: an auth-provider, then username and password, a token, a token file,
    // and only then the exec plugin. Where an earlier one serves, the plugin never runs.
    let served_otherwise = user.auth_provider.is_some()
        || (user.username.is_some() && user.password.is_some())
        || user.token.is_some()
        || user.token_file.is_some();
    let Some(exec) = user.exec.as_ref().filter(|_| !served_otherwise) else {
        return Ok(());
    };
    let status = run_plugin(exec, cluster.as_deref(), deadline).await?;
    match status {
        CredentialStatus {
            client_certificate_data: Some(certificate),
            client_key_data: Some(key),
            ..
        } => {
            let base64 = base64::engine::general_purpose::STANDARD;
            user.client_certificate_data = Some(base64.encode(certificate));
            user.client_key_data = Some(base64.encode(key).into());
        }
        CredentialStatus {
            token: Some(token), ..
        } => user.token = Some(token.into()),
        _ => return Err("the exec credential plugin printed no token or certificate".into()),
    }
    user.exec = None;
    Ok(())
}

/// The plugin's `ExecCredential` status, as client-go asks for it (`KUBERNETES_EXEC_INFO`),
/// within `deadline`.
async fn run_plugin(
    exec: &ExecConfig,
    cluster: Option<&kube::config::Cluster>,
    deadline: Duration,
) -> Result<CredentialStatus, String> {
    let program = exec
        .command
        .as_deref()
        .ok_or("the exec credential plugin names no command")?;
    let named = |what: String| format!("the exec credential plugin `{program}` {what}");
    if exec.interactive_mode == Some(ExecInteractiveMode::Always) {
        return Err(named(
            "needs a terminal (interactiveMode: Always); vouch runs unattended".into(),
        ));
    }
    let mut spec = json!({"interactive": false});
    if exec.provide_cluster_info {
        // As kube-rs: asked for and not there is an error, not a plugin run without it.
        let cluster =
            cluster.ok_or_else(|| named("asks for the cluster, which has none".into()))?;
        let info = ExecAuthCluster::try_from(cluster)
            .map_err(|e| named(format!("cannot be given the cluster: {}", cause_chain(&e))))?;
        spec["cluster"] = serde_json::to_value(info)
            .map_err(|e| named(format!("cannot be given the cluster: {e}")))?;
    }
    let exec_info = json!({
        "apiVersion": exec.api_version,
        "kind": "ExecCredential",
        "spec": spec,
    });
    let mut command = tokio::process::Command::new(program);
    command
        .args(exec.args.iter().flatten())
        .envs(
            exec.env
                .iter()
                .flatten()
                .filter_map(|pair| Some((pair.get("name")?, pair.get("value")?))),
        )
        .env("KUBERNETES_EXEC_INFO", exec_info.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // A group of its own, so that what the plugin starts (`gke-gcloud-auth-plugin` runs
    // `gcloud`; a wrapper script runs its tool) is stopped with it: killing the plugin alone
    // would leave its children running after the scan.
    #[cfg(unix)]
    command.process_group(0);
    for dropped in exec.drop_env.iter().flatten() {
        command.env_remove(dropped);
    }
    let run = async {
        let mut child = command
            .spawn()
            .map_err(|e| named(format!("cannot be started: {e}")))?;
        // Declared after `child`, so dropped before it: on the deadline or an error before
        // the plugin exited, the group is killed while its leader is not yet reaped. After a
        // failed exit it is killed too: its id is not reused while anything is left in it.
        let mut group = ProcessGroup::of(&child);
        let mut printed = Vec::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| named("has no output".into()))?;
        stdout
            .take(MAX_CREDENTIAL_BYTES + 1)
            .read_to_end(&mut printed)
            .await
            .map_err(|e| named(format!("could not be read: {e}")))?;
        if printed.len() as u64 > MAX_CREDENTIAL_BYTES {
            return Err(named(format!(
                "printed more than {}",
                crate::bounded::cap_text(MAX_CREDENTIAL_BYTES)
            )));
        }
        let status = child
            .wait()
            .await
            .map_err(|e| named(format!("could not be waited for: {e}")))?;
        if !status.success() {
            return Err(named(format!("failed ({status})")));
        }
        // The plugin answered: what it left running is its own (a credential cache, as
        // kubectl would leave it too).
        group.release();
        Ok(printed)
    };
    let printed = tokio::time::timeout(deadline, run).await.map_err(|_| {
        named(format!(
            "did not answer within {} s (it was stopped)",
            deadline.as_secs()
        ))
    })??;
    // client-go reads the answer with a YAML-tolerant decoder; YAML is a superset of JSON.
    // The parser's message quotes what it could not use, which may be a bare token: only
    // where it failed is said.
    let credential: ExecCredential = serde_norway::from_slice(&printed).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        named(format!("printed no ExecCredential{at}"))
    })?;
    credential
        .status
        .ok_or_else(|| named("printed an ExecCredential without a status".into()))
}

/// The plugin's process group, killed (SIGKILL, every process in it) when dropped unless
/// released: on the deadline, an early error, or the scan's future being dropped; and when
/// vouch is interrupted while it runs (see [`interrupt`]).
struct ProcessGroup(#[cfg(unix)] Option<rustix::process::Pid>);

impl ProcessGroup {
    /// The group `child` leads (`process_group(0)`: the group's id is its pid).
    fn of(child: &tokio::process::Child) -> Self {
        #[cfg(not(unix))]
        let _ = child;
        #[cfg(unix)]
        let group = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .filter(|&pid| pid > 0)
            .and_then(rustix::process::Pid::from_raw);
        #[cfg(unix)]
        if let Some(group) = group {
            interrupt::running(group);
        }
        ProcessGroup(
            #[cfg(unix)]
            group,
        )
    }

    fn release(&mut self) {
        #[cfg(unix)]
        if let Some(group) = self.0.take() {
            interrupt::ended(group);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(group) = self.0.take() {
            // An error (ESRCH: nothing is left in the group) leaves nothing to do.
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            interrupt::ended(group);
        }
    }
}

/// In a group of its own, a plugin no longer gets the terminal's Ctrl-C (nor a signal sent to
/// vouch's group) with vouch, and vouch, killed by it, would drop no [`ProcessGroup`]: from the
/// first plugin run on, SIGINT, SIGTERM and SIGHUP kill the plugin groups still running, then
/// end vouch as the signal would have (exit status 128 + its number).
#[cfg(unix)]
mod interrupt {
    use std::sync::{Mutex, Once, PoisonError};

    use rustix::process::{Pid, Signal, kill_process_group};
    use tokio::signal::unix::{SignalKind, signal};

    static RUNNING: Mutex<Vec<Pid>> = Mutex::new(Vec::new());
    static WATCHED: Once = Once::new();

    pub(super) fn running(group: Pid) {
        watch();
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(group);
    }

    pub(super) fn ended(group: Pid) {
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|&running| running != group);
    }

    /// Once per process, on its one runtime (the caller's). Not in unit tests: each has a
    /// runtime of its own, and after the first one ended the signals would go unanswered.
    fn watch() {
        if cfg!(test) {
            return;
        }
        WATCHED.call_once(|| {
            for (kind, number) in [
                (SignalKind::interrupt(), 2),
                (SignalKind::terminate(), 15),
                (SignalKind::hangup(), 1),
            ] {
                // Not watched (no signal driver): the signal keeps its default action.
                let Ok(mut received) = signal(kind) else {
                    continue;
                };
                tokio::spawn(async move {
                    if received.recv().await.is_some() {
                        // Held until the exit: no plugin group is added meanwhile.
                        let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
                        for &group in running.iter() {
                            let _ = kill_process_group(group, Signal::KILL);
                        }
                        std::process::exit(128 + number);
                    }
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(user: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(&format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  \
             cluster: {{server: 'https://127.0.0.1:1'}}\ncontexts:\n- name: c\n  context: \
             {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n{user}"
        ))
        .unwrap()
    }

    /// A kubeconfig whose plugin is `sh -c script`.
    fn shell_plugin(script: &str) -> Kubeconfig {
        kubeconfig(&format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
             command: /bin/sh\n      args: ['-c', '{script}']\n      interactiveMode: Never\n"
        ))
    }

    /// Whether `pid` is a process that still runs (a zombie, killed and waiting for its new
    /// parent to reap it, does not), waiting up to 5 s for it to go; then killed regardless.
    fn still_runs(pid_file: &std::path::Path) -> bool {
        let pid = std::fs::read_to_string(pid_file).expect("the plugin wrote its child's pid");
        let pid = pid.trim();
        let runs = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // `pid (comm) STATE …`: the state follows the last `)`.
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while runs() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let running = runs();
        let _ = std::process::Command::new("kill")
            .args(["-9", pid])
            .status();
        running
    }

    /// The error of a shell plugin whose `script` starts a child in the background and writes
    /// its pid to `{pid_file}`, given `deadline`; the child must be stopped with the plugin.
    async fn failing_plugin_with_a_child(script: &str, deadline: Duration) -> String {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let script = script.replace("{pid_file}", &pid_file.display().to_string());
        let mut config = shell_plugin(&script);
        let error = inline_credential(&mut config, "c", deadline)
            .await
            .unwrap_err();
        assert!(!still_runs(&pid_file), "the plugin's child still runs");
        error
    }

    #[tokio::test]
    async fn what_a_plugin_started_is_stopped_with_it_at_the_deadline() {
        // A wrapper whose tool (here `sleep`) runs in the background, holding the output open.
        let script = "sleep 60 & echo $! > {pid_file}; sleep 60";
        let stopped = failing_plugin_with_a_child(script, Duration::from_secs(1)).await;
        assert!(stopped.contains("did not answer within 1 s"), "{stopped}");
    }

    #[tokio::test]
    async fn what_a_failed_plugin_started_is_stopped_with_it() {
        let script = "sleep 60 > /dev/null & echo $! > {pid_file}; exit 3";
        let failed = failing_plugin_with_a_child(script, Duration::from_secs(10)).await;
        assert!(failed.contains("failed (exit status: 3)"), "{failed}");
    }

    #[tokio::test]
    async fn a_legacy_auth_provider_command_is_refused_not_run() {
        let marker = tempfile::tempdir().unwrap();
        let ran = marker.path().join("ran");
        let mut config = kubeconfig(&format!(
            "    auth-provider:\n      name: gcp\n      config:\n        cmd-path: touch\n        \
             cmd-args: {}\n",
            ran.display()
        ));
        let refused = inline_credential(&mut config, "c", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(refused.contains("`gcp` auth-provider"), "{refused}");
        assert!(!ran.exists(), "the command ran");
    }

    #[tokio::test]
    async fn a_plugin_printing_a_bare_token_is_an_error_that_does_not_quote_it() {
        let mut config = kubeconfig(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
             command: /bin/echo\n      args: ['eyJhbGciOiJIUzI1NiJ9.s3cret']\n      \
             interactiveMode: Never\n",
        );
        let refused = inline_credential(&mut config, "c", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(refused.contains("printed no ExecCredential"), "{refused}");
        assert!(!refused.contains("s3cret"), "{refused}");
    }

    #[tokio::test]
    async fn a_token_file_serves_before_the_plugin_as_in_kube_rs() {
        let marker = tempfile::tempdir().unwrap();
        let ran = marker.path().join("ran");
        let mut config = kubeconfig(&format!(
            "    tokenFile: /nonexistent\n    exec:\n      \
             apiVersion: client.authentication.k8s.io/v1\n      command: touch\n      \
             args: ['{}']\n      interactiveMode: Never\n",
            ran.display()
        ));
        inline_credential(&mut config, "c", Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!ran.exists(), "the plugin ran");
        assert!(
            config.auth_infos[0]
                .auth_info
                .as_ref()
                .unwrap()
                .exec
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_plugin_that_needs_a_terminal_is_not_run() {
        let mut config = kubeconfig(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
             command: /bin/false\n      interactiveMode: Always\n",
        );
        let refused = inline_credential(&mut config, "c", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(refused.contains("needs a terminal"), "{refused}");
    }

    #[tokio::test]
    async fn a_plugin_printing_a_certificate_becomes_client_certificate_data() {
        let mut config = kubeconfig(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
             command: /bin/echo\n      args: ['{\"status\": {\"clientCertificateData\": \"CERT\", \
             \"clientKeyData\": \"KEY\"}}']\n      interactiveMode: Never\n",
        );
        inline_credential(&mut config, "c", Duration::from_secs(5))
            .await
            .unwrap();
        let user = config.auth_infos[0].auth_info.as_ref().unwrap();
        assert!(user.exec.is_none());
        // The kubeconfig's `-data` fields hold base64 of the PEM the plugin printed.
        assert_eq!(user.client_certificate_data.as_deref(), Some("Q0VSVA=="));
    }
}
