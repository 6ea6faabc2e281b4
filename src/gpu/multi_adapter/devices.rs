//! Contexts for a multi-adapter layer.

use super::super::context::{ranked_adapters, Context};
use crate::{Error, Result};

/// Contexts for `count` adapters: the best `count` that wgpu finds ([`crate::gpu::context::enumerate_adapters`]'s
/// order), and where it finds fewer, further devices of the best one — on a machine with one GPU, two
/// devices of it stand in for two adapters.
#[cfg(not(target_arch = "wasm32"))]
pub fn contexts(count: usize) -> Result<Vec<Context>> {
    let adapters = ranked_adapters();
    let indices: Vec<usize> = (0..count)
        .map(|i| if i < adapters.len() { i } else { 0 })
        .collect();
    contexts_on(&indices)
}

/// Contexts on the adapters at `indices` of [`crate::gpu::context::enumerate_adapters`]'s list (an index may
/// repeat: each is a device of its own).
#[cfg(not(target_arch = "wasm32"))]
pub fn contexts_on(indices: &[usize]) -> Result<Vec<Context>> {
    let adapters = ranked_adapters();
    if adapters.is_empty() {
        return Err(Error::NoAdapter(String::new()));
    }
    indices
        .iter()
        .map(|&i| {
            let adapter = adapters.get(i).ok_or_else(|| Error::Config {
                field: "adapters",
                reason: format!("no adapter {i}: wgpu finds {}", adapters.len()),
            })?;
            pollster::block_on(Context::from_adapter(adapter))
        })
        .collect()
}
