//! Bundled handlebars templates, replaceable by file name with `--templates DIR`.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// (file name, bundled text). The template data of each is documented in docs/guide/questionnaires.md.
const BUNDLED: &[(&str, &str)] = &[
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
