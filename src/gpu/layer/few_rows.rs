//! The few-row tiles a layer runs where the autotune did not time its GEMMs
//! (`OmniMoeLayer::few_rows_kernel`), by class of rows.

use super::super::stages::{self, CoopConfig};

/// The few-row configurations `OmniMoeLayer::few_rows_kernel` tries in turn for a class of rows
/// ([`row_class`](crate::gpu::tune::row_class): 0, 1 or 2; 3 as 2), those within `bytes` of workgroup
/// memory and, `beside_router`, within [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES).
pub(super) fn few_row_configs(class: u8, beside_router: bool, bytes: u32) -> Vec<CoopConfig> {
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
    let mut configs: Vec<CoopConfig> = tiles
        .iter()
        .map(|&(tile, k_step)| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        })
        .collect();
    if class < 2 {
        if let Some(forced) = forced_few_row_config(beside_router) {
            configs.insert(0, forced);
        }
    }
    let most = if beside_router {
        bytes.min(crate::gpu::tune::BESIDE_ROUTER_BYTES)
    } else {
        bytes
    };
    configs
        .into_iter()
        .filter(|config| config.workgroup_bytes() <= most)
        .collect()
}

/// `OMNIMOE_FEW_TILE_GATE` / `OMNIMOE_FEW_TILE_DOWN` = `TILE:K_STEP` (a measuring aid): the few-row
/// configuration tried first for the gate/up GEMM / the down projection up to 64 rows, e.g.
/// `quarter8:128` (the 64 × 64 tiles, as up to 32 rows before the twenty-seventh session).
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
            few_row_configs(class, beside, bytes)
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
            assert!(few_row_configs(class, true, all)
                .iter()
                .all(|c| c.workgroup_bytes() <= crate::gpu::tune::BESIDE_ROUTER_BYTES));
            assert_eq!(tiles(class, false, 32 * 1024), [(Half, 64)]);
        }
        assert_eq!(tiles(2, true, all), [(Half8, 64), (Half, 64)]);
    }
}
