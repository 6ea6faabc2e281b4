//! Expert residency (CAEE, issue 12): a device cache of expert rows (u and v) in a fixed number of slots,
//! the rest kept in host memory; a forward makes its experts resident first, uploading only the missing
//! ones into the least recently used slots. For GPUs and browsers with little memory: the expert tables
//! on the device shrink from N rows to the slots.

use super::buffers::{self, elem_bytes};
use super::context::Context;
use crate::{Error, Result};

/// Hits and misses of a cache, and the bytes its misses uploaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Experts a forward needed that were resident.
    pub hits: u64,
    /// Experts it needed that were not (each one upload of its two rows).
    pub misses: u64,
    /// Bytes uploaded for the misses.
    pub uploaded_bytes: u64,
}

/// `slots` rows of U and V on one device, filled from the host copy of `experts` rows on demand.
pub struct ExpertCache {
    /// U and V slots on the device, `[slots, H]` each in the storage type.
    pub up: wgpu::Buffer,
    /// See `up`.
    pub down: wgpu::Buffer,
    host_up: Vec<u8>,
    host_down: Vec<u8>,
    row_bytes: usize,
    slot_of: Vec<u32>,
    expert_in: Vec<u32>,
    last_used: Vec<u64>,
    clock: u64,
    stats: CacheStats,
}

const NONE: u32 = u32::MAX;

impl ExpertCache {
    /// A cache of `slots` (≥ 1) for the experts whose rows `up` and `down` hold (`[experts, h]`, f32),
    /// stored as f16 or f32 on the device. Nothing is resident yet.
    pub fn new(
        ctx: &Context,
        up: &[f32],
        down: &[f32],
        h: usize,
        f16: bool,
        slots: usize,
    ) -> Result<ExpertCache> {
        if slots == 0 || h == 0 || up.len() != down.len() || !up.len().is_multiple_of(h) {
            return Err(Error::Config {
                field: "resident_experts",
                reason: format!(
                    "{slots} slots of {h} for {} and {} values",
                    up.len(),
                    down.len()
                ),
            });
        }
        let experts = up.len() / h;
        let row_bytes = h * if f16 { 2 } else { 4 };
        let bytes = (slots * row_bytes) as u64;
        Ok(ExpertCache {
            up: buffers::storage(ctx, "resident u", bytes),
            down: buffers::storage(ctx, "resident v", bytes),
            host_up: elem_bytes(up, f16),
            host_down: elem_bytes(down, f16),
            row_bytes,
            slot_of: vec![NONE; experts],
            expert_in: vec![NONE; slots],
            last_used: vec![0; slots],
            clock: 0,
            stats: CacheStats::default(),
        })
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.expert_in.len()
    }

    /// Whether `expert` is resident.
    pub fn is_resident(&self, expert: u32) -> bool {
        self.slot_of[expert as usize] != NONE
    }

    /// Hits, misses and bytes uploaded so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Makes every expert of `needed` resident and returns its slot, in `needed`'s order (repeats
    /// allowed): hits keep their slot, each miss takes the least recently used slot that no expert of
    /// `needed` holds (the lowest slot on ties) and uploads its rows. More distinct experts than slots is
    /// a typed error.
    pub fn admit(&mut self, ctx: &Context, needed: &[u32]) -> Result<Vec<u32>> {
        let mut distinct: Vec<u32> = needed.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() > self.slots() {
            return Err(Error::Limit {
                what: "resident experts".into(),
                needed: distinct.len() as u64,
                allowed: self.slots() as u64,
            });
        }
        if let Some(&e) = distinct.iter().find(|&&e| e as usize >= self.slot_of.len()) {
            return Err(Error::Config {
                field: "resident_experts",
                reason: format!("expert {e} is not among the cache's {}", self.slot_of.len()),
            });
        }
        self.clock += 1;
        // Hits first, so that no miss evicts an expert this call needs.
        for &e in &distinct {
            let s = self.slot_of[e as usize];
            if s != NONE {
                self.last_used[s as usize] = self.clock;
                self.stats.hits += 1;
            }
        }
        for &e in &distinct {
            if self.slot_of[e as usize] != NONE {
                continue;
            }
            let s = (0..self.slots())
                .filter(|&s| self.last_used[s] != self.clock)
                .min_by_key(|&s| self.last_used[s])
                .expect("as many slots as distinct experts");
            let old = self.expert_in[s];
            if old != NONE {
                self.slot_of[old as usize] = NONE;
            }
            self.expert_in[s] = e;
            self.slot_of[e as usize] = s as u32;
            self.last_used[s] = self.clock;
            let (row, at) = (e as usize * self.row_bytes, (s * self.row_bytes) as u64);
            let rows = row..row + self.row_bytes;
            ctx.queue
                .write_buffer(&self.up, at, &self.host_up[rows.clone()]);
            ctx.queue
                .write_buffer(&self.down, at, &self.host_down[rows]);
            self.stats.misses += 1;
            self.stats.uploaded_bytes += 2 * self.row_bytes as u64;
        }
        Ok(needed.iter().map(|&e| self.slot_of[e as usize]).collect())
    }
}
