//! Sources: all I/O. Each reads one kind of target into [`checks::Facts`] and judges nothing.

pub mod aws;
pub mod repo;
