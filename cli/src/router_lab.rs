//! The router's kernels side by side for `omnimoe bench` (`router_variants_ms` in the JSON): the fused
//! normalise + top-k by rank (tree or flat reductions) or by subgroup, their parts alone, and the bitonic
//! top-k, on the same random logits of T tokens.

use std::collections::BTreeMap;

use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Recorder, TopkKernel};
use omnimoe::gpu::Context;
use omnimoe::rng::SplitMix64;
use omnimoe::{OmniMoeConfig, Result};

use crate::timing::{keep_busy, WARM_MS};

/// Dispatches of each variant in one timed pass (back to back, each waiting for the one before); the
/// pass's time over their number is reported.
const REPS: usize = 10;

/// Fastest GPU ms of each router variant over `tokens` tokens of `config`.
pub fn router_variants(
    ctx: &Context,
    config: &OmniMoeConfig,
    tokens: usize,
) -> Result<BTreeMap<String, f64>> {
    let (t, r, k) = (
        tokens as u32,
        config.grid() as u32,
        config.num_experts_per_token as u32,
    );
    let mut rng = SplitMix64::new(5);
    let z: Vec<f32> = (0..tokens * 2 * r as usize)
        .map(|_| rng.uniform(-4.0, 4.0))
        .collect();
    let mean: Vec<f32> = (0..2 * r).map(|_| rng.uniform(-0.3, 0.3)).collect();
    let var: Vec<f32> = (0..2 * r).map(|_| rng.uniform(0.5, 2.0)).collect();
    let f32_buf = |v: &[f32]| buffers::upload(ctx, "router lab", &buffers::elem_bytes(v, false));
    let (zb, mb, vb) = (f32_buf(&z), f32_buf(&mean), f32_buf(&var));
    let eb = buffers::storage(ctx, "router lab ell", z.len() as u64 * 4);
    let sb = buffers::storage(ctx, "router lab scores", (t * k) as u64 * 4);
    let ib = buffers::storage(ctx, "router lab indices", (t * k) as u64 * 4);
    let (z_, m_, v_, e_) = (
        Bind::all(&zb),
        Bind::all(&mb),
        Bind::all(&vb),
        Bind::all(&eb),
    );
    let (s_, i_) = (Bind::all(&sb), Bind::all(&ib));
    // The normalised logits, for the variants that start from them.
    let mut rec = Recorder::new(ctx);
    stages::router_normalise(&mut rec, (t, r), z_, m_, v_, e_);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
    type Variant<'a> = Box<dyn Fn(&mut Recorder<'a>) + 'a>;
    let mut variants: Vec<(&str, Variant)> = vec![
        (
            "normalise",
            Box::new(move |rec| stages::router_normalise(rec, (t, r), z_, m_, v_, e_)),
        ),
        (
            "sort_only",
            Box::new(move |rec| {
                stages::router_topk_with(rec, TopkKernel::Sort, (t, r, k), e_, s_, i_, None)
            }),
        ),
    ];
    // The selections that take (R, K) here, each alone (on normalised input) or normalising itself.
    let mut selections: Vec<(&'static str, TopkKernel, bool)> = Vec::new();
    if stages::router_topk_by_rank(r, k) {
        selections.extend([
            ("rank_only", TopkKernel::Rank { flat: false }, false),
            (
                "rank_normalise_tree",
                TopkKernel::Rank { flat: false },
                true,
            ),
            ("rank_normalise_flat", TopkKernel::Rank { flat: true }, true),
        ]);
    }
    if stages::topk_by_subgroup(&ctx.caps, r, k) {
        selections.extend([
            ("subgroup_only", TopkKernel::Subgroup, false),
            ("subgroup_normalise", TopkKernel::Subgroup, true),
        ]);
    }
    for (name, kernel, fused) in selections {
        variants.push((
            name,
            Box::new(move |rec| {
                let (input, norm) = if fused {
                    (z_, Some((m_, v_)))
                } else {
                    (e_, None)
                };
                stages::router_topk_with(rec, kernel, (t, r, k), input, s_, i_, norm)
            }),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, record) in &variants {
        keep_busy(ctx, WARM_MS / 3.0, || {
            let mut rec = Recorder::new(ctx);
            record(&mut rec);
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            rec.encode(&mut encoder, false);
            ctx.queue.submit([encoder.finish()]);
            Ok(())
        })?;
        let mut rec = Recorder::new(ctx);
        for _ in 0..REPS {
            record(&mut rec);
        }
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let times = rec.encode(&mut encoder, true);
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        if let Some(times) = times {
            let span = pollster::block_on(times.read(ctx))?.1;
            out.insert(name.to_string(), span / REPS as f64);
        }
    }
    Ok(out)
}
