//! Host side of the counting sort of (token, expert) pairs by expert: `shaders/expert_histogram.wgsl`,
//! `expert_scan.wgsl` and `expert_scatter.wgsl`.

use super::super::buffers::Bind;
use super::super::context::Context;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;

/// expert_histogram: `count` `[n]` of the expert ids in `indices` `[pairs]`.
pub fn expert_histogram<'a>(
    rec: &mut Recorder<'a>,
    (pairs, n): (u32, u32),
    indices: Bind<'a>,
    count: Bind<'a>,
) {
    let v = Variant::default();
    let label = "expert_histogram";
    rec.dispatch(
        label,
        label,
        "clear",
        &v,
        &[pairs, n],
        vec![(1, count)],
        rec.fold(n.div_ceil(256)),
    );
    let binds = vec![(1, count), (2, indices)];
    let groups = rec.fold(pairs.div_ceil(256));
    rec.dispatch(
        label,
        label,
        "main",
        &v.with("COUNT"),
        &[pairs, n],
        binds,
        groups,
    );
}

/// Most elements [`expert_scan`] takes: 1024 blocks of 1024.
pub const MAX_SCAN: u32 = 1 << 20;

/// expert_scan: `dst[i] = Σ_{j<i} src[j]` for i ≤ len (dst has len + 1 elements); `sums` holds 1024 u32.
pub fn expert_scan<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    len: u32,
    src: Bind<'a>,
    dst: Bind<'a>,
    sums: Bind<'a>,
) {
    assert!(len <= MAX_SCAN, "scan of {len} elements");
    let blocks = len.div_ceil(1024);
    let v = Variant::default();
    let p = [len, blocks];
    let binds = vec![(1, src), (2, dst), (3, sums)];
    rec.dispatch(
        label,
        "expert_scan",
        "scan_blocks",
        &v.clone().with("BLOCKS"),
        &p,
        binds,
        rec.fold(blocks),
    );
    rec.dispatch(
        label,
        "expert_scan",
        "scan_sums",
        &v,
        &p,
        vec![(2, dst), (3, sums)],
        [1, 1, 1],
    );
    rec.dispatch(
        label,
        "expert_scan",
        "add_offsets",
        &v,
        &p,
        vec![(2, dst), (3, sums)],
        rec.fold(blocks),
    );
}

/// Scratch of [`expert_scatter`] for up to `pairs` pairs.
pub struct ScatterScratch {
    /// Keys, ping and pong.
    pub keys: [wgpu::Buffer; 2],
    /// Values, ping and pong; [`expert_scatter`] says which one ends with the sorted pair ids.
    pub vals: [wgpu::Buffer; 2],
    /// Per-digit, per-tile counts.
    pub table: wgpu::Buffer,
    /// Their exclusive scan: each (digit, tile) bucket's first output slot.
    pub offsets: wgpu::Buffer,
    /// Scan block sums.
    pub sums: wgpu::Buffer,
}

impl ScatterScratch {
    /// Scratch for `pairs` pairs.
    pub fn new(ctx: &Context, pairs: u32) -> Self {
        let s = |l| super::super::buffers::storage(ctx, l, pairs as u64 * 4);
        let tiles = pairs.div_ceil(1024) as u64;
        ScatterScratch {
            keys: [s("keys 0"), s("keys 1")],
            vals: [s("vals 0"), s("vals 1")],
            table: super::super::buffers::storage(ctx, "radix counts", 256 * tiles * 4),
            offsets: super::super::buffers::storage(ctx, "radix offsets", (256 * tiles + 1) * 4),
            sums: super::super::buffers::storage(ctx, "scan sums", 1024 * 4),
        }
    }
}

/// Radix passes needed for expert ids below `reachable`.
pub fn radix_passes(reachable: u32) -> u32 {
    let bits = 32 - reachable.saturating_sub(1).leading_zeros();
    bits.div_ceil(8).max(1)
}

/// expert_scatter: sorts the pair ids 0..pairs by expert (`indices` `[pairs]`, ids < `reachable`), stably.
/// Returns the index into `scratch.vals` that holds `perm`.
pub fn expert_scatter<'a>(
    rec: &mut Recorder<'a>,
    (pairs, reachable): (u32, u32),
    indices: Bind<'a>,
    scratch: &'a ScatterScratch,
) -> usize {
    let tiles = pairs.div_ceil(1024);
    assert!(256 * tiles <= MAX_SCAN, "{pairs} pairs in one chunk");
    let label = "expert_scatter";
    let table = Bind::all(&scratch.table);
    let offsets = Bind::all(&scratch.offsets);
    let v = Variant::default();
    let passes = radix_passes(reachable);
    for pass in 0..passes {
        let p = [pairs, tiles, pass * 8];
        let (src, dst) = (pass as usize % 2, (pass as usize + 1) % 2);
        let keys_in = if pass == 0 {
            indices
        } else {
            Bind::all(&scratch.keys[src])
        };
        rec.dispatch(
            label,
            label,
            "count",
            &v,
            &p,
            vec![(1, keys_in), (2, table)],
            rec.fold(tiles),
        );
        expert_scan(
            rec,
            label,
            256 * tiles,
            table,
            offsets,
            Bind::all(&scratch.sums),
        );
        let mut binds = vec![
            (1, keys_in),
            (2, offsets),
            (3, Bind::all(&scratch.keys[dst])),
            (4, Bind::all(&scratch.vals[dst])),
        ];
        let mut variant = v.clone().with("SCATTER");
        if pass == 0 {
            variant = variant.with("FIRST");
        } else {
            binds.push((5, Bind::all(&scratch.vals[src])));
        }
        rec.dispatch(
            label,
            label,
            "scatter",
            &variant,
            &p,
            binds,
            rec.fold(tiles),
        );
    }
    passes as usize % 2
}
