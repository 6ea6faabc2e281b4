// expert_sum: what expert_combine.wgsl and expert_token.wgsl share: a token's expert branch summed in slot
// order from its K weights and expert ids staged in workgroup memory. The importer declares `p` (fields h
// and k), `down`, `sparse` (vec4 arrays with VEC4, H % 4 == 0), and the workgroup arrays `weight`, `expert`.

const WG: u32 = 256u;

// sparse[t, c] = Σ_{k = 0..K} weight[k] · v_{expert[k]}[c] for this invocation's columns c = li, li + 256, …
// (4-column chunks with VEC4: four independent sums in the same order, loading four experts' rows before
// adding them).
fn sum_experts(t: u32, li: u32) {
#if VEC4
    let h4 = p.h / 4u;
    let k4 = p.k / 4u * 4u;
    for (var c = li; c < h4; c += WG) {
        var acc = vec4<f32>(0.0);
        for (var k = 0u; k < k4; k += 4u) {
            let v0 = vec4<f32>(down[expert[k] * h4 + c]);
            let v1 = vec4<f32>(down[expert[k + 1u] * h4 + c]);
            let v2 = vec4<f32>(down[expert[k + 2u] * h4 + c]);
            let v3 = vec4<f32>(down[expert[k + 3u] * h4 + c]);
            acc = fma(vec4<f32>(weight[k]), v0, acc);
            acc = fma(vec4<f32>(weight[k + 1u]), v1, acc);
            acc = fma(vec4<f32>(weight[k + 2u]), v2, acc);
            acc = fma(vec4<f32>(weight[k + 3u]), v3, acc);
        }
        for (var k = k4; k < p.k; k++) {
            acc = fma(vec4<f32>(weight[k]), vec4<f32>(down[expert[k] * h4 + c]), acc);
        }
        sparse[t * h4 + c] = acc;
    }
#else
    for (var c = li; c < p.h; c += WG) {
        var acc = 0.0;
        for (var k = 0u; k < p.k; k++) {
            acc = fma(weight[k], f32(down[expert[k] * p.h + c]), acc);
        }
        sparse[t * p.h + c] = acc;
    }
#endif
}
