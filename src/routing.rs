//! Routing modes after USMoE (arXiv 2503.22996, `../shared/docs/usmoe.md`): token choice, expert choice
//! and the unified budgeted top-c over a routing group, behind one interface ([`Routing`]), with routing
//! groups, padding masks, a ragged result ([`Routed`]) and its telemetry ([`RoutingStats`]).
//!
//! Every mode selects (token, expert) pairs from each token's candidates and their scores:
//! - **token choice**: each token keeps its best `k` (today's fixed top-K);
//! - **expert choice**: each expert keeps its best `capacity` tokens of the group;
//! - **unified**: the group keeps its best `c = round(budget · tokens)` pairs over all its tokens — the
//!   optimum of USMoE's linear program under one pair budget. A token may get 0 .. all of its candidates.
//!
//! Ties are broken by score descending, then token ascending, then expert ascending, so a selection is
//! one fixed set. Padding (a mask) gets no experts and counts in no budget; each group routes on its own,
//! so a sequence routes identically alone or in a batch.

use crate::{Error, Result};

/// How pairs are selected (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoutingMode {
    /// Each token keeps its best K candidates: the layer's fixed top-K routing.
    #[default]
    TokenChoice,
    /// Each expert keeps its best `capacity` tokens of each group.
    ExpertChoice,
    /// Each group keeps its best round(budget · tokens) pairs.
    Unified,
}

impl std::str::FromStr for RoutingMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "token-choice" => Ok(RoutingMode::TokenChoice),
            "expert-choice" => Ok(RoutingMode::ExpertChoice),
            "unified" => Ok(RoutingMode::Unified),
            other => Err(Error::Config {
                field: "routing",
                reason: format!("`{other}` is not token-choice, expert-choice or unified"),
            }),
        }
    }
}

/// A routing mode with its budget, groups and mask.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Routing {
    /// Which pairs are kept.
    pub mode: RoutingMode,
    /// Experts per token on average: unified mode's budget, and expert choice's default capacity
    /// (`⌈budget · tokens / experts⌉`); `None` means the layer's K.
    pub budget: Option<f64>,
    /// Expert choice: tokens per expert per group (default from the budget).
    pub capacity: Option<usize>,
    /// Tokens per routing group (one sequence of a `[B, S, H]` input); `None`: all tokens are one group.
    pub group_tokens: Option<usize>,
    /// Which tokens are routed (`false`: padding, no experts, outside every budget); `None`: all.
    pub mask: Option<Vec<bool>>,
}

impl Routing {
    /// Token choice over all tokens: the layer's fixed top-K routing.
    pub fn token_choice() -> Self {
        Routing::default()
    }

    /// Unified routing with `budget` experts per token on average.
    pub fn unified(budget: f64) -> Self {
        Routing {
            mode: RoutingMode::Unified,
            budget: Some(budget),
            ..Default::default()
        }
    }

    /// Expert choice with `capacity` tokens per expert per group.
    pub fn expert_choice(capacity: usize) -> Self {
        Routing {
            mode: RoutingMode::ExpertChoice,
            capacity: Some(capacity),
            ..Default::default()
        }
    }

    /// Checks the options against `tokens` tokens; the error names the option at fault.
    pub fn validate(&self, tokens: usize) -> Result<()> {
        let err = |field, reason: String| Err(Error::Config { field, reason });
        if let Some(b) = self.budget {
            if !(b.is_finite() && b > 0.0) {
                return err("budget", format!("must be a finite number > 0, got {b}"));
            }
            if self.mode == RoutingMode::TokenChoice {
                return err(
                    "budget",
                    "applies to unified and expert-choice routing; token choice keeps K".into(),
                );
            }
        }
        if let Some(c) = self.capacity {
            if self.mode != RoutingMode::ExpertChoice {
                return err("capacity", "applies to expert-choice routing only".into());
            }
            if c == 0 {
                return err("capacity", "must be ≥ 1".into());
            }
        }
        if self.group_tokens == Some(0) {
            return err("group_tokens", "must be ≥ 1".into());
        }
        if let Some(m) = &self.mask {
            if m.len() != tokens {
                return Err(Error::Shape {
                    name: "mask".into(),
                    expected: vec![tokens],
                    found: vec![m.len()],
                });
            }
        }
        Ok(())
    }

    /// The groups of `tokens` tokens: `[start, end)` ranges.
    pub fn groups(&self, tokens: usize) -> impl Iterator<Item = (usize, usize)> {
        let s = self.group_tokens.unwrap_or(tokens).max(1);
        (0..tokens)
            .step_by(s)
            .map(move |t0| (t0, (t0 + s).min(tokens)))
    }

    /// The selection the GPU runs for this routing, `k` experts a token: token choice as unified routing
    /// over groups of one token with budget k (each token's k best: the same pairs), the other modes as
    /// they are.
    pub fn as_selection(&self, k: usize) -> Routing {
        match self.mode {
            RoutingMode::TokenChoice => Routing {
                mode: RoutingMode::Unified,
                budget: Some(k as f64),
                group_tokens: Some(1),
                ..self.clone()
            },
            RoutingMode::ExpertChoice | RoutingMode::Unified => self.clone(),
        }
    }

    /// A dense router's r for its routing scores (see [`crate::dense_moe`]): `alpha` in unified mode, else
    /// 0, for which the unified score is the softmax.
    pub fn score_r(&self, alpha: f32) -> f32 {
        if self.mode == RoutingMode::Unified {
            alpha
        } else {
            0.0
        }
    }

    /// Whether token `t` is routed.
    pub fn routed(&self, t: usize) -> bool {
        self.mask.as_ref().is_none_or(|m| m[t])
    }

    /// Unified mode's pair budget for a group of `valid` routed tokens: round(budget · valid), with the
    /// budget defaulting to `k`.
    pub fn pairs_for(&self, valid: usize, k: usize) -> usize {
        (self.budget.unwrap_or(k as f64) * valid as f64).round() as usize
    }

    /// What each group of tokens `t0 .. t0 + nt` (whole groups from `t0` on) may keep, for a layer of
    /// `k` experts a token over `experts` experts with `m` candidates a token: unified mode's pair budget
    /// ([`Self::pairs_for`], at most the group's candidates), expert choice's capacity per expert
    /// ([`Self::capacity_for`]); the GPU selection's per-group input. (The GPU selects token choice as
    /// unified routing over groups of one token with budget k.)
    pub fn group_budgets(
        &self,
        t0: usize,
        nt: usize,
        k: usize,
        experts: usize,
        m: usize,
    ) -> Vec<u32> {
        let s = self.group_tokens.unwrap_or(nt).max(1);
        (t0..t0 + nt)
            .step_by(s)
            .map(|g0| {
                let valid = (g0..(g0 + s).min(t0 + nt))
                    .filter(|&x| self.routed(x))
                    .count();
                if self.mode == RoutingMode::ExpertChoice {
                    self.capacity_for(valid, k, experts) as u32
                } else {
                    self.pairs_for(valid, k).min(valid * m) as u32
                }
            })
            .collect()
    }

    /// Expert choice's capacity for a group of `valid` routed tokens over `experts` experts:
    /// the given one, else ⌈budget · valid / experts⌉ (at least 1).
    pub fn capacity_for(&self, valid: usize, k: usize, experts: usize) -> usize {
        self.capacity.unwrap_or_else(|| {
            let b = self.budget.unwrap_or(k as f64);
            ((b * valid as f64 / experts as f64).ceil() as usize).max(1)
        })
    }
}

/// A ragged routing: token t's pairs are `offsets[t] .. offsets[t + 1]` of `experts` and `scores`, by
/// descending score (ascending expert on ties).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Routed {
    /// `[T + 1]`.
    pub offsets: Vec<u32>,
    /// Expert id of each pair.
    pub experts: Vec<u32>,
    /// Score of each pair (the router's log-probability for OmniMoE; its weight is `exp(score)`).
    pub scores: Vec<f32>,
}

impl Routed {
    /// Fixed top-k routing's pairs: `experts` and `scores` `[T, k]`, k a token.
    pub fn top_k(k: usize, experts: Vec<u32>, scores: Vec<f32>) -> Routed {
        let t = experts.len().checked_div(k).unwrap_or(0);
        Routed {
            offsets: (0..=t).map(|i| (i * k) as u32).collect(),
            experts,
            scores,
        }
    }

    /// T.
    pub fn tokens(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Pairs of token `t`.
    pub fn range(&self, t: usize) -> std::ops::Range<usize> {
        self.offsets[t] as usize..self.offsets[t + 1] as usize
    }

    /// M: the most pairs any token got.
    pub fn max_per_token(&self) -> usize {
        (0..self.tokens())
            .map(|t| self.range(t).len())
            .max()
            .unwrap_or(0)
    }

    /// `[T, M]` indices and scores, padded with −1 and 0 (the CLI's `router.indices` / `router.scores`).
    pub fn padded(&self) -> (usize, Vec<i32>, Vec<f32>) {
        let m = self.max_per_token();
        let mut idx = vec![-1; self.tokens() * m];
        let mut sc = vec![0.0; self.tokens() * m];
        for t in 0..self.tokens() {
            for (slot, p) in self.range(t).enumerate() {
                idx[t * m + slot] = self.experts[p] as i32;
                sc[t * m + slot] = self.scores[p];
            }
        }
        (m, idx, sc)
    }

    /// Telemetry over `experts` experts, against fixed top-`k` routing.
    pub fn stats(&self, experts: usize, k: usize) -> RoutingStats {
        let mut load = vec![0u32; experts];
        for &e in &self.experts {
            load[e as usize] += 1;
        }
        let m = self.max_per_token();
        let mut per_token = vec![0usize; m + 1];
        for t in 0..self.tokens() {
            per_token[self.range(t).len()] += 1;
        }
        let pairs = self.experts.len();
        RoutingStats {
            pairs,
            starved_tokens: per_token.first().copied().unwrap_or(0),
            experts_per_token: per_token,
            expert_flops_vs_top_k: pairs as f64 / (self.tokens() * k).max(1) as f64,
            expert_load: load,
        }
    }
}

/// What a routing did: pairs, their spread over tokens and experts, and the expert branch's work
/// against fixed top-K.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutingStats {
    /// Pairs selected.
    pub pairs: usize,
    /// Tokens with no expert (their output is the dense branch's alone).
    pub starved_tokens: usize,
    /// `experts_per_token[j]`: tokens with j experts.
    pub experts_per_token: Vec<usize>,
    /// Pairs ÷ (T·K): the expert branch's FLOPs relative to fixed top-K.
    pub expert_flops_vs_top_k: f64,
    /// Pairs per expert.
    pub expert_load: Vec<u32>,
}

impl RoutingStats {
    /// (max, mean over all experts, experts with no pair) of the per-expert load.
    pub fn load_summary(&self) -> (u32, f64, usize) {
        let n = self.expert_load.len().max(1);
        let max = self.expert_load.iter().copied().max().unwrap_or(0);
        let mean = self.pairs as f64 / n as f64;
        let idle = self.expert_load.iter().filter(|&&l| l == 0).count();
        (max, mean, idle)
    }
}
