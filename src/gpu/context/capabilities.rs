//! What omnimoe asks of an adapter and what it finds there: the features it wants, the options that
//! take some away (the fallback paths), the capabilities it acts on, and an adapter's report.

use wgpu::{Backend, Features};

/// Features the layer uses when the adapter has them (an application opening its own device for
/// [`Context::from_device`](super::Context::from_device) asks for these too). `PASSTHROUGH_SHADERS`: on
/// Vulkan the tensor-core kernels are built from SPIR-V the library writes (their f16 staging by bitcast,
/// `src/gpu/spirv_halves.rs`); without it they take wgpu's own path, slower on an H100.
pub const WANTED_FEATURES: Features = Features::SHADER_F16
    .union(Features::SUBGROUP)
    .union(Features::SUBGROUP_BARRIER)
    .union(Features::TIMESTAMP_QUERY)
    .union(Features::TIMESTAMP_QUERY_INSIDE_PASSES)
    .union(Features::PASSTHROUGH_SHADERS);

/// Features a context leaves off even where the adapter has them: the fallback paths that Metal, DX12,
/// older GPUs and browsers take, tested on any adapter (`Context::with_options`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContextOptions {
    /// No SHADER_F16: f32 storage only.
    pub no_shader_f16: bool,
    /// No SUBGROUP: workgroup-memory reductions and selections instead of subgroup operations.
    pub no_subgroup: bool,
    /// No cooperative matrices: the SIMT GEMM for f16 too (also `OMNIMOE_NO_COOP=1`).
    pub no_cooperative_matrix: bool,
    /// Plan with at most this many bytes per storage binding (rounded down to 16), below the adapter's
    /// own limit: a testing aid that makes every split path (expert tables over several bindings, token
    /// chunks) run at small sizes.
    pub max_binding_bytes: Option<u64>,
    /// Plan with buffers of at most this many bytes (rounded down to 16), below the adapter's limit: weights
    /// and chunks are sized to it as to a binding.
    pub max_buffer_bytes: Option<u64>,
    /// Plan with at most this many workgroups per dispatch dimension (folding larger counts into y), below
    /// the adapter's limit: a testing aid for the folded launches.
    pub max_workgroups_per_dimension: Option<u32>,
}

impl ContextOptions {
    /// The features these options take away.
    pub(super) fn removed(self) -> Features {
        let mut f = Features::empty();
        if self.no_shader_f16 {
            f |= Features::SHADER_F16;
        }
        if self.no_subgroup {
            f |= Features::SUBGROUP;
        }
        if self.no_cooperative_matrix {
            f |= Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
        }
        f
    }
}

/// What an adapter offers that matters to omnimoe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// f16 storage in shaders (`enable f16;`).
    pub shader_f16: bool,
    /// Subgroup operations.
    pub subgroup: bool,
    /// Smallest and largest subgroup size.
    pub subgroup_sizes: (u32, u32),
    /// GPU timestamps.
    pub timestamp_query: bool,
    /// Cooperative matrices (tensor cores from WGSL); experimental in wgpu.
    pub cooperative_matrix: bool,
    /// `subgroupBarrier()` that orders workgroup memory: SUBGROUP_BARRIER on Vulkan, where omnimoe adds
    /// the workgroup-memory semantics naga leaves out (`src/gpu/subgroup_barrier.rs`). Never on devices
    /// from [`Context::from_device`](super::Context::from_device) (their backend is unknown).
    pub subgroup_barrier: bool,
    /// Shaders are compiled by the browser, which wants `enable subgroups;` (naga rejects it).
    pub browser: bool,
    /// NVIDIA's cooperative-matrix-2 extension is enabled on the device (Vulkan, native only): the
    /// `gemm_cm2` GEMM (SPIR-V passthrough) can run. Never on devices from [`Context::from_device`](super::Context::from_device).
    pub nv_coopmat2: bool,
    /// Workgroup memory a workgroup may declare, in bytes (the device's
    /// `max_compute_workgroup_storage_size`).
    pub workgroup_bytes: u32,
}

impl Capabilities {
    /// What `features` and `limits` give, with cooperative matrices only where the 16×16×16 f16 → f32
    /// shape that `shaders/gemm_coop.wgsl` uses is among `coop` and subgroups are 32 wide.
    pub(super) fn of(
        features: Features,
        limits: &wgpu::Limits,
        info: &wgpu::AdapterInfo,
        coop: &[wgpu::CooperativeMatrixProperties],
    ) -> Self {
        use wgpu::CooperativeScalarType as S;
        let coop_shape = coop.iter().any(|p| {
            (p.m_size, p.n_size, p.k_size) == (16, 16, 16)
                && p.ab_type == S::F16
                && p.cr_type == S::F32
        });
        Capabilities {
            shader_f16: features.contains(Features::SHADER_F16),
            subgroup: features.contains(Features::SUBGROUP),
            subgroup_sizes: (info.subgroup_min_size, info.subgroup_max_size),
            timestamp_query: features.contains(Features::TIMESTAMP_QUERY),
            cooperative_matrix: features.contains(Features::EXPERIMENTAL_COOPERATIVE_MATRIX)
                && features.contains(Features::SHADER_F16 | Features::SUBGROUP)
                && coop_shape
                && (info.subgroup_min_size, info.subgroup_max_size) == (32, 32),
            subgroup_barrier: features.contains(Features::SUBGROUP | Features::SUBGROUP_BARRIER)
                && info.backend == Backend::Vulkan,
            browser: info.backend == Backend::BrowserWebGpu,
            nv_coopmat2: false,
            workgroup_bytes: limits.max_compute_workgroup_storage_size,
        }
    }

    /// A native Vulkan adapter with every capability the WGSL kernels' variants can ask for (32-wide
    /// subgroups; not NVIDIA's cooperative matrix 2, which is SPIR-V): what the shader variants are
    /// enumerated and validated for (`crate::gpu::variants`), and what the kernels' choices are tested
    /// against.
    pub(crate) fn all_wgsl() -> Capabilities {
        Capabilities {
            shader_f16: true,
            subgroup: true,
            subgroup_sizes: (32, 32),
            timestamp_query: true,
            cooperative_matrix: true,
            subgroup_barrier: true,
            browser: false,
            nv_coopmat2: false,
            workgroup_bytes: 32768,
        }
    }
}

/// One adapter as `omnimoe info` reports it.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    /// wgpu's description of the adapter.
    pub info: wgpu::AdapterInfo,
    /// What it offers.
    pub caps: Capabilities,
    /// Its limits.
    pub limits: wgpu::Limits,
}

impl std::fmt::Display for AdapterReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (i, c, l) = (&self.info, &self.caps, &self.limits);
        writeln!(f, "{} ({:?}, {:?})", i.name, i.backend, i.device_type)?;
        writeln!(f, "  driver: {} {}", i.driver, i.driver_info)?;
        let yes = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            f,
            "  SHADER_F16: {}  SUBGROUP: {} (size {}..{})  TIMESTAMP_QUERY: {}  cooperative matrix: {}  \
             NV cooperative matrix 2: {}",
            yes(c.shader_f16),
            yes(c.subgroup),
            c.subgroup_sizes.0,
            c.subgroup_sizes.1,
            yes(c.timestamp_query),
            yes(c.cooperative_matrix),
            yes(c.nv_coopmat2)
        )?;
        write!(
            f,
            "  max storage binding {} MiB, max buffer {} MiB, workgroup storage {} KiB, \
             {} invocations/workgroup, {} workgroups/dimension",
            l.max_storage_buffer_binding_size >> 20,
            l.max_buffer_size >> 20,
            l.max_compute_workgroup_storage_size >> 10,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroups_per_dimension
        )
    }
}
