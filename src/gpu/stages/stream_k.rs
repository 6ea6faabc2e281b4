//! Stream-K for the SIMT GEMM ([`StreamK`]; `STREAMK` in `shaders/gemm.wgsl`): which configurations the
//! autotune times for a GEMM, and at which shapes a chosen one runs.

use super::gemm_kernel::{simt_workgroup_bytes, GemmKernel, SPLIT_K_MAX_M};
use crate::gpu::pipelines::Variant;

/// Stream-K for the SIMT kernel (`STREAMK` in `shaders/gemm.wgsl`): a GEMM of `tiles` 128 × 128 output
/// tiles runs as `groups` groups of tiles / groups tiles on one workgroup more each, every workgroup
/// summing the same number of K steps (within one): each tile's head and tail, split where the shares
/// come out even, are two partial products that the GEMM's consumer adds in K order (split-K's
/// reduction, or the expert stage). Where the tiles come a few short of the places the GPU runs at once
/// (256 tiles for 264 places on an H100: 132 SMs × two workgroups), the spare places take a share
/// instead of idling. The autotune times it ([`GemmKernel::stream_k_candidates`]) at the tile count it
/// is chosen for; other tile counts run the kernel plainly (a wrong group count doubles the time where
/// the workgroups then exceed the places).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamK {
    /// Groups of tiles, each with one workgroup more than tiles.
    pub groups: u32,
    /// The GEMM's output tiles (a multiple of `groups`).
    pub tiles: u32,
}

/// Rows from which a SIMT GEMM may run stream-K: few-row GEMMs split over K instead.
const STREAM_K_MIN_M: u32 = SPLIT_K_MAX_M + 1;

/// Most output tiles a stream-K candidate is timed for: a few waves of a large GPU at most, where the
/// last wave's idle places are worth filling.
const STREAM_K_MAX_TILES: u32 = 2048;

/// Group counts the autotune tries, those that divide the tiles: a few workgroups more than tiles for a
/// wave that comes a few short, up to twice as many (one tile a group, halves) for a GEMM of a few
/// dozen tiles on a GPU of hundreds of places (on an H100, 1024 tokens' down projection: 64 tiles).
const STREAM_K_GROUPS: [u32; 6] = [2, 4, 8, 16, 32, 64];

impl StreamK {
    /// Workgroups it runs.
    pub fn workgroups(self) -> u32 {
        self.tiles + self.groups
    }

    /// `v` (the plain SIMT variant) as its stream-K build.
    pub(crate) fn variant(self, v: Variant) -> Variant {
        v.with("STREAMK").constant("SKC", self.tiles / self.groups)
    }
}

/// 128 × 128 output tiles of an (m, n) GEMM on the SIMT kernel.
pub fn simt_tiles(m: u32, n: u32) -> u32 {
    m.div_ceil(128) * n.div_ceil(128)
}

impl GemmKernel {
    /// Stream-K configurations of the SIMT kernel (K step 8, single-buffered, the layer's fastest plain
    /// configuration on an H100) worth timing beside [`Self::candidates`] on an (m, n, k) GEMM: one per
    /// group count of `STREAM_K_GROUPS` dividing its tiles, for more than
    /// [`SPLIT_K_MAX_M`] rows, up to `STREAM_K_MAX_TILES` tiles and at least two K steps a
    /// share. None for other kernels, or for a SIMT kernel at K step 8 that `workgroup_bytes` rules out.
    pub fn stream_k_candidates(
        self,
        (m, n, k): (u32, u32, u32),
        workgroup_bytes: u32,
    ) -> Vec<GemmKernel> {
        let GemmKernel::Simt { f16, slabs, .. } = self else {
            return Vec::new();
        };
        let tiles = simt_tiles(m, n);
        if m < STREAM_K_MIN_M
            || tiles > STREAM_K_MAX_TILES
            || simt_workgroup_bytes(8, false) > workgroup_bytes
        {
            return Vec::new();
        }
        STREAM_K_GROUPS
            .into_iter()
            .filter(|&g| tiles.is_multiple_of(g) && k / 8 >= 2 * (tiles / g + 1))
            .map(|groups| GemmKernel::Simt {
                f16,
                k_step: 8,
                double_buffer: false,
                slabs,
                stream_k: Some(StreamK { groups, tiles }),
            })
            .collect()
    }

    /// The stream-K configuration this kernel runs an (m, n, k) GEMM with: its [`StreamK`] where the
    /// GEMM has that many tiles (and more than [`SPLIT_K_MAX_M`] rows), else none.
    pub fn stream_k_at(self, (m, n, _k): (u32, u32, u32)) -> Option<StreamK> {
        match self {
            GemmKernel::Simt {
                stream_k: Some(s), ..
            } if m >= STREAM_K_MIN_M && simt_tiles(m, n) == s.tiles => Some(s),
            _ => None,
        }
    }

    /// The most rows up to `most` at which this kernel runs stream-K for N = `n` ([`Self::stream_k_at`]):
    /// where its partial products are largest.
    pub fn stream_k_rows(self, n: u32, most: u32) -> Option<u32> {
        let GemmKernel::Simt {
            stream_k: Some(s), ..
        } = self
        else {
            return None;
        };
        let m = (s.tiles / n.div_ceil(128) * 128).min(most);
        self.stream_k_at((m, n, 0)).map(|_| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::stages::CoopConfig;

    /// Stream-K candidates: one per group count dividing the tiles, above 256 rows and up to 2048
    /// tiles; each runs at its tile count only, and its partial products are largest at the most rows
    /// with that count.
    #[test]
    fn stream_k_runs_at_the_tile_count_it_was_timed_at() {
        let simt = GemmKernel::simt(false).with_slabs(true);
        let down = (4096, 1024, 4096);
        let kernels = simt.stream_k_candidates(down, u32::MAX);
        let groups: Vec<u32> = kernels
            .iter()
            .map(|k| k.stream_k_at(down).unwrap().groups)
            .collect();
        assert_eq!(groups, [2, 4, 8, 16, 32, 64]);
        let sk = kernels[2];
        assert_eq!(sk.stream_k_at(down).unwrap().workgroups(), 264);
        // 3969..4096 rows: 32 × 8 tiles; 3968 rows 31 × 8; few rows split over K instead.
        assert!(sk.stream_k_at((3969, 1024, 4096)).is_some());
        assert!(sk.stream_k_at((3968, 1024, 4096)).is_none());
        assert!(sk.stream_k_at((4096, 1152, 4096)).is_none());
        assert_eq!(sk.stream_k_rows(1024, 8192), Some(4096));
        assert_eq!(sk.stream_k_rows(1024, 4000), Some(4000));
        assert_eq!(sk.stream_k_rows(1024, 3968), None);
        assert!(simt.stream_k_at(down).is_none());
        assert!(simt
            .stream_k_candidates((256, 8192, 4096), u32::MAX)
            .is_empty());
        assert!(simt
            .stream_k_candidates((4096, 8320, 1024), u32::MAX)
            .is_empty());
        // Too little workgroup memory for K step 8, or a tensor-core kernel: none.
        assert!(simt.stream_k_candidates(down, 1024).is_empty());
        let coop = GemmKernel::Coop(CoopConfig::DEFAULT);
        assert!(coop.stream_k_candidates(down, u32::MAX).is_empty());
        assert_eq!(sk.family(), simt.with_slabs(true).family());
    }
}
