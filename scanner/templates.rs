//! Bundled handlebars templates, replaceable by file name with `--templates DIR`: one file for
//! an answer or the trust page ([`load`]), the report page and its partials for a pack
//! ([`load_report`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// (file name, bundled text). The template data of each is documented in docs/guide/questionnaires.md
/// and docs/guide/packs.md.
const BUNDLED: &[(&str, &str)] = &[
    (
        "report.html.hbs",
        include_str!("../templates/report.html.hbs"),
    ),
    (
        "answer-description.hbs",
        include_str!("../templates/answer-description.hbs"),
    ),
    (
        "answer-description-internal.hbs",
        include_str!("../templates/answer-description-internal.hbs"),
    ),
    (
        "trust.html.hbs",
        include_str!("../templates/trust.html.hbs"),
    ),
    ("trust.md.hbs", include_str!("../templates/trust.md.hbs")),
];

/// The template `name`: from `dir` when it holds a file of that name, else the bundled one.
pub fn load(name: &str, dir: Option<&Path>) -> Result<String> {
    if let Some(dir) = dir {
        if !dir.is_dir() {
            bail!("--templates {} is not a directory", dir.display());
        }
        let custom = dir.join(name);
        if custom.is_file() {
            return crate::bounded::read_text(&custom, crate::bounded::CONFIG_MAX)
                .with_context(|| format!("cannot read template {}", custom.display()));
        }
    }
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| (*text).to_owned())
        .with_context(|| format!("no bundled template named {name}"))
}

/// The report page's templates by name without `.hbs` (the entry
/// [`reports::render::html::ENTRY`] and any partial), as bundled.
pub fn bundled_report() -> BTreeMap<String, String> {
    let entry = reports::render::html::ENTRY;
    (BUNDLED.iter())
        .filter(|(name, _)| name.strip_suffix(".hbs") == Some(entry))
        .map(|(_, text)| (entry.to_owned(), (*text).to_owned()))
        .collect()
}

/// The report page's templates, with every `NAME.hbs` file of `dir` replacing the bundled
/// `NAME` or adding a partial any template can include with `{{> NAME}}`.
pub fn load_report(dir: Option<&Path>) -> Result<BTreeMap<String, String>> {
    let mut templates = bundled_report();
    let Some(dir) = dir else {
        return Ok(templates);
    };
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read templates {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read templates {}", dir.display()))?
            .path();
        let Some(name) = (path.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".hbs"))
        else {
            continue;
        };
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read template {}", path.display()))?;
        templates.insert(name.to_owned(), source);
    }
    Ok(templates)
}
