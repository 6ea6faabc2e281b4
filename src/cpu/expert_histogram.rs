//! CPU twin of `shaders/expert_histogram.wgsl`.

/// Expert histogram: `count[e] = #{ pairs p : indices[p] = e }` over the T·K (token, slot) pairs.
pub fn expert_histogram(indices: &[u32], count: &mut [u32]) {
    count.fill(0);
    for &e in indices {
        count[e as usize] += 1;
    }
}
