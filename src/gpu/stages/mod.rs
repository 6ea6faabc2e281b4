//! Host side of each WGSL stage: its uniform parameters, bindings and launch shape, recorded into a
//! [`Recorder`] so that a whole forward pass becomes one command buffer. The math of each stage is in the
//! doc comment of its `shaders/<stage>.wgsl` and of its CPU twin in `src/cpu/<stage>.rs`.
//!
//! - [`gemm`](self::gemm()): the GEMM kernels (SIMT, tensor cores, decode GEMV), their configurations and
//!   epilogues; split-K and its reduction; the skinny tensor-core kernel for a few rows;
//! - the router (normalise, top-k), and the router with the expert stage in one pass (decode);
//! - the counting sort of pairs by expert (histogram, scan, scatter);
//! - the expert stage (scores, combine, both in one pass);
//! - routing modes: every product-key candidate, the budgeted top-c select, the ragged expert stage;
//! - the dense-router MoE layer's row gather and weighted combine;
//! - a kernel that only reads, the ceiling of a weight-streaming GEMM (`omnimoe bench`).

mod coop_config;
mod counting_sort;
mod expert;
mod gemm;
mod gemm_kernel;
mod gemv;
mod moe_rows;
mod read_probe;
mod route;
mod route_scratch;
mod router;
mod router_experts;
mod skinny;
mod slabs;
mod split_k;
mod stream_k;

pub use super::recorder::{fold, Frozen, PassTimes, Recorder, MAX_GROUPS};
pub use coop_config::*;
pub use counting_sort::*;
pub use expert::*;
pub use gemm::*;
pub use gemm_kernel::*;
pub use gemv::*;
pub use moe_rows::*;
pub use read_probe::*;
pub use route::*;
pub use route_scratch::RouteScratch;
pub use router::*;
pub use router_experts::*;
pub use skinny::*;
pub use slabs::*;
pub use split_k::*;
pub use stream_k::*;

/// SMs of the GPUs the rules that count workgroups running at once were measured on (an H100's or
/// H200's 132; wgpu reports no count of SMs): the skinny kernel's `SKINNY_WAVE`, the GEMV's rounds
/// (`gemv::GEMV_WAVE`) and the gate/up GEMM's few-row tiles (`layer::few_rows`).
pub(crate) const MEASURED_SMS: u32 = 132;
