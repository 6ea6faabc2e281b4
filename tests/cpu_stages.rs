//! Properties of the CPU stages against brute force.

use omnimoe::cpu;
use proptest::prelude::*;

/// (R, N, K, T, logits [T, 2R]) with R² ≤ N < (R+1)², K even ≤ min(R², 128); a third of the cases K = R².
fn router_case() -> impl Strategy<Value = (usize, usize, usize, usize, Vec<f32>)> {
    (
        2usize..=12,
        0usize..100,
        1usize..=64,
        1usize..=3,
        any::<bool>(),
    )
        .prop_flat_map(|(r, extra, khalf, t, full)| {
            let n = r * r + extra % (2 * r + 1);
            let k = if full && (r * r) % 2 == 0 {
                r * r
            } else {
                (2 * khalf).min(r * r / 2 * 2)
            };
            let logits = prop::collection::vec(-8.0f32..8.0, t * 2 * r);
            (Just(r), Just(n), Just(k), Just(t), logits)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The pruned router (top-K' per axis, then top-K of the K'² candidates) equals a brute-force top-K
    /// over all R² experts.
    #[test]
    fn pruned_router_equals_brute_force((r, n, k, t, z) in router_case()) {
        prop_assert!(r * r <= n && k <= r * r && k % 2 == 0);
        let mean = vec![0.0; 2 * r];
        let var = vec![1.0 - 1e-5; 2 * r];
        let mut ell = vec![0.0; t * 2 * r];
        cpu::router_normalise(&z, &mean, &var, &mut ell);
        let mut scores = vec![0.0; t * k];
        let mut indices = vec![0u32; t * k];
        cpu::router_topk(&ell, r, k, &mut scores, &mut indices);
        for ti in 0..t {
            let l = &ell[ti * 2 * r..][..2 * r];
            let mut all: Vec<f32> = (0..r * r).map(|e| l[e / r] + l[r + e % r]).collect();
            all.sort_by(|a, b| b.total_cmp(a));
            prop_assert_eq!(&scores[ti * k..][..k], &all[..k]);
            for slot in 0..k {
                let e = indices[ti * k + slot] as usize;
                prop_assert!(e < r * r);
                prop_assert_eq!(scores[ti * k + slot], l[e / r] + l[r + e % r]);
            }
        }
    }

    /// Histogram → scan → scatter is a stable sort of the pairs by expert.
    #[test]
    fn counting_sort_is_a_stable_sort(n in 4usize..300, idx in prop::collection::vec(0u32..1000, 0..400)) {
        let indices: Vec<u32> = idx.iter().map(|&e| e % n as u32).collect();
        let mut count = vec![0; n];
        cpu::expert_histogram(&indices, &mut count);
        let mut offset = vec![0; n + 1];
        cpu::expert_scan(&count, &mut offset);
        let mut perm = vec![0; indices.len()];
        cpu::expert_scatter(&indices, &offset, &mut perm);
        let mut want: Vec<u32> = (0..indices.len() as u32).collect();
        want.sort_by_key(|&p| indices[p as usize]);
        prop_assert_eq!(perm, want);
        prop_assert_eq!(offset[n] as usize, indices.len());
    }
}

#[test]
fn ties_prefer_the_lower_index() {
    assert_eq!(cpu::axis_topk(&[1.0, 3.0, 3.0, 2.0, 3.0], 3), vec![1, 2, 4]);
    // Every candidate ties: the K lowest expert ids win, in id order.
    let ell = vec![0.0f32; 8];
    let (mut s, mut i) = (vec![0.0; 4], vec![0u32; 4]);
    cpu::router_topk(&ell, 4, 4, &mut s, &mut i);
    assert_eq!(i, vec![0, 1, 2, 3]);
}
