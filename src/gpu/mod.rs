//! The GPU path: context → pipelines → buffers → layer → forward.

pub mod context;
pub mod pipelines;

pub use context::{AdapterReport, Capabilities, Context};
