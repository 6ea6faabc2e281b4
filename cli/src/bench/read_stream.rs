//! The ceiling under the layer's weight-streaming GEMMs: a kernel that only reads
//! (`omnimoe::gpu::weight_stream::read_ms`) timed on as many bytes as each GEMM's weights, from device
//! memory, in a chain of dependent dispatches as the GEMMs are timed (`gemm_stream`), and on a tiny
//! buffer: the chain's floor, what a dependent dispatch costs with next to nothing to read.

use omnimoe::gpu::weight_stream::read_ms;
use omnimoe::gpu::Context;
use omnimoe::Result;

use super::measure::GemmStream;

/// Words (16 bytes) a workgroup reads, tried in turn; the fastest counts.
const PER_WORKGROUP: [u32; 3] = [1024, 2048, 4096];
/// Bytes of the floor's read.
const FLOOR_BYTES: u64 = 64 << 10;

/// The read of one GEMM's weights' bytes.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub(super) struct ReadStream {
    /// "gate_up" or "down".
    pub(super) gemm: String,
    pub(super) bytes: u64,
    /// The fastest over [`PER_WORKGROUP`].
    pub(super) ms: f64,
    /// Its 16-byte words a workgroup (absent before the twenty-second session's last commits).
    #[serde(default)]
    pub(super) per_workgroup_words: u32,
    pub(super) gbps: f64,
    /// The GEMM's time alone from memory over this read's: how far the GEMM is from a kernel that
    /// only reads.
    pub(super) gemm_over_read: f64,
}

/// The reads under `gemms` and the floor (ms of [`FLOOR_BYTES`]); `None` without timestamps.
pub(super) fn read_ceiling(
    ctx: &Context,
    gemms: &[GemmStream],
) -> Result<Option<(f64, Vec<ReadStream>)>> {
    // Measuring aid: `OMNIMOE_READ_PER_WG=W[,W…]` times these words a workgroup instead (8192 at 64 MB:
    // 512 workgroups of 256, as many as the skinny kernel's at I = 16384; BENCHMARKS.md).
    let per_wg: Vec<u32> = std::env::var("OMNIMOE_READ_PER_WG")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| PER_WORKGROUP.to_vec());
    // (ms, words a workgroup) of the fastest.
    let fastest = |bytes: u64| pollster::block_on(read_ms(ctx, bytes, &per_wg));
    let Some((floor, _)) = fastest(FLOOR_BYTES)? else {
        return Ok(None);
    };
    let mut reads = Vec::new();
    for g in gemms.iter().filter(|g| g.weight_bytes > 0) {
        let Some((ms, per_workgroup_words)) = fastest(g.weight_bytes)? else {
            continue;
        };
        reads.push(ReadStream {
            gemm: g.gemm.clone(),
            bytes: g.weight_bytes,
            ms,
            per_workgroup_words,
            gbps: g.weight_bytes as f64 / 1e6 / ms,
            gemm_over_read: g.ms / ms,
        });
    }
    Ok(Some((floor, reads)))
}
