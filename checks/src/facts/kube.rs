//! Kubernetes workloads, the same records whether read from manifests in the repository or
//! from a live API server ([`Cluster`]).

use serde::{Deserialize, Serialize};

use crate::model::Location;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    #[default]
    Manifest,
    Live,
}

/// A workload's pod template (or a bare Pod).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    pub origin: Origin,
    /// Live only: the kubeconfig context it was read from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub context: String,
    /// `metadata.namespace`, or `default` when a manifest does not set one.
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// The manifest file and line of the document's `kind:`, or `k8s://CONTEXT/NS/KIND/NAME`.
    pub location: Option<Location>,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    /// Names of `hostPath` volumes, with the host path.
    pub host_path_volumes: Vec<String>,
    /// Pod-level `securityContext.runAsNonRoot` / `runAsUser`.
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    /// Pod-level `securityContext.seccompProfile.type` (`RuntimeDefault`, `Localhost`,
    /// `Unconfined`); containers inherit it unless they set their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<String>,
    pub containers: Vec<Container>,
}

impl Workload {
    /// `NAMESPACE/Kind/name`: the subject of every workload finding.
    pub fn subject(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.kind, self.name)
    }

    /// Where a container is declared: its `image:` line in a manifest, else the workload.
    pub fn container_location(&self, c: &Container) -> Location {
        match &self.location {
            Some(Location::File { path, .. }) if c.line > 0 => {
                Location::file_at(path.clone(), c.line, c.column)
            }
            Some(l) => l.clone(),
            None => Location::k8s(&self.context, &self.subject()),
        }
    }

    pub fn location_or_uri(&self) -> Location {
        self.location
            .clone()
            .unwrap_or_else(|| Location::k8s(&self.context, &self.subject()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// An init container (judged like the others).
    pub init: bool,
    /// Manifest line of its `image:`; 0 when live or unknown.
    pub line: u32,
    /// Manifest column of its `image:` key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub privileged: Option<bool>,
    pub allow_privilege_escalation: Option<bool>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub read_only_root_filesystem: Option<bool>,
    pub capabilities_add: Vec<String>,
    /// `securityContext.capabilities.drop`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_drop: Vec<String>,
    /// Container-level `securityContext.seccompProfile.type`; overrides the pod's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<String>,
    /// `ports[].hostPort` values other than 0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_ports: Vec<i64>,
    pub env: Vec<EnvVar>,
}

/// An environment variable; literal values are never kept, only whether the name looks secret.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub source: EnvSource,
    pub line: u32,
    /// Manifest column of its `name:` key.
    #[serde(default)]
    pub column: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvSource {
    /// `value:` written in the manifest. `secret_like` when the name says it holds a secret
    /// (`…PASSWORD`, `…TOKEN`, `…SECRET`, `…API_KEY`…) and the value is not empty, or when the
    /// value holds a credential a secret detector recognises (a URL's password, a token).
    Literal {
        secret_like: bool,
        /// The value with the credential it holds redacted
        /// (`postgres://app:<redacted url-password, 16 chars>@db/app`), when a detector found
        /// one; any other value is never kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redacted: Option<String>,
    },
    /// `valueFrom.secretKeyRef`.
    SecretRef { secret: String, key: String },
    /// Anything else (`configMapKeyRef`, `fieldRef`, …).
    #[default]
    Other,
}

/// One live cluster (`[[target.kube]]`), read through the Kubernetes API.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cluster {
    /// The target's name in vouch.toml.
    pub target: String,
    /// The kubeconfig context used (`k8s://CONTEXT/...` in locations).
    pub context: String,
    /// The API server URL (no credentials).
    pub server: String,
    /// The server's `gitVersion` (`v1.20.2`).
    pub version: String,
    /// Namespaces read; empty means all namespaces.
    pub namespaces: Vec<String>,
    /// The cluster could not be read at all (unreachable, bad kubeconfig, 401): every
    /// Kubernetes check reports `error` for it.
    pub error: Option<String>,
    /// Lists that failed while others succeeded (forbidden namespace, missing API group).
    pub faults: Vec<Fault>,
    pub workloads: Vec<Workload>,
}

/// A list the collector could not read: what (kind, namespace) and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// `Deployment`, `CronJob`, …
    pub kind: String,
    /// Empty for a cluster-wide list.
    pub namespace: String,
    pub cause: String,
}

impl Cluster {
    /// `k8s://CONTEXT`: the subject and location of cluster-level errors.
    pub fn uri(&self) -> String {
        Location::k8s(&self.context, "").into_anchor()
    }
}

/// A kustomization (`kustomization.yaml`, `kustomization.yml`, `Kustomization`): which files and
/// directories it builds on, and what it changes in the objects it reaches. vouch does not
/// render overlays; a workload a kustomization changes is not judged as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Kustomization {
    /// The kustomization file.
    pub path: String,
    /// `resources` and `bases` entries, resolved against its directory (files or directories;
    /// remote ones are left out).
    pub resources: Vec<String>,
    /// `components` directories, resolved: their changes apply to this kustomization's objects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Each entry that may change what a workload check judges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<KustomizeChange>,
    /// The patch files its `patches`, `patchesStrategicMerge` and `patchesJson6902` name,
    /// resolved: partial objects, not workloads of their own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patch_files: Vec<String>,
}

/// One `patches`, `patchesStrategicMerge`, `patchesJson6902`, `replacements`, `transformers`
/// or `images` entry.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KustomizeChange {
    /// The kustomization field (`patches`, `images`…).
    pub field: String,
    /// The entry's line in the kustomization.
    pub line: u32,
    /// What it does, as written (`target: Deployment/api`, `name: api, newTag: latest`).
    pub detail: String,
    /// `images` only: the image name the entry re-points; such an entry changes images only.
    pub image: Option<String>,
    /// The one kind a patch targets, when its `target` names it; none means any kind.
    pub kind: Option<String>,
}

impl KustomizeChange {
    /// Whether it may change a workload of `kind` beyond its images.
    pub fn changes_spec_of(&self, kind: &str) -> bool {
        self.image.is_none() && self.kind.as_deref().is_none_or(|k| k == kind)
    }

    /// Whether it may change the image a container of a workload of `kind` runs, `name` being
    /// the image's name as written (without tag or digest).
    pub fn changes_image(&self, kind: &str, name: &str) -> bool {
        match &self.image {
            Some(image) => image == name,
            None => self.changes_spec_of(kind),
        }
    }
}

/// A Kubernetes-looking file holding template actions, set aside unread.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Template {
    pub path: String,
    /// The line of its first template action (`{{`).
    pub line: u32,
}
