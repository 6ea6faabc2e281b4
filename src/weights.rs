//! Layer weights on the host: loading from safetensors (any prefix; F32, F16 or BF16), seeded random
//! initialisation, and saving.

use std::collections::HashMap;

use crate::io::{to_safetensors, TensorData, TensorFile};
use crate::rng::SplitMix64;
use crate::{Error, OmniMoeConfig, Result};

/// State-dict names of the authors' module, without prefix.
pub mod names {
    /// Dense gate projection `[I, H]`.
    pub const GATE_PROJ: &str = "gate_proj.weight";
    /// Dense up projection `[I, H]`.
    pub const UP_PROJ: &str = "up_proj.weight";
    /// Dense down projection `[H, I]`.
    pub const DOWN_PROJ: &str = "down_proj.weight";
    /// Router keys of the x axis `[R, H]`.
    pub const ROUTER_X: &str = "router_gate_x.weight";
    /// Router keys of the y axis `[R, H]`.
    pub const ROUTER_Y: &str = "router_gate_y.weight";
    /// BatchNorm running mean, x axis `[R]`.
    pub const NORM_X_MEAN: &str = "router_norm_x.running_mean";
    /// BatchNorm running variance, x axis `[R]`.
    pub const NORM_X_VAR: &str = "router_norm_x.running_var";
    /// BatchNorm running mean, y axis `[R]`.
    pub const NORM_Y_MEAN: &str = "router_norm_y.running_mean";
    /// BatchNorm running variance, y axis `[R]`.
    pub const NORM_Y_VAR: &str = "router_norm_y.running_var";
    /// Expert input vectors u `[N, H]`.
    pub const UP_EMBED: &str = "up_embed.weight";
    /// Expert output vectors v `[N, H]`.
    pub const DOWN_EMBED: &str = "down_embed.weight";
}

/// How to read a layer from a safetensors file.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Prepended to every tensor name, e.g. `model.layers.3.mlp.`.
    pub prefix: String,
    /// K; overrides the file's metadata, and is required when the file has none.
    pub experts_per_token: Option<usize>,
}

/// All parameters of one OmniMoE layer as row-major f32.
#[derive(Clone, Debug, PartialEq)]
pub struct OmniMoeWeights {
    /// The validated shape of the layer.
    pub config: OmniMoeConfig,
    /// W_gate `[I, H]`.
    pub gate_proj: Vec<f32>,
    /// W_up `[I, H]`.
    pub up_proj: Vec<f32>,
    /// W_down `[H, I]`.
    pub down_proj: Vec<f32>,
    /// W_x `[R, H]`.
    pub router_x: Vec<f32>,
    /// W_y `[R, H]`.
    pub router_y: Vec<f32>,
    /// μ_x `[R]`.
    pub norm_x_mean: Vec<f32>,
    /// σ²_x `[R]`.
    pub norm_x_var: Vec<f32>,
    /// μ_y `[R]`.
    pub norm_y_mean: Vec<f32>,
    /// σ²_y `[R]`.
    pub norm_y_var: Vec<f32>,
    /// U `[N, H]`.
    pub up_embed: Vec<f32>,
    /// V `[N, H]`.
    pub down_embed: Vec<f32>,
}

const META_KEYS: [&str; 4] = [
    "hidden_size",
    "intermediate_size",
    "num_experts",
    "num_experts_per_token",
];

impl OmniMoeWeights {
    /// Reads a layer from a file on disk.
    pub fn load(path: impl AsRef<std::path::Path>, options: &LoadOptions) -> Result<Self> {
        let bytes = crate::io::read_file(path.as_ref())?;
        Self::from_safetensors(&bytes, options)
    }

    /// Reads a layer from safetensors bytes. The config comes from the `__metadata__` keys `hidden_size`,
    /// `intermediate_size`, `num_experts`, `num_experts_per_token` when present, else from the tensor shapes
    /// and `options.experts_per_token`.
    pub fn from_safetensors(bytes: &[u8], options: &LoadOptions) -> Result<Self> {
        let file = TensorFile::parse(bytes)?;
        Self::from_file(&file, options)
    }

    /// Reads a layer from an already parsed file.
    pub fn from_file(file: &TensorFile<'_>, options: &LoadOptions) -> Result<Self> {
        let p = &options.prefix;
        let name = |n: &str| format!("{p}{n}");
        let config = config_of(file, options, &name)?;
        let (h, i, n, r) = (
            config.hidden_size,
            config.intermediate_size,
            config.num_experts,
            config.grid(),
        );
        let get = |n: &str, shape: &[usize]| file.f32_shaped(&name(n), shape);
        Ok(OmniMoeWeights {
            config,
            gate_proj: get(names::GATE_PROJ, &[i, h])?,
            up_proj: get(names::UP_PROJ, &[i, h])?,
            down_proj: get(names::DOWN_PROJ, &[h, i])?,
            router_x: get(names::ROUTER_X, &[r, h])?,
            router_y: get(names::ROUTER_Y, &[r, h])?,
            norm_x_mean: get(names::NORM_X_MEAN, &[r])?,
            norm_x_var: variance(get(names::NORM_X_VAR, &[r])?, &name(names::NORM_X_VAR))?,
            norm_y_mean: get(names::NORM_Y_MEAN, &[r])?,
            norm_y_var: variance(get(names::NORM_Y_VAR, &[r])?, &name(names::NORM_Y_VAR))?,
            up_embed: get(names::UP_EMBED, &[n, h])?,
            down_embed: get(names::DOWN_EMBED, &[n, h])?,
        })
    }

    /// A layer drawn like the authors' module initialises it (Linear: U(±1/√fan_in); embeddings: N(0,1)),
    /// with non-trivial BatchNorm statistics (mean ~ N(0, 0.1), var ~ U(0.5, 2)). Same seed, same weights,
    /// on every machine; the embeddings are drawn on all cores.
    pub fn random(config: OmniMoeConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let (h, i, n, r) = (
            config.hidden_size,
            config.intermediate_size,
            config.num_experts,
            config.grid(),
        );
        let mut rng = SplitMix64::new(seed);
        let mut uniform = |len: usize, bound: f32| -> Vec<f32> {
            (0..len).map(|_| rng.uniform(-bound, bound)).collect()
        };
        let bh = 1.0 / (h as f32).sqrt();
        let bi = 1.0 / (i as f32).sqrt();
        let gate_proj = uniform(i * h, bh);
        let up_proj = uniform(i * h, bh);
        let down_proj = uniform(h * i, bi);
        let router_x = uniform(r * h, bh);
        let router_y = uniform(r * h, bh);
        let mut rng = SplitMix64::new(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut normal =
            |len: usize, std: f32| -> Vec<f32> { (0..len).map(|_| rng.normal() * std).collect() };
        let norm_x_mean = normal(r, 0.1);
        let norm_y_mean = normal(r, 0.1);
        let up_embed = parallel_normals(n * h, seed ^ 0x0075_705f);
        let down_embed = parallel_normals(n * h, seed ^ 0x646f_776e);
        let mut rng = SplitMix64::new(seed.wrapping_add(1));
        let norm_x_var = (0..r).map(|_| rng.uniform(0.5, 2.0)).collect();
        let norm_y_var = (0..r).map(|_| rng.uniform(0.5, 2.0)).collect();
        Ok(OmniMoeWeights {
            config,
            gate_proj,
            up_proj,
            down_proj,
            router_x,
            router_y,
            norm_x_mean,
            norm_x_var,
            norm_y_mean,
            norm_y_var,
            up_embed,
            down_embed,
        })
    }

    /// The tensors with their names (no prefix) and shapes, in state-dict order.
    pub fn tensors(&self) -> [(&'static str, Vec<usize>, &[f32]); 11] {
        let c = &self.config;
        let (h, i, n, r) = (c.hidden_size, c.intermediate_size, c.num_experts, c.grid());
        [
            (names::GATE_PROJ, vec![i, h], &self.gate_proj),
            (names::UP_PROJ, vec![i, h], &self.up_proj),
            (names::DOWN_PROJ, vec![h, i], &self.down_proj),
            (names::ROUTER_X, vec![r, h], &self.router_x),
            (names::ROUTER_Y, vec![r, h], &self.router_y),
            (names::NORM_X_MEAN, vec![r], &self.norm_x_mean),
            (names::NORM_X_VAR, vec![r], &self.norm_x_var),
            (names::NORM_Y_MEAN, vec![r], &self.norm_y_mean),
            (names::NORM_Y_VAR, vec![r], &self.norm_y_var),
            (names::UP_EMBED, vec![n, h], &self.up_embed),
            (names::DOWN_EMBED, vec![n, h], &self.down_embed),
        ]
    }

    /// Serialises the layer as F32 safetensors with the config in `__metadata__`.
    pub fn to_safetensors(&self, prefix: &str) -> Result<Vec<u8>> {
        let c = &self.config;
        let meta: HashMap<String, String> = META_KEYS
            .iter()
            .zip([
                c.hidden_size,
                c.intermediate_size,
                c.num_experts,
                c.num_experts_per_token,
            ])
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let tensors: Vec<_> = self
            .tensors()
            .into_iter()
            .map(|(n, s, d)| (format!("{prefix}{n}"), s, TensorData::F32(d)))
            .collect();
        to_safetensors(&tensors, Some(meta))
    }

    /// Writes the layer to a file (see [`Self::to_safetensors`]).
    pub fn save(&self, path: impl AsRef<std::path::Path>, prefix: &str) -> Result<()> {
        crate::io::write_file(path.as_ref(), &self.to_safetensors(prefix)?)
    }
}

/// `len` standard normals generated in fixed blocks, each from its own seed, on all cores: the same values
/// whatever the number of threads (N·H can be 10⁹ for benchmark layers).
fn parallel_normals(len: usize, seed: u64) -> Vec<f32> {
    const BLOCK: usize = 1 << 16;
    let mut v = vec![0.0f32; len];
    crate::cpu::par_rows(&mut v, BLOCK.min(len.max(1)), |first_row, rows| {
        for (b, block) in rows.chunks_mut(BLOCK).enumerate() {
            let index = (first_row + b) as u64;
            let mut rng = SplitMix64::new(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            block.iter_mut().for_each(|x| *x = rng.normal());
        }
    });
    v
}

fn variance(v: Vec<f32>, name: &str) -> Result<Vec<f32>> {
    match v.iter().position(|&x| x < 0.0) {
        Some(index) => Err(Error::NonFinite {
            name: format!("{name} (negative variance)"),
            index,
            value: v[index],
        }),
        None => Ok(v),
    }
}

fn config_of(
    file: &TensorFile<'_>,
    options: &LoadOptions,
    name: &dyn Fn(&str) -> String,
) -> Result<OmniMoeConfig> {
    let meta = file.metadata();
    let parse = |key: &str| -> Result<Option<usize>> {
        meta.get(key)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|e| Error::Metadata {
                    key: key.to_string(),
                    reason: format!("`{v}` is not a count: {e}"),
                })
            })
            .transpose()
    };
    let [h, i, n, k] = META_KEYS.map(parse);
    let (h, i, n, k) = (h?, i?, n?, k?);
    let gate = name(names::GATE_PROJ);
    let up = name(names::UP_EMBED);
    let from_shape = |tensor: &str, axis: usize| -> Result<usize> {
        let shape = file.shape(tensor)?;
        if shape.len() != 2 {
            return Err(Error::Shape {
                name: tensor.to_string(),
                expected: vec![0, 0],
                found: shape,
            });
        }
        Ok(shape[axis])
    };
    let hidden = match h {
        Some(h) => h,
        None => from_shape(&gate, 1)?,
    };
    let intermediate = match i {
        Some(i) => i,
        None => from_shape(&gate, 0)?,
    };
    let experts = match n {
        Some(n) => n,
        None => from_shape(&up, 0)?,
    };
    let k = options.experts_per_token.or(k).ok_or(Error::Config {
        field: "num_experts_per_token",
        reason: "is not in the file's metadata: pass it explicitly".into(),
    })?;
    OmniMoeConfig::new(hidden, intermediate, experts, k)
}
