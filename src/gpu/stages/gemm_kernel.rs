//! Which GEMM kernel runs and its tunable settings: the SIMT kernel, the tensor-core kernel (its tiles and
//! settings in `coop_config.rs`), the decode GEMV and the skinny kernel ([`GemmKernel`]), and the
//! candidates the autotune (`crate::gpu::tune`) times for each.

use super::super::Capabilities;
use super::coop_config::{CoopConfig, CoopTile};
use super::stream_k::StreamK;

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
                // rows 13.6 → 12.5 µs; on an H200 at K step 64, two an SM, a wide gate/up GEMM at 32
                // rows 35.6 → 25.4 µs), and with their staging in turns (a deep down projection at 32
                // rows 17.2 → 14.6 µs); on an H200 32 × 256 strips (the same 35.8 → 27.1 µs).
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
                    (Quarter8Turns, 64, false, 2),
                    (Eighth8, 128, false, 2),
                    (Eighth8, 64, false, 2),
                    (Eighth8Turns, 64, false, 2),
                    (Strip, 64, false, 2),
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
