//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod json;
pub mod templates;
pub mod text;
