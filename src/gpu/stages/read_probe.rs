//! Host side of `shaders/read_probe.wgsl`: a kernel that only reads (the ceiling of a weight-streaming
//! GEMM, timed by [`crate::gpu::weight_stream::read_ms`]).

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;

/// read_probe: `out[w]` = the XOR of every u32 of `src`'s 16-byte words w·per_wg .. (w + 1)·per_wg, for
/// the ⌈words / per_wg⌉ workgroups (`out` holds one u32 each).
pub fn read_probe<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    (words, per_wg): (u32, u32),
    src: Bind<'a>,
    out: Bind<'a>,
) {
    let per_wg = per_wg.max(1);
    let groups = rec.fold(words.div_ceil(per_wg));
    let binds = vec![(1, src), (2, out)];
    rec.dispatch(
        label,
        "read_probe",
        "main",
        &Variant::default(),
        &[words, per_wg],
        binds,
        groups,
    );
}
