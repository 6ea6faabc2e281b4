//! # omnimoe
//!
//! OmniMoE mixture-of-experts layers (arXiv 2602.05711) on any GPU through WGSL compute shaders on wgpu,
//! with a CPU reference that matches the authors' PyTorch implementation.
//!
//! A layer is a dense SwiGLU MLP plus N atomic experts (one input vector `u_e` and one output vector `v_e`
//! each), chosen per token by a product-key router: per-axis logits → BatchNorm → log-softmax → top-K' per
//! axis → top-K of the K'×K' candidates → weight `exp(score)`.
//!
//! ```no_run
//! use omnimoe::{cpu, OmniMoeConfig, OmniMoeWeights};
//! let config = OmniMoeConfig::new(256, 512, 1024, 16)?;
//! let weights = OmniMoeWeights::random(config, 7)?;
//! let x = omnimoe::rng::SplitMix64::new(1).normals(64 * config.hidden_size);
//! let out = cpu::forward(&weights, &x)?;
//! assert_eq!(out.output.len(), 64 * 256);
//! # Ok::<(), omnimoe::Error>(())
//! ```

#![warn(missing_docs)]

pub mod caee;
pub mod config;
pub mod cost;
pub mod cpu;
pub mod dense_moe;
pub mod error;
pub mod io;
pub mod rng;
pub mod routing;
pub mod weights;

pub use config::OmniMoeConfig;
pub use error::{Error, Result};
pub use weights::{LoadOptions, OmniMoeWeights};
pub mod gpu;

/// The README's code, compiled as a doctest so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
