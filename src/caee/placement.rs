//! Where each expert runs ([`Placement`]) and what running it costs on an adapter ([`ExpertCost`]).

use crate::cost::CostModel;
use crate::{Error, Result};

/// Which adapter runs each expert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    adapter_of: Vec<u32>,
    adapters: usize,
}

impl Placement {
    /// Expert e on adapter `adapter_of[e]`, each below `adapters`.
    pub fn new(adapter_of: Vec<u32>, adapters: usize) -> Result<Placement> {
        if adapters == 0 {
            return Err(Error::Config {
                field: "adapters",
                reason: "must be at least 1".into(),
            });
        }
        if let Some(e) = adapter_of.iter().position(|&a| a as usize >= adapters) {
            return Err(Error::Config {
                field: "placement",
                reason: format!(
                    "expert {e} is placed on adapter {} of {adapters}",
                    adapter_of[e]
                ),
            });
        }
        Ok(Placement {
            adapter_of,
            adapters,
        })
    }

    /// `experts` in contiguous ranges, the first adapter taking `first_share` of them (0.5 of 2 adapters
    /// is an even split; more overloads adapter 0), the rest split evenly.
    pub fn skewed(experts: usize, adapters: usize, first_share: f64) -> Result<Placement> {
        if adapters == 0 || !(0.0..=1.0).contains(&first_share) {
            return Err(Error::Config {
                field: "first_share",
                reason: format!(
                    "{first_share} on {adapters} adapters (wants 0..=1 and ≥ 1 adapter)"
                ),
            });
        }
        let first = if adapters == 1 {
            experts
        } else {
            (experts as f64 * first_share).round() as usize
        };
        let rest = adapters.saturating_sub(1).max(1);
        let adapter_of = (0..experts)
            .map(|e| {
                if e < first {
                    0
                } else {
                    (1 + (e - first) * rest / (experts - first).max(1)) as u32
                }
            })
            .collect();
        Placement::new(adapter_of, adapters)
    }

    /// The adapter of expert `e`.
    pub fn adapter(&self, e: u32) -> usize {
        self.adapter_of[e as usize] as usize
    }

    /// Number of adapters.
    pub fn adapters(&self) -> usize {
        self.adapters
    }

    /// Number of experts placed.
    pub fn experts(&self) -> usize {
        self.adapter_of.len()
    }
}

/// The predicted milliseconds of an adapter running one expert for `tokens` tokens (its rows uploaded
/// first where not `resident`).
pub trait ExpertCost {
    /// Cost on `adapter`; 0 tokens cost nothing.
    fn expert_ms(&self, adapter: usize, tokens: u32, resident: bool) -> f64;
}

/// Per-adapter calibrated models (one per adapter, [`crate::gpu::calibrate`]; none predicts 0): the ragged expert stage
/// that execution over several adapters runs (else scores + combine) at the expert's tokens, plus one
/// expert's upload (from the batch fit's slope) where not resident.
pub struct CalibratedCost<'a> {
    /// One model per adapter.
    pub models: &'a [CostModel],
    /// Storage type the layer runs in.
    pub f16: bool,
}

impl ExpertCost for CalibratedCost<'_> {
    fn expert_ms(&self, adapter: usize, tokens: u32, resident: bool) -> f64 {
        if tokens == 0 || self.models.is_empty() {
            return 0.0;
        }
        // Adapters beyond the models take the last one's.
        let m = &self.models[adapter.min(self.models.len() - 1)];
        let x = tokens as f64;
        let run = m.predict("expert_ragged", self.f16, x).unwrap_or_else(|| {
            m.predict("expert_scores", self.f16, x).unwrap_or(0.0)
                + m.predict("expert_combine", self.f16, x).unwrap_or(0.0)
        });
        let upload = if resident {
            0.0
        } else {
            m.stages
                .iter()
                .find(|s| s.stage == "upload" && s.f16 == self.f16)
                .map_or(0.0, |s| s.model.slope)
        };
        run + upload
    }
}
