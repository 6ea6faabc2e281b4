//! B (a weight, rows of K values) in K slabs: the layout the SIMT GEMM and the GEMV read where K % 8 == 0
//! ([`GemmKernel::slabs`](super::GemmKernel::slabs)).

/// K values a slab of [`to_slabs`] holds of each row.
pub const SLAB_K: usize = 8;

/// `w` (rows of `k` values, k % [`SLAB_K`] == 0) in K slabs: slab s holds k in s·8 .. s·8 + 8 of every row,
/// row after row, so element (r, k) moves to (k / 8)·rows·8 + r·8 + k % 8. Where the SIMT kernel stages a
/// K step of 8 for 128 rows, those rows' values are then 4 KB in one piece instead of 32 bytes in each of
/// 128 rows: a subgroup's 16-byte loads touch 4 cache lines instead of 16 (f32) or 32 (f16). On an H100
/// the f32 GEMMs ran 1.5–3% faster, the f16 ones 5% (BENCHMARKS.md, "Weights by K slabs"). The same
/// values in the same sums: the same bits as rows. Panics unless K % 8 == 0 (callers check).
pub fn to_slabs<T: Copy>(w: &[T], k: usize) -> Vec<T> {
    assert!(
        k > 0 && k.is_multiple_of(SLAB_K) && w.len().is_multiple_of(k),
        "K slabs need K % 8 == 0"
    );
    let rows = w.len() / k;
    let mut out = Vec::with_capacity(w.len());
    for s in 0..k / SLAB_K {
        for r in 0..rows {
            out.extend_from_slice(&w[r * k + s * SLAB_K..r * k + (s + 1) * SLAB_K]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value lands once, where the shaders read it: (r, k) at (k / 8)·rows·8 + r·8 + k % 8.
    #[test]
    fn to_slabs_moves_each_value_where_the_shaders_read_it() {
        let (rows, k) = (5, 24);
        let w: Vec<u32> = (0..(rows * k) as u32).collect();
        let slabs = to_slabs(&w, k);
        assert_eq!(slabs.len(), w.len());
        for r in 0..rows {
            for j in 0..k {
                assert_eq!(slabs[(j / 8) * rows * 8 + r * 8 + j % 8], w[r * k + j]);
            }
        }
    }
}
