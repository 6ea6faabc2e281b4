//! The GPU path: context → pipelines → buffers → layer → forward.

pub mod context;
pub mod dense_moe;
pub mod pipelines;

pub use context::{AdapterReport, Capabilities, Context, ContextOptions};
pub mod buffers;
pub mod calibrate;
mod encode;
pub mod footprint;
pub mod layer;
pub(crate) mod measuring;
pub mod multi_adapter;
#[cfg(not(target_arch = "wasm32"))]
mod nv_coopmat2;
#[cfg(not(target_arch = "wasm32"))]
mod passthrough;
pub mod prepared;
pub mod recorder;
pub mod residency;
#[cfg(not(target_arch = "wasm32"))]
mod spirv_halves;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub use spirv_halves::{bitcast_halves, STAGES as BITCAST_HALVES_STAGES};
pub mod stages;
#[cfg(not(target_arch = "wasm32"))]
mod subgroup_barrier;
pub mod tune;
pub mod variants;
pub mod weight_stream;

pub use encode::EncodeOutputs;
pub use footprint::Footprint;
pub use layer::{
    ExpertSchedule, GemmPlan, HostOutput, LayerOptions, LayerOutput, OmniMoeLayer, Precision,
    RoutedHostOutput,
};
pub use prepared::PreparedForward;
pub use recorder::Timing;
