//! Registry credentials from a docker `config.json` (`auths` entries: `auth` = base64 of
//! `user:password`, or `username`/`password`, or `identitytoken`). Credential helpers
//! (`credsStore`, `credHelpers`) are not run: vouch executes no programs named by a file. Their
//! names are kept so that a refused request can say where the missing credentials live.
//! Nothing secret read here is ever formatted into an error or the facts.

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oci_client::Reference;
use oci_client::secrets::RegistryAuth;

#[derive(Default)]
pub struct Credentials {
    by_registry: HashMap<String, RegistryAuth>,
    /// `credHelpers`: registry host → helper name (`docker-credential-<name>`).
    helpers: HashMap<String, String>,
    /// `credsStore`: the helper for every other registry.
    store: Option<String>,
}

impl Credentials {
    /// The credentials for the reference's registry, else anonymous.
    pub fn for_registry(&self, reference: &Reference) -> RegistryAuth {
        [reference.registry(), reference.resolve_registry()]
            .iter()
            .find_map(|host| self.by_registry.get(*host))
            .cloned()
            .unwrap_or(RegistryAuth::Anonymous)
    }

    /// The credential helper holding this registry's credentials when `auths` has none:
    /// vouch went anonymous, and a refusal should say so.
    pub fn unrun_helper(&self, reference: &Reference) -> Option<&str> {
        let hosts = [reference.registry(), reference.resolve_registry()];
        if hosts.iter().any(|h| self.by_registry.contains_key(*h)) {
            return None;
        }
        hosts
            .iter()
            .find_map(|h| self.helpers.get(*h))
            .or(self.store.as_ref())
            .map(String::as_str)
    }
}

/// Reads the configured file (which must exist), else the default one if present.
pub fn load(configured: Option<&str>) -> Result<Credentials, String> {
    let (path, required) = match configured {
        Some(p) => (PathBuf::from(p), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Credentials::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Credentials::default());
        }
        Err(e) => {
            return Err(format!(
                "docker config {}: cannot read: {e}",
                path.display()
            ));
        }
    };
    parse(&text).map_err(|cause| format!("docker config {}: {cause}", path.display()))
}

fn default_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// Parsed through `serde_json::Value` so that no typed-deserialization error can quote a value.
fn parse(text: &str) -> Result<Credentials, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))?;
    let mut credentials = Credentials {
        store: value["credsStore"].as_str().map(str::to_owned),
        ..Credentials::default()
    };
    for (key, helper) in value["credHelpers"].as_object().into_iter().flatten() {
        if let Some(helper) = helper.as_str() {
            credentials
                .helpers
                .insert(registry_host(key), helper.to_owned());
        }
    }
    for (key, entry) in value["auths"].as_object().into_iter().flatten() {
        let host = registry_host(key);
        // Docker Desktop leaves empty `auths` entries for registries whose credentials are
        // in the store: those are not an error, they mean "ask the helper".
        if entry.as_object().is_some_and(serde_json::Map::is_empty) && credentials.store.is_some() {
            continue;
        }
        let auth = entry_auth(entry).ok_or_else(|| {
            format!("auths entry for {host} has no usable `auth`, `username`/`password` or `identitytoken`")
        })?;
        credentials.by_registry.insert(host, auth);
    }
    Ok(credentials)
}

fn entry_auth(entry: &serde_json::Value) -> Option<RegistryAuth> {
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    if let Some(encoded) = field("auth") {
        let decoded = STANDARD.decode(encoded.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return Some(RegistryAuth::Basic(user.to_owned(), password.to_owned()));
    }
    if let (Some(user), Some(password)) = (field("username"), field("password")) {
        return Some(RegistryAuth::Basic(user.to_owned(), password.to_owned()));
    }
    field("identitytoken").map(|token| RegistryAuth::Bearer(token.to_owned()))
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `127.0.0.1:5001` stays.
fn registry_host(key: &str) -> String {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_entries_become_basic_credentials_by_host() {
        let encoded = STANDARD.encode("ci:s3cret");
        let text = format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{encoded}"}},
                "127.0.0.1:5001": {{"username": "u", "password": "p"}}}}}}"#
        );
        let credentials = parse(&text).unwrap();
        let hub: Reference = "nginx:1".parse().unwrap();
        assert_eq!(
            credentials.for_registry(&hub),
            RegistryAuth::Basic("ci".to_owned(), "s3cret".to_owned())
        );
        let local: Reference = "127.0.0.1:5001/a/b:1".parse().unwrap();
        assert!(matches!(
            credentials.for_registry(&local),
            RegistryAuth::Basic(..)
        ));
        let other: Reference = "ghcr.io/a/b:1".parse().unwrap();
        assert_eq!(credentials.for_registry(&other), RegistryAuth::Anonymous);
    }

    #[test]
    fn registries_left_to_a_credential_helper_are_named_not_run() {
        let text = r#"{"auths": {"127.0.0.1:5001": {"username": "u", "password": "p"},
                                 "https://index.docker.io/v1/": {}},
                       "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}"#;
        let credentials = parse(text).unwrap();
        let helper = |r: &str| {
            let reference: Reference = r.parse().unwrap();
            credentials.unrun_helper(&reference).map(str::to_owned)
        };
        assert_eq!(helper("gcr.io/p/app:1").as_deref(), Some("gcloud"));
        assert_eq!(helper("nginx:1").as_deref(), Some("desktop"));
        assert_eq!(helper("127.0.0.1:5001/a/b:1"), None);
        let hub: Reference = "nginx:1".parse().unwrap();
        assert_eq!(credentials.for_registry(&hub), RegistryAuth::Anonymous);
    }

    #[test]
    fn a_malformed_entry_is_an_error_that_quotes_no_value() {
        let err = parse(r#"{"auths": {"r.example": {"auth": "bm90LWEtcGFpcg=="}}}"#)
            .err()
            .unwrap();
        assert!(err.contains("r.example"), "{err}");
        assert!(!err.contains("bm90"), "{err}");
        let err = parse(r#"{"auths": {"r": {"auth": "x" "#).err().unwrap();
        assert!(err.starts_with("not valid JSON"), "{err}");
    }
}
