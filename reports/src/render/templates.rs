//! Handlebars rendering for the templated outputs. Templates are passed in as text, so this
//! crate stays pure: the binary embeds the bundled ones and lets `--templates DIR` replace any
//! of them by file name.

use handlebars::{Handlebars, no_escape};
use serde::Serialize;

/// Renders `template` (named `name` in error messages) with `data`. `escape_html` selects HTML
/// escaping (for `.html` templates) or none (Markdown and plain text).
pub fn render<T: Serialize>(
    name: &str,
    template: &str,
    data: &T,
    escape_html: bool,
) -> Result<String, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    if !escape_html {
        hb.register_escape_fn(no_escape);
    }
    hb.register_helper("eq", Box::new(eq_helper));
    hb.register_template_string(name, template)
        .map_err(|e| format!("template {name} is invalid: {e}"))?;
    hb.render(name, data)
        .map_err(|e| format!("template {name} failed: {e}"))
}

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);
