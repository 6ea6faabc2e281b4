//! CPU twin of `shaders/expert_scan.wgsl`.

/// Exclusive scan: `offset[e] = Σ_{e' < e} count[e']` for `e ∈ 0..=N`, so `offset[N]` = T·K and expert e's
/// pairs occupy `offset[e]..offset[e + 1]`.
pub fn expert_scan(count: &[u32], offset: &mut [u32]) {
    let mut acc = 0u32;
    for (o, &c) in offset.iter_mut().zip(count) {
        *o = acc;
        acc += c;
    }
    offset[count.len()] = acc;
}
