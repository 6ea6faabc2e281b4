//! The few-row tiles a layer runs where the autotune did not time its GEMMs
//! (`OmniMoeLayer::few_rows_kernel`), by class of rows.

use super::super::stages::{self, CoopConfig};

/// The fewest 32 × 256 strips ([`stages::CoopTile::Strip`]) a gate/up GEMM of up to 32 rows runs on
/// them: a round of workgroups, one an SM, on a GPU of ~100–132 SMs. On an H200 (BENCHMARKS.md,
/// forty-fourth session, run467) its GEMM alone at 32 rows: 97 strips (I = 12288) 27.8 → 24.6 µs, 129 (I =
/// 16384) 35.8 → 27.1, 257 (I = 32768) 67.7 → 49.9; at 65 (I = 8192) the strips left half the SMs idle
/// (19.5 → 24.8 µs), and in three K ranges they lost too (24.3).
pub(super) const STRIP_FROM_TILES: u32 = 96;

/// Whether a gate/up GEMM of `columns` runs on strips up to 32 rows (`OMNIMOE_STRIP=off`, a measuring
/// aid, keeps it on the 32 × 64 tiles).
fn strips(columns: u32) -> bool {
    let (_, tile_n) = stages::CoopTile::Strip.dims();
    columns.div_ceil(tile_n) >= STRIP_FROM_TILES
        && !crate::gpu::measuring::env_is("OMNIMOE_STRIP", "off")
}

/// The few-row configurations `OmniMoeLayer::few_rows_kernel` tries in turn for a class of rows
/// ([`row_class`](crate::gpu::tune::row_class): 0, 1 or 2; 3 as 2), those within `bytes` of workgroup
/// memory and, `beside_router`, within [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES)
/// (but for a measuring aid's). `columns`: the GEMM's (the gate/up GEMM's, with the router's, unless
/// `beside_router`).
pub(super) fn few_row_configs(
    class: u8,
    beside_router: bool,
    bytes: u32,
    columns: u32,
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
    let strip: &[(stages::CoopTile, u32)] = if class == 0 && !beside_router && strips(columns) {
        &[(Strip, 64)]
    } else {
        &[]
    };
    let most = if beside_router {
        bytes.min(crate::gpu::tune::BESIDE_ROUTER_BYTES)
    } else {
        bytes
    };
    let mut configs: Vec<CoopConfig> = strip
        .iter()
        .chain(tiles)
        .map(|&(tile, k_step)| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        })
        .filter(|config| config.workgroup_bytes() <= most)
        .collect();
    if class < 2 {
        if let Some(forced) = forced_few_row_config(beside_router) {
            if forced.workgroup_bytes() <= bytes {
                configs.insert(0, forced);
            }
        }
    }
    configs
}

/// `OMNIMOE_FEW_TILE_GATE` / `OMNIMOE_FEW_TILE_DOWN` = `TILE:K_STEP` (a measuring aid): the few-row
/// configuration tried first for the gate/up GEMM / the down projection up to 64 rows, e.g.
/// `quarter8:128` (the 64 × 64 tiles, as up to 32 rows before the twenty-seventh session); the down
/// projection's beyond [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES) too.
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
            "quarter" => Quarter,
            "half" => Half,
            "strip" => Strip,
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
        let tiles = |class, beside, bytes| {
            few_row_configs(class, beside, bytes, 8320)
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
            assert!(few_row_configs(class, true, all, 1024)
                .iter()
                .all(|c| c.workgroup_bytes() <= crate::gpu::tune::BESIDE_ROUTER_BYTES));
            assert_eq!(tiles(class, false, 32 * 1024), [(Half, 64)]);
        }
        assert_eq!(tiles(2, true, all), [(Half8, 64), (Half, 64)]);
    }

    /// A gate/up GEMM of up to 32 rows runs on strips from a round of them (I = 12288 at H = 1024, with
    /// the router's 128 columns: 97), falling back to the 32 × 64 tiles where its ~44.5 KiB do not fit;
    /// narrower ones (I = 8192: 65 strips), more rows and the down projection keep the tiles.
    #[test]
    fn strips_for_a_wide_gate_up_gemm_of_a_few_dozen_rows() {
        use stages::CoopTile::*;
        let first = |class, beside, bytes, columns| {
            few_row_configs(class, beside, bytes, columns)
                .first()
                .map(|c| (c.tile, c.k_step))
        };
        let all = 48 * 1024;
        let strip = CoopConfig {
            tile: Strip,
            k_step: 64,
            ..CoopConfig::DEFAULT
        };
        assert!(strip.workgroup_bytes() <= all && strip.workgroup_bytes() > 44 * 1024);
        for columns in [24576 + 128, 32768 + 128, 65536 + 128] {
            assert_eq!(first(0, false, all, columns), Some((Strip, 64)));
            assert_eq!(first(0, false, 32 * 1024, columns), Some((Half, 64)));
            assert_eq!(first(1, false, all, columns), Some((Quarter8, 128)));
            assert_eq!(first(0, true, all, columns), Some((Eighth8, 128)));
        }
        for columns in [8320, 16384 + 128, (STRIP_FROM_TILES - 1) * 256] {
            assert_eq!(first(0, false, all, columns), Some((Eighth8, 128)));
        }
        assert_eq!(
            first(0, false, all, (STRIP_FROM_TILES - 1) * 256 + 1),
            Some((Strip, 64))
        );
    }
}
