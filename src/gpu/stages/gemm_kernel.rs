//! Which GEMM kernel runs and its tunable settings: the SIMT kernel, the tensor-core kernel's tile
//! configurations, the decode GEMV and the skinny kernel ([`GemmKernel`]), and the candidates the autotune
//! (`crate::gpu::tune`) times for each.

use super::super::pipelines::Variant;
use super::super::Capabilities;
use super::stream_k::StreamK;

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
    /// NVIDIA's cooperative-matrix-2 kernel (`shaders/spirv/gemm_cm2.comp`), 128 × 128 workgroup-scope
    /// matrices, 4 subgroups, K step 32. Only the plain and ADD epilogues without split-K or column
    /// blocks, on devices with [`Capabilities::nv_coopmat2`]; anything else runs
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
            CoopTile::Eighth8 => (32, 64),
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
            CoopTile::Quarter8 | CoopTile::Quarter8Turns | CoopTile::Half8 | CoopTile::Eighth8 => 8,
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
            CoopTile::NvSquare => &[],
        }
    }
}

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
    /// whose staging the driver sizes within its own reservation).
    pub fn workgroup_bytes(self) -> u32 {
        if self.tile.is_nv() {
            return 0;
        }
        let (m, n) = self.tile.dims();
        let bufs = if self.double_buffer { 2 } else { 1 };
        bufs * (m + n) * (self.k_step + 8) * 2 + self.tile.staging_blocks() * 1024
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

/// Which GEMM kernel runs, and its tunable settings (see [`crate::gpu::tune`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GemmKernel {
    /// `shaders/gemm.wgsl`: f32 arithmetic on any adapter, f32 or f16 storage; K step 8 or 16; staged
    /// blocks single or double buffered.
    Simt {
        /// f16 storage (else f32).
        f16: bool,
        /// K step: 8 or 16.
        k_step: u32,
        /// Staged blocks double buffered.
        double_buffer: bool,
        /// B (the weight) laid out in K slabs ([`to_slabs`](super::to_slabs)) instead of rows; needs K % 8 == 0.
        slabs: bool,
        /// Stream-K at one tile count ([`StreamK`]); `None` elsewhere.
        stream_k: Option<StreamK>,
    },
    /// `shaders/gemm_coop.wgsl`: f16 storage on tensor cores (needs [`Capabilities::cooperative_matrix`]
    /// and K % 8 == 0; otherwise it runs as the SIMT kernel with K step 8).
    ///
    /// [`Capabilities::cooperative_matrix`]: super::super::Capabilities::cooperative_matrix
    Coop(CoopConfig),
    /// `shaders/gemv.wgsl`: weight streaming for M ≤ [`GEMV_MAX_M`] rows (decode), f32 or f16 storage;
    /// more rows run as the SIMT kernel.
    Gemv {
        /// f16 storage (else f32).
        f16: bool,
        /// B laid out in K slabs ([`to_slabs`](super::to_slabs)) instead of rows; needs K % 8 == 0.
        slabs: bool,
    },
    /// `shaders/gemm_skinny.wgsl`: up to [`super::SKINNY_MAX_M`] rows on tensor cores with the f16 weights
    /// streamed straight into fragments, always split over K ([`super::gemm_split_k`]). Shapes it does not
    /// take ([`super::skinny_takes`]), adapters without cooperative matrices and plain [`super::gemm()`]
    /// calls run the SIMT f16 kernel instead.
    Skinny {
        /// Its STAGED build where it applies (within ~35 KiB of workgroup memory: up to 16 rows, or shallow
        /// K ranges): the weights streamed by 16-byte loads through each subgroup's block of workgroup
        /// memory, where the adapter has subgroup barriers that order workgroup memory
        /// ([`Capabilities::subgroup_barrier`]).
        ///
        /// [`Capabilities::subgroup_barrier`]: super::super::Capabilities::subgroup_barrier
        staged: bool,
        /// The GEMM runs beside no other dispatch (the layer's gate/up GEMM), so its STAGED build may
        /// take ~44 KiB of workgroup memory: A's ranges as deep as unstaged where the ~35 KiB builds would
        /// not stage. (Beside the router, ~44 KiB stopped the down projection from running alongside.)
        alone: bool,
    },
}

/// Rows of A up to which [`super::split_k`] may split K.
pub const SPLIT_K_MAX_M: u32 = 256;

/// Most rows of A [`GemmKernel::Gemv`] takes: two blocks of [`GEMV_ROWS`] (the second summed from the
/// same loads of the weights; on an H100 without tensor cores 9–16 tokens ran 2–3× slower on the SIMT
/// kernel's 128-row tiles, BENCHMARKS.md "Few rows on the SIMT kernel").
pub const GEMV_MAX_M: u32 = 16;

/// Rows of A the GEMV's plain build sums (one decode step up to a batch of 8); more run its ROWS16 build.
pub const GEMV_ROWS: u32 = 8;

/// Bytes of workgroup memory `shaders/gemm.wgsl` declares at K step `k_step` (8 or 16), double buffered
/// or not: A's and B's blocks of 264 vec4s (8 rows of 33) at K step 8, 530 (two groups, 266 apart) at 16.
pub const fn simt_workgroup_bytes(k_step: u32, double_buffer: bool) -> u32 {
    let block = (k_step / 8 - 1) * 266 + 264;
    let bufs = if double_buffer { 2 } else { 1 };
    2 * block * bufs * 16
}

impl GemmKernel {
    /// The SIMT kernel as it runs untuned: K step 8, one buffer, B by rows, no stream-K (what every
    /// adapter runs; [`Self::with_slabs`] for B in K slabs).
    pub const fn simt(f16: bool) -> GemmKernel {
        GemmKernel::Simt {
            f16,
            k_step: 8,
            double_buffer: false,
            slabs: false,
            stream_k: None,
        }
    }

    /// The configurations of this kernel worth timing on an adapter with `caps` that fit
    /// `workgroup_bytes` of workgroup memory.
    pub fn candidates(self, caps: &Capabilities, workgroup_bytes: u32) -> Vec<GemmKernel> {
        match self {
            GemmKernel::Simt { f16, slabs, .. } => [(8, false), (16, false), (8, true), (16, true)]
                .into_iter()
                .filter(|&(k_step, db)| simt_workgroup_bytes(k_step, db) <= workgroup_bytes)
                .map(|(k_step, double_buffer)| GemmKernel::Simt {
                    f16,
                    k_step,
                    double_buffer,
                    slabs,
                    stream_k: None,
                })
                .collect(),
            GemmKernel::Gemv { .. } => vec![self],
            GemmKernel::Skinny { .. } => vec![self],
            GemmKernel::Coop(_) => {
                use CoopTile::*;
                // Measured on an H100 (BENCHMARKS.md): K step 64 on 128 × 128 tiles, or 256-row /
                // 256-column tiles at K step 32, with vector-typed workgroup elements, lead; K step 16 and
                // 256-row tiles with double buffering trail and are not tried. For a few dozen rows 64 ×
                // 64 tiles at K step 128 (the gate/up GEMM at 64 rows 22.6 → 15.8 µs), and those tiles
                // over 8 subgroups (at K step 128 16.0 → 13.5 µs); 64 × 128 tiles over 8 subgroups
                // (the gate/up GEMM at 128 rows 22.9 → 19.4 µs); 32 × 64 tiles over 8 subgroups (at 32
                // rows 13.6 → 12.5 µs).
                // With cooperative matrix 2, its kernel too (the down projection's shape at ~233
                // TFLOP/s on an H100 against ~157; 128 × 256 tiles measured 181).
                let nv: &[(CoopTile, u32, bool, u32)] = if caps.nv_coopmat2 {
                    &[(NvSquare, 32, false, 1)]
                } else {
                    &[]
                };
                let configs: Vec<CoopConfig> = [
                    (Square, 64, false, 1),
                    (Square, 64, false, 2),
                    (Square, 64, false, 4),
                    (Square, 32, true, 2),
                    (Tall, 32, false, 2),
                    (Wide, 32, false, 2),
                    (Tall16, 32, false, 2),
                    (Tall16, 32, false, 4),
                    (Wide16, 32, false, 2),
                    (Half, 64, false, 2),
                    (Half, 32, false, 2),
                    (Half8, 64, false, 2),
                    (Half8, 32, false, 2),
                    (Quarter, 128, false, 2),
                    (Quarter8, 128, false, 2),
                    (Quarter8Turns, 128, false, 2),
                    (Quarter8, 64, false, 2),
                    (Eighth8, 128, false, 2),
                ]
                .into_iter()
                .chain(nv.iter().copied())
                .map(|(tile, k_step, double_buffer, smem_vec)| CoopConfig {
                    tile,
                    k_step,
                    double_buffer,
                    direct: true,
                    smem_vec,
                })
                .collect();
                configs
                    .into_iter()
                    .filter(|c| c.workgroup_bytes() <= workgroup_bytes)
                    .map(GemmKernel::Coop)
                    .collect()
            }
        }
    }

    /// The kernel with its tunable settings cleared: what the autotune's results are keyed by.
    pub fn family(self) -> GemmKernel {
        match self {
            GemmKernel::Simt { f16, slabs, .. } => GemmKernel::Simt {
                f16,
                k_step: 0,
                double_buffer: false,
                slabs,
                stream_k: None,
            },
            GemmKernel::Coop(_) => GemmKernel::Coop(CoopConfig::DEFAULT),
            GemmKernel::Gemv { .. } => self,
            GemmKernel::Skinny { staged, alone } => GemmKernel::Skinny { staged, alone },
        }
    }

    /// The kernel with the cooperative-matrix-2 configurations replaced by [`CoopConfig::DEFAULT`]: what
    /// runs what that kernel does not (split-K, column blocks, the SwiGLU epilogue).
    pub fn wgsl(self) -> GemmKernel {
        match self {
            GemmKernel::Coop(config) if config.tile.is_nv() => {
                GemmKernel::Coop(CoopConfig::DEFAULT)
            }
            other => other,
        }
    }

    /// Whether this kernel stores activations and weights as f16.
    pub fn is_f16(self) -> bool {
        matches!(
            self,
            GemmKernel::Coop(_)
                | GemmKernel::Skinny { .. }
                | GemmKernel::Simt { f16: true, .. }
                | GemmKernel::Gemv { f16: true, .. }
        )
    }

    /// Whether this kernel reads B in K slabs ([`to_slabs`](super::to_slabs)).
    pub fn slabs(self) -> bool {
        matches!(
            self,
            GemmKernel::Simt { slabs: true, .. } | GemmKernel::Gemv { slabs: true, .. }
        )
    }

    /// This kernel reading B in K slabs (`on`) or rows: the SIMT kernel and the GEMV; the others read
    /// rows only and are returned as they are.
    pub fn with_slabs(mut self, on: bool) -> GemmKernel {
        if let GemmKernel::Simt { slabs, .. } | GemmKernel::Gemv { slabs, .. } = &mut self {
            *slabs = on;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every candidate's blocks of a K step split evenly over its invocations (`gemm_coop.wgsl` loads
    /// TILE · K_STEP / 8 / WG chunks an invocation, rounded down: a 32 × 64 tile at K step 160 left rows
    /// of A unloaded and failed gpu_gemm on an H100).
    #[test]
    fn every_coop_candidate_loads_whole_blocks() {
        let caps = Capabilities::all_wgsl();
        let coop = GemmKernel::Coop(CoopConfig::DEFAULT).candidates(&caps, u32::MAX);
        assert!(coop.len() > 10);
        for kernel in coop {
            let GemmKernel::Coop(c) = kernel else {
                unreachable!()
            };
            if c.tile.is_nv() {
                continue;
            }
            let (m, n) = c.tile.dims();
            let invocations = 32 * c.tile.subgroups();
            for rows in [m, n] {
                assert_eq!(rows * (c.k_step / 8) % invocations, 0, "{c:?}");
            }
        }
    }
}
