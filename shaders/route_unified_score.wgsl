// route_unified_score: USMoE's unified score of a dense router's logits, per token over its E experts:
//
//   U[t, e] = (1 − r)·softmax_E(L[t])[e] + r·sigmoid(L[t, e])·2/E        L, U: [T, E] f32; r = alpha
//
// Launch: one workgroup of 256 per token (ids folded over x and y); the row's max and Σ exp(L − max) are
// tree reductions of a fixed shape (each invocation first sums its columns li, li + 256, … in order), so
// results are bitwise reproducible. CPU twin: cpu/route_unified_score.rs (in f64).

struct Params {
    t: u32,
    e: u32,
    alpha: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> unified: array<f32>;

const WG: u32 = 256u;
#import tree_reduce

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    let row = t * p.e;
    var m = -3.0e38;
    for (var i = li; i < p.e; i += WG) {
        m = max(m, logits[row + i]);
    }
    red[li] = m;
    m = reduce(li, true);
    var s = 0.0;
    for (var i = li; i < p.e; i += WG) {
        s += exp(logits[row + i] - m);
    }
    red[li] = s;
    s = reduce(li, false);
    let soft = (1.0 - p.alpha) / s;
    let sig = p.alpha * 2.0 / f32(p.e);
    for (var i = li; i < p.e; i += WG) {
        let l = logits[row + i];
        unified[row + i] = soft * exp(l - m) + sig / (1.0 + exp(-l));
    }
}
