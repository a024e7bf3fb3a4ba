//! The bundled handlebars templates, and `--templates DIR` overrides.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

/// (name, source). A file `NAME.hbs` in `--templates DIR` replaces the bundled `NAME`, or adds
/// a partial any template can include with `{{> NAME}}`.
const BUNDLED: &[(&str, &str)] = &[(
    reports::render::html::ENTRY,
    include_str!("../../templates/report.html.hbs"),
)];

pub fn bundled() -> BTreeMap<String, String> {
    BUNDLED
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect()
}

/// The bundled templates, with every `*.hbs` file of `dir` replacing or adding one.
pub fn load(dir: Option<&Path>) -> Result<BTreeMap<String, String>> {
    let mut templates = bundled();
    let Some(dir) = dir else {
        return Ok(templates);
    };
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read templates {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read templates {}", dir.display()))?
            .path();
        let Some(name) = path
            .file_name()
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
