//! Host side of `shaders/prefetch.wgsl`: a weight read into the GPU's last-level cache ahead of the GEMM
//! that needs it. A decode GEMM is bound by its weights' trips from device memory, while the passes around
//! it leave that memory mostly idle. A prefetch recorded first in a pass's slot of the chain (taking over
//! that pass's barrier, [`Recorder::readable_from_next`]) launches its few workgroups before the pass's
//! and runs beside it; the GEMM after the next barrier then reads its weights from the cache.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use crate::cpu::PREFETCH_CHUNK;

/// Most workgroups of a prefetch: two an SM of an H100, few enough to leave the pass beside it its
/// place.
pub const PREFETCH_WORKGROUPS: u32 = 256;

/// Workgroups of a prefetch of `bytes` bytes (one checksum word each in its sink).
pub fn prefetch_groups(bytes: u64) -> u32 {
    let chunks = (bytes / 16).div_ceil(PREFETCH_CHUNK as u64);
    chunks.clamp(1, PREFETCH_WORKGROUPS as u64) as u32
}

/// Bytes of the sink a prefetch of `bytes` bytes writes.
pub fn prefetch_sink_bytes(bytes: u64) -> u64 {
    prefetch_groups(bytes) as u64 * 4
}

/// Reads the first `bytes` bytes of `src` (rounded down to 16) and writes their checksum
/// (`crate::cpu::prefetch` with [`prefetch_groups`] groups) into `sink` (at least
/// [`prefetch_sink_bytes`]).
pub fn prefetch<'a>(rec: &mut Recorder<'a>, src: &'a wgpu::Buffer, bytes: u64, sink: Bind<'a>) {
    let words = (bytes / 16) as u32;
    if words == 0 {
        return;
    }
    let label = "prefetch";
    let src = Bind::range(src, 0, words as u64 * 16);
    let groups = [prefetch_groups(bytes), 1, 1];
    let binds = vec![(1, src), (2, sink)];
    rec.dispatch(label, label, "main", &Variant::default(), &[words], binds, groups);
}
