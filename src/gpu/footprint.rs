//! Planning a layer before anything is allocated: whether it fits the adapter's limits
//! (`check_limits`), and what it takes of device memory ([`Footprint`]): weights, scratch that does not
//! depend on the tokens, scratch per token of a chunk, and each forward's own buffers per token.

use super::buffers::elem_size;
use super::context::Context;
use super::layer::{ExpertSchedule, MAX_EXPERTS, MAX_EXPERTS_EXPERT_CENTRIC};
use super::stages::{self, GemmKernel};
use crate::{Error, OmniMoeConfig, Result};

/// How a layer's weights are laid over bindings: experts per part of an expert table, and rows per block
/// of the dense weights (a weight that fits one binding is one part).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// Experts per part of U and V (1 ..= N).
    pub table: usize,
    /// Rows per block of the gate/up/router weight `[2I + 2R, H]` (even, so a SwiGLU pair stays in one).
    pub gate_up: usize,
    /// Rows per block of the down weight `[H, I]`.
    pub down: usize,
    /// Whether the one-pass expert stage (expert_token, both tables bound) fits the adapter's storage
    /// buffers per shader stage; else scores and combine run as two passes (the same bits).
    pub expert_token: bool,
}

/// Checks a layer of `c` in f16 or f32 storage with `schedule` against the adapter's limits: N against the
/// router and the schedule, the router's workgroup memory, each expert table against up to
/// [`stages::MAX_TABLE_PARTS`] bindings, a row (a pair of rows for gate/up) of each dense weight against
/// one binding, and the storage bindings per shader stage. Returns how the weights split over bindings.
pub(crate) fn check_limits(
    ctx: &Context,
    c: &OmniMoeConfig,
    f16: bool,
    schedule: ExpertSchedule,
) -> Result<Split> {
    if c.num_experts > MAX_EXPERTS {
        return Err(Error::Limit {
            what: "num_experts (the router's grid side ⌊√N⌋ is at most 2048)".into(),
            needed: c.num_experts as u64,
            allowed: MAX_EXPERTS as u64,
        });
    }
    if c.grid() > 1024 && stages::SORT_2048_BYTES > ctx.limits.max_compute_workgroup_storage_size {
        return Err(Error::Limit {
            what: format!(
                "workgroup memory for the router's sorts of R = {} (num_experts {})",
                c.grid(),
                c.num_experts
            ),
            needed: stages::SORT_2048_BYTES as u64,
            allowed: ctx.limits.max_compute_workgroup_storage_size as u64,
        });
    }
    if schedule == ExpertSchedule::ExpertCentric && c.num_experts > MAX_EXPERTS_EXPERT_CENTRIC {
        return Err(Error::Limit {
            what: "num_experts with the expert-centric schedule (its counting sort)".into(),
            needed: c.num_experts as u64,
            allowed: MAX_EXPERTS_EXPERT_CENTRIC as u64,
        });
    }
    let (h, i, n) = (c.hidden_size, c.intermediate_size, c.num_experts);
    let es = elem_size(f16);
    let storage = if f16 { "f16" } else { "f32" };
    let binding = ctx.binding_bytes();
    // Expert tables larger than a binding go into several, by expert range.
    let row = h as u64 * es;
    let per = (binding / row).min(u32::MAX as u64) as usize;
    let parts = if per == 0 {
        usize::MAX
    } else {
        n.div_ceil(per)
    };
    if parts > stages::MAX_TABLE_PARTS {
        return Err(Error::Limit {
            what: format!(
                "up_embed / down_embed ({storage} storage): bindings of {binding} bytes, at most {}",
                stages::MAX_TABLE_PARTS
            ),
            needed: n as u64 * row,
            allowed: binding * stages::MAX_TABLE_PARTS as u64,
        });
    }
    // expert_scores binds 5 buffers and U, expert_combine 3 and V (4 adding into the storage type),
    // expert_token 4 and both tables (5 adding into the storage type or the down projection's split-K
    // partial products).
    let extra = stages::table_extra_bindings(parts);
    let per_stage = ctx.limits.max_storage_buffers_per_shader_stage;
    if 6 + extra > per_stage {
        return Err(Error::Limit {
            what: format!(
                "storage buffers per shader stage (expert tables split over {parts} bindings)"
            ),
            needed: 6 + extra as u64,
            allowed: per_stage as u64,
        });
    }
    let expert_token = 7 + 2 * extra <= per_stage;
    // Dense weights larger than a binding run as one GEMM per block of rows.
    let rows_per = |what: &str, row: u64, least: u64| {
        let per = binding / row;
        if per < least {
            return Err(Error::Limit {
                what: format!(
                    "{what} ({storage} storage): {least} row(s) of {row} bytes in one binding"
                ),
                needed: least * row,
                allowed: binding,
            });
        }
        Ok(per.min(u32::MAX as u64) as usize)
    };
    let gate_up = rows_per("gate_proj + up_proj + router keys", h as u64 * es, 2)? / 2 * 2;
    let down = rows_per("down_proj", i as u64 * es, 1)?;
    Ok(Split {
        table: per.min(n),
        gate_up: gate_up.min(c.gate_up_columns()),
        down: down.min(h),
        expert_token,
    })
}

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
    let gate_up = c.gate_up_columns() as u64;
    let weights = (gate_up * h + h * i + 2 * n * h) * es + 2 * 2 * r * 4;
    // Split-K partial products: each GEMM's larger at the band ends up to 256 rows.
    let kernel = GemmKernel::simt(f16);
    // The two GEMMs have partial products of their own (the down projection runs beside the router,
    // so it must not write what the gate/up GEMM wrote).
    let most = |n: u64, k: u64| {
        [128u32, 256]
            .into_iter()
            .map(|m| {
                let shape = (m, n as u32, k as u32);
                stages::split_k_partial_len(kernel, shape, stages::split_k(kernel, shape)) * 4
            })
            .max()
            .unwrap_or(0)
    };
    // The down projection on the SIMT kernel may run stream-K (where the autotune times it faster): two
    // partial products of a chunk's rows.
    let chunk_shape = (chunk_tokens as u32, h as u32, i as u32);
    let stream_k = kernel
        .stream_k_candidates(chunk_shape, u32::MAX)
        .first()
        .map_or(0, |&sk| stages::split_k_partial_len(sk, chunk_shape, 2) * 4);
    let partial = most(gate_up, h) + most(h, i).max(stream_k);
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
