//! Host side of `shaders/decode_route.wgsl`: a token's router and expert stage in one workgroup from x
//! alone, so that a decode forward runs it beside the gate/up GEMM and adds its branch in the down
//! projection's epilogue: two passes in a chain instead of three.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::router::candidate_count;

/// Largest hidden size the kernel takes (x staged in workgroup memory as f32: 4 KiB up to H = 1024, 16
/// KiB with WIDE).
pub const DECODE_ROUTE_MAX_H: u32 = 4096;
/// Hidden sizes the build without WIDE takes.
const NARROW_MAX_H: u32 = 1024;

/// Bytes of workgroup memory the kernel declares for hidden size `h`: x as f32 (1024 or 4096 floats) and
/// the router's and expert stage's arrays.
pub fn decode_route_workgroup_bytes(h: u32) -> u32 {
    let x = if h <= NARROW_MAX_H { 1024 } else { 4096 };
    // With 1024 invocations `red` holds 1024 floats instead of 256.
    4 * x + 8704 + 3 * 1024
}

/// Whether the kernel takes H = `h`, R = `r`, K = `k` with f16 (or f32) storage on an adapter with
/// `workgroup_bytes` of workgroup memory: R ≤ 128, at most 256 candidates (as the router by rank), H ≤
/// [`DECODE_ROUTE_MAX_H`] and a multiple of 8 (f16) or 4 (f32), and its workgroup memory
/// ([`decode_route_workgroup_bytes`]) within the adapter's.
pub fn decode_route_takes((h, r, k): (u32, u32, u32), f16: bool, workgroup_bytes: u32) -> bool {
    let chunk = if f16 { 8 } else { 4 };
    (1..=128).contains(&r)
        && k >= 1
        && candidate_count(r.min(k), k) <= 256
        && h > 0
        && h <= DECODE_ROUTE_MAX_H
        && h % chunk == 0
        && decode_route_workgroup_bytes(h) <= workgroup_bytes
}

/// The router and the expert stage of `t` tokens of `x` (`[T, H]`, storage type): `keys` `[2R, H]` (storage
/// type), `mean` / `var` `[2R]` f32, the expert tables `up` / `down` `[N, H]` (storage type, one binding
/// each); out `scores` / `indices` `[T, K]` and `branch` `[T, H]` f32. Panics unless
/// [`decode_route_takes`].
#[allow(clippy::too_many_arguments)]
pub fn decode_route<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, r, k): (u32, u32, u32, u32),
    (x, keys, mean, var): (Bind<'a>, Bind<'a>, Bind<'a>, Bind<'a>),
    (up, down): (Bind<'a>, Bind<'a>),
    (scores, indices, branch): (Bind<'a>, Bind<'a>, Bind<'a>),
) {
    let most = rec.ctx().limits.max_compute_workgroup_storage_size;
    assert!(
        decode_route_takes((h, r, k), f16, most),
        "decode_route: H {h}, R {r}, K {k}"
    );
    let kp = r.min(k);
    let cand = candidate_count(kp, k);
    // 1024 invocations where the adapter allows (`OMNIMOE_DECODE_WG=256` keeps 256, a measuring aid).
    let l = &rec.ctx().limits;
    let wide_wg = l.max_compute_invocations_per_workgroup >= 1024
        && l.max_compute_workgroup_size_x >= 1024
        && std::env::var("OMNIMOE_DECODE_WG").as_deref() != Ok("256");
    let wg = if wide_wg { 1024 } else { 256 };
    // Lanes per logit: the largest power of two with lanes · 2R ≤ the invocations.
    let lpl = 1u32 << (wg / (2 * r)).ilog2();
    let mut v = Variant::default();
    if f16 {
        v = v.with("VEC8");
    }
    if h > NARROW_MAX_H {
        v = v.with("WIDE");
    }
    if wide_wg {
        v = v.with("WG1024");
    }
    let binds = vec![
        (1, x),
        (2, keys),
        (3, mean),
        (4, var),
        (5, up),
        (6, down),
        (7, scores),
        (8, indices),
        (9, branch),
    ];
    let label = "decode_route";
    let params = [t, h, r, k, kp, cand, lpl];
    rec.dispatch(label, label, "main", &v, &params, binds, rec.fold(t));
}
