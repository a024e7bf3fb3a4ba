//! Docker Compose files: the services that build an image from a Dockerfile in the repository
//! (`build: ./api`, `build: {context: ., dockerfile: deploy/Dockerfile}`), for telling which
//! Dockerfiles ship. A `build:` whose context or file holds a variable, names a remote context
//! (a URL) or an inline Dockerfile names no file here and is kept without one.

use serde_norway::Value;

use super::LineIndex;
use super::positions::{At, Pos, Positions, Walk};
use crate::facts::repo::{ComposeFile, ComposeService};
use crate::redact::ParseError;

/// Compose's file names: `compose.yaml`, `docker-compose.yml`, and their variants
/// (`compose.prod.yaml`, `docker-compose-dev.yml`, `docker-compose.override.yml`).
pub fn is_compose_file(lower_name: &str) -> bool {
    let yaml = lower_name.ends_with(".yml") || lower_name.ends_with(".yaml");
    yaml && (lower_name.starts_with("compose.")
        || lower_name.starts_with("docker-compose.")
        || lower_name.starts_with("docker-compose-")
        || lower_name.starts_with("compose-"))
}

pub fn parse(path: &str, text: &str) -> Result<ComposeFile, String> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| ParseError::yaml(&e).to_string())?;
    let mut file = ComposeFile {
        path: path.to_owned(),
        services: Vec::new(),
    };
    let Some(Value::Mapping(services)) = doc.get("services") else {
        return Ok(file);
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut lines = LineIndex::new(text);
    let positions = Positions::parse(text);
    let services_at = positions.as_ref().and_then(|p| p.doc(0)).get("services");
    for (i, (name, service)) in services.iter().enumerate() {
        let (Some(name), Some(build)) = (name.as_str(), service.get("build")) else {
            continue;
        };
        let (context, dockerfile, written) = match build {
            Value::String(context) => (Some(context.as_str()), Some("Dockerfile"), context.clone()),
            Value::Mapping(m) => {
                let get = |k: &str| m.get(k).and_then(Value::as_str);
                let inline = m.get("dockerfile_inline").is_some();
                let written = serde_norway::to_string(build)
                    .unwrap_or_default()
                    .trim()
                    .replace('\n', ", ");
                let file = if inline {
                    None
                } else {
                    Some(get("dockerfile").unwrap_or("Dockerfile"))
                };
                (Some(get("context").unwrap_or(".")), file, written)
            }
            _ => (None, None, String::new()),
        };
        let dockerfile = match (context, dockerfile) {
            (Some(c), Some(f)) => resolve(dir, c, f),
            _ => None,
        };
        // The service's key; the text search only when the positional parser failed.
        let fallback = lines.next(name, "");
        let pos = services_at.entry(i).map(At::pos);
        file.services.push(ComposeService {
            name: name.to_owned(),
            line: pos.map_or(fallback, |p| p.line),
            column: pos.and_then(Pos::column),
            dockerfile,
            build: written,
        });
    }
    Ok(file)
}

/// `<compose dir>/<context>/<dockerfile>`, normalised; `None` for variables, URLs, absolute
/// paths or paths leaving the repository.
fn resolve(dir: &str, context: &str, dockerfile: &str) -> Option<String> {
    if [context, dockerfile]
        .iter()
        .any(|p| p.contains('$') || p.contains("://"))
    {
        return None;
    }
    if context.starts_with("git@") || context.contains(".git#") {
        return None;
    }
    let base = super::join_relative(dir, context)?;
    super::join_relative(&base, dockerfile)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A malformed line's value is never quoted in the error (it may be a password).
    #[test]
    fn errors_quote_no_input() {
        let yaml = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: \"Wr0ngHorse_9\n    image: [postgres\n";
        let err = parse("compose.yaml", yaml).unwrap_err();
        assert!(
            err.starts_with("invalid YAML") && !err.contains("Wr0ngHorse"),
            "{err}"
        );
    }

    #[test]
    fn services_that_build_name_their_dockerfile() {
        let yaml = "services:\n  api:\n    build: ./api\n  web:\n    build:\n      context: web\n      dockerfile: ../web.Dockerfile\n  db:\n    image: postgres:16\n  env:\n    build:\n      context: .\n      dockerfile: ${DOCKERFILE}\n  remote:\n    build: https://github.com/a/b.git\n";
        let f = parse("deploy/compose.yaml", yaml).unwrap();
        let got: Vec<(&str, Option<&str>)> = f
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.dockerfile.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("api", Some("deploy/api/Dockerfile")),
                ("web", Some("deploy/web.Dockerfile")),
                ("env", None),
                ("remote", None),
            ]
        );
        assert_eq!((f.services[0].line, f.services[0].column), (2, Some(3)));
        let flow = parse(
            "compose.yaml",
            "services: {db: {image: x},\n  api: {build: ./api}}\n",
        )
        .unwrap();
        assert_eq!(
            (flow.services[0].line, flow.services[0].column),
            (2, Some(3))
        );
        assert!(is_compose_file("docker-compose.prod.yml"));
        assert!(is_compose_file("compose.yaml"));
        assert!(!is_compose_file("composer.json"));
        assert!(!is_compose_file("compose.json"));
    }
}
