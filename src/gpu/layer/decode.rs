//! The decode chain: a token's router and expert stage from x alone ([`stages::decode_route`]) beside the
//! gate/up GEMM, and the down projection adding their branch in its epilogue — two passes in a chain
//! instead of three (gate/up → router ∥ down projection → expert stage), where each dependent pass costs
//! a few µs whatever it reads (on an H100 about 5 µs: BENCHMARKS.md). The same math as the three-pass
//! chain; the router's logits are summed in another order (x against its keys instead of the gate/up
//! GEMM's extra columns), so the bits differ from that chain's, and each run gives the same bits.

use super::*;

/// Most tokens of a chunk that runs the decode chain ([`OmniMoeLayer::decode_plan`]): one workgroup a
/// token reads all the router keys, and both GEMMs must run unsplit (the down projection adds the branch
/// in its epilogue), which at these sizes is the GEMV's one token.
pub const DECODE_CHAIN_MAX_T: u32 = 1;

/// How a chunk runs the decode chain ([`OmniMoeLayer::decode_plan`]).
pub(super) struct DecodePlan<'w> {
    /// The gate/up weight with the router keys as its rows 2I .. 2I + 2R.
    w: &'w wgpu::Buffer,
    /// Bytes of the gate/up rows (where the keys start).
    keys_at: u64,
    /// Bytes of the keys.
    keys_len: u64,
}

impl OmniMoeLayer<'_> {
    /// Whether a forward of `tokens` tokens (a chunk's worth at most) runs the decode chain of
    /// [`Self::decode_plan`]: for tests that must know which path they checked.
    #[doc(hidden)]
    pub fn decode_chain(&self, tokens: usize) -> bool {
        self.decode_plan(tokens.clamp(1, self.chunk) as u32)
            .is_some()
    }

    /// Whether a chunk of `t` tokens runs the decode chain: up to [`DECODE_CHAIN_MAX_T`] tokens
    /// (`OMNIMOE_DECODE_CHAIN=off` never, a measuring aid), the token-centric one-pass expert stage with
    /// each table in one binding, the gate/up weight in one binding with its keys at an offset the
    /// adapter can bind, both GEMMs unsplit, and sizes `decode_route` takes.
    pub(super) fn decode_plan(&self, t: u32) -> Option<DecodePlan<'_>> {
        if t > DECODE_CHAIN_MAX_T || decode_chain_off() {
            return None;
        }
        let c = self.config;
        let (h, i, r, k) = (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.grid() as u32,
            c.num_experts_per_token as u32,
        );
        if !(self.one_pass_experts() && self.up.len() == 1 && self.down.len() == 1) {
            return None;
        }
        let most = self.ctx.limits.max_compute_workgroup_storage_size;
        if !stages::decode_route_takes((h, r, k), self.f16, most) {
            return None;
        }
        let (n_gu, w) = self.w_gate_up_router.single()?;
        let (n_down, _) = self.w_down.single()?;
        let es = elem_size(self.f16);
        let keys_at = 2 * i as u64 * h as u64 * es;
        let align = self.ctx.limits.min_storage_buffer_offset_alignment as u64;
        if n_gu != 2 * i + 2 * r || !keys_at.is_multiple_of(align) {
            return None;
        }
        let unsplit = |n, depth| {
            let (kernel, splits) = self.gemm_plan(t, n, depth);
            !stages::runs_split(kernel, splits)
        };
        (unsplit(2 * i, h) && unsplit(n_down, i)).then_some(DecodePlan {
            w,
            keys_at,
            keys_len: 2 * r as u64 * h as u64 * es,
        })
    }

    /// The decode chain of a chunk of `t` tokens as [`Self::decode_plan`] planned it: the gate/up GEMM
    /// (SwiGLU, no router columns) ∥ the router and expert stage into the scratch's branch, then the down
    /// projection adding it into y.
    pub(super) fn record_decode<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        plan: DecodePlan<'a>,
        chunk: super::fused::Chunk<'a>,
        elem_output: bool,
        scratch: &'a Scratch,
    ) {
        let c = self.config;
        let (h, i, r, k) = (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.grid() as u32,
            c.num_experts_per_token as u32,
        );
        let es = elem_size(self.f16);
        let act = Bind::range(&scratch.act, 0, t as u64 * i as u64 * es);
        let gate_up = Bind::range(plan.w, 0, plan.keys_at);
        let epilogue = Epilogue::SwiGlu { router: None };
        let shape = (t, 2 * i, h);
        let label = "dense_gate_up";
        let partial = &scratch.partial[0];
        self.record_gemm(
            rec,
            label,
            shape,
            chunk.x,
            gate_up,
            act,
            epilogue,
            stages::Columns::ALL,
            partial,
        );
        let branch = Bind::range(&scratch.sparse, 0, t as u64 * h as u64 * 4);
        let keys = Bind::range(plan.w, plan.keys_at, plan.keys_len);
        let (mean, var) = (Bind::all(&self.mean), Bind::all(&self.var));
        let (up, down) = (Bind::all(&self.up[0]), Bind::all(&self.down[0]));
        let outs = (chunk.scores, chunk.indices, branch);
        stages::decode_route(
            rec,
            self.f16,
            (t, h, r, k),
            (chunk.x, keys, mean, var),
            (up, down),
            outs,
        );
        let epilogue = if elem_output {
            Epilogue::AddElem(branch)
        } else {
            Epilogue::Add(branch)
        };
        self.record_down(rec, t, act, chunk.y, epilogue, &scratch.partial[1]);
    }
}

/// `OMNIMOE_DECODE_CHAIN=off`: the three-pass chain at every T (a measuring aid).
fn decode_chain_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| std::env::var("OMNIMOE_DECODE_CHAIN").as_deref() == Ok("off"))
}
