//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod oscal;
pub mod sarif;
pub mod templates;
pub mod text;

#[cfg(test)]
pub(crate) mod sample;
