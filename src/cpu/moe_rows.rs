//! CPU twin of `shaders/moe_rows.wgsl`: the row moves of the dense-router MoE layer around its
//! per-expert GEMMs.

/// moe_gather: row `pos[p]` of `dst` (`[*, H]`) = row `token[p]` of `x` (`[T, H]`), for every pair p.
pub fn moe_gather(x: &[f32], h: usize, token: &[u32], pos: &[u32], dst: &mut [f32]) {
    for (&t, &at) in token.iter().zip(pos) {
        let (t, at) = (t as usize, at as usize);
        dst[at * h..(at + 1) * h].copy_from_slice(&x[t * h..(t + 1) * h]);
    }
}

/// moe_combine: `y[t] = Σ_{p = offsets[t] .. offsets[t+1]} weight[p] · rows[pos[p]]`, in pair order (f32
/// fused multiply-adds, as the shader). `rows` `[*, H]`, `y` `[T, H]`.
pub fn moe_combine(
    rows: &[f32],
    h: usize,
    offsets: &[u32],
    weight: &[f32],
    pos: &[u32],
    y: &mut [f32],
) {
    for (t, out) in y.chunks_mut(h).enumerate() {
        out.fill(0.0);
        for p in offsets[t] as usize..offsets[t + 1] as usize {
            let row = &rows[pos[p] as usize * h..][..h];
            for (o, &v) in out.iter_mut().zip(row) {
                *o = weight[p].mul_add(v, *o);
            }
        }
    }
}
