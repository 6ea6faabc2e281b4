//! A dense weight `[rows, K]` on the device: one buffer, or blocks of rows where it exceeds a storage
//! binding, each multiplied by its own GEMM into its columns of the output ([`Columns`]).

use super::super::buffers::{self, elem_bytes};
use super::super::context::Context;
use super::super::stages::{to_slabs, Columns};

pub(super) struct RowBlocks {
    parts: Vec<wgpu::Buffer>,
    /// Rows per block (every block but the last holds exactly this many).
    per: usize,
    rows: usize,
}

impl RowBlocks {
    /// Uploads `w` (`rows` rows of `k`) in blocks of `per` rows, f16 or f32, each block in K slabs
    /// ([`stages::to_slabs`]) or rows.
    pub(super) fn upload(
        ctx: &Context,
        label: &str,
        w: &[f32],
        k: usize,
        per: usize,
        (f16, slabs): (bool, bool),
    ) -> Self {
        let rows = w.len() / k;
        let bytes = |block: &[f32]| {
            if slabs {
                elem_bytes(&to_slabs(block, k), f16)
            } else {
                elem_bytes(block, f16)
            }
        };
        RowBlocks {
            parts: w
                .chunks(per * k)
                .map(|block| buffers::upload(ctx, label, &bytes(block)))
                .collect(),
            per,
            rows,
        }
    }

    /// The weight's rows and buffer where it lies in one binding.
    pub(super) fn single(&self) -> Option<(u32, &wgpu::Buffer)> {
        match self.parts.as_slice() {
            [one] => Some((self.rows as u32, one)),
            _ => None,
        }
    }

    /// Each block: where its GEMM writes in the output, its rows (the GEMM's N) and its buffer.
    pub(super) fn blocks(&self) -> impl Iterator<Item = (Columns, u32, &wgpu::Buffer)> {
        let whole = self.parts.len() == 1;
        self.parts.iter().enumerate().map(move |(j, buffer)| {
            let first = j * self.per;
            let cols = if whole {
                Columns::ALL
            } else {
                Columns {
                    first: first as u32,
                    width: self.rows as u32,
                }
            };
            (cols, (self.rows - first).min(self.per) as u32, buffer)
        })
    }

    /// Blocks of rows: 1 where the weight fits one binding.
    pub(super) fn len(&self) -> usize {
        self.parts.len()
    }
}

/// The distinct GEMM widths (N) of a weight of `rows` rows in blocks of `per`: the full blocks' and the
/// last one's.
pub(super) fn block_widths(rows: usize, per: usize) -> impl Iterator<Item = u32> {
    let last = rows - (rows.div_ceil(per) - 1) * per;
    let full = (rows > per).then_some(per as u32);
    full.into_iter().chain([last as u32])
}
