//! The few-row tiles a layer runs where the autotune did not time its GEMMs
//! (`OmniMoeLayer::few_rows_kernel`), by class of rows.

use super::super::stages::{self, CoopConfig};

/// Whether a gate/up GEMM of up to 64 rows and `columns` runs its 64-column tiles at K step 64, two
/// workgroups an SM (up to 32 rows the 32 × 64 tiles, ~21.5 KiB; up to 64 the 64 × 64 tiles with their
/// staging in turns, ~22.4 KiB) instead of at K step 128, one an SM (~34–38 KiB): where the tiles are
/// more than one round of one an SM ([`stages::MEASURED_SMS`]), so that two share each SM. On an H200
/// (BENCHMARKS.md, forty-fifth session) its GEMM alone, both with AHEAD2: at 32 rows (run476) I = 8192
/// (258 tiles) 19.5 → 14.3 µs, I = 16384 (514) 35.6 → 25.4 (27.1 on the 32 × 256 strips), I = 32768
/// (1026) 67.5 → 47.2 (49.8), I = 12288 (386) 27.8 → 24.7 (24.6); at 64 rows (run478, against the 64
/// × 64 tiles with their own staging) I = 8192 22.7 → 19.4, I = 16384 42.6 → 35.4. Where the tiles are
/// one round (130: the README's, 10.9 against 11.1 at 32 rows and 13.8 against 13.0 at 64; H = 2048's,
/// 17.5 against 16.9) two workgroups an SM have no SM to share.
fn two_an_sm(columns: u32) -> bool {
    let (_, tile_n) = stages::CoopTile::Eighth8.dims();
    columns.div_ceil(tile_n) > stages::MEASURED_SMS
}

/// Fewest K a few-row down projection's workgroups each take (with [`SPLIT_K_WORKGROUPS`] ×
/// 2 workgroups) for it to run on the 32 × 64 tiles with their staging in turns at K step 64, two an SM
/// beside the router's ([`turns_two_an_sm`]).
///
/// [`SPLIT_K_WORKGROUPS`]: stages::SPLIT_K_WORKGROUPS
const TURNS_FROM_DEPTH: u32 = 768;

/// Whether a down projection of up to 32 rows, (`columns`, `depth`) = (H, I), runs on the 32 × 64 tiles
/// with their staging in turns at K step 64 (~17.5 KiB: two an SM, and the router's ~8 KiB beside
/// them within an SM's 48 KiB), split into ranges for twice [`stages::SPLIT_K_WORKGROUPS`]
/// ([`CoopConfig::per_sm`]), instead of the 32 × 64 tiles at K step 128 in ranges for
/// [`stages::SPLIT_K_WORKGROUPS`]: where each range is at least [`TURNS_FROM_DEPTH`] deep. Alone it is
/// faster at every width, but twice the ranges leave the expert stage twice the partial products to
/// add (~1 µs more; loading 8 ranges at a time instead of 4 did not help, run480), so in the layer it
/// gains only where the ranges are deep. On an H200 (BENCHMARKS.md, forty-sixth session, runs 479–480),
/// the down projection alone from memory at 32 rows and per layer of a stack of 4, against the former
/// tiles side by side (run480): I = 12288 (16 ranges of 768) 13.9 → 12.2 µs, 0.0530 → 0.0519 ms; I =
/// 16384 17.2 → 14.6, 0.0575 → 0.0561 (at 17 rows 16.6 → 14.3, 0.0565 → 0.0549); I = 32768 29.6 →
/// 25.9, 0.0904 → 0.0878; H = 2048, I = 8192 (8 ranges of 1024) 17.2 → 15.5, 0.0628 → 0.0620; H =
/// 4096, I = 16384 98.7 → 44.2, 0.2125 → 0.1643 (its 64 tiles were half of 128 workgroups, so the
/// former tiles ran it whole, on half the SMs). Where the ranges are shallower the layer lost (run479):
/// I = 8192 (512) 0.0395 → 0.0406 (alone 11.0 → 9.9), at 17 rows 0.0392 → 0.0399; I = 4096 (256)
/// 0.0333 → 0.0344. The 32 × 64 tiles with their own staging at K step 64 (~21.5 KiB) are as fast
/// alone but leave no room for the router's workgroups: their layer is slower at every width (I =
/// 16384: 0.0579, run479).
fn turns_two_an_sm((columns, depth): (u32, u32)) -> bool {
    let config = CoopConfig {
        tile: stages::CoopTile::Eighth8Turns,
        k_step: 64,
        ..CoopConfig::DEFAULT
    };
    let shape = (crate::gpu::tune::HALF_TILE_ROWS, columns, depth);
    let splits = stages::split_k(stages::GemmKernel::Coop(config), shape);
    depth.div_ceil(splits) >= TURNS_FROM_DEPTH
}

/// The few-row configurations `OmniMoeLayer::few_rows_kernel` tries in turn for a class of rows
/// ([`row_class`](crate::gpu::tune::row_class): 0, 1 or 2; 3 as 2), those within `bytes` of workgroup
/// memory and, `beside_router`, within [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES)
/// (but for a measuring aid's). `(columns, depth)`: the GEMM's N and K (the gate/up GEMM's, with the
/// router's columns, or with `beside_router` the down projection's).
pub(super) fn few_row_configs(
    class: u8,
    beside_router: bool,
    bytes: u32,
    (columns, depth): (u32, u32),
) -> Vec<CoopConfig> {
    use stages::CoopTile::*;
    // 32-row tiles up to 32 rows, 64 × 64 up to 64, 64 × 128 above (over 8 subgroups: on an H100 the
    // down projection of a wide layer at 128 and 256 rows 50.4 → 45.8 and 78.3 → 69.5 µs, the
    // autotune's timing in `h100-run-code/run335.sh`; the gate/up GEMM's choice at 128 rows since the
    // twenty-second session), each class falling back on the next's where less workgroup memory fits.
    let tiles: &[(stages::CoopTile, u32)] = match class {
        0 => &[
            (Eighth8, 128),
            (Quarter8, 128),
            (Quarter8Turns, 128),
            (Quarter, 128),
            (Half8, 64),
            (Half, 64),
        ],
        1 => &[
            (Quarter8, 128),
            (Quarter8Turns, 128),
            (Quarter, 128),
            (Half8, 64),
            (Half, 64),
        ],
        _ => &[(Half8, 64), (Half, 64)],
    };
    let two = !beside_router && two_an_sm(columns);
    let first: &[(stages::CoopTile, u32)] = match class {
        0 if two => &[(Eighth8, 64)],
        1 if two => &[(Quarter8Turns, 64)],
        0 if beside_router && turns_two_an_sm((columns, depth)) => &[(Eighth8Turns, 64)],
        _ => &[],
    };
    let most = if beside_router {
        bytes.min(crate::gpu::tune::BESIDE_ROUTER_BYTES)
    } else {
        bytes
    };
    let mut configs: Vec<CoopConfig> = first
        .iter()
        .chain(tiles)
        .map(|&(tile, k_step)| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        })
        .filter(|config| config.workgroup_bytes() <= most)
        .collect();
    if let Some(forced) = forced_few_row_config(beside_router) {
        if forced.workgroup_bytes() <= bytes {
            configs.insert(0, forced);
        }
    }
    configs
}

/// Whether a measuring aid (`OMNIMOE_FEW_TILE_GATE`, or with `beside_router` `OMNIMOE_FEW_TILE_DOWN`)
/// names a few-row configuration: the layer then runs it up to
/// [`FEW_ROWS`](crate::gpu::tune::FEW_ROWS) rows whatever the GEMM's width (without it, from 65 rows a
/// GEMM of 128 square tiles or more runs the layer's default).
pub(super) fn forced(beside_router: bool) -> bool {
    forced_few_row_config(beside_router).is_some()
}

/// `OMNIMOE_FEW_TILE_GATE` / `OMNIMOE_FEW_TILE_DOWN` = `TILE:K_STEP` (a measuring aid): the few-row
/// configuration tried first for the gate/up GEMM / the down projection at any class of rows, e.g.
/// `quarter8:128` (the 64 × 64 tiles, as up to 32 rows before the twenty-seventh session), `strip:64`
/// or `wide:32` (the 128 × 256 tiles; `square`, `wide16` too); the down projection's beyond
/// [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES) too.
fn forced_few_row_config(beside_router: bool) -> Option<CoopConfig> {
    use stages::CoopTile::*;
    let var = if beside_router {
        "OMNIMOE_FEW_TILE_DOWN"
    } else {
        "OMNIMOE_FEW_TILE_GATE"
    };
    crate::gpu::measuring::env_parse(var, |value| {
        let (tile, k_step) = value.split_once(':')?;
        let tile = match tile {
            "quarter8" => Quarter8,
            "quarter8turns" => Quarter8Turns,
            "eighth8" => Eighth8,
            "eighth8turns" => Eighth8Turns,
            "quarter" => Quarter,
            "half" => Half,
            "half8" => Half8,
            "strip" => Strip,
            "square" => Square,
            "wide" => Wide,
            "wide16" => Wide16,
            _ => return None,
        };
        Some(CoopConfig {
            tile,
            k_step: k_step.parse().ok()?,
            ..CoopConfig::DEFAULT
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to 32 rows both GEMMs' first choice is the 32 × 64 tile; up to 64 the gate/up GEMM's is the 64
    /// × 64 tile over 8 subgroups, the down projection's (beside the router) the same with its staging in
    /// turns; above, 64 × 128 tiles over 8 subgroups; each falls back to smaller tiles where the adapter
    /// has less workgroup memory (32 KiB: 64 × 128 over 4 subgroups at K step 64 only).
    #[test]
    fn few_row_defaults_keep_the_down_projection_beside_the_router() {
        use stages::CoopTile::*;
        // The README's GEMMs: gate/up (8320 columns with the router's, K = 1024), down (1024, 4096).
        let tiles = |class, beside, bytes| {
            let shape = if beside { (1024, 4096) } else { (8320, 1024) };
            few_row_configs(class, beside, bytes, shape)
                .iter()
                .map(|c| (c.tile, c.k_step))
                .collect::<Vec<_>>()
        };
        let all = 48 * 1024;
        assert_eq!(tiles(0, false, all)[0], (Eighth8, 128));
        assert_eq!(tiles(0, true, all)[0], (Eighth8, 128));
        assert_eq!(tiles(1, false, all)[0], (Quarter8, 128));
        assert_eq!(tiles(1, true, all)[0], (Quarter8Turns, 128));
        for class in 0..3 {
            assert!(few_row_configs(class, true, all, (1024, 4096))
                .iter()
                .all(|c| c.workgroup_bytes() <= crate::gpu::tune::BESIDE_ROUTER_BYTES));
            assert_eq!(tiles(class, false, 32 * 1024), [(Half, 64)]);
        }
        assert_eq!(tiles(2, true, all), [(Half8, 64), (Half, 64)]);
    }

    /// A gate/up GEMM of up to 32 (64) rows runs its 32 × 64 (64 × 64) tiles at K step 64, two an SM,
    /// where they are more than a round of one an SM (I = 8192 and wider at H = 1024, with the router's
    /// 128 columns: 258 tiles and more), at K step 128 where they are one (the README's 130); more rows
    /// and a shallow down projection keep their tiles, and the K-step-64 tiles fit 32 KiB of workgroup
    /// memory.
    #[test]
    fn two_tiles_an_sm_for_a_gate_up_gemm_of_more_than_a_round() {
        use stages::CoopTile::*;
        // K = 1024; the down projection's 512, shallower than `TURNS_FROM_DEPTH`.
        let first = |class, beside, bytes, columns| {
            let depth = if beside { 512 } else { 1024 };
            few_row_configs(class, beside, bytes, (columns, depth))
                .first()
                .map(|c| (c.tile, c.k_step))
        };
        let all = 48 * 1024;
        for tile in [Eighth8, Quarter8Turns] {
            let two = CoopConfig {
                tile,
                k_step: 64,
                ..CoopConfig::DEFAULT
            };
            assert!(2 * two.workgroup_bytes() <= all && two.workgroup_bytes() <= 32 * 1024);
        }
        let round = stages::MEASURED_SMS * 64;
        for columns in [16384 + 128, 24576 + 128, 65536 + 128, round + 1] {
            assert_eq!(first(0, false, all, columns), Some((Eighth8, 64)));
            assert_eq!(first(0, false, 32 * 1024, columns), Some((Eighth8, 64)));
            assert_eq!(first(1, false, all, columns), Some((Quarter8Turns, 64)));
            assert_eq!(first(2, false, all, columns), Some((Half8, 64)));
            assert_eq!(first(0, true, all, columns), Some((Eighth8, 128)));
            assert_eq!(first(1, true, all, columns), Some((Quarter8Turns, 128)));
        }
        for columns in [8320, round] {
            assert_eq!(first(0, false, all, columns), Some((Eighth8, 128)));
            assert_eq!(first(1, false, all, columns), Some((Quarter8, 128)));
        }
    }

    /// A down projection of up to 32 rows runs on the 32 × 64 tiles with their staging in turns at K step
    /// 64 (two an SM with the router's beside them, in twice the ranges) where each range is at least
    /// 768 deep: at H = 1024 from I = 12288 (16 ranges of 768), at H = 4096 from I = 3072 (4 ranges); at
    /// I = 8192 (512) and the README's 4096 (256), at more rows and for the gate/up GEMM the tiles stay.
    #[test]
    fn a_deep_down_projection_runs_two_tiles_an_sm_beside_the_router() {
        use stages::CoopTile::*;
        let first = |class, beside, shape| {
            few_row_configs(class, beside, 48 * 1024, shape)
                .first()
                .map(|c| (c.tile, c.k_step))
        };
        let turns = CoopConfig {
            tile: Eighth8Turns,
            k_step: 64,
            ..CoopConfig::DEFAULT
        };
        let router = 8 * 1024;
        assert!(2 * turns.workgroup_bytes() + router <= stages::SM_WORKGROUP_BYTES);
        assert_eq!(turns.per_sm(), 2);
        for (h, i) in [
            (1024, 12288),
            (1024, 32768),
            (2048, 8192),
            (1000, 12288),
            (4096, 16384),
        ] {
            assert_eq!(
                first(0, true, (h, i)),
                Some((Eighth8Turns, 64)),
                "{h} × {i}"
            );
            let splits = stages::split_k(stages::GemmKernel::Coop(turns), (32, h, i));
            assert_eq!(splits, 256 / h.div_ceil(64), "{h} × {i}");
            assert!(i.div_ceil(splits) >= TURNS_FROM_DEPTH);
            assert_eq!(
                first(1, true, (h, i)),
                Some((Quarter8Turns, 128)),
                "{h} × {i}"
            );
            assert_eq!(first(0, false, (h, i)), Some((Eighth8, 128)), "{h} × {i}");
        }
        for (h, i) in [
            (1024, 4096),
            (1024, 8192),
            (1024, 12224),
            (2048, 4096),
            (4096, 2048),
        ] {
            assert_eq!(first(0, true, (h, i)), Some((Eighth8, 128)), "{h} × {i}");
        }
    }
}
