//! Per-stage GPU times of one layer size (timestamps), for a quick look on any adapter:
//! `cargo run --release --example stage_times -- T H I N K`.

use omnimoe::gpu::{Context, ExpertSchedule, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::{OmniMoeConfig, OmniMoeWeights};

fn main() -> omnimoe::Result<()> {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("a number"))
        .collect();
    let [t, h, i, n, k] = <[usize; 5]>::try_from(a).unwrap_or([512, 1024, 4096, 4096, 16]);
    let ctx = Context::new_blocking()?;
    println!(
        "{} ({:?}), T={t} H={h} I={i} N={n} K={k}",
        ctx.info.name, ctx.info.backend
    );
    let w = OmniMoeWeights::random(OmniMoeConfig::new(h, i, n, k)?, 1)?;
    let x = omnimoe::rng::SplitMix64::new(2).normals(t * h);
    for precision in [Precision::F32, Precision::F16] {
        for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
            let options = LayerOptions {
                precision,
                schedule,
                max_chunk_tokens: None,
            };
            let layer = OmniMoeLayer::new(&ctx, &w, &options)?;
            let (t, input) = layer.upload_input(&x)?;
            let out = layer.outputs(t);
            pollster::block_on(layer.forward(&input, &out, false))?;
            let times = pollster::block_on(layer.forward(&input, &out, true))?.expect("timestamps");
            omnimoe::gpu::buffers::wait(&ctx)?;
            let (times, total) = pollster::block_on(times.read(&ctx))?;
            println!("{precision:?} {schedule:?}: {total:.3} ms");
            for (label, ms) in times {
                println!("  {label:<18} {ms:9.3} ms");
            }
        }
    }
    Ok(())
}
