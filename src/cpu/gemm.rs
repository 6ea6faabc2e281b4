//! CPU twin of `shaders/gemm.wgsl`.

use super::par_rows;

/// `C = A · Bᵀ`: `c[m, n] = Σ_k a[m, k] · b[n, k]` with `a` `[M, K]`, `b` `[N, K]` (a weight in PyTorch's
/// `[out, in]` layout), `c` `[M, N]`. Blocked f32 (matrixmultiply), rows of C split over cores.
pub fn gemm_nt(a: &[f32], b: &[f32], m: usize, n: usize, k: usize, c: &mut [f32]) {
    assert!(a.len() >= m * k && b.len() >= n * k && c.len() >= m * n);
    par_rows(&mut c[..m * n], n, |m0, block| {
        let rows = block.len() / n;
        // SAFETY: the pointers cover `rows × k` of A (from row m0), `k × n` of Bᵀ and `rows × n` of C,
        // all checked by the assert above; C's block is exclusively ours.
        unsafe {
            matrixmultiply::sgemm(
                rows,
                k,
                n,
                1.0,
                a[m0 * k..].as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                1,
                k as isize,
                0.0,
                block.as_mut_ptr(),
                n as isize,
                1,
            );
        }
    });
}
