//! Sources: all I/O. Each reads one kind of target into [`checks::Facts`] and judges nothing.

pub mod endpoint;
pub mod repo;
