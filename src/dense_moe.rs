//! A dense-router MoE layer, the OLMoE / Qwen-MoE / Mixtral shape: a router `[E, H]` scores every expert
//! for each token, and each chosen expert is a SwiGLU MLP of width I. It runs with the routing modes of
//! [`crate::routing`] (issue 11): token choice (top-k of the router's softmax, as OLMoE), expert choice,
//! or the unified budget over USMoE's score `U = (1−r)·softmax(L) + r·sigmoid(L)·2/E`.
//!
//! Tensor names are Hugging Face's OLMoE checkpoint names under a prefix such as `model.layers.3.mlp.`:
//! `gate.weight` `[E, H]`, `experts.{e}.gate_proj.weight` and `experts.{e}.up_proj.weight` `[I, H]`,
//! `experts.{e}.down_proj.weight` `[H, I]`.

use crate::io::{to_safetensors, TensorData, TensorFile};
use crate::rng::SplitMix64;
use crate::{Error, Result};

/// Shape of a dense-router MoE layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenseMoeConfig {
    /// H.
    pub hidden_size: usize,
    /// I: width of each expert's SwiGLU intermediate.
    pub intermediate_size: usize,
    /// E.
    pub num_experts: usize,
    /// k: experts a token under token choice (and the default budget of the other modes).
    pub top_k: usize,
}

impl DenseMoeConfig {
    /// Builds and validates a config; the error names the field at fault.
    pub fn new(hidden: usize, intermediate: usize, experts: usize, top_k: usize) -> Result<Self> {
        let c = DenseMoeConfig {
            hidden_size: hidden,
            intermediate_size: intermediate,
            num_experts: experts,
            top_k,
        };
        let err = |field, reason: String| Err(Error::Config { field, reason });
        if hidden == 0 {
            return err("hidden_size", "must be > 0".into());
        }
        if intermediate == 0 {
            return err("intermediate_size", "must be > 0".into());
        }
        if experts == 0 {
            return err("num_experts", "must be > 0".into());
        }
        if top_k == 0 || top_k > experts {
            return err(
                "top_k",
                format!("must be in 1..={experts} (the experts), got {top_k}"),
            );
        }
        Ok(c)
    }
}

/// Hugging Face OLMoE names, without prefix.
pub mod names {
    /// The router `[E, H]`.
    pub const ROUTER: &str = "gate.weight";

    /// Expert e's gate projection `[I, H]`.
    pub fn gate(e: usize) -> String {
        format!("experts.{e}.gate_proj.weight")
    }

    /// Expert e's up projection `[I, H]`.
    pub fn up(e: usize) -> String {
        format!("experts.{e}.up_proj.weight")
    }

    /// Expert e's down projection `[H, I]`.
    pub fn down(e: usize) -> String {
        format!("experts.{e}.down_proj.weight")
    }
}

/// A dense-router MoE layer's parameters, row-major f32.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMoeWeights {
    /// The validated shape.
    pub config: DenseMoeConfig,
    /// Router `[E, H]`.
    pub router: Vec<f32>,
    /// Gate projections `[E, I, H]`.
    pub gate: Vec<f32>,
    /// Up projections `[E, I, H]`.
    pub up: Vec<f32>,
    /// Down projections `[E, H, I]`.
    pub down: Vec<f32>,
}

impl DenseMoeWeights {
    /// Seeded random weights, U(±1/√fan_in) as PyTorch's Linear.
    pub fn random(config: DenseMoeConfig, seed: u64) -> Result<Self> {
        let c = DenseMoeConfig::new(
            config.hidden_size,
            config.intermediate_size,
            config.num_experts,
            config.top_k,
        )?;
        let (h, i, e) = (c.hidden_size, c.intermediate_size, c.num_experts);
        let mut rng = SplitMix64::new(seed);
        let mut linear = |len: usize, fan_in: usize| -> Vec<f32> {
            let b = 1.0 / (fan_in as f32).sqrt();
            (0..len).map(|_| rng.uniform(-b, b)).collect()
        };
        Ok(DenseMoeWeights {
            config: c,
            router: linear(e * h, h),
            gate: linear(e * i * h, h),
            up: linear(e * i * h, h),
            down: linear(e * h * i, i),
        })
    }

    /// Reads a layer from a file with OLMoE names under `prefix`; E, H and I come from the shapes, k
    /// is given. Every tensor must be there with its shape, and finite; the error names the tensor.
    pub fn from_file(file: &TensorFile<'_>, prefix: &str, top_k: usize) -> Result<Self> {
        let name = |n: &str| format!("{prefix}{n}");
        let shape = file.shape(&name(names::ROUTER))?;
        let [e, h] = shape[..] else {
            return Err(Error::Shape {
                name: name(names::ROUTER),
                expected: vec![0, 0],
                found: shape,
            });
        };
        let first = file.shape(&name(&names::gate(0)))?;
        let i = first.first().copied().unwrap_or(0);
        let config = DenseMoeConfig::new(h, i, e, top_k)?;
        let router = file.f32_shaped(&name(names::ROUTER), &[e, h])?;
        let (mut gate, mut up, mut down) = (
            Vec::with_capacity(e * i * h),
            Vec::with_capacity(e * i * h),
            Vec::with_capacity(e * h * i),
        );
        for x in 0..e {
            gate.extend(file.f32_shaped(&name(&names::gate(x)), &[i, h])?);
            up.extend(file.f32_shaped(&name(&names::up(x)), &[i, h])?);
            down.extend(file.f32_shaped(&name(&names::down(x)), &[h, i])?);
        }
        Ok(DenseMoeWeights {
            config,
            router,
            gate,
            up,
            down,
        })
    }

    /// The layer as safetensors with OLMoE names under `prefix`.
    pub fn to_safetensors(&self, prefix: &str) -> Result<Vec<u8>> {
        let c = self.config;
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let mut tensors = vec![(
            format!("{prefix}{}", names::ROUTER),
            vec![c.num_experts, h],
            TensorData::F32(&self.router),
        )];
        for x in 0..c.num_experts {
            tensors.push((
                format!("{prefix}{}", names::gate(x)),
                vec![i, h],
                TensorData::F32(&self.gate[x * i * h..(x + 1) * i * h]),
            ));
            tensors.push((
                format!("{prefix}{}", names::up(x)),
                vec![i, h],
                TensorData::F32(&self.up[x * i * h..(x + 1) * i * h]),
            ));
            tensors.push((
                format!("{prefix}{}", names::down(x)),
                vec![h, i],
                TensorData::F32(&self.down[x * h * i..(x + 1) * h * i]),
            ));
        }
        to_safetensors(&tensors, None)
    }
}
