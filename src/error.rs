//! The one error type of the library: every bad input and every GPU failure maps to a variant that names
//! the tensor, field or limit at fault.

/// Everything that can go wrong in omnimoe.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration field breaks a constraint of the layer.
    #[error("invalid config: `{field}` {reason}")]
    Config {
        /// The offending field (`num_experts_per_token`, `hidden_size`, …).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The bytes are not a valid safetensors file (truncated, bad header, overlapping data…).
    #[error("malformed safetensors: {0}")]
    Safetensors(String),
    /// A tensor the layer needs is absent.
    #[error("missing tensor `{0}`")]
    MissingTensor(String),
    /// A tensor has the wrong shape.
    #[error("tensor `{name}`: expected shape {expected:?}, found {found:?}")]
    Shape {
        /// Tensor name (with prefix).
        name: String,
        /// The shape the config implies.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has a dtype we do not read.
    #[error("tensor `{name}`: dtype {dtype} is not supported (use F32, F16 or BF16)")]
    Dtype {
        /// Tensor name (with prefix).
        name: String,
        /// The dtype in the file.
        dtype: String,
    },
    /// A tensor holds NaN or ±Inf.
    #[error("tensor `{name}`: non-finite value {value} at element {index}")]
    NonFinite {
        /// Tensor name (`input` for the activations).
        name: String,
        /// Flat index of the first bad element.
        index: usize,
        /// The bad value.
        value: f32,
    },
    /// A result overflowed f32 (finite weights and input whose products or sums do not fit).
    #[error(
        "`{name}` overflowed to {value} at element {index}: the weights or input hold values too large \
         for f32 arithmetic"
    )]
    Overflow {
        /// The result (`output`, `router.scores`).
        name: String,
        /// Flat index of the first non-finite element.
        index: usize,
        /// The value there.
        value: f32,
    },
    /// The file's `__metadata__` has a key that does not parse.
    #[error("metadata `{key}`: {reason}")]
    Metadata {
        /// Metadata key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No GPU adapter was found (or none matched `WGPU_BACKEND` / `WGPU_ADAPTER_NAME`).
    #[error("no GPU adapter found{0}")]
    NoAdapter(String),
    /// The adapter refused the device we asked for.
    #[error("could not create a GPU device: {0}")]
    RequestDevice(String),
    /// A size exceeds what the adapter allows and cannot be chunked.
    #[error("{what} needs {needed} but the adapter allows {allowed}")]
    Limit {
        /// What exceeds the limit.
        what: String,
        /// What it would need.
        needed: u64,
        /// The adapter's limit.
        allowed: u64,
    },
    /// The GPU ran out of memory.
    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),
    /// The GPU device was lost.
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// Validation or internal error reported by wgpu.
    #[error("GPU error: {0}")]
    Gpu(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
