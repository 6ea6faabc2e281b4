//! Layer configuration and its constraints.

use crate::{Error, Result};

/// Largest K the kernels support (the authors' bound, kept so results stay comparable).
pub const MAX_EXPERTS_PER_TOKEN: usize = 128;

/// Shape of one OmniMoE layer.
///
/// `R = ⌊√N⌋` experts per router axis; only expert ids below `R²` are reachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OmniMoeConfig {
    /// H: width of the token vectors.
    pub hidden_size: usize,
    /// I: width of the dense SwiGLU intermediate.
    pub intermediate_size: usize,
    /// N: number of atomic experts (rows of `up_embed` / `down_embed`).
    pub num_experts: usize,
    /// K: experts chosen per token.
    pub num_experts_per_token: usize,
}

impl OmniMoeConfig {
    /// Builds and validates a config.
    pub fn new(hidden: usize, intermediate: usize, experts: usize, k: usize) -> Result<Self> {
        let c = OmniMoeConfig {
            hidden_size: hidden,
            intermediate_size: intermediate,
            num_experts: experts,
            num_experts_per_token: k,
        };
        c.validate()?;
        Ok(c)
    }

    /// The authors' README configuration: H=1024, I=4096, N=4096, K=16.
    pub fn readme() -> Self {
        OmniMoeConfig {
            hidden_size: 1024,
            intermediate_size: 4096,
            num_experts: 4096,
            num_experts_per_token: 16,
        }
    }

    /// Checks every constraint; the error names the field at fault.
    pub fn validate(&self) -> Result<()> {
        let err = |field, reason: String| Err(Error::Config { field, reason });
        if self.hidden_size == 0 {
            return err("hidden_size", "must be > 0".into());
        }
        if self.intermediate_size == 0 {
            return err("intermediate_size", "must be > 0".into());
        }
        if self.num_experts < 4 {
            return err(
                "num_experts",
                format!("must be ≥ 4, got {}", self.num_experts),
            );
        }
        let k = self.num_experts_per_token;
        if k == 0 || k > MAX_EXPERTS_PER_TOKEN {
            return err(
                "num_experts_per_token",
                format!("must be in 1..={MAX_EXPERTS_PER_TOKEN}, got {k}"),
            );
        }
        if !k.is_multiple_of(2) {
            return err("num_experts_per_token", format!("must be even, got {k}"));
        }
        let r2 = self.grid() * self.grid();
        if k > r2 {
            return err(
                "num_experts_per_token",
                format!(
                    "must be ≤ R² = {r2} reachable experts (N = {}), got {k}",
                    self.num_experts
                ),
            );
        }
        Ok(())
    }

    /// R = ⌊√N⌋, the side of the product-key grid.
    pub fn grid(&self) -> usize {
        isqrt(self.num_experts)
    }

    /// 2I + 2R: the gate/up GEMM's columns (gate and up interleaved, then the router's W_x and W_y).
    pub fn gate_up_columns(&self) -> usize {
        2 * self.intermediate_size + 2 * self.grid()
    }

    /// K' = min(R, K): candidates kept per router axis.
    pub fn axis_k(&self) -> usize {
        self.grid().min(self.num_experts_per_token)
    }
}

/// ⌊√n⌋ exactly, for any n (the fuzz of `OmniMoeConfig::new` found the float-seeded version looping
/// forever on n near `usize::MAX`, where r² wrapped).
pub fn isqrt(n: usize) -> usize {
    n.isqrt()
}

/// Checks an input `x` is `[T, H]` (a whole number of rows of `hidden`) and finite; returns T. The CPU
/// reference and the GPU layer both take their input through it.
pub fn check_input(x: &[f32], hidden: usize) -> Result<usize> {
    if !x.len().is_multiple_of(hidden) {
        return Err(Error::Shape {
            name: "input".into(),
            expected: vec![x.len() / hidden, hidden],
            found: vec![x.len()],
        });
    }
    crate::io::check_finite("input", x)?;
    Ok(x.len() / hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_exact() {
        for n in 0..5000usize {
            let r = isqrt(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "n={n}");
        }
        // Found by the config fuzz (tests/fuzz_loader.rs): the float-seeded version never returned.
        for n in [usize::MAX, usize::MAX - 1, 1 << 62, (1 << 32) * (1 << 31)] {
            let r = isqrt(n) as u128;
            assert!(r * r <= n as u128 && (r + 1) * (r + 1) > n as u128, "n={n}");
        }
        assert!(OmniMoeConfig::new(8, 8, usize::MAX, 4).is_ok());
    }

    #[test]
    fn constraints_name_the_field() {
        let bad = [
            (OmniMoeConfig::new(0, 8, 16, 4), "hidden_size"),
            (OmniMoeConfig::new(8, 0, 16, 4), "intermediate_size"),
            (OmniMoeConfig::new(8, 8, 3, 2), "num_experts"),
            (OmniMoeConfig::new(8, 8, 16, 3), "num_experts_per_token"),
            (OmniMoeConfig::new(8, 8, 16, 0), "num_experts_per_token"),
            (
                OmniMoeConfig::new(8, 8, 1 << 16, 130),
                "num_experts_per_token",
            ),
            (OmniMoeConfig::new(8, 8, 16, 18), "num_experts_per_token"),
        ];
        for (r, field) in bad {
            match r {
                Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a config error on {field}, got {other:?}"),
            }
        }
        let ok = OmniMoeConfig::new(16, 32, 300, 6).unwrap();
        assert_eq!((ok.grid(), ok.axis_k()), (17, 6));
        assert_eq!(OmniMoeConfig::new(8, 8, 64, 64).unwrap().axis_k(), 8);
    }
}
