//! Handlebars rendering for the templated outputs. Templates are passed in as text, so this
//! crate stays pure: the binary embeds the bundled ones and lets `--templates DIR` replace any
//! of them by file name.

use handlebars::{Handlebars, no_escape};
use serde::Serialize;

/// How `{{value}}`s are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// HTML escaping, for `.html` templates.
    Html,
    /// Markdown: no raw HTML, links, images or mentions from the data
    /// ([`super::markdown::escape_inline`]).
    Markdown,
    /// None, for plain text.
    None,
}

/// Renders `template` (named `name` in error messages) with `data`. `escape_html` selects HTML
/// escaping (for `.html` templates) or none (plain text); Markdown uses [`render_escaped`].
pub fn render<T: Serialize>(
    name: &str,
    template: &str,
    data: &T,
    escape_html: bool,
) -> Result<String, String> {
    let escape = if escape_html {
        Escape::Html
    } else {
        Escape::None
    };
    render_escaped(name, template, data, escape)
}

/// Renders `template` with `data`, escaping every `{{value}}` as `escape` says.
pub fn render_escaped<T: Serialize>(
    name: &str,
    template: &str,
    data: &T,
    escape: Escape,
) -> Result<String, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    match escape {
        Escape::Html => {}
        Escape::Markdown => hb.register_escape_fn(super::markdown::escape_inline),
        Escape::None => hb.register_escape_fn(no_escape),
    }
    hb.register_helper("eq", Box::new(eq_helper));
    hb.register_template_string(name, template)
        .map_err(|e| format!("template {name} is invalid: {e}"))?;
    hb.render(name, data)
        .map_err(|e| format!("template {name} failed: {e}"))
}

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);
