//! The GPU context: adapter choice, the features and limits we ask for, error capture, and the pipeline
//! cache. Everything else in `gpu` takes a `&Context`.

use std::sync::{Arc, Mutex};

use wgpu::{Backend, DeviceType, Features};

use super::pipelines::PipelineCache;
use crate::{Error, Result};

/// Features the layer uses when the adapter has them.
const WANTED: Features = Features::SHADER_F16
    .union(Features::SUBGROUP)
    .union(Features::TIMESTAMP_QUERY)
    .union(Features::TIMESTAMP_QUERY_INSIDE_PASSES);

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
    /// Shaders are compiled by the browser, which wants `enable subgroups;` (naga rejects it).
    pub browser: bool,
}

impl Capabilities {
    /// What `features` give, with cooperative matrices only where the 16×16×16 f16 → f32 shape that
    /// `shaders/gemm_coop.wgsl` uses is among `coop` and subgroups are 32 wide.
    fn of(
        features: Features,
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
            browser: info.backend == Backend::BrowserWebGpu,
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
            "  SHADER_F16: {}  SUBGROUP: {} (size {}..{})  TIMESTAMP_QUERY: {}  cooperative matrix: {}",
            yes(c.shader_f16),
            yes(c.subgroup),
            c.subgroup_sizes.0,
            c.subgroup_sizes.1,
            yes(c.timestamp_query),
            yes(c.cooperative_matrix)
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

/// A wgpu device and queue with what omnimoe needs to know about them.
pub struct Context {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's description (name "external device" for [`Context::from_device`]).
    pub info: wgpu::AdapterInfo,
    /// What the device offers.
    pub caps: Capabilities,
    /// The device's limits.
    pub limits: wgpu::Limits,
    pub(crate) pipelines: PipelineCache,
    pub(crate) tuned: super::tune::Tuned,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<Error>>>,
}

#[cfg(not(target_arch = "wasm32"))]
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = match info.device_type {
        DeviceType::DiscreteGpu => 0,
        DeviceType::IntegratedGpu => 1,
        DeviceType::VirtualGpu => 2,
        DeviceType::Cpu => 3,
        DeviceType::Other => 4,
    };
    // GL adapters lack f16 and subgroups: the last resort.
    (kind, (info.backend == Backend::Gl) as u8)
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter wgpu finds (honours `WGPU_BACKEND`), best first.
#[cfg(not(target_arch = "wasm32"))]
pub fn enumerate_adapters() -> Vec<AdapterReport> {
    let mut adapters = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    adapters.sort_by_key(|a| rank(&a.get_info()));
    adapters
        .iter()
        .map(|a| {
            let info = a.get_info();
            AdapterReport {
                caps: Capabilities::of(a.features(), &info, &a.cooperative_matrix_properties()),
                limits: a.limits(),
                info,
            }
        })
        .collect()
}

async fn choose_adapter(instance: &wgpu::Instance) -> Result<wgpu::Adapter> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let wanted = std::env::var("WGPU_ADAPTER_NAME")
            .ok()
            .map(|s| s.to_lowercase());
        let mut adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        adapters.retain(|a| {
            wanted
                .as_ref()
                .is_none_or(|w| a.get_info().name.to_lowercase().contains(w))
        });
        adapters.sort_by_key(|a| rank(&a.get_info()));
        let hint = match (&wanted, std::env::var("WGPU_BACKEND")) {
            (Some(w), _) => format!(" whose name contains `{w}` (WGPU_ADAPTER_NAME)"),
            (None, Ok(b)) => format!(" for WGPU_BACKEND={b}"),
            _ => String::new(),
        };
        adapters.into_iter().next().ok_or(Error::NoAdapter(format!(
            "{hint}; install a GPU driver or the software Vulkan driver \
             (Debian/Ubuntu: apt-get install mesa-vulkan-drivers) and set WGPU_BACKEND=vulkan"
        )))
    }
    #[cfg(target_arch = "wasm32")]
    {
        instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoAdapter(format!(": {e} (is WebGPU enabled in this browser?)")))
    }
}

impl Context {
    /// Picks the best adapter (a discrete GPU first; `WGPU_BACKEND` and `WGPU_ADAPTER_NAME` narrow the
    /// choice) and opens a device with the features and limits omnimoe uses.
    pub async fn new() -> Result<Context> {
        let adapter = choose_adapter(&instance()).await?;
        Self::from_adapter(&adapter).await
    }

    /// Blocking [`Context::new`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking() -> Result<Context> {
        pollster::block_on(Self::new())
    }

    /// Opens a device on `adapter`: every feature of [`WANTED`] it has, cooperative matrices where they
    /// fit `shaders/gemm_coop.wgsl`, and all of its limits.
    pub async fn from_adapter(adapter: &wgpu::Adapter) -> Result<Context> {
        let info = adapter.get_info();
        let coop = adapter.cooperative_matrix_properties();
        let mut features = adapter.features() & WANTED;
        let all = adapter.features() | Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
        let use_coop = Capabilities::of(all & adapter.features(), &info, &coop).cooperative_matrix
            && std::env::var_os("OMNIMOE_NO_COOP").is_none();
        let experimental = if use_coop {
            features |= Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
            // SAFETY: wgpu's experimental cooperative-matrix feature; shaders/gemm_coop.wgsl uses it only
            // in uniform control flow, with 32-wide subgroups and the 16×16×16 f16/f32 shape checked above.
            unsafe { wgpu::ExperimentalFeatures::enabled() }
        } else {
            wgpu::ExperimentalFeatures::disabled()
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("omnimoe"),
                required_features: features,
                required_limits: adapter.limits(),
                experimental_features: experimental,
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::RequestDevice(e.to_string()))?;
        let mut ctx = Self::build(device, queue, info);
        ctx.caps = Capabilities::of(ctx.device.features(), &ctx.info, &coop);
        // Errors outside our error scopes (a failed allocation while uploading weights, say) are kept and
        // returned by the next call instead of wgpu's default, which panics.
        let slot = ctx.uncaptured.clone();
        ctx.device.on_uncaptured_error(Arc::new(move |e| {
            slot.lock().unwrap().get_or_insert(gpu_error(e));
        }));
        Ok(ctx)
    }

    /// Wraps a device the application already owns. omnimoe uses whichever of SHADER_F16, SUBGROUP and
    /// TIMESTAMP_QUERY the device was created with, and the device's limits. The application's own
    /// uncaptured-error handler stays in place; omnimoe's calls catch their errors in error scopes.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Context {
        let info = wgpu::AdapterInfo {
            name: "external device".into(),
            ..wgpu::AdapterInfo::new(DeviceType::Other, Backend::Noop)
        };
        Self::build(device, queue, info)
    }

    /// Like [`Context::from_device`], with the adapter's description for reports.
    pub fn from_device_with_info(
        device: wgpu::Device,
        queue: wgpu::Queue,
        info: wgpu::AdapterInfo,
    ) -> Context {
        Self::build(device, queue, info)
    }

    fn build(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Context {
        let lost = Arc::new(Mutex::new(None));
        let l = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            *l.lock().unwrap() = Some(format!("{reason:?}: {msg}"));
        });
        // The adapter's cooperative-matrix shapes are unknown here: no cooperative-matrix path.
        let caps = Capabilities::of(device.features(), &info, &[]);
        Context {
            limits: device.limits(),
            pipelines: PipelineCache::default(),
            tuned: Default::default(),
            info,
            caps,
            device,
            queue,
            lost,
            uncaptured: Arc::new(Mutex::new(None)),
        }
    }

    /// Fails with [`Error::DeviceLost`] once the device is gone, or with the first GPU error that no error
    /// scope caught since the last call.
    pub fn check_alive(&self) -> Result<()> {
        if let Some(msg) = &*self.lost.lock().unwrap() {
            return Err(Error::DeviceLost(msg.clone()));
        }
        match self.uncaptured.lock().unwrap().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A report of this context's adapter.
    pub fn report(&self) -> AdapterReport {
        AdapterReport {
            info: self.info.clone(),
            caps: self.caps.clone(),
            limits: self.limits.clone(),
        }
    }
}

/// Maps a wgpu error into ours.
pub(crate) fn gpu_error(e: wgpu::Error) -> Error {
    match e {
        wgpu::Error::OutOfMemory { .. } => Error::OutOfMemory(e.to_string()),
        other => Error::Gpu(other.to_string()),
    }
}
