//! Per-stage GPU times of one layer size (timestamps), for a quick look on any adapter:
//! `cargo run --release -p omnimoe --example stage_times -- T H I N K`.

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
    let modes = [
        (Precision::F32, true),
        (Precision::F16, true),
        (Precision::F16, false),
    ];
    for (precision, no_cooperative_matrix) in modes {
        if precision == Precision::F16 && !no_cooperative_matrix && !ctx.caps.cooperative_matrix {
            continue;
        }
        for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
            let options = LayerOptions {
                precision,
                schedule,
                no_cooperative_matrix,
                ..Default::default()
            };
            let layer = OmniMoeLayer::new(&ctx, &w, &options)?;
            let (t, input) = layer.upload_input(&x)?;
            let out = layer.outputs(t);
            pollster::block_on(layer.forward(&input, &out, false))?;
            let times = pollster::block_on(layer.forward(&input, &out, true))?.expect("timestamps");
            omnimoe::gpu::buffers::wait(&ctx)?;
            let (times, total) = pollster::block_on(times.read(&ctx))?;
            let coop = if layer.uses_cooperative_matrix() {
                " coop"
            } else {
                ""
            };
            println!("{precision:?}{coop} {schedule:?}: {total:.3} ms");
            for (label, ms) in times {
                println!("  {label:<18} {ms:9.3} ms");
            }
        }
    }
    Ok(())
}
