//! Registry credentials from a docker `config.json` (`auths` entries: `auth` = base64 of
//! `user:password`, or `username`/`password`, or `identitytoken`). Credential helpers
//! (`credsStore`, `credHelpers`) are not run: vouch executes no programs named by a file.
//! Nothing read here is ever formatted into an error or the facts.

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oci_client::Reference;
use oci_client::secrets::RegistryAuth;

#[derive(Default)]
pub struct Credentials {
    by_registry: HashMap<String, RegistryAuth>,
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
    let mut by_registry = HashMap::new();
    let Some(auths) = value.get("auths").and_then(|a| a.as_object()) else {
        return Ok(Credentials { by_registry });
    };
    for (key, entry) in auths {
        let host = registry_host(key);
        let auth = entry_auth(entry).ok_or_else(|| {
            format!("auths entry for {host} has no usable `auth`, `username`/`password` or `identitytoken`")
        })?;
        by_registry.insert(host, auth);
    }
    Ok(Credentials { by_registry })
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
