//! Host side of `shaders/router_axes.wgsl`: the decode chain's router logits of one token, normalised and
//! ranked per axis in two workgroups beside the gate/up GEMV, so that `router_experts` (its AXES build)
//! starts from the candidates (`src/gpu/layer/decode.rs`).

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::gemm::gemv_lanes;
use super::{candidate_count, router_topk_by_rank, GemmKernel, GEMV_PARTS_MAX_K};

/// The token's row as router_axes reads it.
#[derive(Clone, Copy)]
pub enum AxesRow<'a> {
    /// x `[H]` in f16.
    X(Bind<'a>),
    /// The previous layer's two f32 parts (its down projection and expert branch), added as the GEMV's
    /// ASUM adds them.
    Parts(Bind<'a>, Bind<'a>),
}

/// Bytes of [`router_axes`]' output for a router choosing `k` of R per axis: each axis' K' values and ids.
pub fn router_axes_bytes(r: u32, k: u32) -> u64 {
    4 * 4 * r.min(k) as u64
}

/// Whether [`router_axes`] gives the logits of the gate/up GEMM `kernel` over depth `h`, for R per axis
/// choosing K: the f16 GEMV on weight rows with chunks of eight (whose sums it repeats), H within the
/// staged row ([`GEMV_PARTS_MAX_K`]), the selection by rank.
pub fn router_axes_takes(kernel: GemmKernel, (r, k, h): (u32, u32, u32)) -> bool {
    kernel
        == GemmKernel::Gemv {
            f16: true,
            slabs: false,
        }
        && h.is_multiple_of(8)
        && h <= GEMV_PARTS_MAX_K
        && router_topk_by_rank(r, k)
}

/// router_axes: one token's router logits (rows `first ..` `first + 2r` of the f16 gate/up weight `w`
/// `[N, h]` times the row), each with the bits of the GEMV's router columns, normalised with (mean, var)
/// and each axis' K' best by rank (router_topk's code) into `axes` ([`router_axes_bytes`]).
#[allow(clippy::too_many_arguments)]
pub fn router_axes<'a>(
    rec: &mut Recorder<'a>,
    (r, k, h): (u32, u32, u32),
    row: AxesRow<'a>,
    w: Bind<'a>,
    first: u32,
    (mean, var): (Bind<'a>, Bind<'a>),
    axes: Bind<'a>,
) {
    assert!(
        h.is_multiple_of(8) && h <= GEMV_PARTS_MAX_K && router_topk_by_rank(r, k),
        "router_axes: H % 8 == 0, H ≤ {GEMV_PARTS_MAX_K}, a selection by rank"
    );
    let mut binds = vec![(2, w), (3, mean), (4, var), (5, axes)];
    let mut v = Variant::storage(true).with("NORMALISE");
    match row {
        AxesRow::X(x) => binds.push((1, x)),
        AxesRow::Parts(dense, branch) => {
            binds.extend([(1, dense), (6, branch)]);
            v = v.with("PARTS");
        }
    }
    let v = v.constant("LANES", gemv_lanes(h / 8));
    let kp = r.min(k);
    let params = [1, r, k, kp, candidate_count(kp, k), h, first];
    let label = "router_axes";
    rec.dispatch(label, label, "main", &v, &params, binds, [2, 1, 1]);
}
