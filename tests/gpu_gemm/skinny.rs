//! The skinny tensor-core kernel against the CPU: any shape it takes (proptest) and its STAGED builds over
//! several K steps.

use super::common::gpu;
use super::support::*;
use omnimoe::gpu::stages::{self, GemmKernel};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The skinny kernel at the shapes it takes (n a multiple of 32, k of 32, up to 64 rows), any number
    /// of K ranges asked (it raises too few), every epilogue, with and without its STAGED builds (where
    /// the adapter has them; ~35 KiB and, alone, ~44 KiB); the SIMT f16 kernel without tensor cores.
    #[test]
    fn skinny_gemm_matches_cpu(m in 1usize..=64, blocks in 1usize..=12, q in 1usize..48, epilogue in 0u8..5, splits in 1u32..20, seed: u64) {
        let ctx = gpu();
        // n from 32 to 384: a last workgroup of 1 to 4 subgroups.
        let (n, k) = (32 * blocks, 32 * q);
        let split = if epilogue == 3 { n - 2 * (1 + (seed % 12) as usize) } else { n };
        let kernels = gemm_kernels(ctx, (m, n, k), epilogue);
        let plain = GemmKernel::Skinny { staged: false, alone: false };
        prop_assert!(kernels.contains(&plain));
        for kernel in kernels.into_iter().filter(|k| matches!(k, GemmKernel::Skinny { .. })) {
            check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, seed)?;
        }
    }
}

/// The skinny kernel's STAGED builds over ranges of several K steps (64 k a step up to 16 rows where K %
/// 64 == 0, 32 else): the proptest above reaches them in some of its cases only (a build that loaded
/// every odd step from the wrong place passed it once on an H100, run290). Each shape with one range and
/// with several, every epilogue; at 17 and 33 rows also ranges 128 deep (eight and four); ranges of 8
/// steps or more hold two steps in flight (AHEAD2), the last ranges of 1472 and 1056 an odd step after
/// their loop.
#[test]
fn skinny_staged_steps_match_cpu() {
    let ctx = gpu();
    for (m, n, k, ranges) in [
        (1, 256, 1024, [1, 3]),
        (16, 128, 512, [1, 3]),
        (9, 384, 1088, [1, 3]),
        (24, 256, 992, [1, 3]),
        (17, 128, 1024, [1, 8]),
        (33, 256, 512, [1, 4]),
        // 3 ranges: 8 steps of 64 (two in flight), the last 7 (its odd step after the loop); 4: 6 steps.
        (5, 256, 1472, [3, 4]),
        // K % 64 == 32, 3 ranges: 12 steps of 32 (two in flight), the last 9; N % 128 == 32 (H = 1056's
        // down projection: a last workgroup of one subgroup).
        (3, 1056, 1056, [1, 3]),
    ] {
        for splits in ranges {
            for epilogue in 0u8..5 {
                let split = if epilogue == 3 { n - 6 } else { n };
                let staged = gemm_kernels(ctx, (m, n, k), epilogue)
                    .into_iter()
                    .filter(|kernel| matches!(kernel, GemmKernel::Skinny { staged: true, .. }));
                for kernel in staged {
                    check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, 11)
                        .unwrap_or_else(|e| {
                            panic!("{kernel:?}, {m}×{n}×{k}, {splits} ranges: {e}")
                        });
                }
            }
        }
    }
}

/// The wide gate/up GEMM's build on six subgroups a workgroup (192 columns: alone, 64 k a step, where no
/// count of subgroups has its workgroups run at once), N no multiple of 192: 66 workgroups a range (one
/// round of 132), each subgroup streaming two or three blocks of 32 columns one after another (1025 of
/// them, the last a partial workgroup's); where the adapter has no STAGED build, the skinny kernel it runs
/// instead.
#[test]
fn skinny_six_subgroups_match_cpu() {
    check_skinny_subgroups((32_800, 1024), true, "SG6", 66);
}

/// The gate/up GEMM's build on eight subgroups a workgroup (256 columns: alone, 32 k a step, A 512 deep,
/// where eight's workgroups run at once and four's and six's do not), N no multiple of 256 (its last
/// workgroup's sixth to eighth subgroups past N).
#[test]
fn skinny_eight_subgroups_match_cpu() {
    check_skinny_subgroups((16_544, 1024), true, "SG8", 65);
}

/// A down projection's build on eight subgroups beside other work (H = 1056 columns, I = 12288 deep in 24
/// ranges: four's 9 column workgroups a range do not run at once, eight's 5 do; the last one's second to
/// eighth subgroups past N).
#[test]
fn skinny_eight_subgroups_beside_other_work_match_cpu() {
    check_skinny_subgroups((1056, 12_288), false, "SG8", 5);
}

/// The skinny kernel on an (m, n, k) GEMM at 16 and 9 rows, `alone` (plain and SwiGLU with router
/// columns) or beside other work (plain and added to C), two and three K ranges asked, against the CPU;
/// where the adapter has STAGED builds, asserts that it runs the build `flag` on `groups` workgroups a
/// range.
fn check_skinny_subgroups((n, k): (usize, usize), alone: bool, flag: &str, groups: u32) {
    let ctx = gpu();
    let staged = ctx.caps.cooperative_matrix && ctx.caps.subgroup_barrier;
    let epilogues = if alone { [0u8, 3] } else { [0, 1] };
    for m in [16, 9] {
        for epilogue in epilogues {
            let split = if epilogue == 3 { n - 6 } else { n };
            let kernels: Vec<GemmKernel> = gemm_kernels(ctx, (m, n, k), epilogue)
                .into_iter()
                .filter(|kernel| match *kernel {
                    GemmKernel::Skinny {
                        staged: s,
                        alone: a,
                    } => {
                        if staged {
                            s && a == alone
                        } else {
                            !s && !a
                        }
                    }
                    _ => false,
                })
                .collect();
            assert!(!kernels.is_empty(), "no skinny kernel at {m}×{n}×{k}");
            for kernel in kernels {
                if staged {
                    let shape = (m as u32, n as u32, k as u32);
                    let (_, variant, launch) =
                        stages::gemm_dispatch(&ctx.caps, kernel, shape, epilogue_kind(epilogue));
                    assert!(variant.flags.contains(flag), "{kernel:?}: {variant:?}");
                    assert_eq!(launch[0], groups, "{kernel:?}");
                }
                for splits in [2, 3] {
                    check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, 5)
                        .unwrap_or_else(|e| {
                            panic!("{kernel:?}, {m}×{n}×{k}, {splits} ranges: {e}")
                        });
                }
            }
        }
    }
}
