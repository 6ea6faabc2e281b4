//! The layer-size flags `bench` and the demo share.

use clap::Args;
use omnimoe::{OmniMoeConfig, Result};

/// H, I, N and K of a random layer (the README's sizes by default).
#[derive(Args, Clone, Copy, Debug)]
pub struct LayerShape {
    /// H: hidden size.
    #[arg(long, default_value_t = 1024)]
    pub hidden: usize,
    /// I: intermediate size of the dense SwiGLU.
    #[arg(long, default_value_t = 4096)]
    pub intermediate: usize,
    /// N: atomic experts.
    #[arg(long, default_value_t = 4096)]
    pub experts: usize,
    /// K: experts per token.
    #[arg(long, default_value_t = 16)]
    pub top_k: usize,
}

impl LayerShape {
    /// The layer's configuration (checked: K even and ≤ 128, N a square…).
    pub fn config(&self) -> Result<OmniMoeConfig> {
        self.with_experts(self.experts)
    }

    /// The configuration with `experts` experts instead (a sweep over N).
    pub fn with_experts(&self, experts: usize) -> Result<OmniMoeConfig> {
        OmniMoeConfig::new(self.hidden, self.intermediate, experts, self.top_k)
    }
}
