//! Finding adapters: every one wgpu offers, ranked (a discrete GPU first), and the one a context opens.

#[cfg(not(target_arch = "wasm32"))]
use wgpu::{Backend, DeviceType};

#[cfg(not(target_arch = "wasm32"))]
use super::{AdapterReport, Capabilities};
use crate::{Error, Result};

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

pub(super) fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter wgpu finds (honours `WGPU_BACKEND`), best first: the order of [`enumerate_adapters`].
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn ranked_adapters() -> Vec<wgpu::Adapter> {
    let mut adapters = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    adapters.sort_by_key(|a| rank(&a.get_info()));
    adapters
}

/// Every adapter wgpu finds (honours `WGPU_BACKEND`), best first.
#[cfg(not(target_arch = "wasm32"))]
pub fn enumerate_adapters() -> Vec<AdapterReport> {
    ranked_adapters()
        .iter()
        .map(|a| {
            let info = a.get_info();
            let limits = a.limits();
            let coop = a.cooperative_matrix_properties();
            let mut caps = Capabilities::of(a.features(), &limits, &info, &coop);
            caps.nv_coopmat2 = caps.cooperative_matrix && super::super::nv_coopmat2::offered(a);
            AdapterReport { caps, limits, info }
        })
        .collect()
}

pub(super) async fn choose_adapter(instance: &wgpu::Instance) -> Result<wgpu::Adapter> {
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
