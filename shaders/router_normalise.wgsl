// router_normalise: eval-mode BatchNorm, then a log-softmax over each router axis.
//
//   a[t, c] = (z[t, c] − μ[c]) / √(σ²[c] + 1e-5)               z, ℓ: [T, 2R] (x axis 0..R, y axis R..2R)
//   ℓ[t, c] = a[t, c] − (max_axis a + log Σ_axis exp(a − max_axis a))
//
// Launch: one workgroup of WG (32…256, a pipeline constant) per token (ids folded over x and y); each axis' max and sum are tree
// reductions in workgroup memory with a fixed shape, so results are bitwise reproducible.

struct Params {
    t: u32,
    r: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> ell: array<f32>;

// Invocations per workgroup: a power of two from 32 to 256 (a pipeline constant, ≈ R).
override WG: u32 = 256u;
#import tree_reduce

fn normalised(t: u32, c: u32) -> f32 {
    return (z[t * 2u * p.r + c] - mean[c]) / sqrt(variance[c] + 1e-5);
}

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
    for (var axis = 0u; axis < 2u; axis++) {
        let c0 = axis * p.r;
        var m = -3.0e38;
        for (var i = li; i < p.r; i += WG) {
            m = max(m, normalised(t, c0 + i));
        }
        red[li] = m;
        m = reduce(li, true);
        var s = 0.0;
        for (var i = li; i < p.r; i += WG) {
            s += exp(normalised(t, c0 + i) - m);
        }
        red[li] = s;
        let lse = m + log(reduce(li, false));
        for (var i = li; i < p.r; i += WG) {
            ell[t * 2u * p.r + c0 + i] = normalised(t, c0 + i) - lse;
        }
    }
}
