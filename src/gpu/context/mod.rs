//! The GPU context: adapter choice, the features and limits we ask for, error capture, and the pipeline
//! cache. Everything else in `gpu` takes a `&Context`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wgpu::{Backend, DeviceType, Features};

use super::pipelines::PipelineCache;
use crate::{Error, Result};

mod adapters;
mod capabilities;

#[cfg(not(target_arch = "wasm32"))]
pub use adapters::enumerate_adapters;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use adapters::ranked_adapters;
use adapters::{choose_adapter, instance};
pub use capabilities::{AdapterReport, Capabilities, ContextOptions, WANTED_FEATURES};

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
    /// Per-context state of higher layers (the autotune's choices, say), by type: the context knows
    /// nothing of what they hold.
    caches: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// Where the device came from, for [`Context::compiles`]'s scratch devices.
    origin: Option<Origin>,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<Error>>>,
}

/// The adapter and the device description a context was opened with.
struct Origin {
    adapter: wgpu::Adapter,
    features: Features,
    experimental: bool,
    /// A second device of the same adapter on which variants are compiled first; replaced when a failed
    /// compile loses it.
    scratch: Mutex<Option<wgpu::Device>>,
}

impl Context {
    /// Picks the best adapter (a discrete GPU first; `WGPU_BACKEND` and `WGPU_ADAPTER_NAME` narrow the
    /// choice) and opens a device with the features and limits omnimoe uses.
    pub async fn new() -> Result<Context> {
        Self::with_options(&ContextOptions::default()).await
    }

    /// Blocking [`Context::new`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking() -> Result<Context> {
        pollster::block_on(Self::new())
    }

    /// [`Context::new`] with the features `options` name left off the device.
    pub async fn with_options(options: &ContextOptions) -> Result<Context> {
        let adapter = choose_adapter(&instance()).await?;
        Self::from_adapter_with(&adapter, options).await
    }

    /// Blocking [`Context::with_options`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_options_blocking(options: &ContextOptions) -> Result<Context> {
        pollster::block_on(Self::with_options(options))
    }

    /// Opens a device on `adapter`: every feature of [`WANTED_FEATURES`] it has, cooperative matrices where they
    /// fit `shaders/gemm_coop.wgsl`, and all of its limits.
    pub async fn from_adapter(adapter: &wgpu::Adapter) -> Result<Context> {
        Self::from_adapter_with(adapter, &ContextOptions::default()).await
    }

    /// [`Context::from_adapter`] with the features `options` name left off the device.
    pub async fn from_adapter_with(
        adapter: &wgpu::Adapter,
        options: &ContextOptions,
    ) -> Result<Context> {
        let info = adapter.get_info();
        let coop = adapter.cooperative_matrix_properties();
        let offered = adapter.features() - options.removed();
        let mut features = offered & WANTED_FEATURES;
        let use_coop = Capabilities::of(offered, &adapter.limits(), &info, &coop)
            .cooperative_matrix
            && !super::measuring::env_set("OMNIMOE_NO_COOP");
        if use_coop {
            features |= Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
        }
        let (device, queue, nv_coopmat2) = open(adapter, features, use_coop).await?;
        let mut ctx = Self::build(device, queue, info);
        if let Some(bytes) = options.max_binding_bytes {
            let l = &mut ctx.limits;
            // Whole 16-byte vectors per binding; at most what the device allows.
            let bytes = (bytes / 16 * 16).max(16);
            l.max_storage_buffer_binding_size = l.max_storage_buffer_binding_size.min(bytes);
        }
        if let Some(bytes) = options.max_buffer_bytes {
            let l = &mut ctx.limits;
            l.max_buffer_size = l.max_buffer_size.min((bytes / 16 * 16).max(16));
        }
        if let Some(groups) = options.max_workgroups_per_dimension {
            let l = &mut ctx.limits;
            l.max_compute_workgroups_per_dimension =
                l.max_compute_workgroups_per_dimension.min(groups.max(1));
        }
        ctx.caps = Capabilities::of(ctx.device.features(), &ctx.limits, &ctx.info, &coop);
        ctx.caps.nv_coopmat2 = nv_coopmat2;
        ctx.origin = Some(Origin {
            adapter: adapter.clone(),
            features,
            experimental: use_coop,
            scratch: Mutex::new(None),
        });
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
        let limits = device.limits();
        let caps = Capabilities::of(device.features(), &limits, &info, &[]);
        Context {
            limits,
            pipelines: PipelineCache::default(),
            caches: Mutex::new(HashMap::new()),
            origin: None,
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

    /// The most bytes one buffer binding may hold: the smaller of the binding and buffer size limits.
    pub fn binding_bytes(&self) -> u64 {
        let l = &self.limits;
        l.max_storage_buffer_binding_size.min(l.max_buffer_size)
    }

    /// A report of this context's adapter.
    pub fn report(&self) -> AdapterReport {
        AdapterReport {
            info: self.info.clone(),
            caps: self.caps.clone(),
            limits: self.limits.clone(),
        }
    }

    /// This context's instance of `T`, made with `T::default()` on first use (state that higher layers
    /// keep per adapter, such as the autotune's choices).
    pub fn cache<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut caches = self.caches.lock().unwrap();
        let entry = caches
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        entry.clone().downcast::<T>().expect("keyed by its type")
    }

    /// Whether the driver compiles `entry` of `stage` in `variant`, tried on a scratch device of the same
    /// adapter: some drivers lose the device when their compiler fails (NVIDIA's reports "NVVM compilation
    /// failed" and the device is gone), so a variant nobody has compiled here is never first compiled on
    /// this context's device. The answer is cached. Contexts from [`Context::from_device`] have no adapter
    /// to probe with and answer `true`.
    pub async fn compiles(
        &self,
        stage: &'static str,
        entry: &'static str,
        variant: &super::pipelines::Variant,
    ) -> bool {
        let Some(origin) = &self.origin else {
            return true;
        };
        let mut variant = variant.clone();
        variant.browser = self.caps.browser;
        if let Some(ok) = self.pipelines.known(stage, entry, &variant) {
            return ok;
        }
        let scratch = origin.scratch.lock().unwrap().clone();
        let device = match scratch {
            Some(d) => d,
            None => match open(&origin.adapter, origin.features, origin.experimental).await {
                Ok((d, _, _)) => {
                    *origin.scratch.lock().unwrap() = Some(d.clone());
                    d
                }
                Err(e) => {
                    log::warn!("no scratch device to compile {stage} on: {e}");
                    return false;
                }
            },
        };
        let lost = Arc::new(Mutex::new(false));
        let l = lost.clone();
        device.set_device_lost_callback(move |_, _| *l.lock().unwrap() = true);
        device.on_uncaptured_error(Arc::new(|_| {}));
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
        drop(super::pipelines::build(&device, stage, entry, &variant));
        let failed = internal.pop().await.is_some() | scope.pop().await.is_some();
        let gone = *lost.lock().unwrap();
        if gone {
            *origin.scratch.lock().unwrap() = None;
        }
        let ok = !failed && !gone;
        if !ok {
            log::warn!("the driver does not compile {stage}/{entry} {variant:?}");
        }
        self.pipelines.remember(stage, entry, &variant, ok);
        ok
    }
}

/// Opens a device on `adapter` with `features` (cooperative matrices among them when `experimental`) and
/// all of the adapter's limits; with cooperative matrices, NVIDIA's cooperative-matrix-2 extension too
/// where the adapter has it (the third value says whether it is on).
async fn open(
    adapter: &wgpu::Adapter,
    features: Features,
    experimental: bool,
) -> Result<(wgpu::Device, wgpu::Queue, bool)> {
    let experimental_features = if experimental {
        // SAFETY: wgpu's experimental cooperative-matrix feature; shaders/gemm_coop.wgsl uses it only in
        // uniform control flow, with 32-wide subgroups and the 16×16×16 f16/f32 shape checked by the caller.
        unsafe { wgpu::ExperimentalFeatures::enabled() }
    } else {
        wgpu::ExperimentalFeatures::disabled()
    };
    let desc = wgpu::DeviceDescriptor {
        label: Some("omnimoe"),
        required_features: features,
        required_limits: adapter.limits(),
        experimental_features,
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    };
    #[cfg(not(target_arch = "wasm32"))]
    if experimental {
        match super::nv_coopmat2::open(adapter, &desc) {
            Some(Ok((device, queue))) => return Ok((device, queue, true)),
            Some(Err(e)) => log::warn!("cooperative-matrix-2 device not opened ({e}); without it"),
            None => {}
        }
    }
    adapter
        .request_device(&desc)
        .await
        .map(|(device, queue)| (device, queue, false))
        .map_err(|e| Error::RequestDevice(e.to_string()))
}

/// Maps a wgpu error into ours.
/// The error scopes a submission runs in (out of memory, validation, internal), so that what the GPU
/// reports becomes a typed error of the call, never wgpu's default panic.
pub(crate) struct ErrorScopes([wgpu::ErrorScopeGuard; 3]);

impl ErrorScopes {
    /// Pushes the three scopes on `device`.
    pub(crate) fn push(device: &wgpu::Device) -> Self {
        ErrorScopes([
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
            device.push_error_scope(wgpu::ErrorFilter::Internal),
        ])
    }

    /// Pops them, innermost first; the first error caught, as a typed error.
    pub(crate) async fn pop(self) -> Result<()> {
        let mut first = None;
        for scope in self.0.into_iter().rev() {
            if let Some(e) = scope.pop().await {
                first.get_or_insert(gpu_error(e));
            }
        }
        first.map_or(Ok(()), Err)
    }
}

pub(crate) fn gpu_error(e: wgpu::Error) -> Error {
    match e {
        wgpu::Error::OutOfMemory { .. } => Error::OutOfMemory(e.to_string()),
        other => Error::Gpu(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an error scope catches becomes the typed error: out of memory as `OutOfMemory` (a device
    /// cannot be made to run out on demand in the tests), validation and internal errors as `Gpu`.
    #[test]
    fn scope_errors_map_to_typed_errors() {
        let oom = wgpu::Error::OutOfMemory {
            source: Box::new(std::io::Error::other("no memory left")),
        };
        assert!(
            matches!(gpu_error(oom), Error::OutOfMemory(m) if m.to_lowercase().contains("memory"))
        );
        let invalid = wgpu::Error::Validation {
            source: Box::new(std::io::Error::other("bad binding")),
            description: "bad binding".into(),
        };
        assert!(matches!(gpu_error(invalid), Error::Gpu(m) if m.contains("bad binding")));
    }
}
