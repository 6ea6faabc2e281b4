//! How many K ranges a split-K GEMM runs ([`split_k`]), how deep each is, and what its partial products
//! take.

use super::super::super::measuring::env_count;
use super::super::gemm_kernel::{GemmKernel, SPLIT_K_MAX_M};
use super::super::skinny::{skinny_fewest_splits, skinny_rows, skinny_splits, skinny_takes};

/// Workgroups a split-K GEMM aims for, and at most half of which a tensor-core GEMM's output tiles get
/// ranges (below half, the SIMT kernel's).
/// Measured on an H100 at the README's sizes (BENCHMARKS.md, `h100-run-skinny2/run98.sh`): 128 against
/// 192, 256 and 384 — at T=128 the gate/up GEMM (65 tiles) then runs unsplit and the down projection in 8
/// ranges, the layer 0.103 → 0.081 ms; at T=256 0.104 → 0.092, at T=64 0.071 → 0.065. Again with the
/// tiles over 8 subgroups (`h100-run-code/run286.sh`, per layer of a stack of 4): 128 still best at 32,
/// 64, 128 and 256 tokens (at 64: 0.0384–0.0389 ms against 0.0418–0.0419 at 256, 0.0545–0.0546 at 384).
pub const SPLIT_K_WORKGROUPS: u32 = 128;

/// [`SPLIT_K_WORKGROUPS`], or `OMNIMOE_SPLIT_K_WGS` where set (a measuring aid, read once).
fn split_k_workgroups() -> u32 {
    env_count("OMNIMOE_SPLIT_K_WGS")
        .filter(|&w| w > 1)
        .unwrap_or(SPLIT_K_WORKGROUPS)
}

/// The SIMT kernel's tiles (128 × 128 in f32 arithmetic) take several times a tensor-core tile's time,
/// so a SIMT GEMM of 64 to 127 tiles, which [`split_k`]'s ~128 workgroups leave whole, is split for ~256
/// workgroups instead, each range at least 256 deep. On an H100 (BENCHMARKS.md, "Few rows on the SIMT
/// kernel"), the gate/up GEMM of 16 to 128 tokens (65 tiles) in 4 ranges: 0.111–0.123 → 0.057–0.090
/// ms; the down projection's 8 or 16 tiles split as before (more ranges there cost the expert stage
/// more than they saved). `wgs` is [`split_k`]'s target, which `tiles` already reach half of.
fn simt_splits(tiles: u32, k: u32, wgs: u32) -> u32 {
    if tiles >= wgs {
        return 1;
    }
    (2 * wgs).div_ceil(tiles).min(k / 256).max(1)
}

/// How many K ranges [`gemm_split_k`] should use for an (m, n, k) GEMM through `kernel`: 1 (no split)
/// unless m ≤ [`SPLIT_K_MAX_M`] and the output tiles alone would leave half of a large GPU or more idle
/// (a decode step's down projection is 8 tiles of 128 × 128); then enough ranges for ~128 workgroups,
/// each at least 128 deep in K (~256 for a configuration two workgroups of which fit an SM,
/// [`CoopConfig::per_sm`]: one round of them as 128 are of the others).
///
/// [`GemmKernel::Skinny`] splits as [`skinny_splits`] says, [`GemmKernel::Gemv`] as `gemv_splits` (in
/// `gemv.rs`) does (a narrow GEMV of 2 to 8 rows: two ranges, a deep one four); a SIMT kernel that runs
/// stream-K at this shape ([`GemmKernel::stream_k_at`]) leaves 2 partial products (each tile's head and
/// tail), and one of 64 to 127 tiles splits as `simt_splits` says.
///
/// [`gemm_split_k`]: super::gemm_split_k
/// [`CoopConfig::per_sm`]: super::super::CoopConfig::per_sm
pub fn split_k(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> u32 {
    // Stream-K's head and tail of each tile: two partial products.
    if kernel.stream_k_at((m, n, k)).is_some() {
        return 2;
    }
    let ((tm, tn), simt, per_sm) = match kernel {
        GemmKernel::Coop(config) => (config.tile.dims(), false, config.per_sm()),
        GemmKernel::Skinny { staged, alone } if skinny_takes((m, n, k)) => {
            return skinny_splits((m, n, k), staged, alone)
        }
        GemmKernel::Simt { .. } | GemmKernel::Skinny { .. } => ((128, 128), true, 1),
        GemmKernel::Gemv { f16, .. } => return super::super::gemv::gemv_splits((m, n, k), f16),
    };
    let tiles = n.div_ceil(tn) * m.div_ceil(tm);
    let wgs = split_k_workgroups() * per_sm;
    if m > SPLIT_K_MAX_M {
        return 1;
    }
    if simt && tiles >= wgs / 2 {
        return simt_splits(tiles, k, wgs);
    }
    // A tensor-core GEMM of more than half the workgroups runs whole; one of half or fewer (64 tiles:
    // a down projection of H = 4096 at 33–128 rows) gets ranges.
    if 2 * tiles > wgs {
        return 1;
    }
    wgs.div_ceil(tiles).min(k / 128).max(1)
}

/// K per range and the number of ranges for `splits` requested over `k` (ranges a multiple of 64 deep,
/// every K step of every kernel).
pub(super) fn k_ranges(k: u32, splits: u32) -> (u32, u32) {
    let kz = k.div_ceil(splits).next_multiple_of(64);
    (kz, k.div_ceil(kz))
}

/// The ranges `kernel` runs for `splits` asked: the skinny kernel needs at least
/// [`skinny_fewest_splits`].
pub(super) fn splits_for(kernel: GemmKernel, (m, n, k): (u32, u32, u32), splits: u32) -> u32 {
    match kernel {
        GemmKernel::Skinny { staged, alone } if skinny_takes((m, n, k)) => {
            splits.max(skinny_fewest_splits((m, n, k), staged, alone))
        }
        _ => splits,
    }
}

/// K ranges `kernel` runs for an (m, n, k) GEMM with `splits` asked (what its partial products hold).
pub fn split_ranges(kernel: GemmKernel, shape: (u32, u32, u32), splits: u32) -> u32 {
    k_ranges(shape.2, splits_for(kernel, shape, splits)).1
}

/// Rows of each range's partial product: m, or m rounded up to the skinny kernel's fragments.
pub(super) fn partial_rows(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> u32 {
    if matches!(kernel, GemmKernel::Skinny { .. }) && skinny_takes((m, n, k)) {
        skinny_rows(m)
    } else {
        m
    }
}

/// f32 elements of the partial products [`gemm_split_k`](super::gemm_split_k) writes for `splits` over
/// an (m, n, k) GEMM through `kernel`.
pub fn split_k_partial_len(kernel: GemmKernel, (m, n, k): (u32, u32, u32), splits: u32) -> u64 {
    let rows = partial_rows(kernel, (m, n, k));
    k_ranges(k, splits_for(kernel, (m, n, k), splits)).1 as u64 * rows as u64 * n as u64
}

/// Whether a GEMM planned as (`kernel`, `splits`) runs split over K
/// ([`gemm_split_k`](super::gemm_split_k), partial products then their sum): more than one range, or the
/// skinny kernel, which always writes partial products.
pub fn runs_split(kernel: GemmKernel, splits: u32) -> bool {
    splits > 1 || matches!(kernel, GemmKernel::Skinny { .. })
}

/// The K ranges an (m, n, k) GEMM through `kernel` runs with, and the bytes of its partial products (0
/// unsplit): as [`split_k`] says, or `None` where it would run split but its partial products exceed
/// `binding` bytes (tiny bindings, wide blocks). What the layer plans and the autotune times.
pub fn split_within(
    kernel: GemmKernel,
    shape: (u32, u32, u32),
    binding: u64,
) -> Option<(u32, u64)> {
    let splits = split_k(kernel, shape);
    if !runs_split(kernel, splits) {
        return Some((1, 0));
    }
    let bytes = split_k_partial_len(kernel, shape, splits) * 4;
    (bytes <= binding).then_some((splits, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIMT kernel splits a GEMM of 64–127 tiles for ~256 workgroups; the tensor-core kernel leaves
    /// it whole; fewer tiles split for ~128 as before; more than 256 rows never split.
    #[test]
    fn simt_gemms_of_a_few_dozen_tiles_split() {
        let simt = GemmKernel::simt(false);
        let coop = GemmKernel::Coop(super::super::super::CoopConfig::DEFAULT);
        // The README's gate/up GEMM at 16 tokens: 65 tiles.
        assert_eq!(split_k(simt, (16, 8320, 1024)), 4);
        assert_eq!(split_k(coop, (16, 8320, 1024)), 1);
        // 130 tiles (256 tokens) stay whole.
        assert_eq!(split_k(simt, (256, 8320, 1024)), 1);
        // The down projection's 8 tiles: ~128 workgroups, ranges 256 deep.
        assert_eq!(split_k(simt, (16, 1024, 4096)), 16);
        // Shallow K: ranges at least 256 deep.
        assert_eq!(split_k(simt, (16, 8320, 512)), 2);
        assert_eq!(split_k(simt, (300, 8320, 1024)), 1);
    }

    /// A configuration two workgroups of which fit an SM splits for ~256 workgroups: the 32 × 64 tiles
    /// at K step 128 (one an SM) cut a wide down projection of 32 rows into 8 ranges, at K step 64 with
    /// their staging in turns into 16; 258 tiles stay whole either way.
    #[test]
    fn two_workgroups_an_sm_split_for_twice_the_workgroups() {
        use super::super::super::{CoopConfig, CoopTile};
        let config = |tile, k_step| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        };
        let (one, two) = (
            config(CoopTile::Eighth8, 128),
            config(CoopTile::Eighth8Turns, 64),
        );
        assert_eq!((one.per_sm(), two.per_sm()), (1, 2));
        assert_eq!(split_k(GemmKernel::Coop(one), (32, 1024, 16384)), 8);
        assert_eq!(split_k(GemmKernel::Coop(two), (32, 1024, 16384)), 16);
        assert_eq!(split_k(GemmKernel::Coop(two), (32, 16512, 1024)), 1);
        assert_eq!(CoopConfig::DEFAULT.per_sm(), 1);
    }

    /// A tensor-core GEMM of 64 tiles, half of ~128 workgroups (a down projection of H = 4096 at 64 rows
    /// on 64 × 64 tiles, at 128 on 64 × 128), runs in 2 ranges; one of 65 tiles runs whole.
    #[test]
    fn half_a_round_of_tiles_splits_in_two() {
        use super::super::super::{CoopConfig, CoopTile};
        let coop = |tile, k_step| {
            GemmKernel::Coop(CoopConfig {
                tile,
                k_step,
                ..CoopConfig::DEFAULT
            })
        };
        assert_eq!(
            split_k(coop(CoopTile::Quarter8Turns, 128), (64, 4096, 16384)),
            2
        );
        assert_eq!(split_k(coop(CoopTile::Half8, 64), (128, 4096, 16384)), 2);
        assert_eq!(
            split_k(coop(CoopTile::Quarter8Turns, 128), (64, 4160, 16384)),
            1
        );
        assert_eq!(split_k(coop(CoopTile::Half8, 64), (128, 8320, 1024)), 1);
    }
}
