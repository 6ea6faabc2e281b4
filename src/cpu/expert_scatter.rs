//! CPU twin of `shaders/expert_scatter.wgsl`.

/// Stable scatter of pairs by expert: pair `p = t·K + k` with expert `e = indices[p]` goes to
/// `perm[offset[e] + rank]`, where `rank` counts the pairs of expert e with a smaller pair id. So `perm`
/// lists the pairs grouped by expert, each group in increasing pair (token) order.
pub fn expert_scatter(indices: &[u32], offset: &[u32], perm: &mut [u32]) {
    let mut next: Vec<u32> = offset[..offset.len() - 1].to_vec();
    for (p, &e) in indices.iter().enumerate() {
        perm[next[e as usize] as usize] = p as u32;
        next[e as usize] += 1;
    }
}
