//! Every GPU stage but the GEMMs (`gpu_gemm/`) against its CPU twin on random shapes (proptest):
//! non-multiples of the tile sizes, T = 1, non-square N, K = R², large N with few tokens. The router's
//! stages in `router.rs`, the expert stages in `experts.rs` (what they share: `support.rs`), the read
//! probe here.

#[path = "../common/mod.rs"]
mod common;
mod experts;
mod router;
mod support;

use common::gpu;
use common::stage_io::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Recorder};
use omnimoe::rng::SplitMix64;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// The read probe (the bench's ceiling under the GEMMs) folds each workgroup's words as its CPU
    /// twin: whole workgroups, a short last one, fewer words than a workgroup's invocations.
    #[test]
    fn read_probe_matches_cpu(words in 1usize..40000, per_wg in prop_oneof![1usize..700, Just(1024usize), Just(4096usize)], seed: u64) {
        let ctx = gpu();
        let mut rng = SplitMix64::new(seed);
        let src: Vec<[u32; 4]> = (0..words)
            .map(|_| [0; 4].map(|_| rng.next_u64() as u32))
            .collect();
        let want = cpu::read_probe(&src, per_wg);
        let sb = u32_buf(ctx, bytemuck::cast_slice(&src));
        let ob = buffers::storage(ctx, "out", want.len() as u64 * 4);
        let mut rec = Recorder::new(ctx);
        stages::read_probe(&mut rec, "read", (words as u32, per_wg as u32), Bind::all(&sb), Bind::all(&ob));
        submit(ctx, rec);
        prop_assert_eq!(read_u32(ctx, &ob, want.len()), want);
    }
}
