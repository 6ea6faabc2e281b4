//! What a forward records: the GEMMs (split over K where it pays), the router, the expert stage, per chunk
//! of tokens, and the scratch it records into.

use super::fused::Chunk;
use super::*;

/// The buffers a forward records into, sized for a chunk of tokens (made once, grown when a larger forward
/// comes).
pub(crate) struct Scratch {
    pub(super) z: wgpu::Buffer,
    pub(super) ell: wgpu::Buffer,
    h: wgpu::Buffer,
    pub(super) sparse: wgpu::Buffer,
    pub(super) act: wgpu::Buffer,
    count: wgpu::Buffer,
    offset: wgpu::Buffer,
    sums: wgpu::Buffer,
    scatter: ScatterScratch,
    /// Split-K partial products of the gate/up GEMM and of the down projection for chunks of up to
    /// [`stages::SPLIT_K_MAX_M`] tokens: two buffers, so the down projection writes nothing the gate/up
    /// GEMM wrote and needs no barrier of its own (it runs beside the router).
    pub(super) partial: [wgpu::Buffer; 2],
    /// The decode chain's ([`super::decode`]) expert branch of one token `[H]` f32, and its input made from
    /// the previous layer's two parts `[H]` in the storage type.
    pub(super) decode_branch: wgpu::Buffer,
    pub(super) decode_x: wgpu::Buffer,
    /// Router scores and indices where the caller of [`OmniMoeLayer::encode`] keeps none.
    pub(crate) router_scores: wgpu::Buffer,
    pub(crate) router_indices: wgpu::Buffer,
}

impl OmniMoeLayer<'_> {
    /// One of the layer's GEMMs into `cols` of C: split over K where [`Self::gemm_plan`] says so (few
    /// tokens; partial products in `partial`), else plain.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_gemm<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        label: &'static str,
        (m, n, k): (u32, u32, u32),
        a: Bind<'a>,
        b: Bind<'a>,
        c: Bind<'a>,
        epilogue: Epilogue<'a>,
        cols: stages::Columns,
        partial: &'a wgpu::Buffer,
    ) {
        let (kernel, splits) = self.gemm_plan(m, n, k);
        if stages::runs_split(kernel, splits) {
            let partial = stages::partial_bind(partial, kernel, (m, n, k), splits);
            stages::gemm_split_k(
                rec,
                label,
                kernel,
                splits,
                (m, n, k),
                a,
                b,
                c,
                epilogue,
                partial,
                cols,
            );
        } else {
            stages::gemm(rec, label, kernel, (m, n, k), a, b, c, epilogue, cols);
        }
    }

    /// Records the forward of `out.tokens` tokens of `x` (elem `[T, H]`) into `out`; with `elem_output`
    /// the output is written in the storage type (the next layer's input) instead of f32.
    pub(crate) fn record<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        x: &'a wgpu::Buffer,
        out: &'a LayerOutput,
        scratch: &'a Scratch,
        elem_output: bool,
    ) {
        let c = self.config;
        let (h, i, k, r) = (
            c.hidden_size as u64,
            c.intermediate_size as u64,
            c.num_experts_per_token as u64,
            c.grid() as u64,
        );
        let es = elem_size(self.f16);
        let mut t0 = 0u64;
        while t0 < out.tokens as u64 {
            let nt = (self.chunk as u64).min(out.tokens as u64 - t0);
            let pairs = nt * k;
            let x_c = Bind::range(x, t0 * h * es, nt * h * es);
            let ys = if elem_output { es } else { 4 };
            let y_c = Bind::range(&out.output, t0 * h * ys, nt * h * ys);
            let scores = Bind::range(&out.scores, t0 * k * 4, pairs * 4);
            let indices = Bind::range(&out.indices, t0 * k * 4, pairs * 4);
            let t32 = nt as u32;
            let chunk = Chunk {
                x: x_c,
                y: y_c,
                scores,
                indices,
            };
            if let Some(plan) = self.fused_plan(t32) {
                self.record_fused(rec, t32, plan, chunk, elem_output, scratch);
            } else {
                let z = Bind::range(&scratch.z, 0, nt * 2 * r * 4);
                let act = Bind::range(&scratch.act, 0, nt * i * es);
                self.record_gate_up(rec, t32, x_c, act, z, scratch);
                rec.readable_from_next(&scratch.act);
                self.record_after_gate_up(rec, t32, chunk, elem_output, scratch);
            }
            t0 += nt;
        }
    }

    /// The passes of a chunk after its gate/up GEMM (the SwiGLU output in `scratch.act`, the router logits
    /// in `scratch.z`, both readable): the router, the down projection beside it and the expert stage, into
    /// `chunk`'s output (f32, or with `elem_output` the storage type).
    pub(super) fn record_after_gate_up<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t32: u32,
        chunk: Chunk<'a>,
        elem_output: bool,
        scratch: &'a Scratch,
    ) {
        let (h32, i32, k32, r32) = self.dims32();
        let (nt, h, i, r) = (t32 as u64, h32 as u64, i32 as u64, r32 as u64);
        let es = elem_size(self.f16);
        let (f16, all) = (self.f16, Bind::all);
        let (x_c, y_c, scores, indices) = (chunk.x, chunk.y, chunk.scores, chunk.indices);
        let (mean, var) = (all(&self.mean), all(&self.var));
        let sparse = Bind::range(&scratch.sparse, 0, nt * h * 4);
        let (up, down_embed) = (self.table(&self.up), self.table(&self.down));
        let z = Bind::range(&scratch.z, 0, nt * 2 * r * 4);
        let ell = Bind::range(&scratch.ell, 0, nt * 2 * r * 4);
        let act = Bind::range(&scratch.act, 0, nt * i * es);
        if stages::router_topk_by_rank(r32, k32) {
            let normalise = Some((mean, var));
            stages::router_topk(rec, (t32, r32, k32), z, scores, indices, normalise);
        } else {
            stages::router_normalise(rec, (t32, r32), z, mean, var, ell);
            stages::router_topk(rec, (t32, r32, k32), ell, scores, indices, None);
        }

        // The down projection goes before the expert stage and runs beside the router: the SwiGLU
        // output becomes readable at the router's barrier (which waits for the gate/up GEMM anyway),
        // so the down projection, writing only its own output, needs no barrier. The expert stage
        // then adds its branch to that output (the same bits as adding it in the GEMM's epilogue).
        // Token-centric, the scores and combine are one pass (expert_token) wherever both tables fit
        // the bindings of one shader: measured faster at every T on an H100 up to 256 tokens and on
        // an H200 at 1024 and 4096 too (0.6416 → 0.6334 ms for the layer, BENCHMARKS.md).
        let one_pass = self.one_pass_experts();
        if !self.experts {
            // Without experts the scratch's expert branch is never written: it stays zero.
            let epilogue = if elem_output {
                Epilogue::AddElem(sparse)
            } else {
                Epilogue::Add(sparse)
            };
            self.record_down(rec, t32, act, y_c, epilogue, &scratch.partial[1]);
            return;
        }
        // Split over K, the down projection leaves its partial products to the one-pass expert stage,
        // which adds them in range order (the bits gemm_reduce would store) before its branch: one
        // pass fewer in the chain.
        let partials = if one_pass {
            self.record_down_products(rec, t32, act, &scratch.partial[1])
        } else {
            None
        };
        let out = match partials {
            Some(partials) => stages::ExpertOut::AddPartials {
                partials,
                y: y_c,
                elem: elem_output,
            },
            None => {
                // The down projection's f32 output: y itself, or the scratch when y is in the
                // storage type.
                let (dense, out) = if elem_output {
                    let out = stages::ExpertOut::AddElem {
                        base: sparse,
                        y: y_c,
                    };
                    (sparse, out)
                } else {
                    (y_c, stages::ExpertOut::AddTo(y_c))
                };
                self.record_down(rec, t32, act, dense, Epilogue::Store, &scratch.partial[1]);
                out
            }
        };
        if one_pass {
            let dims = (t32, h32, k32);
            stages::expert_token(rec, f16, dims, x_c, up, scores, indices, down_embed, out);
        } else {
            self.record_expert_passes(rec, (t32, r32, nt), x_c, scores, indices, out, scratch);
        }
    }

    /// Gate/up with SwiGLU into `act` `[t, I]`, and the router logits into `z` `[t, 2R]` from the same pass
    /// over `x` (one GEMM per block of rows of the weight).
    pub(super) fn record_gate_up<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        x: Bind<'a>,
        act: Bind<'a>,
        z: Bind<'a>,
        scratch: &'a Scratch,
    ) {
        let (h, i2) = (
            self.config.hidden_size as u32,
            2 * self.config.intermediate_size as u32,
        );
        for (cols, n, w) in self.w_gate_up_router.blocks() {
            let epilogue = Epilogue::SwiGlu {
                router: Some((i2, z)),
            };
            let label = "dense_gate_up_router";
            let w = Bind::all(w);
            let partial = &scratch.partial[0];
            self.record_gemm(rec, label, (t, n, h), x, w, act, epilogue, cols, partial);
        }
    }

    /// The down projection of `act` into `y` with `epilogue` (split-K partial products in `partial`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_down<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        act: Bind<'a>,
        y: Bind<'a>,
        epilogue: Epilogue<'a>,
        partial: &'a wgpu::Buffer,
    ) {
        let i = self.config.intermediate_size as u32;
        for (cols, n, w) in self.w_down.blocks() {
            let w = Bind::all(w);
            let shape = (t, n, i);
            self.record_gemm(rec, "dense_down", shape, act, w, y, epilogue, cols, partial);
        }
    }

    /// The expert stage as separate passes: the counting sort and expert-centric scores, or token-centric
    /// scores, then the combine into `out`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_expert_passes<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        (t32, r32, nt): (u32, u32, u64),
        x_c: Bind<'a>,
        scores: Bind<'a>,
        indices: Bind<'a>,
        out: stages::ExpertOut<'a>,
        scratch: &'a Scratch,
    ) {
        let c = self.config;
        let (h, k, n) = (
            c.hidden_size as u32,
            c.num_experts_per_token as u32,
            c.num_experts as u32,
        );
        let pairs = nt * k as u64;
        let all = Bind::all;
        let h_buf = Bind::range(&scratch.h, 0, pairs * 4);
        let schedule = match self.schedule {
            ExpertSchedule::TokenCentric => ScoresSchedule::TokenCentric { indices },
            _ => {
                let p32 = pairs as u32;
                stages::expert_histogram(rec, (p32, n), indices, all(&scratch.count));
                let (count, offset, sums) = (
                    all(&scratch.count),
                    all(&scratch.offset),
                    all(&scratch.sums),
                );
                stages::expert_scan(rec, "expert_scan", n, count, offset, sums);
                let which =
                    stages::expert_scatter(rec, (p32, r32 * r32), indices, &scratch.scatter);
                let perm = Bind::range(&scratch.scatter.vals[which], 0, pairs * 4);
                ScoresSchedule::ExpertCentric { offset, perm }
            }
        };
        let dims = (t32, h, k, n);
        let up = self.table(&self.up);
        stages::expert_scores(rec, self.f16, dims, x_c, up, scores, h_buf, schedule);
        let down = self.table(&self.down);
        stages::expert_combine(rec, self.f16, (t32, h, k), h_buf, indices, down, out);
    }

    pub(crate) fn scratch(&self, tokens: usize) -> std::sync::Arc<Scratch> {
        let mut guard = self.scratch.lock().unwrap();
        let want = tokens.min(self.chunk);
        let partial = self.split_k_partial_len(want);
        if let Some((have, s)) = guard.as_ref() {
            let fits = (0..2).all(|j| s.partial[j].size() >= partial[j] * 4);
            if *have >= want && fits {
                return s.clone();
            }
        }
        let c = self.config;
        let (h, i, k, n, r) = (
            c.hidden_size,
            c.intermediate_size,
            c.num_experts_per_token,
            c.num_experts,
            c.grid(),
        );
        let t = want as u64;
        let es = elem_size(self.f16);
        let s = |label, bytes| buffers::storage(self.ctx, label, bytes);
        let scratch = std::sync::Arc::new(Scratch {
            z: s("router logits", t * 2 * r as u64 * 4),
            ell: s("router log-probs", t * 2 * r as u64 * 4),
            h: s("expert h", t * k as u64 * 4),
            sparse: s("expert branch", t * h as u64 * 4),
            act: s("swiglu", t * i as u64 * es),
            count: s("expert count", n as u64 * 4),
            offset: s("expert offset", (n as u64 + 1) * 4),
            sums: s("scan sums", 1024 * 4),
            scatter: ScatterScratch::new(self.ctx, (t * k as u64) as u32),
            partial: [
                s("split-K partial products (gate/up)", partial[0] * 4),
                s("split-K partial products (down)", partial[1] * 4),
            ],
            decode_branch: s("decode expert branch", h as u64 * 4),
            decode_x: s("decode input", h as u64 * es),
            router_scores: s("router scores", t * k as u64 * 4),
            router_indices: s("router indices", t * k as u64 * 4),
        });
        *guard = Some((want, scratch.clone()));
        scratch
    }

    /// f32 elements of split-K partial products a chunk of up to `tokens` tokens may need: for the gate/up
    /// GEMM and for the down projection.
    ///
    /// The split count depends on m only through the rows of output tiles (tiles are 128 or 256 rows), so
    /// within a band of tile rows the partial products grow with m: the band ends (multiples of 128) and
    /// `tokens` itself are the only m to try. This runs on every plain forward, so it tries those few.
    /// Above 256 rows only stream-K writes partial products, at the one tile count it was tuned for: the
    /// most rows up to `tokens` with that count are tried too.
    pub(super) fn split_k_partial_len(&self, tokens: usize) -> [u64; 2] {
        let most = tokens.min(stages::SPLIT_K_MAX_M as usize) as u32;
        let stream_k: Vec<u32> = self
            .gemm_shapes(tokens as u32)
            .into_iter()
            .filter_map(|(m, n, k)| self.gemm_for(m, n, k).stream_k_rows(n, m))
            .collect();
        let (h, i) = (
            self.config.hidden_size as u32,
            self.config.intermediate_size as u32,
        );
        let mut len = [0u64; 2];
        // The kernels' bands end at 8 (the GEMV split over K), 16 (the skinny kernel), 32, 64 (the
        // autotune's classes of rows) and multiples of 128 rows.
        for (m, n, k) in (128..most)
            .step_by(128)
            .chain(
                [stages::GEMV_ROWS, 16, 32, 64]
                    .into_iter()
                    .filter(|&m| m < most),
            )
            .chain([most])
            .chain(stream_k)
            .flat_map(|m| self.gemm_shapes(m))
        {
            let (kernel, splits) = self.gemm_plan(m, n, k);
            if stages::runs_split(kernel, splits) {
                let elems = stages::split_k_partial_len(kernel, (m, n, k), splits);
                for (which, depth) in [h, i].into_iter().enumerate() {
                    if k == depth {
                        len[which] = len[which].max(elems);
                    }
                }
            }
        }
        len
    }
}
