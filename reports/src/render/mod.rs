//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod html;
pub mod json;
pub mod oscal;
pub mod text;
