// moe_rows: the row moves of the dense-router MoE layer around its per-expert GEMMs (CPU twin:
// cpu/moe_rows.rs):
// - `gather` (GATHER): row pos[p] of dst = row token[p] of x, for every pair p; one invocation per element
//   (ids folded over x and y);
// - `combine` (COMBINE): y[t] = Σ_{p = offsets[t] .. offsets[t+1]} weight[p] · rows[pos[p]], in pair order
//   (fma): one workgroup of 256 per token, invocation i taking columns i, i + 256, … — a fixed order, so
//   bitwise reproducible.

struct Params {
    // Pairs (gather) or tokens (combine).
    n: u32,
    h: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if GATHER
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> token: array<u32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn gather(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if (i >= p.n * p.h) {
        return;
    }
    let pair = i / p.h;
    let c = i % p.h;
    dst[pos[pair] * p.h + c] = x[token[pair] * p.h + c];
}
#endif

#if COMBINE
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn combine(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.n) {
        return;
    }
    let first = offsets[t];
    let end = offsets[t + 1u];
    for (var c = li; c < p.h; c += 256u) {
        var acc = 0.0;
        for (var q = first; q < end; q++) {
            acc = fma(weight[q], rows[pos[q] * p.h + c], acc);
        }
        y[t * p.h + c] = acc;
    }
}
#endif
