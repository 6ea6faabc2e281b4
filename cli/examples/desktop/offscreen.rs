//! `--screenshot FILE.png --frames N`: the same UI rendered without a window into a texture, N frames, the
//! last one written as a PNG. Works on any adapter, lavapipe included.

use std::path::Path;

use omnimoe::gpu::buffers;
use omnimoe::gpu::Context;

use crate::app::{Demo, Settings};

/// The device an application would open: the adapter's own limits, and the features omnimoe can use
/// (f16, subgroups, timestamps) where the adapter has them. The window uses it through eframe too.
pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("omnimoe desktop example"),
        required_features: adapter.features() & omnimoe::gpu::context::WANTED_FEATURES,
        required_limits: adapter.limits(),
        ..Default::default()
    }
}

/// Opens the application's device (honours `WGPU_BACKEND`) and hands it to omnimoe.
pub fn app_context() -> Result<&'static Context, String> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .map_err(|e| format!("no adapter: {e}"))?;
    let (device, queue) = pollster::block_on(adapter.request_device(&device_descriptor(&adapter)))
        .map_err(|e| format!("no device: {e}"))?;
    // The context lives as long as the app.
    Ok(Box::leak(Box::new(Context::from_device_with_info(
        device,
        queue,
        adapter.get_info(),
    ))))
}

/// Renders `frames` frames of the UI at `size` and writes the last to `path`; returns the app's state.
pub fn render(
    settings: Settings,
    frames: usize,
    (width, height): (u32, u32),
    path: &Path,
) -> Result<Demo, String> {
    let ctx = app_context()?;
    let device = &ctx.device;
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let mut renderer = egui_wgpu::Renderer::new(device, format, Default::default());
    let mut demo = Demo::new(ctx, settings);
    let egui_ctx = egui::Context::default();
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("screenshot"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    let screen = egui_wgpu::ScreenDescriptor {
        size_in_pixels: [width, height],
        pixels_per_point: 1.0,
    };
    for _ in 0..frames.max(1) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(width as f32, height as f32),
            )),
            ..Default::default()
        };
        let mut out = egui_ctx.run_ui(input, |ui| demo.ui(ui, &mut renderer));
        let jobs = egui_ctx.tessellate(out.shapes, out.pixels_per_point);
        for (id, deltas) in &out.textures_delta.set {
            for delta in deltas {
                renderer.update_texture(device, &ctx.queue, *id, delta);
            }
        }
        let mut encoder = device.create_command_encoder(&Default::default());
        let uploads = renderer.update_buffers(device, &ctx.queue, &mut encoder, &jobs, &screen);
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("egui"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    resolve_target: None,
                    depth_slice: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            renderer.render(&mut pass.forget_lifetime(), &jobs, &screen);
        }
        ctx.queue
            .submit(uploads.into_iter().chain([encoder.finish()]));
        for id in &out.textures_delta.free {
            renderer.free_texture(id);
        }
        // Applied above; epaint asserts (in debug builds) that no delta is dropped unhandled.
        out.textures_delta.clear();
    }
    let pixels = read_texture(ctx, &target, width, height);
    write_png(path, width, height, &pixels)?;
    Ok(demo)
}

/// An rgba8 texture's pixels, row by row.
pub fn read_texture(
    ctx: &Context,
    texture: &wgpu::Texture,
    width: u32,
    height: u32,
) -> Vec<[u8; 4]> {
    let row = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let staging = buffers::storage(ctx, "texture copy", (row * height) as u64);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    ctx.queue.submit([encoder.finish()]);
    let bytes = pollster::block_on(buffers::read_back(ctx, &staging, 0, (row * height) as u64))
        .expect("reading a texture back");
    bytes
        .chunks(row as usize)
        .flat_map(|r| {
            r[..(width * 4) as usize]
                .chunks(4)
                .map(|p| [p[0], p[1], p[2], p[3]])
        })
        .collect()
}

fn write_png(path: &Path, width: u32, height: u32, pixels: &[[u8; 4]]) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(pixels.as_flattened())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{input, weights};
    use crate::heatmap::colour;

    /// Off-screen frames on the test adapter: the heatmap texture, drawn on the GPU from its count buffer,
    /// shows the CPU reference's expert counts, and the screenshot shows the heatmap.
    #[test]
    fn offscreen_heatmap_shows_the_cpu_reference_counts() {
        let settings = Settings {
            tokens: 96,
            experts: 256,
            k: 8,
            hidden: 64,
            intermediate: 128,
            ..Settings::default()
        };
        let path = std::env::temp_dir().join(format!("omnimoe-desktop-{}.png", std::process::id()));
        let demo = render(settings.clone(), 2, (960, 600), &path).unwrap();
        let run = demo.run.as_ref().expect("the first frame runs the layer");

        let w = weights(&settings).unwrap();
        let cpu = omnimoe::cpu::forward(&w, &input(&settings, 64)).unwrap();
        let (n, r) = (256usize, w.config.grid());
        let mut counts = vec![0u32; n];
        for &e in &cpu.indices {
            counts[e as usize] += 1;
        }
        let top = *counts.iter().max().unwrap();
        let pixels = run.heat.read_pixels(demo.ctx);
        assert_eq!(pixels.len(), r * r);
        for (e, got) in pixels.iter().enumerate() {
            let want = if e < n {
                colour(counts[e], top)
            } else {
                [0, 0, 0, 255]
            };
            let close = got.iter().zip(want).all(|(&g, w)| g.abs_diff(w) <= 1);
            assert!(
                close,
                "expert {e} (count {}): pixel {got:?}, want {want:?}",
                counts.get(e).copied().unwrap_or(0)
            );
        }

        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut shot = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut shot).unwrap();
        assert_eq!((info.width, info.height), (960, 600));
        // The busiest expert's colour is on screen (the heatmap is drawn 384 px wide, nearest-sampled).
        let hot = colour(top, top);
        let shown = shot
            .chunks(4)
            .filter(|p| p.iter().zip(hot).all(|(&g, w)| g.abs_diff(w) <= 2))
            .count();
        assert!(
            shown >= 16,
            "the busiest expert's colour {hot:?} covers {shown} pixels of the screenshot"
        );
    }
}
