//! A desktop app that owns its wgpu device (eframe, egui-wgpu) and hands it to omnimoe with
//! `Context::from_device_with_info`: it runs an OmniMoE layer (random weights with token / expert / K
//! sliders, or a safetensors file), shows the routing heatmap over the R×R product-key grid (a WGSL pass
//! draws it from the GPU count buffer into a texture egui displays: no read-back), the GPU time of each
//! stage, and the experts of the hovered token.
//!
//! ```text
//! cargo run --release --example desktop
//! cargo run --release --example desktop -- --screenshot shot.png --frames 3   # no window
//! ```

mod app;
mod heatmap;
mod offscreen;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use omnimoe::gpu::Context;

#[derive(Parser)]
#[command(about = "omnimoe desktop example: an egui app sharing its wgpu device with the library")]
struct Args {
    /// Render off-screen (no window) and write the last frame to this PNG.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Frames to render off-screen.
    #[arg(long, default_value_t = 3)]
    frames: usize,
    /// Tokens.
    #[arg(long)]
    tokens: Option<usize>,
    /// Experts (N).
    #[arg(long)]
    experts: Option<usize>,
    /// Experts per token (K, even).
    #[arg(long)]
    k: Option<usize>,
    /// A safetensors file of OmniMoE weights instead of random ones.
    #[arg(long)]
    weights: Option<String>,
}

struct Window {
    demo: app::Demo,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let state = frame.wgpu_render_state().expect("eframe runs on wgpu here");
        let mut renderer = state.renderer.write();
        self.demo.ui(ui, &mut renderer);
    }
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let mut settings = app::Settings::default();
    settings.tokens = args.tokens.unwrap_or(settings.tokens);
    settings.experts = args.experts.unwrap_or(settings.experts);
    settings.k = args.k.unwrap_or(settings.k);
    settings.file = args.weights.unwrap_or_default();
    if let Some(path) = args.screenshot {
        let demo = offscreen::render(settings, args.frames, (1024, 640), &path)?;
        println!(
            "wrote {} ({} frames on {})",
            path.display(),
            args.frames,
            demo.ctx.info.name
        );
        return Ok(());
    }
    let setup = egui_wgpu::WgpuSetupCreateNew {
        device_descriptor: Arc::new(offscreen::device_descriptor),
        ..egui_wgpu::WgpuSetupCreateNew::without_display_handle()
    };
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        wgpu_options: egui_wgpu::WgpuConfiguration {
            wgpu_setup: egui_wgpu::WgpuSetup::CreateNew(setup),
            ..Default::default()
        },
        ..Default::default()
    };
    eframe::run_native(
        "omnimoe",
        options,
        Box::new(move |cc| {
            let state = cc
                .wgpu_render_state
                .as_ref()
                .ok_or("eframe started without wgpu")?;
            // The app's device, shared: omnimoe records its passes on it.
            let ctx = Box::leak(Box::new(Context::from_device_with_info(
                state.device.clone(),
                state.queue.clone(),
                state.adapter.get_info(),
            )));
            Ok(Box::new(Window {
                demo: app::Demo::new(ctx, settings),
            }))
        }),
    )
    .map_err(|e| e.to_string())
}
