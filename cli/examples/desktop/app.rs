//! The app's state and its egui UI, the same in a window (eframe) and off-screen.

use omnimoe::gpu::{Context, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;
use omnimoe::{LoadOptions, OmniMoeConfig, OmniMoeWeights};

use crate::heatmap::Heatmap;

/// What the sliders and the file field choose.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub tokens: usize,
    pub experts: usize,
    pub k: usize,
    pub hidden: usize,
    pub intermediate: usize,
    pub f16: bool,
    pub seed: u64,
    /// A safetensors file of OmniMoE weights; random weights when empty.
    pub file: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tokens: 256,
            experts: 4096,
            k: 16,
            hidden: 256,
            intermediate: 512,
            f16: false,
            seed: 7,
            file: String::new(),
        }
    }
}

/// The input a run uses: T tokens of normal values, the same for a seed on every machine.
pub fn input(settings: &Settings, hidden: usize) -> Vec<f32> {
    SplitMix64::new(settings.seed ^ 0x5eed).normals(settings.tokens * hidden)
}

/// The weights the settings name.
pub fn weights(settings: &Settings) -> Result<OmniMoeWeights, String> {
    if settings.file.is_empty() {
        let c = OmniMoeConfig::new(
            settings.hidden,
            settings.intermediate,
            settings.experts,
            settings.k,
        )
        .map_err(|e| e.to_string())?;
        return OmniMoeWeights::random(c, settings.seed).map_err(|e| e.to_string());
    }
    let bytes = std::fs::read(&settings.file).map_err(|e| format!("{}: {e}", settings.file))?;
    let file = TensorFile::parse(&bytes).map_err(|e| e.to_string())?;
    OmniMoeWeights::from_file(&file, &LoadOptions::default()).map_err(|e| e.to_string())
}

/// One forward's results as the UI shows them.
pub struct Run {
    pub config: OmniMoeConfig,
    pub tokens: usize,
    pub heat: Heatmap,
    pub texture: egui::TextureId,
    /// Router indices `[T, K]`, for the hovered token's experts.
    pub indices: Vec<u32>,
    /// GPU milliseconds per stage (empty without timestamps).
    pub stages: Vec<(&'static str, f64)>,
}

pub struct Demo {
    pub ctx: &'static Context,
    pub settings: Settings,
    pub run: Option<Run>,
    applied: Option<Settings>,
    error: Option<String>,
    hovered: Option<usize>,
}

impl Demo {
    pub fn new(ctx: &'static Context, settings: Settings) -> Self {
        Demo {
            ctx,
            settings,
            run: None,
            applied: None,
            error: None,
            hovered: None,
        }
    }

    /// Runs the layer when the settings changed since the last run: forward with per-stage timestamps,
    /// then the histogram and heatmap passes on the router's indices, all on the app's device.
    fn refresh(&mut self, renderer: &mut egui_wgpu::Renderer) {
        if self.applied.as_ref() == Some(&self.settings) {
            return;
        }
        self.applied = Some(self.settings.clone());
        if let Some(old) = self.run.take() {
            renderer.free_texture(&old.texture);
        }
        match self.forward(renderer) {
            Ok(run) => {
                self.run = Some(run);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn forward(&self, renderer: &mut egui_wgpu::Renderer) -> Result<Run, String> {
        let ctx = self.ctx;
        let w = weights(&self.settings)?;
        let config = w.config;
        let precision = if self.settings.f16 && ctx.caps.shader_f16 {
            Precision::F16
        } else {
            Precision::F32
        };
        let options = LayerOptions {
            precision,
            ..Default::default()
        };
        let layer = OmniMoeLayer::new(ctx, &w, &options).map_err(|e| e.to_string())?;
        let x = input(&self.settings, config.hidden_size);
        let (t, x) = layer.upload_input(&x).map_err(|e| e.to_string())?;
        let out = layer.outputs(t);
        let times = pollster::block_on(layer.forward(&x, &out, true)).map_err(|e| e.to_string())?;
        let heat = Heatmap::new(ctx, config.num_experts as u32, config.grid() as u32);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let pairs = (t * config.num_experts_per_token) as u32;
        heat.record(ctx, &mut encoder, &out.indices, pairs);
        ctx.queue.submit([encoder.finish()]);
        let stages = match times {
            Some(times) => {
                pollster::block_on(times.read(ctx))
                    .map_err(|e| e.to_string())?
                    .0
            }
            None => Vec::new(),
        };
        // The indices for the hover list (text only: the heatmap never leaves the GPU).
        let host = pollster::block_on(layer.read(&out)).map_err(|e| e.to_string())?;
        let texture =
            renderer.register_native_texture(&ctx.device, &heat.view, wgpu::FilterMode::Nearest);
        Ok(Run {
            config,
            tokens: t,
            heat,
            texture,
            indices: host.indices,
            stages,
        })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, renderer: &mut egui_wgpu::Renderer) {
        self.refresh(renderer);
        egui::Panel::left("settings").show(ui, |ui| self.controls(ui));
        egui::CentralPanel::default().show(ui, |ui| self.results(ui));
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        ui.heading("omnimoe");
        ui.label(format!(
            "{} ({:?})",
            self.ctx.info.name, self.ctx.info.backend
        ));
        let s = &mut self.settings;
        let random = s.file.is_empty();
        ui.add(
            egui::Slider::new(&mut s.tokens, 1..=4096)
                .logarithmic(true)
                .text("tokens"),
        );
        ui.add_enabled(
            random,
            egui::Slider::new(&mut s.experts, 16..=65536)
                .logarithmic(true)
                .text("experts"),
        );
        let mut k_half = s.k / 2;
        ui.add_enabled(random, egui::Slider::new(&mut k_half, 1..=32).text("K / 2"));
        s.k = 2 * k_half;
        ui.add_enabled(random, egui::Slider::new(&mut s.seed, 0..=99).text("seed"));
        ui.checkbox(&mut s.f16, "f16 storage");
        ui.separator();
        ui.label("safetensors weights (empty: random)");
        ui.text_edit_singleline(&mut s.file);
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::LIGHT_RED, e);
        }
    }

    fn results(&mut self, ui: &mut egui::Ui) {
        let Some(run) = &self.run else {
            ui.label("no run yet");
            return;
        };
        let c = run.config;
        ui.label(format!(
            "T = {}, H = {}, I = {}, N = {} ({}×{} grid), K = {}",
            run.tokens,
            c.hidden_size,
            c.intermediate_size,
            c.num_experts,
            run.heat.r,
            run.heat.r,
            c.num_experts_per_token
        ));
        ui.horizontal_top(|ui| {
            let side = 384.0;
            let image = egui::Image::from_texture(egui::load::SizedTexture::new(
                run.texture,
                egui::vec2(side, side),
            ));
            let shown = ui.add(image);
            // The hovered token's experts, outlined on the grid.
            let k = c.num_experts_per_token;
            if let Some(t) = self.hovered.filter(|&t| t < run.tokens) {
                let cell = side / run.heat.r as f32;
                for &e in &run.indices[t * k..][..k] {
                    let (a, b) = (e / run.heat.r, e % run.heat.r);
                    let min = shown.rect.min + egui::vec2(b as f32 * cell, a as f32 * cell);
                    let rect = egui::Rect::from_min_size(min, egui::vec2(cell, cell)).expand(1.5);
                    ui.painter().rect_stroke(
                        rect,
                        0.0,
                        egui::Stroke::new(1.5, egui::Color32::WHITE),
                        egui::StrokeKind::Outside,
                    );
                }
            }
            ui.vertical(|ui| {
                ui.label("tokens (hover one)");
                egui::ScrollArea::vertical()
                    .max_height(side)
                    .show(ui, |ui| {
                        let mut hovered = None;
                        for t in 0..run.tokens.min(512) {
                            let experts = &run.indices[t * k..][..k];
                            let r = ui.label(format!("token {t}: {experts:?}"));
                            if r.hovered() {
                                hovered = Some(t);
                            }
                        }
                        if hovered.is_some() {
                            self.hovered = hovered;
                        }
                    });
            });
        });
        ui.separator();
        ui.label("GPU time per stage");
        if run.stages.is_empty() {
            ui.label("(this device has no GPU timestamps)");
        }
        let most = run.stages.iter().map(|s| s.1).fold(1e-9, f64::max);
        for (label, ms) in &run.stages {
            ui.horizontal(|ui| {
                ui.add_sized([170.0, 14.0], egui::Label::new(*label));
                let width = (300.0 * ms / most) as f32;
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(width.max(1.0), 12.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, egui::Color32::from_rgb(90, 160, 230));
                ui.label(format!("{ms:.3} ms"));
            });
        }
    }
}
