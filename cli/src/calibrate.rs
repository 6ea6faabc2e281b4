//! `omnimoe calibrate`: the CAEE cost model of the chosen adapter (issue 12): GPU timestamps of the expert
//! stages at controlled tokens per expert, upload times of expert rows, each fitted flat-then-linear;
//! printed with each fit's error on held-out sizes, and written as JSON.

use std::path::PathBuf;

use clap::Args;
use omnimoe::cost::CostModel;
use omnimoe::gpu::calibrate::{calibrate_blocking, CalibrateOptions};
use omnimoe::gpu::Context;
use omnimoe::Result;
use serde::Serialize;

#[derive(Args)]
pub struct CalibrateArgs {
    /// H: length of an expert vector.
    #[arg(long, default_value_t = 1024)]
    hidden: u32,
    /// Experts timed together (a multiple of --top-k).
    #[arg(long, default_value_t = 1024)]
    experts: u32,
    /// K: slots per token.
    #[arg(long, default_value_t = 16)]
    top_k: u32,
    /// Largest number of tokens per expert (sizes 1, 2, 3, 4, 6, 8, 12, … up to it).
    #[arg(long, default_value_t = 256)]
    max_tokens: u32,
    /// Largest upload batch in experts (powers of two up to it).
    #[arg(long, default_value_t = 1024)]
    max_upload: u32,
    /// Timed repetitions per size (the fastest counts).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Write the model as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// 1, 2, 3, 4, 6, 8, 12, 16, …: powers of two and their 1.5×, up to `most`.
fn sizes(most: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut p = 1u32;
    while p <= most {
        out.push(p);
        if p >= 2 && p + p / 2 <= most {
            out.push(p + p / 2);
        }
        p *= 2;
    }
    out
}

#[derive(Serialize)]
struct FitJson {
    stage: String,
    dtype: &'static str,
    /// What x counts: tokens per expert, or experts per upload batch.
    x: &'static str,
    /// What y is: milliseconds per expert, or per upload batch.
    y: &'static str,
    knee: f64,
    flat_ms: f64,
    slope_ms: f64,
    held_out_mape_pct: f64,
    points: Vec<(f64, f64)>,
}

#[derive(Serialize)]
struct ModelJson {
    adapter: String,
    backend: String,
    driver: String,
    hidden: usize,
    experts: u32,
    top_k: u32,
    model: &'static str,
    stages: Vec<FitJson>,
}

fn to_json(ctx: &Context, args: &CalibrateArgs, model: &CostModel) -> ModelJson {
    ModelJson {
        adapter: model.adapter.clone(),
        backend: format!("{:?}", ctx.info.backend),
        driver: format!("{} {}", ctx.info.driver, ctx.info.driver_info),
        hidden: model.hidden,
        experts: args.experts,
        top_k: args.top_k,
        model:
            "y = flat_ms for x <= knee, flat_ms + slope_ms * (x - knee) beyond; fitted on every \
                other measured x, held_out_mape_pct on the rest",
        stages: model
            .stages
            .iter()
            .map(|s| {
                let upload = s.stage == "upload";
                FitJson {
                    stage: s.stage.clone(),
                    dtype: if s.f16 { "f16" } else { "f32" },
                    x: if upload {
                        "experts per upload batch"
                    } else {
                        "tokens per expert"
                    },
                    y: if upload {
                        "ms per batch (host to device, write + submit + wait)"
                    } else {
                        "GPU ms per expert"
                    },
                    knee: s.model.knee,
                    flat_ms: s.model.flat,
                    slope_ms: s.model.slope,
                    held_out_mape_pct: s.held_out_mape,
                    points: s.points.clone(),
                }
            })
            .collect(),
    }
}

pub fn run(args: &CalibrateArgs) -> Result<()> {
    let ctx = Context::new_blocking()?;
    println!("{} ({:?})", ctx.info.name, ctx.info.backend);
    let options = CalibrateOptions {
        hidden: args.hidden,
        experts: args.experts,
        top_k: args.top_k,
        tokens_per_expert: sizes(args.max_tokens),
        upload_batches: sizes(args.max_upload)
            .into_iter()
            .filter(|b| b.is_power_of_two())
            .collect(),
        reps: args.reps,
    };
    let model = calibrate_blocking(&ctx, &options)?;
    println!(
        "{:<15} {:>5} {:>8} {:>12} {:>14} {:>16}",
        "stage", "dtype", "knee", "flat ms", "slope ms/unit", "held-out MAPE %"
    );
    for s in &model.stages {
        println!(
            "{:<15} {:>5} {:>8} {:>12.3e} {:>14.3e} {:>16.1}",
            s.stage,
            if s.f16 { "f16" } else { "f32" },
            s.model.knee,
            s.model.flat,
            s.model.slope,
            s.held_out_mape
        );
    }
    if let Some(path) = &args.json {
        let text =
            serde_json::to_string_pretty(&to_json(&ctx, args, &model)).expect("serialisable");
        omnimoe::io::write_file(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_powers_of_two_and_their_halfway_points() {
        assert_eq!(super::sizes(16), vec![1, 2, 3, 4, 6, 8, 12, 16]);
        assert_eq!(super::sizes(1), vec![1]);
    }
}
