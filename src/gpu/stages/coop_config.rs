//! The tensor-core GEMM's configurations (`shaders/gemm_coop.wgsl`): its workgroup tiles ([`CoopTile`])
//! and the settings one build of the kernel takes ([`CoopConfig`]).

use super::super::pipelines::Variant;

/// Tile shape of the tensor-core GEMM (`shaders/gemm_coop.wgsl`): rows × columns of C per workgroup and
/// how its subgroups share them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoopTile {
    /// 128 × 128: 8 subgroups of 32 × 64 (2 × 4 fragments).
    Square,
    /// 256 × 128: 8 subgroups of 64 × 64 (4 × 4 fragments; flag FM4).
    Tall,
    /// 128 × 256: 8 subgroups of 64 × 64 laid 2 × 4 (flags FM4, SGW).
    Wide,
    /// 256 × 128: 16 subgroups of 32 × 64 (flag SG16).
    Tall16,
    /// 128 × 256: 16 subgroups of 32 × 64 laid 4 × 4 (flags SG16, SGW).
    Wide16,
    /// 64 × 128: 4 subgroups of 32 × 64 laid 2 × 2 (flag SG4): for a few hundred rows, twice the
    /// workgroups of the square tile.
    Half,
    /// 64 × 128 with 8 subgroups of 16 × 64 laid 4 × 2 (flag FM1): the half tile's loads of a K step
    /// spread over twice the invocations, as [`CoopTile::Quarter8`] does the quarter tile's. On an H100
    /// the autotune's choice for the gate/up GEMM at 128 rows (22.9 → 19.4 µs from memory).
    Half8,
    /// 64 × 64: 4 subgroups of 32 × 32 laid 2 × 2 (flags SG4, FN2): with K step 128, half the K steps of
    /// the 64 × 128 tile and twice its workgroups, for the weight-streaming GEMMs of a few dozen rows.
    Quarter,
    /// 64 × 64 with 8 subgroups of 16 × 32 laid 4 × 2 (flags FM1, FN2): the quarter tile's loads of a K
    /// step spread over twice the invocations. On an H100 its gate/up GEMM at 32–64 rows streamed its
    /// weights in 13.5 µs against the quarter tile's 16.0 (K step 128).
    Quarter8,
    /// [`CoopTile::Quarter8`] with the epilogue's staging blocks for 4 subgroups, which take turns (flag
    /// ST4): within [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES) at K step 128, for
    /// the down projection, which runs beside the router (on an H100 at 32–128 rows 10.7–14.0 → 9.5–12.9
    /// µs from memory; the turns cost the gate/up GEMM's SwiGLU epilogue 0.5–0.9 µs).
    Quarter8Turns,
    /// 32 × 64 with 8 subgroups of 16 × 16 laid 2 × 4 (flags SGW, FM1, FN1 with FN2): for up to 32
    /// rows, where a 64-row tile multiplies rows of zeros (and reads their fragments from workgroup
    /// memory). On an H100 the gate/up GEMM at 32 rows streamed its weights in 12.5 µs against the 64 ×
    /// 64 tiles' 13.6 (K step 128; at K step 192 12.55, at 64 16.3).
    Eighth8,
    /// [`CoopTile::Eighth8`] with the epilogue's staging blocks for 4 subgroups, which take turns (flag
    /// ST4), as [`CoopTile::Quarter8Turns`] has them: ~17.5 KiB at K step 64, so that two workgroups and
    /// the router's beside them share an SM's 48 KiB ([`SM_WORKGROUP_BYTES`]). A deep down projection
    /// of up to 32 rows runs on them (on an H200 at I = 16384 and 32 rows 17.2 → 14.6 µs from memory;
    /// BENCHMARKS.md, forty-sixth session).
    Eighth8Turns,
    /// 32 × 256 strips: 8 subgroups of 32 × 32 laid 1 × 8 (flags ROW8, FN2), the epilogue's staging in
    /// turns (ST4), two K steps' loads in flight (AHEAD2; one workgroup an SM at ~44.5 KiB). Each B
    /// fragment is read from workgroup memory once, for both row fragments (the 32 × 64 tile reads it
    /// twice and each A fragment four times). On an H200 a gate/up GEMM of 32 rows at I = 16384 (32768
    /// columns) 35.8 → 27.1 µs from memory against the 32 × 64 tiles at K step 128 (BENCHMARKS.md,
    /// forty-fourth session); the layer ran them from 17 to 32 rows until the 32 × 64 tiles at K step
    /// 64, two an SM, ran that GEMM in 25.4 (forty-fifth session). An autotune candidate.
    Strip,
    /// NVIDIA's cooperative-matrix-2 kernel (`shaders/spirv/gemm_cm2.comp`), 128 × 128 workgroup-scope
    /// matrices, 4 subgroups, K step 32. Only the plain and ADD epilogues without split-K or column
    /// blocks, on devices with
    /// [`Capabilities::nv_coopmat2`](crate::gpu::Capabilities::nv_coopmat2); anything else runs
    /// [`CoopConfig::DEFAULT`].
    NvSquare,
}

impl CoopTile {
    /// (rows, columns) of C per workgroup.
    pub fn dims(self) -> (u32, u32) {
        match self {
            CoopTile::Square => (128, 128),
            CoopTile::Half | CoopTile::Half8 => (64, 128),
            CoopTile::Quarter | CoopTile::Quarter8 | CoopTile::Quarter8Turns => (64, 64),
            CoopTile::Eighth8 | CoopTile::Eighth8Turns => (32, 64),
            CoopTile::Strip => (32, 256),
            CoopTile::Tall | CoopTile::Tall16 => (256, 128),
            CoopTile::Wide | CoopTile::Wide16 => (128, 256),
            CoopTile::NvSquare => (128, 128),
        }
    }

    /// Whether this is a tile of the cooperative-matrix-2 kernel.
    pub fn is_nv(self) -> bool {
        matches!(self, CoopTile::NvSquare)
    }

    /// Subgroups of 32 per workgroup.
    pub fn subgroups(self) -> u32 {
        match self {
            CoopTile::Tall16 | CoopTile::Wide16 => 16,
            CoopTile::Quarter8
            | CoopTile::Quarter8Turns
            | CoopTile::Half8
            | CoopTile::Eighth8
            | CoopTile::Eighth8Turns
            | CoopTile::Strip => 8,
            CoopTile::NvSquare | CoopTile::Half | CoopTile::Quarter => 4,
            _ => 8,
        }
    }

    /// 16×16 f32 staging blocks of the epilogue: one per subgroup, or four, which subgroups take in
    /// turns ([`CoopTile::Quarter8Turns`]).
    pub fn staging_blocks(self) -> u32 {
        if self.flags().contains(&"ST4") {
            4
        } else {
            self.subgroups()
        }
    }

    fn flags(self) -> &'static [&'static str] {
        match self {
            CoopTile::Square => &[],
            CoopTile::Tall => &["FM4"],
            CoopTile::Wide => &["FM4", "SGW"],
            CoopTile::Tall16 => &["SG16"],
            CoopTile::Wide16 => &["SG16", "SGW"],
            CoopTile::Half => &["SG4"],
            CoopTile::Half8 => &["FM1"],
            CoopTile::Quarter => &["SG4", "FN2"],
            CoopTile::Quarter8 => &["FM1", "FN2"],
            CoopTile::Quarter8Turns => &["FM1", "FN2", "ST4"],
            CoopTile::Eighth8 => &["SGW", "FM1", "FN2", "FN1"],
            CoopTile::Eighth8Turns => &["SGW", "FM1", "FN2", "FN1", "ST4"],
            CoopTile::Strip => &["ROW8", "FN2", "ST4", "AHEAD2"],
            CoopTile::NvSquare => &[],
        }
    }
}

/// Fewest K steps a workgroup's range must have for [`CoopConfig::ahead2`] (fewer: the steps loaded ahead
/// before the first multiply are too large a part of the range).
pub const AHEAD2_FROM_STEPS: u32 = 8;

/// Workgroup memory an SM holds for the workgroups it runs at a time, on the GPUs the few-row rules were
/// measured on (an H100 and an H200 through Vulkan: two workgroups of 24 KiB fit, two of 25 do not;
/// BENCHMARKS.md, twenty-eighth and twenty-ninth sessions). wgpu reports no such figure.
pub const SM_WORKGROUP_BYTES: u32 = 48 * 1024;

/// One configuration of the tensor-core GEMM (see `shaders/gemm_coop.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoopConfig {
    /// Workgroup tile.
    pub tile: CoopTile,
    /// K step: 16, 32, 64 or 128 halves.
    pub k_step: u32,
    /// Staged blocks double buffered (one barrier a step instead of two).
    pub double_buffer: bool,
    /// Plain and ADD epilogues store accumulators straight to C (tiles inside C).
    pub direct: bool,
    /// Halves per element of the staged blocks: 1 (`f16`), 2 (`vec2<f16>`) or 4 (`vec4<f16>`).
    pub smem_vec: u32,
}

impl CoopConfig {
    /// The default, the fastest on an H100 at both of the layer's GEMM shapes (BENCHMARKS.md): 128 × 128
    /// tiles, K step 64, one staging buffer of `vec2<f16>`, direct stores.
    pub const DEFAULT: CoopConfig = CoopConfig {
        tile: CoopTile::Square,
        k_step: 64,
        double_buffer: false,
        direct: true,
        smem_vec: 2,
    };

    /// Bytes of workgroup memory this configuration declares (none for the cooperative-matrix-2 kernel,
    /// whose staging the driver sizes within its own reservation). It bounds how many workgroups run an
    /// SM at a time: on an H100 through Vulkan an SM has 48 KiB of it, whatever a workgroup declares (two
    /// of 24 KiB fit, two of 25 do not), so that the few-row tiles (34–43 KiB) run one workgroup an SM
    /// (BENCHMARKS.md, twenty-eighth and twenty-ninth sessions).
    pub fn workgroup_bytes(self) -> u32 {
        if self.tile.is_nv() {
            return 0;
        }
        let (m, n) = self.tile.dims();
        let bufs = if self.double_buffer { 2 } else { 1 };
        bufs * (m + n) * (self.k_step + 8) * 2 + self.tile.staging_blocks() * 1024
    }

    /// Workgroups of this configuration an SM runs at a time, by [`SM_WORKGROUP_BYTES`], at most 2 (the
    /// cooperative-matrix-2 kernel: 1).
    pub fn per_sm(self) -> u32 {
        match self.workgroup_bytes() {
            0 => 1,
            bytes => (SM_WORKGROUP_BYTES / bytes).clamp(1, 2),
        }
    }

    /// Whether a dispatch of this configuration also holds two K steps' loads in flight (AHEAD2, which
    /// the strips always do), where its workgroups each multiply a K range `depth` deep: on the 32 × 64
    /// and 64 × 128 tiles over 8 subgroups ([`CoopTile::Eighth8`], [`CoopTile::Eighth8Turns`],
    /// [`CoopTile::Half8`]) and the 64 × 64 tiles with their staging in turns at K step 64
    /// ([`CoopTile::Quarter8Turns`], two an SM) where each range has at least [`AHEAD2_FROM_STEPS`]
    /// steps. On an H200 (BENCHMARKS.md, forty-fifth
    /// session, runs 473–478), alone from device memory: the down projection at 17 and 32 rows of I =
    /// 16384 (8 ranges of 16 steps) 18.8 → 16.7 and 17.0 µs, at 128 and 256 rows (Half8, 32 and 64
    /// steps) 35.3 → 32.6 and 61.6 → 57.2; the gate/up GEMM of I = 4096 at 32 rows (8 steps) 11.4 →
    /// 11.0, at 128 19.6 → 19.2; at K step 64, two workgroups an SM, the 32 × 64 tiles' at I = 16384 and
    /// 32 rows 32.4 → 25.4, the 64 × 64 tiles' at 64 rows 38.3 → 35.4. In ranges of 4 steps the down
    /// projection lost (I = 4096 at 32 rows 7.5 → 7.9); the 64 × 64 tiles at K step 128, one an SM, lost
    /// with their own staging (the gate/up GEMM of I = 4096 at 64 rows 13.0 → 13.7) and with it in turns
    /// gained nothing (the down projection at 64 rows: even at I = 16384, 13.0 → 13.4 at 8192).
    /// Measuring aids: `OMNIMOE_AHEAD2=off` keeps it to the strips, `=always` gives it to every
    /// dispatch of those tiles, `=every` to every dispatch of any single-buffered tile.
    pub fn ahead2(self, depth: u32) -> bool {
        use crate::gpu::measuring::env_is;
        let every = env_is("OMNIMOE_AHEAD2", "every");
        let deep = depth.div_ceil(self.k_step) >= AHEAD2_FROM_STEPS
            || env_is("OMNIMOE_AHEAD2", "always")
            || every;
        let tile = match self.tile {
            CoopTile::Eighth8 | CoopTile::Eighth8Turns | CoopTile::Half8 => true,
            CoopTile::Quarter8Turns => self.k_step == 64,
            _ => false,
        } || every && !self.tile.is_nv() && self.tile != CoopTile::Strip;
        tile && !self.double_buffer && deep && !env_is("OMNIMOE_AHEAD2", "off")
    }

    /// The preprocessing of `shaders/gemm_coop.wgsl` for this configuration (epilogue flags aside).
    pub(crate) fn variant(self) -> Variant {
        let mut v = Variant::storage(true).with("COOP").with("SUBGROUP");
        for flag in self.tile.flags() {
            v = v.with(flag);
        }
        match self.k_step {
            16 => v = v.with("TK16"),
            64 => v = v.with("TK64"),
            128 => v = v.with("TK128"),
            _ => {}
        }
        if self.double_buffer {
            v = v.with("DB");
        }
        match self.smem_vec {
            2 => v = v.with("SMEM2"),
            4 => v = v.with("SMEM4"),
            _ => {}
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 32 × 64 tiles take AHEAD2 in ranges of 8 steps or more (the README's gate/up GEMM at 32 rows:
    /// 8 steps of 128; a wide down projection: ranges of 16), not the README's down projection (ranges
    /// of 4 steps); the 64 × 128 tiles and the 64 × 64 tiles with their staging in turns at K step 64
    /// likewise; other tiles (those at K step 128 too) and double-buffered ones never.
    #[test]
    fn ahead2_in_ranges_of_eight_steps_or_more() {
        let config = |tile, k_step| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        };
        let eighth = config(CoopTile::Eighth8, 128);
        assert!(eighth.ahead2(1024));
        assert!(eighth.ahead2(2048));
        assert!(eighth.ahead2(8 * 128 - 64));
        assert!(!eighth.ahead2(512));
        assert!(config(CoopTile::Eighth8, 64).ahead2(512));
        for (tile, k_step) in [(CoopTile::Half8, 64), (CoopTile::Quarter8Turns, 64)] {
            let config = config(tile, k_step);
            assert!(config.ahead2(1024));
            assert!(config.ahead2(512));
            assert!(!config.ahead2(448));
        }
        for tile in [
            CoopTile::Quarter8,
            CoopTile::Quarter8Turns,
            CoopTile::Quarter,
            CoopTile::Square,
        ] {
            assert!(!config(tile, 128).ahead2(4096));
        }
        let double = CoopConfig {
            double_buffer: true,
            ..eighth
        };
        assert!(!double.ahead2(4096));
    }
}
