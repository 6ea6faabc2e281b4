//! Host side of `shaders/prefetch.wgsl`: a weight read into the GPU's last-level cache ahead of the GEMM
//! that needs it. A decode GEMM's time is its weights' bytes from device memory, while the passes around
//! it (router, expert stage) read little: a prefetch recorded beside such a pass (no barrier between
//! them: it reads only read-only weights and writes only its own sink) moves the next GEMM's weights while
//! device memory would otherwise idle, and that GEMM then reads them from the cache.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use crate::cpu::PREFETCH_SLICE;

/// Bytes of the sink a prefetch of `bytes` bytes writes (one checksum word per workgroup).
pub fn prefetch_sink_bytes(bytes: u64) -> u64 {
    (bytes / 16).div_ceil(PREFETCH_SLICE as u64).max(1) * 4
}

/// Reads the first `bytes` bytes of `src` (rounded down to 16) and writes their checksum per slice
/// (`crate::cpu::prefetch`) into `sink` (at least [`prefetch_sink_bytes`] bytes).
pub fn prefetch<'a>(rec: &mut Recorder<'a>, src: &'a wgpu::Buffer, bytes: u64, sink: Bind<'a>) {
    let words = (bytes / 16) as u32;
    if words == 0 {
        return;
    }
    let label = "prefetch";
    let src = Bind::range(src, 0, words as u64 * 16);
    let groups = rec.fold(words.div_ceil(PREFETCH_SLICE as u32));
    let binds = vec![(1, src), (2, sink)];
    rec.dispatch(
        label,
        label,
        "main",
        &Variant::default(),
        &[words],
        binds,
        groups,
    );
}
