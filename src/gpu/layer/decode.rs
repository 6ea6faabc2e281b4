//! The decode chain: one token through a stack of layers in two dependent passes a layer instead of three.
//!
//! A layer's one-token forward is gate/up GEMV (with the router logits) → router ∥ down projection →
//! expert stage, which adds its branch to the down projection. The expert stage needs the router's choice
//! and x, not the down projection: run with the router in one workgroup (`router_experts.wgsl`) it goes
//! beside the down projection, and the layer's output is left in two f32 parts, the down projection and
//! the branch, which the next layer's gate/up GEMV adds as it reads them (`gemv.wgsl`'s ASUM, storing the
//! sum in the storage type as the next layer's x): gate/up ← parts → router and experts ∥ down. The same
//! expressions in the same order as the three-pass chain, so the same bits. A layer whose output must be
//! whole (the stack's last, or one before a layer that does not chain) adds its two parts in a third,
//! tiny pass (`gemm_reduce` of one range with the down GEMM's ADD epilogue: the expression the expert
//! stage's ADD and ADD_ELEM store), or runs the three-pass tail ([`DecodeTail`]).
//! [`crate::gpu::PreparedForward`] records it.

use super::fused::Chunk;
use super::*;

/// Whether a decode-chain layer whose output must be whole adds its two parts in a pass of their own
/// ([`DecodeTail::Sum`]) by default: yes, unless `OMNIMOE_NO_CHAIN_SUM` is set (a measuring aid, read
/// once: it then runs the three-pass tail).
pub(super) fn chain_sum_default() -> bool {
    !crate::gpu::measuring::env_set("OMNIMOE_NO_CHAIN_SUM")
}

/// A decode-chain layer's input.
#[derive(Clone, Copy)]
pub(crate) enum DecodeInput<'a> {
    /// x `[1, H]` in the storage type.
    Buffer(&'a wgpu::Buffer),
    /// The previous layer's output left in two parts: that layer's scratch (its down projection and its
    /// expert branch, f32).
    Parts(&'a Scratch),
}

/// How a decode-chain layer leaves its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeTail {
    /// In two parts in its scratch, for the next layer ([`DecodeInput::Parts`]).
    Parts,
    /// Whole: router and experts ∥ down projection, then the two parts added in a pass of their own.
    Sum,
    /// Whole, by the three-pass tail (router ∥ down projection → expert stage adding its branch).
    ThreePass,
}

impl OmniMoeLayer<'_> {
    /// With `on` (the default), a decode-chain layer whose output must be whole (the stack's last, a lone
    /// layer) runs its router and expert stage as one pass beside the down projection and adds the two
    /// parts in a tiny pass of their own ([`DecodeTail::Sum`]); without, it runs the three-pass tail. The
    /// same bits either way: a measuring aid, read when a forward is recorded (a prepared forward records
    /// once per token count).
    #[doc(hidden)]
    pub fn set_chain_sum(&self, on: bool) {
        self.chain_sum
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether chains end by the sum pass ([`Self::set_chain_sum`]).
    pub(crate) fn chain_sum(&self) -> bool {
        self.chain_sum.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a one-token forward of this layer can run the decode chain: the one-pass expert stage with
    /// both tables in one binding each, the router by rank (the tree reductions `router_topk` uses at one
    /// token), both GEMMs on the GEMV from weights in one binding, H within [`stages::GEMV_PARTS_MAX_K`],
    /// and the storage buffers `router_experts.wgsl` binds.
    #[doc(hidden)]
    pub fn decode_chain(&self) -> bool {
        let (h, i, k, r) = self.dims32();
        let (Some((n_gu, _)), Some((n_down, _))) =
            (self.w_gate_up_router.single(), self.w_down.single())
        else {
            return false;
        };
        let gemv = |n, k| matches!(self.gemm_plan(1, n, k), (GemmKernel::Gemv { .. }, 1));
        let per_stage = self.ctx.limits.max_storage_buffers_per_shader_stage;
        let (up, down) = (self.table(&self.up), self.table(&self.down));
        self.one_pass_experts()
            && stages::topk_kernel(&self.ctx.caps, 1, r, k)
                == stages::TopkKernel::Rank { flat: false }
            && stages::router_experts_takes(r, k, &up, &down, per_stage)
            && gemv(n_gu, h)
            && gemv(n_down, i)
            && 2 * i <= n_gu
            && h <= stages::GEMV_PARTS_MAX_K
    }

    /// Records a one-token forward through the decode chain ([`Self::decode_chain`] must hold): from
    /// `input`, into `out` (f32, or with `elem_output` the storage type), or with [`DecodeTail::Parts`]
    /// left in two parts in `scratch` for the next layer ([`DecodeInput::Parts`]; `out` then gets the
    /// router's scores and indices only).
    pub(crate) fn record_decode<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        input: DecodeInput<'a>,
        out: &'a LayerOutput,
        scratch: &'a Scratch,
        elem_output: bool,
        tail: DecodeTail,
    ) {
        let (h32, i32, k32, r32) = self.dims32();
        let (h, i, k, r) = (h32 as u64, i32 as u64, k32 as u64, r32 as u64);
        let es = elem_size(self.f16);
        let z = Bind::range(&scratch.z, 0, 2 * r * 4);
        let act = Bind::range(&scratch.act, 0, i * es);
        let x = match input {
            DecodeInput::Buffer(x) => {
                let x = Bind::range(x, 0, h * es);
                self.record_gate_up(rec, 1, x, act, z, scratch);
                x
            }
            DecodeInput::Parts(prev) => {
                let (n, w) = self.w_gate_up_router.single().expect("decode_chain");
                let kernel = self.gemm_plan(1, n, h32).0;
                let parts = (
                    Bind::range(&prev.sparse, 0, h * 4),
                    Bind::range(&prev.decode_branch, 0, h * 4),
                );
                let x = Bind::range(&scratch.decode_x, 0, h * es);
                let epilogue = Epilogue::SwiGlu {
                    router: Some((2 * i32, z)),
                };
                let label = "dense_gate_up_router";
                let w = Bind::all(w);
                stages::gemv_parts(rec, label, kernel, (n, h32), parts, x, w, act, epilogue);
                x
            }
        };
        rec.readable_from_next(&scratch.act);
        let scores = Bind::range(&out.scores, 0, k * 4);
        let indices = Bind::range(&out.indices, 0, k * 4);
        if tail == DecodeTail::ThreePass {
            // The three-pass tail: what `record` runs after its gate/up GEMM.
            let ys = if elem_output { es } else { 4 };
            let y = Bind::range(&out.output, 0, h * ys);
            let chunk = Chunk {
                x,
                y,
                scores,
                indices,
            };
            self.record_after_gate_up(rec, 1, chunk, elem_output, scratch);
            return;
        }
        let stats = (Bind::all(&self.mean), Bind::all(&self.var));
        let tables = (self.table(&self.up), self.table(&self.down));
        let branch = Bind::range(&scratch.decode_branch, 0, h * 4);
        let dims = (1, r32, k32, h32);
        let rank = (scores, indices);
        stages::router_experts(rec, self.f16, dims, z, stats, x, tables, rank, branch);
        // The down projection's f32 output, the first part.
        let dense = Bind::range(&scratch.sparse, 0, h * 4);
        self.record_down(rec, 1, act, dense, Epilogue::Store, &scratch.partial[1]);
        if tail == DecodeTail::Sum {
            // down + branch, as the expert stage's ADD (f32) or ADD_ELEM (storage type) stores it: one
            // range of gemm_reduce (0 + down is down: the down GEMV's sum starts from +0, never −0) and
            // the GEMM's ADD epilogue, elem(down + branch).
            let (ys, epilogue) = if elem_output {
                (es, Epilogue::AddElem(branch))
            } else {
                (4, Epilogue::Add(branch))
            };
            let y = Bind::range(&out.output, 0, h * ys);
            let parts = stages::Partials {
                buf: dense,
                ranges: 1,
                rows: 1,
                permuted: false,
            };
            let label = "chain_sum";
            let all = stages::Columns::ALL;
            stages::reduce_partials(rec, label, self.f16, (1, h32), parts, y, epilogue, all);
        }
    }
}
