//! What a layer takes of device memory, computed before anything is allocated: weights, scratch that does
//! not depend on the tokens, scratch per token of a chunk, and each forward's own buffers per token.

use super::buffers::elem_size;
use super::stages::{self, GemmKernel};
use crate::OmniMoeConfig;

/// A layer's device memory by part, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Dense weights, router keys and statistics, expert tables U and V.
    pub weights: u64,
    /// Scratch of a fixed size: expert counts and offsets, scan sums, split-K partial products.
    pub scratch_fixed: u64,
    /// Scratch per token of a chunk: router logits, SwiGLU activations, expert branch, sort keys.
    pub scratch_per_token: u64,
    /// Tokens per chunk the layer plans with.
    pub chunk_tokens: usize,
    /// A forward's own buffers per token: input, output, router scores and indices.
    pub io_per_token: u64,
}

impl Footprint {
    /// Weights plus scratch for a whole chunk: the most the layer itself holds (its scratch grows with the
    /// largest forward so far, up to a chunk).
    pub fn layer_bytes(&self) -> u64 {
        self.weights + self.scratch_fixed + self.scratch_per_token * self.chunk_tokens as u64
    }

    /// A forward of `tokens` tokens: weights, scratch for min(tokens, chunk), and its own buffers.
    pub fn forward_bytes(&self, tokens: usize) -> u64 {
        let chunk = tokens.min(self.chunk_tokens) as u64;
        self.weights
            + self.scratch_fixed
            + self.scratch_per_token * chunk
            + self.io_per_token * tokens as u64
    }
}

impl std::fmt::Display for Footprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        write!(
            f,
            "weights {:.1} MiB, scratch {:.1} MiB + {} B per token up to a chunk of {} tokens, a \
             forward's buffers {} B per token",
            mib(self.weights),
            mib(self.scratch_fixed),
            self.scratch_per_token,
            self.chunk_tokens,
            self.io_per_token
        )
    }
}

/// The footprint of a layer of `c` in f16 or f32 storage with chunks of `chunk_tokens` tokens.
pub fn footprint(c: &OmniMoeConfig, f16: bool, chunk_tokens: usize) -> Footprint {
    let es = elem_size(f16);
    let (h, i, n, k, r) = (
        c.hidden_size as u64,
        c.intermediate_size as u64,
        c.num_experts as u64,
        c.num_experts_per_token as u64,
        c.grid() as u64,
    );
    let weights = ((2 * i + 2 * r) * h + h * i + 2 * n * h) * es + 2 * 2 * r * 4;
    // Split-K partial products: the larger of the two GEMMs at the band ends up to 256 rows.
    let kernel = GemmKernel::Simt {
        f16,
        k_step: 8,
        double_buffer: false,
    };
    let partial = [128u32, 256]
        .into_iter()
        .flat_map(|m| {
            [
                (m, (2 * i + 2 * r) as u32, h as u32),
                (m, h as u32, i as u32),
            ]
        })
        .map(|shape| stages::split_k_partial_len(kernel, shape, stages::split_k(kernel, shape)) * 4)
        .max()
        .unwrap_or(0);
    let scratch_fixed = (2 * n + 1) * 4 + 2 * 1024 * 4 + partial;
    // z and log-probabilities, h per pair, sparse, SwiGLU activations, the sort's keys and values, router
    // outputs kept in the scratch.
    let scratch_per_token = 2 * 2 * r * 4 + k * 4 + h * 4 + i * es + 4 * k * 4 + 2 * k * 4 + 2 * k;
    let io_per_token = h * es + h * 4 + 2 * k * 4;
    Footprint {
        weights,
        scratch_fixed,
        scratch_per_token,
        chunk_tokens,
        io_per_token,
    }
}
