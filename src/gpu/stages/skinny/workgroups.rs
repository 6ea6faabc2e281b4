//! How many subgroups a workgroup of the skinny kernel runs, and on how many workgroups: by the workgroups
//! that run at once, one an SM.

use super::{base_build, skinny_env, skinny_fewest_splits, SUBGROUP_COLUMNS};

/// Workgroups of the skinny kernel's STAGED builds that run at once, one an SM (by workgroup memory:
/// ~35–43 KiB each), on the GPUs its rules were measured on ([`MEASURED_SMS`](super::super::MEASURED_SMS)):
/// [`skinny_subgroups`], [`skinny_groups`].
pub(super) const SKINNY_WAVE: u32 = super::super::MEASURED_SMS;

/// Subgroups a workgroup of the skinny kernel for an (m, n, k) GEMM, `staged` and `alone` as in
/// [`GemmKernel::Skinny`](super::super::GemmKernel::Skinny). Four, except where its rows and K take the
/// 64-k-a-step build (≤ 16 rows, K % 64 == 0) and four's workgroups, counted in the fewest K ranges (512
/// deep), do not run at once ([`SKINNY_WAVE`]). Then a GEMM beside no other dispatch (the layer's gate/up
/// GEMM) takes six (192 columns a workgroup, 64 k a step, ~43 KiB) where six's run at once, else eight
/// (256 columns, 32 k a step, A 512 deep, ~36 KiB: eight subgroups' 64-k steps would take ~53 KiB) where
/// eight's do, else six; a GEMM beside other work (the down projection, beside the router) eight where
/// eight's run at once, else four (six's ~43 KiB had kept the router from running beside it: the
/// README's layer 0.0321 → 0.0381 ms, run446). Each SM streams its workgroups' weights at its own pace
/// (not the HBM's): a second round of workgroups on some SMs costs most of a round, while more subgroups
/// a workgroup take a round longer but fewer rounds. In the fewest ranges (those
/// [`skinny_splits`](super::skinny_splits) gives six or eight) the same sums as four's where four's
/// ranges are those too: the same bits. Where none run at once, six's blocks of columns run on one round
/// of workgroups all the same ([`skinny_groups`]).
///
/// Measured on an H200 (BENCHMARKS.md, "Eight subgroups a workgroup, and workgroups that run at once"):
/// - The gate/up GEMM alone at 16 tokens, H = 1024, two ranges (`h200-run-code/run450.sh`), four / six /
///   eight subgroups, µs: I = 6144 (97 column workgroups of 128) 16.32 / **11.93** / 16.18 (eight in
///   three ranges), I = 8192 (129) 17.91 / 18.41 / **14.92**, I = 10240 (161) 24.98 / **20.34** /
///   24.45, I = 12288 (193) 26.28 / **21.68** / 25.09, I = 16384 (257) 33.73 / **29.13** / 28.45; I =
///   32768 (513) 62.73 / **52.01** / 53.10 (run448, run449); at the README's sizes (65) four's 130
///   workgroups run at once (10.3 µs; eight in four ranges took the layer 0.0319 → 0.0336 ms, run449).
///   Beside six from 256 column workgroups of 128 (run451), per layer of a stack of 4 at 16 tokens:
///   I = 4352 / 5120 / 6144 (six) 0.0380 / 0.0396 / 0.0412 → 0.0335 / 0.0345 / 0.0364 ms, I = 7168 /
///   8192 (eight) 0.0434 / 0.0436 → 0.0406 / 0.0412, I = 9216 (six) 0.0566 → 0.0526, H = 2048 at I =
///   4096 (eight in four ranges) 0.0485 → 0.0454.
/// - The down projection on eight (`run452.sh`, `run453.sh`: its 8 column workgroups of 128 in 20, 24
///   or 32 ranges 512 deep, 160 to 256 workgroups on four, 80 to 128 on eight), per layer of a stack of
///   4 at 16 tokens: I = 10240 / 12288 / 16384 0.0548 / 0.0568 / 0.0674 → 0.0501 / 0.0526 / 0.0640 ms
///   (down 16.18 / 16.85 / 18.42 → 12.93 / 13.38 / 14.66 µs), I = 16384 at 9 / 12 tokens 0.0665 /
///   0.0674 → 0.0612 / 0.0616 (its fused chain from 9 to 15 tokens now: [`skinny_groups`] halves what
///   its down projection re-reads); the README's sizes, I = 8192 (128 workgroups on four) and I = 32768
///   (eight's 256 do not run at once either) as before.
///
/// The same bits at every point. `OMNIMOE_SKINNY_SG=4`, `6` or `8`, a measuring aid, asks that count
/// wherever the rule could give more than four (six only alone).
pub(crate) fn skinny_subgroups((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> u32 {
    let narrow = base_build(m, k, k, staged, alone);
    if narrow.step != Some(64) {
        return 4;
    }
    if let Some(subgroups) = skinny_env().subgroups.filter(|&s| alone || s != 6) {
        return subgroups;
    }
    let ranges = narrow.fewest_ranges(m, k);
    let at_once = |subgroups: u32| n.div_ceil(subgroups * SUBGROUP_COLUMNS) * ranges <= SKINNY_WAVE;
    if alone {
        [4, 6, 8].into_iter().find(|&s| at_once(s)).unwrap_or(6)
    } else {
        [4, 8].into_iter().find(|&s| at_once(s)).unwrap_or(4)
    }
}

/// Workgroup count (G, 1, 1) of one K range of an (m, n, k) GEMM, `staged` and `alone` as in
/// [`GemmKernel::Skinny`](super::super::GemmKernel::Skinny): G = ⌈N / columns a workgroup⌉
/// ([`skinny_subgroups`]), on six or eight subgroups at most [`SKINNY_WAVE`] / ranges, so that the
/// workgroups run in one round and each subgroup streams its blocks of 32 columns one after another (A
/// staged once a workgroup, a block's stores beside the next block's first loads). Measured on an H200
/// (BENCHMARKS.md, "Eight subgroups a workgroup, and workgroups that run at once", `h200-run-code/
/// run454.sh`, a probe of this with every build's blocks in a loop), the gate/up GEMM alone at 16 tokens
/// on six subgroups, ⌈N / 192⌉ workgroups a range against 66: I = 10240 / 12288 / 16384 / 32768 20.42 /
/// 21.63 / 29.20 / 52.21 → 17.82 / 18.86 / 24.56 / 44.03 µs (132 workgroups in all against 264 at I =
/// 16384: 25.89; eight subgroups on 66: 25.41); the same bits. As committed beside eb7fdb3 (`run455.sh`),
/// per layer of a stack of 4 at 16 tokens: I = 10240 / 12288 / 16384 / 32768 0.0497 / 0.0527 / 0.0645 /
/// 0.1199 → 0.0478 / 0.0496 / 0.0604 / 0.1083 ms, I = 16384 at 9 / 12 tokens 0.0612 / 0.0618 → 0.0570 /
/// 0.0577; the README's sizes, whose builds fit one round but run the loop too, 0.0324 → 0.0315 (gate/up
/// 10.08 → 9.57 µs).
pub(crate) fn skinny_groups((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> [u32; 3] {
    let subgroups = skinny_subgroups((m, n, k), staged, alone);
    let groups = n.div_ceil(subgroups * SUBGROUP_COLUMNS);
    if subgroups > 4 {
        // In the fewest ranges (`skinny_splits`): one round of workgroups, each subgroup taking every
        // (workgroups · subgroups)-th block of 32 columns.
        let ranges = skinny_fewest_splits((m, n, k), staged, alone);
        let wave = skinny_env().persist.unwrap_or(SKINNY_WAVE);
        return [groups.min((wave / ranges).max(1)), 1, 1];
    }
    [groups, 1, 1]
}
