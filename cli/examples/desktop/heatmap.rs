//! The routing heatmap: `heatmap.wgsl` turns the GPU count buffer into an R×R texture egui displays.

use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Recorder};
use omnimoe::gpu::Context;

/// The heatmap's colour for `count` of a grid whose busiest expert has `top` pairs: the twin of
/// `colour()` in heatmap.wgsl, as rgba8 (the test checks the texture against it).
#[cfg(test)]
pub fn colour(count: u32, top: u32) -> [u8; 4] {
    let i = count as f32 / top.max(1) as f32;
    let unorm = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    [unorm(i), unorm(i * i), unorm(0.3 * (1.0 - i) + 0.1), 255]
}

/// The count buffer, its texture and the pass between them, for N experts on an R×R grid.
pub struct Heatmap {
    pub n: u32,
    pub r: u32,
    count: wgpu::Buffer,
    #[cfg_attr(not(test), allow(dead_code))]
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
}

impl Heatmap {
    pub fn new(ctx: &Context, n: u32, r: u32) -> Self {
        let device = &ctx.device;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("heatmap"),
            source: wgpu::ShaderSource::Wgsl(include_str!("heatmap.wgsl").into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("heatmap"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("heatmap"),
            size: wgpu::Extent3d {
                width: r,
                height: r,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::STORAGE_BINDING
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let count = buffers::storage(ctx, "expert counts", n as u64 * 4);
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("heatmap params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bytes: Vec<u8> = [n, r, 0, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
        ctx.queue.write_buffer(&params, 0, &bytes);
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("heatmap"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: count.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
            ],
        });
        Heatmap {
            n,
            r,
            count,
            texture,
            view,
            pipeline,
            bind_group,
        }
    }

    /// Records the counts of the `pairs` router `indices` (the layer's histogram stage) and the pass that
    /// draws them.
    pub fn record(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        indices: &wgpu::Buffer,
        pairs: u32,
    ) {
        let mut rec = Recorder::new(ctx);
        let (indices, count) = (
            Bind::range(indices, 0, pairs as u64 * 4),
            Bind::all(&self.count),
        );
        stages::expert_histogram(&mut rec, (pairs, self.n), indices, count);
        rec.encode(encoder, false);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("heatmap"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.r.div_ceil(16), self.r.div_ceil(16), 1);
    }

    /// The texture's pixels, row by row (for tests).
    #[cfg(test)]
    pub fn read_pixels(&self, ctx: &Context) -> Vec<[u8; 4]> {
        crate::offscreen::read_texture(ctx, &self.texture, self.r, self.r)
    }
}
