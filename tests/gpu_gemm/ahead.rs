//! The few-row tensor-core tiles with two K steps' loads in flight (AHEAD2, `CoopConfig::ahead2`)
//! against the CPU.

use super::*;

/// A configuration, (m, n, k), the K ranges asked and the epilogue (`check_gemm`'s numbering).
type Case = (CoopConfig, (u32, u32, u32), u32, u8);

/// The 32 × 64 and 64 × 128 tiles over 8 subgroups and the 64 × 64 and 32 × 64 tiles with their staging
/// in turns take AHEAD2 where each K range is at least 8 steps deep (K a multiple of 8, as the tiles need):
/// unsplit with 8 steps, 9 (the last short: one step after the loop), 11 and 16 (the 32 × 64 and 64 ×
/// 64 tiles at K step 64, as a layer's gate/up GEMM of up to 64 rows runs them), and split into ranges
/// of 32, 16 or 8 steps (the last range short; the 32 × 64 tiles with their staging in turns in 16
/// ranges of 8 steps, as a wide layer's down projection of up to 32 rows runs them), plain, ADD and with
/// the SwiGLU and router epilogue.
/// Each shape is asserted to take AHEAD2, so the checks run it. Where the adapter has no cooperative
/// matrices no tile runs: the f16 SIMT kernel a layer runs there takes the same shapes.
#[test]
fn ahead2_tiles_match_cpu() {
    let ctx = gpu();
    let coop = ctx.caps.cooperative_matrix;
    let eighth = CoopConfig {
        tile: CoopTile::Eighth8,
        k_step: 128,
        ..CoopConfig::DEFAULT
    };
    let eighth64 = CoopConfig {
        k_step: 64,
        ..eighth
    };
    let turns64 = CoopConfig {
        tile: CoopTile::Eighth8Turns,
        ..eighth64
    };
    let quarter64 = CoopConfig {
        tile: CoopTile::Quarter8Turns,
        k_step: 64,
        ..CoopConfig::DEFAULT
    };
    let half = CoopConfig {
        tile: CoopTile::Half8,
        k_step: 64,
        ..CoopConfig::DEFAULT
    };
    // (config, (m, n, k), splits, epilogue): the SwiGLU shapes' last 40 columns are router columns.
    let cases: [Case; 14] = [
        (eighth64, (30, 2100, 1024), 1, 3),
        (eighth, (32, 640, 1024), 1, 0),
        (eighth, (17, 1000, 1096), 1, 1),
        (eighth, (32, 240, 1408), 1, 3),
        (eighth, (24, 256, 4096), 2, 1),
        (eighth, (32, 192, 3000), 3, 0),
        (turns64, (32, 320, 8192), 16, 1),
        (turns64, (19, 200, 2100), 2, 0),
        (turns64, (32, 500, 600), 1, 3),
        (quarter64, (64, 600, 1024), 1, 3),
        (quarter64, (40, 300, 4096), 2, 1),
        (half, (100, 300, 600), 1, 3),
        (half, (128, 512, 2048), 2, 1),
        (half, (65, 130, 1496), 3, 0),
    ];
    for (config, (m, n, k), splits, epilogue) in cases {
        // Each range's depth as split-K cuts it (a multiple of 64; K itself unsplit).
        let depth = if splits == 1 {
            k
        } else {
            k.div_ceil(splits).next_multiple_of(64)
        };
        assert!(config.ahead2(depth), "{config:?} at {m}×{n}×{k}");
        if splits == 1 {
            let kind = [EpilogueKind::Store, EpilogueKind::Add, EpilogueKind::SwiGlu]
                [epilogue.min(2) as usize];
            let (_, variant, _) =
                stages::gemm_dispatch(&ctx.caps, GemmKernel::Coop(config), (m, n, k), kind);
            assert_eq!(
                variant.flags.contains("AHEAD2"),
                coop,
                "{config:?} at {m}×{n}×{k}"
            );
        }
        let kernel = if coop {
            GemmKernel::Coop(config)
        } else {
            GemmKernel::simt(true)
        };
        let split = if epilogue == 3 {
            n as usize - 40
        } else {
            n as usize
        };
        let shape = (m as usize, n as usize, k as usize);
        check_gemm_split(ctx, kernel, splits, shape, split, epilogue, 5 + k as u64)
            .unwrap_or_else(|e| panic!("{kernel:?}, {m}×{n}×{k} in {splits}: {e}"));
    }
}
