// heatmap: the router's expert counts drawn over the R×R product-key grid, straight from the GPU count
// buffer into an rgba8 texture that egui shows (no read-back).
//
//   pixel (b, a) = colour(count[a·R + b] / max_e count[e])      experts e = a·R + b ≥ N: background
//
// Launch: ⌈R/16⌉ × ⌈R/16⌉ workgroups of 16×16. Each workgroup finds the maximum itself (N/256 loads per
// invocation), so one dispatch suffices. colour() has a twin in heatmap.rs.

struct Params {
    n: u32,
    r: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var heat: texture_storage_2d<rgba8unorm, write>;

var<workgroup> red: array<u32, 256>;

fn colour(i: f32) -> vec4<f32> {
    return vec4<f32>(i, i * i, 0.3 * (1.0 - i) + 0.1, 1.0);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    var m = 1u;
    for (var e = li; e < p.n; e += 256u) {
        m = max(m, count[e]);
    }
    red[li] = m;
    for (var s = 128u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (li < s) {
            red[li] = max(red[li], red[li + s]);
        }
    }
    workgroupBarrier();
    let top = red[0];
    if (gid.x >= p.r || gid.y >= p.r) {
        return;
    }
    let e = gid.y * p.r + gid.x;
    var c = vec4<f32>(0.0, 0.0, 0.0, 1.0);
    if (e < p.n) {
        c = colour(f32(count[e]) / f32(top));
    }
    textureStore(heat, vec2<i32>(gid.xy), c);
}
