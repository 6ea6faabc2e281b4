//! Compute pipelines from SPIR-V through wgpu's passthrough (Vulkan): the kernels WGSL cannot express
//! (`nv_coopmat2`) and the tensor-core kernels' SPIR-V with the f16 staging by bitcast (`spirv_halves`).

/// A compute pipeline from SPIR-V through wgpu's passthrough (Vulkan), with one bind group of the buffers
/// `(binding, type)`, sorted by binding (wgpu-hal gives them Vulkan bindings 0, 1, 2… in that order:
/// SPIR-V written for the layout must use those).
///
/// # Safety
///
/// `words` must be valid SPIR-V for the device with `entry` of `workgroup_size`, using exactly these
/// bindings, that reads and writes only inside the buffers bound to them.
pub(crate) unsafe fn pipeline(
    device: &wgpu::Device,
    label: &str,
    words: Vec<u32>,
    entry: &str,
    workgroup_size: (u32, u32, u32),
    buffers: &[(u32, wgpu::BufferBindingType)],
) -> wgpu::ComputePipeline {
    // SAFETY: the caller's (above).
    let module = unsafe {
        device.create_shader_module_passthrough(wgpu::ShaderModuleDescriptorPassthrough {
            label: Some(label),
            entry_points: std::borrow::Cow::Owned(vec![wgpu::PassthroughShaderEntryPoint {
                name: entry.to_string().into(),
                workgroup_size,
            }]),
            spirv: Some(std::borrow::Cow::Owned(words)),
            ..Default::default()
        })
    };
    let entries: Vec<wgpu::BindGroupLayoutEntry> = buffers
        .iter()
        .map(|&(binding, ty)| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    let group = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    });
    let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(&group)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&layout),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}
