//! What the Vulkan driver makes of each shader variant: the statistics it reports for the compiled
//! pipeline through `VK_KHR_pipeline_executable_properties` (on NVIDIA the register count and the
//! workgroup memory, on which occupancy depends: on an H100 through Vulkan the few-row tiles' workgroups
//! an SM were bound by 45–62 KiB of workgroup memory an SM, not by registers; BENCHMARKS.md). Where the
//! driver lacks the extension (lavapipe of Debian 12's Mesa) the variants are only compiled.
//!
//! `cargo run --release -p omnimoe --example pipeline_stats -- [STAGE[=FILE.wgsl] ...]`
//!
//! Each variant of the named stages (all stages without arguments) that the layer can build is
//! translated to SPIR-V by naga with the options wgpu uses (runtime checks off for the stages the layer
//! builds trusted; the tensor-core stages' f16 pairs by bitcast, as the layer builds them on Vulkan),
//! and compiled by the first Vulkan device, preferring a discrete GPU. `STAGE=FILE`
//! compiles FILE's WGSL in place of the stage's own: a changed kernel's register count without a build.

use std::collections::BTreeMap;
use std::ffi::CStr;

use ash::vk;
use omnimoe::gpu::pipelines::{preprocess, source, Variant, TRUSTED};
use omnimoe::gpu::variants::all_variants;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut stages: Vec<String> = Vec::new();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for arg in std::env::args().skip(1) {
        match arg.split_once('=') {
            Some((stage, file)) => {
                files.insert(stage.to_string(), std::fs::read_to_string(file)?);
                stages.push(stage.to_string());
            }
            None => stages.push(arg),
        }
    }
    // SAFETY: loads the system's Vulkan loader; every handle made below is destroyed with the device
    // and instance at the end, after its last use.
    let gpu = unsafe { Gpu::new()? };
    println!("{}", gpu.name);
    for (stage, entry, variant) in all_variants() {
        if !stages.is_empty() && !stages.iter().any(|s| s == stage) {
            continue;
        }
        if variant.flags.contains("COOP") && !gpu.coop {
            continue;
        }
        let src = files.get(stage).map_or(source(stage), |s| s.as_str());
        let spirv = spirv(stage, entry, &variant, src)?;
        // SAFETY: SPIR-V that naga validated and wrote (version 1.6, a Vulkan 1.3 device's).
        match unsafe { gpu.statistics(&spirv.0, &spirv.1, entry) } {
            Ok(stats) => println!("{stage} {}: {stats}", describe(&variant)),
            Err(e) => println!("{stage} {}: not compiled: {e}", describe(&variant)),
        }
    }
    // SAFETY: nothing made from the device or instance is used after this.
    unsafe { gpu.destroy() };
    Ok(())
}

fn describe(v: &Variant) -> String {
    let mut s = if v.f16 { "f16" } else { "f32" }.to_string();
    if v.out_f16 {
        s.push_str(" out-f16");
    }
    for f in &v.flags {
        s.push(' ');
        s.push_str(f);
    }
    for (name, value) in &v.constants {
        s.push_str(&format!(" {name}={value}"));
    }
    s
}

/// A binding's descriptor type and the SPIR-V words of one variant.
type Spirv = (Vec<(u32, u32, vk::DescriptorType)>, Vec<u32>);

fn spirv(
    stage: &str,
    entry: &str,
    variant: &Variant,
    src: &str,
) -> Result<Spirv, Box<dyn std::error::Error>> {
    let code = preprocess(src, variant);
    let module = naga::front::wgsl::parse_str(&code).map_err(|e| e.emit_to_string(&code))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(&code))?;
    let constants: naga::back::PipelineConstants = variant
        .constants
        .iter()
        .map(|(n, v)| (n.to_string(), *v as f64))
        .collect();
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        Some((naga::ShaderStage::Compute, entry)),
        &constants,
    )?;
    let mut bindings = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(rb) = &var.binding else { continue };
        let ty = match var.space {
            naga::AddressSpace::Uniform => vk::DescriptorType::UNIFORM_BUFFER,
            naga::AddressSpace::Storage { .. } => vk::DescriptorType::STORAGE_BUFFER,
            _ => continue,
        };
        bindings.push((rb.group, rb.binding, ty));
    }
    // As wgpu-hal's Vulkan backend on a Vulkan 1.3 device with robustBufferAccess2; its runtime checks
    // off for trusted stages, workgroup memory not zeroed (the layer's pipelines).
    let trusted = TRUSTED.contains(&stage);
    let check = |untrusted| {
        if trusted {
            naga::proc::BoundsCheckPolicy::Unchecked
        } else {
            untrusted
        }
    };
    let options = naga::back::spv::Options {
        lang_version: (1, 6),
        bounds_check_policies: naga::proc::BoundsCheckPolicies {
            index: check(naga::proc::BoundsCheckPolicy::Restrict),
            buffer: naga::proc::BoundsCheckPolicy::Unchecked,
            image_load: naga::proc::BoundsCheckPolicy::Unchecked,
            binding_array: naga::proc::BoundsCheckPolicy::Unchecked,
        },
        zero_initialize_workgroup_memory: naga::back::spv::ZeroInitializeWorkgroupMemoryMode::None,
        force_loop_bounding: !trusted,
        emit_int_div_checks: !trusted,
        ..Default::default()
    };
    let pipeline = naga::back::spv::PipelineOptions {
        shader_stage: naga::ShaderStage::Compute,
        entry_point: entry.to_string(),
    };
    let mut words = naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline))?;
    // As the layer builds them on Vulkan: each f16 pair's round trip through f32 as one bitcast.
    if omnimoe::gpu::BITCAST_HALVES_STAGES.contains(&stage) {
        omnimoe::gpu::bitcast_halves(&mut words);
    }
    Ok((bindings, words))
}

struct Gpu {
    _entry: ash::Entry,
    instance: ash::Instance,
    device: ash::Device,
    /// None where the driver reports no statistics: the variants are only compiled.
    stats: Option<ash::khr::pipeline_executable_properties::Device>,
    name: String,
    coop: bool,
}

impl Gpu {
    unsafe fn new() -> Result<Gpu, Box<dyn std::error::Error>> {
        let entry = ash::Entry::load()?;
        let app = vk::ApplicationInfo::default().api_version(vk::API_VERSION_1_3);
        let instance = entry.create_instance(
            &vk::InstanceCreateInfo::default().application_info(&app),
            None,
        )?;
        let devices = instance.enumerate_physical_devices()?;
        let pd = *devices
            .iter()
            .find(|&&d| {
                instance.get_physical_device_properties(d).device_type
                    == vk::PhysicalDeviceType::DISCRETE_GPU
            })
            .or(devices.first())
            .ok_or("no Vulkan device")?;
        let props = instance.get_physical_device_properties(pd);
        let name = CStr::from_ptr(props.device_name.as_ptr())
            .to_string_lossy()
            .into_owned();
        let available: Vec<String> = instance
            .enumerate_device_extension_properties(pd)?
            .iter()
            .map(|e| {
                CStr::from_ptr(e.extension_name.as_ptr())
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let has = |n: &CStr| available.iter().any(|a| a.as_str() == n.to_str().unwrap());
        let reports = has(ash::khr::pipeline_executable_properties::NAME);
        let coop = has(ash::khr::cooperative_matrix::NAME);
        let mut extensions = Vec::new();
        if reports {
            extensions.push(ash::khr::pipeline_executable_properties::NAME.as_ptr());
        }
        if coop {
            extensions.push(ash::khr::cooperative_matrix::NAME.as_ptr());
        }
        // Every feature the device has, as wgpu enables those the layer needs (f16, 16-bit storage,
        // subgroups, the Vulkan memory model, cooperative matrices).
        let mut v11 = vk::PhysicalDeviceVulkan11Features::default();
        let mut v12 = vk::PhysicalDeviceVulkan12Features::default();
        let mut v13 = vk::PhysicalDeviceVulkan13Features::default();
        let mut exec = vk::PhysicalDevicePipelineExecutablePropertiesFeaturesKHR::default();
        let mut cm = vk::PhysicalDeviceCooperativeMatrixFeaturesKHR::default();
        let mut features = vk::PhysicalDeviceFeatures2::default()
            .push_next(&mut v11)
            .push_next(&mut v12)
            .push_next(&mut v13);
        if reports {
            features = features.push_next(&mut exec);
        }
        if coop {
            features = features.push_next(&mut cm);
        }
        instance.get_physical_device_features2(pd, &mut features);
        let queue = instance
            .get_physical_device_queue_family_properties(pd)
            .iter()
            .position(|q| q.queue_flags.contains(vk::QueueFlags::COMPUTE))
            .ok_or("no compute queue")? as u32;
        let priorities = [1.0];
        let queues = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(queue)
            .queue_priorities(&priorities)];
        let create = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .enabled_extension_names(&extensions)
            .push_next(&mut features);
        let device = instance.create_device(pd, &create, None)?;
        let stats = reports
            .then(|| ash::khr::pipeline_executable_properties::Device::new(&instance, &device));
        Ok(Gpu {
            _entry: entry,
            instance,
            device,
            stats,
            name,
            coop,
        })
    }

    /// The statistics of the first executable of a compute pipeline built from `words`, as
    /// `name=value` pairs.
    unsafe fn statistics(
        &self,
        bindings: &[(u32, u32, vk::DescriptorType)],
        words: &[u32],
        entry: &str,
    ) -> Result<String, vk::Result> {
        let d = &self.device;
        let groups = bindings.iter().map(|b| b.0 + 1).max().unwrap_or(0);
        let mut set_layouts = Vec::new();
        for g in 0..groups {
            let entries: Vec<vk::DescriptorSetLayoutBinding> = bindings
                .iter()
                .filter(|b| b.0 == g)
                .map(|&(_, binding, ty)| {
                    vk::DescriptorSetLayoutBinding::default()
                        .binding(binding)
                        .descriptor_type(ty)
                        .descriptor_count(1)
                        .stage_flags(vk::ShaderStageFlags::COMPUTE)
                })
                .collect();
            set_layouts.push(d.create_descriptor_set_layout(
                &vk::DescriptorSetLayoutCreateInfo::default().bindings(&entries),
                None,
            )?);
        }
        let layout = d.create_pipeline_layout(
            &vk::PipelineLayoutCreateInfo::default().set_layouts(&set_layouts),
            None,
        )?;
        let module =
            d.create_shader_module(&vk::ShaderModuleCreateInfo::default().code(words), None)?;
        let name = std::ffi::CString::new(entry).expect("an entry point name");
        let info = vk::ComputePipelineCreateInfo::default()
            .flags(if self.stats.is_some() {
                vk::PipelineCreateFlags::CAPTURE_STATISTICS_KHR
            } else {
                vk::PipelineCreateFlags::empty()
            })
            .stage(
                vk::PipelineShaderStageCreateInfo::default()
                    .stage(vk::ShaderStageFlags::COMPUTE)
                    .module(module)
                    .name(&name),
            )
            .layout(layout);
        let built = d.create_compute_pipelines(vk::PipelineCache::null(), &[info], None);
        let result = match built {
            Ok(pipelines) => {
                let pipeline = pipelines[0];
                let out = self.describe(pipeline);
                d.destroy_pipeline(pipeline, None);
                out
            }
            Err((_, e)) => Err(e),
        };
        d.destroy_shader_module(module, None);
        d.destroy_pipeline_layout(layout, None);
        for l in set_layouts {
            d.destroy_descriptor_set_layout(l, None);
        }
        result
    }

    unsafe fn describe(&self, pipeline: vk::Pipeline) -> Result<String, vk::Result> {
        let executable = vk::PipelineExecutableInfoKHR::default()
            .pipeline(pipeline)
            .executable_index(0);
        let Some(reporter) = &self.stats else {
            return Ok("compiled (the driver reports no statistics)".into());
        };
        // Zeroed (with their structure types set) before the driver fills them in. NVIDIA's 580 driver
        // reports "Local Memory Size" as 2^36 for every pipeline: not a per-shader figure.
        let get = reporter.fp().get_pipeline_executable_statistics_khr;
        let mut count = 0u32;
        get(
            self.device.handle(),
            &executable,
            &mut count,
            std::ptr::null_mut(),
        )
        .result()?;
        let mut stats = vec![vk::PipelineExecutableStatisticKHR::default(); count as usize];
        get(
            self.device.handle(),
            &executable,
            &mut count,
            stats.as_mut_ptr(),
        )
        .result()?;
        stats.truncate(count as usize);
        let mut out = Vec::new();
        for s in stats {
            let name = CStr::from_ptr(s.name.as_ptr()).to_string_lossy();
            let value = match s.format {
                vk::PipelineExecutableStatisticFormatKHR::BOOL32 => s.value.b32.to_string(),
                vk::PipelineExecutableStatisticFormatKHR::INT64 => s.value.i64.to_string(),
                vk::PipelineExecutableStatisticFormatKHR::UINT64 => s.value.u64.to_string(),
                _ => format!("{:.3}", s.value.f64),
            };
            out.push(format!("{name}={value}"));
        }
        Ok(out.join(", "))
    }

    unsafe fn destroy(self) {
        self.device.destroy_device(None);
        self.instance.destroy_instance(None);
    }
}
