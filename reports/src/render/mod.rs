//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod json;
pub mod text;
pub mod html;
pub mod oscal;
