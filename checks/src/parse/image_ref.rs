//! Container image references as a type: `[registry[:port]/]path[:tag][@sha256:hex]`, after
//! the grammar of the distribution project's `reference` package
//! (<https://github.com/distribution/reference/blob/main/reference.go>).
//!
//! - The first path component is a registry only when it holds a `.` or a `:`, is
//!   `localhost`, or has an uppercase letter (distribution's `splitDomain`); `localhost:5000/app`
//!   is registry `localhost:5000`, repository `app`, no tag.
//! - Path components are `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`; the whole name is
//!   at most 255 characters. Tags are `[\w][\w.-]{0,127}`.
//! - A digest counts only as `sha256:` followed by 64 lowercase hex digits, the one form
//!   registries serve and `docker pull` accepts for sha256 (go-digest rejects uppercase or
//!   short hex). Any other algorithm or encoding is [`ImageRefError::InvalidDigest`].
//! - A reference still holding a template (`$VAR`, `${VAR}`, `${{ matrix.image }}`, `{{ .Values }}`,
//!   a backtick) is [`ImageRefError::Unresolved`]: which image it names cannot be known, so it is
//!   never pinned.
//!
//! No crate is used. `oci-spec`'s `distribution::Reference` (pure, already in the tree) was
//! considered: it normalises while parsing (every reference gets `docker.io`, `library/` and
//! the tag `latest`), so a check can no longer quote what was written or tell `nginx` from
//! `docker.io/library/nginx:latest`, and it accepts any `algo:hex` digest of 32+ hex digits in
//! either case, which would have to be re-checked here anyway. `oci-client::Reference` pulls a
//! network client; the small `docker-image`/`use-docker-image` crates are young single-author
//! crates (the latter documents itself as a subset). The grammar is a few dozen lines.

use std::fmt;

/// The longest name (registry and repository) distribution accepts.
const NAME_MAX: usize = 255;
/// The longest tag.
const TAG_MAX: usize = 128;

/// A parsed image reference, as written: no registry or tag is filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `ghcr.io`, `localhost:5000`; `None` when the reference names none (Docker Hub).
    pub registry: Option<String>,
    /// `library/nginx`, `distroless/static`, `nginx`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

/// A `sha256:` digest of 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// `sha256:<64 lowercase hex>`, or why not.
    pub fn parse(s: &str) -> Result<Self, ImageRefError> {
        let invalid = |why: &str| ImageRefError::InvalidDigest(format!("`{s}`: {why}"));
        let Some((algorithm, hex)) = s.split_once(':') else {
            return Err(invalid("no `algorithm:` prefix"));
        };
        if algorithm != "sha256" {
            return Err(invalid("only sha256 digests are accepted"));
        }
        if hex.len() != 64 {
            return Err(invalid("a sha256 digest has 64 hex digits"));
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid("a sha256 digest is lowercase hex"));
        }
        Ok(Self {
            hex: hex.to_owned(),
        })
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

/// Why a string is not an [`ImageRef`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRefError {
    Empty,
    /// The reference holds a variable or expression: which image it names is unknown.
    Unresolved(String),
    InvalidName(String),
    InvalidTag(String),
    InvalidDigest(String),
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty image reference"),
            Self::Unresolved(r) => write!(f, "`{r}` holds a variable: the image is unknown"),
            Self::InvalidName(why) => write!(f, "invalid image name {why}"),
            Self::InvalidTag(why) => write!(f, "invalid image tag {why}"),
            Self::InvalidDigest(why) => write!(f, "invalid image digest {why}"),
        }
    }
}

impl std::error::Error for ImageRefError {}

/// The lexical split of a reference into name, tag and digest, without validating any of
/// them: the digest follows the first `@`, the tag the last `:` after the last `/` of what
/// precedes it (so a registry port is never a tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> Parts<'a> {
    pub fn split(reference: &'a str) -> Self {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(colon) => Self {
                name: &rest[..last_slash + colon],
                tag: Some(&rest[last_slash + colon + 1..]),
                digest,
            },
            None => Self {
                name: rest,
                tag: None,
                digest,
            },
        }
    }
}

/// Whether a string still holds a template: a shell or Dockerfile variable, a GitHub Actions
/// expression, a Go/Helm template or a command substitution.
pub fn is_template(s: &str) -> bool {
    s.contains('$') || s.contains("{{") || s.contains('`')
}

/// `scratch`, Docker's empty image (matched without regard to case, as before).
pub fn is_scratch(reference: &str) -> bool {
    reference.eq_ignore_ascii_case("scratch")
}

impl ImageRef {
    /// Parses a whole reference. A template anywhere in it is [`ImageRefError::Unresolved`].
    pub fn parse(reference: &str) -> Result<Self, ImageRefError> {
        let s = reference.trim();
        if s.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if is_template(s) {
            return Err(ImageRefError::Unresolved(s.to_owned()));
        }
        let parts = Parts::split(s);
        let mut r = Self::parse_name(parts.name)?;
        if let Some(tag) = parts.tag {
            if !is_tag(tag) {
                return Err(ImageRefError::InvalidTag(format!("`{tag}` in `{s}`")));
            }
            r.tag = Some(tag.to_owned());
        }
        if let Some(d) = parts.digest {
            r.digest = Some(Digest::parse(d)?);
        }
        Ok(r)
    }

    /// Parses the name of a reference alone (`registry/repository`), ignoring its tag and
    /// digest: a reference whose tag is a template (`gcr.io/distroless/static:${TAG}`) still
    /// names a known repository.
    pub fn parse_name_of(reference: &str) -> Result<Self, ImageRefError> {
        let name = Parts::split(reference.trim()).name;
        if name.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if is_template(name) {
            return Err(ImageRefError::Unresolved(name.to_owned()));
        }
        Self::parse_name(name)
    }

    fn parse_name(name: &str) -> Result<Self, ImageRefError> {
        let invalid = |why: &str| ImageRefError::InvalidName(format!("`{name}`: {why}"));
        if name.is_empty() {
            return Err(invalid("no repository"));
        }
        if name.len() > NAME_MAX {
            return Err(invalid("longer than 255 characters"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                if !is_registry(first) {
                    return Err(invalid("the registry is not a host[:port]"));
                }
                (Some(first.to_owned()), rest)
            }
            _ => (None, name),
        };
        if !repository.split('/').all(is_path_component) {
            return Err(invalid(
                "path components are lowercase letters and digits joined by `.`, `_`, `__` or `-`",
            ));
        }
        Ok(Self {
            registry,
            repository: repository.to_owned(),
            tag: None,
            digest: None,
        })
    }

    /// Whether a `@sha256:` digest names the exact image bytes.
    pub fn is_digest_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// `registry/repository` as written, without tag or digest.
    pub fn name_without_tag(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// The reference without its digest: `node:20@sha256:…` → `node:20`.
    pub fn without_digest(&self) -> String {
        match &self.tag {
            Some(tag) => format!("{}:{tag}", self.name_without_tag()),
            None => self.name_without_tag(),
        }
    }

    /// The name as Docker shows it for Docker Hub images: without `docker.io/`,
    /// `index.docker.io/` or `library/` (`docker.io/library/nginx` → `nginx`); other
    /// registries' names unchanged.
    pub fn familiar_name(&self) -> String {
        match self.registry.as_deref() {
            None | Some("docker.io" | "index.docker.io") => self
                .repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_owned(),
            Some(_) => self.name_without_tag(),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.without_digest())?;
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = ImageRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    tag.len() <= TAG_MAX
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn is_path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    if !bytes.first().is_some_and(|&b| alnum(b)) || !bytes.last().is_some_and(|&b| alnum(b)) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

/// `host[:port]`: dot-separated labels of letters, digits and inner hyphens, or a bracketed
/// IPv6 address; the port is digits.
fn is_registry(registry: &str) -> bool {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match registry.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (registry, None),
        }
    };
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let host_ok = (host.is_empty() && registry.starts_with('[')) || host.split('.').all(label);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn docker_hub_short_names() {
        let r = ImageRef::parse("nginx").unwrap();
        assert_eq!(r.registry, None);
        assert_eq!(r.repository, "nginx");
        assert_eq!(r.tag, None);
        assert!(!r.is_digest_pinned());
        let r = ImageRef::parse("library/node:20-alpine").unwrap();
        assert_eq!(
            (r.registry.as_deref(), r.repository.as_str()),
            (None, "library/node")
        );
        assert_eq!(r.tag.as_deref(), Some("20-alpine"));
        assert_eq!(r.familiar_name(), "node");
        let r = ImageRef::parse("docker.io/library/nginx:1.27").unwrap();
        assert_eq!(r.registry.as_deref(), Some("docker.io"));
        assert_eq!(r.familiar_name(), "nginx");
        assert_eq!(r.name_without_tag(), "docker.io/library/nginx");
        // A first component without `.` or `:` is a path, not a registry.
        let r = ImageRef::parse("acme/api:dev").unwrap();
        assert_eq!((r.registry, r.repository.as_str()), (None, "acme/api"));
    }

    #[test]
    fn registry_with_port_is_not_a_tag() {
        // Read by a naive `split_once(':')` as name `localhost`, tag `5000/app`.
        let r = ImageRef::parse("localhost:5000/app").unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag, None);
        let r = ImageRef::parse("registry.example.com:443/team/app:1.2").unwrap();
        assert_eq!(r.registry.as_deref(), Some("registry.example.com:443"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.to_string(), "registry.example.com:443/team/app:1.2");
        let r = ImageRef::parse("localhost/app").unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost"));
        let r = ImageRef::parse("[::1]:5000/app:1").unwrap();
        assert_eq!(r.registry.as_deref(), Some("[::1]:5000"));
        assert!(ImageRef::parse("host:port/app").is_err());
    }

    #[test]
    fn tag_and_digest_together() {
        let text = format!("gcr.io/distroless/static:nonroot@{}", sha('a'));
        let r = ImageRef::parse(&text).unwrap();
        assert_eq!(r.registry.as_deref(), Some("gcr.io"));
        assert_eq!(r.repository, "distroless/static");
        assert_eq!(r.tag.as_deref(), Some("nonroot"));
        assert_eq!(
            r.digest.as_ref().map(Digest::hex),
            Some("a".repeat(64).as_str())
        );
        assert!(r.is_digest_pinned());
        assert_eq!(r.without_digest(), "gcr.io/distroless/static:nonroot");
        assert_eq!(r.to_string(), text);
    }

    #[test]
    fn digest_only() {
        let text = format!("localhost:5000/app@{}", sha('0'));
        let r = ImageRef::parse(&text).unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag, None);
        assert!(r.is_digest_pinned());
        assert_eq!(r.to_string(), text);
    }

    #[test]
    fn invalid_digests_are_errors_never_pins() {
        for bad in [
            "node:20@sha256:abc".to_owned(),
            // Uppercase hex: go-digest rejects it, so `docker pull` does.
            format!("node:20@sha256:{}", "A".repeat(64)),
            format!("node:20@sha256:{}", "a".repeat(65)),
            format!("node:20@sha512:{}", "a".repeat(128)),
            format!("node:20@{}", "a".repeat(64)),
            format!("node:20@sha256:{}", "g".repeat(64)),
        ] {
            assert!(
                matches!(ImageRef::parse(&bad), Err(ImageRefError::InvalidDigest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn template_variables_are_unresolved() {
        for t in [
            "$IMAGE",
            "${REGISTRY}/app:1",
            "node:${NODE_VERSION}",
            "${{ matrix.image }}",
            &format!("${{IMAGE}}@{}", sha('b')),
            "{{ .Values.image }}",
            "`cat image`",
        ] {
            assert!(
                matches!(ImageRef::parse(t), Err(ImageRefError::Unresolved(_))),
                "{t}"
            );
        }
        // The name alone is known when only the tag is a template.
        let r = ImageRef::parse_name_of("gcr.io/distroless/static:latest-${GOARCH}").unwrap();
        assert_eq!(r.name_without_tag(), "gcr.io/distroless/static");
        assert!(matches!(
            ImageRef::parse_name_of("${REGISTRY}/distroless/static:x"),
            Err(ImageRefError::Unresolved(_))
        ));
    }

    #[test]
    fn scratch() {
        assert!(is_scratch("scratch"));
        assert!(is_scratch("SCRATCH"));
        assert!(!is_scratch("scratch:1"));
        // `scratch` is also a well-formed name; it is never pinned.
        let r = ImageRef::parse("scratch").unwrap();
        assert_eq!(r.repository, "scratch");
        assert!(!r.is_digest_pinned());
    }

    #[test]
    fn invalid_names_and_tags() {
        assert_eq!(ImageRef::parse("  "), Err(ImageRefError::Empty));
        for bad in ["Nginx", "acme/API", "a//b", "-a", "a-", "a...b", "a/b:"] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            ImageRef::parse("node:-1"),
            Err(ImageRefError::InvalidTag(_))
        ));
        assert!(ImageRef::parse(&format!("node:{}", "a".repeat(129))).is_err());
        assert!(ImageRef::parse(&format!("node:{}", "a".repeat(128))).is_ok());
        assert!(ImageRef::parse("a__b/c--d/e.f_g:v1.0_rc-1").is_ok());
        assert!(ImageRef::parse("a___b").is_err());
    }
}
