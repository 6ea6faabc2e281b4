//! Whole-layer checks that several test binaries run on their own contexts: the golden files in f32, the
//! f16 bound, and the token-by-token comparison with the CPU reference.

use super::{assert_close, assert_same_sets, golden_case, golden_cases};
use omnimoe::gpu::{Context, ExpertSchedule, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::io::TensorFile;
use omnimoe::{LoadOptions, OmniMoeWeights};

/// `v` rounded to f16 and back.
pub fn round(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&a| half::f16::from_f32(a).to_f32()).collect()
}

/// The weights as f16 storage holds them.
pub fn rounded(w: &OmniMoeWeights) -> OmniMoeWeights {
    let mut r = w.clone();
    for v in [
        &mut r.gate_proj,
        &mut r.up_proj,
        &mut r.down_proj,
        &mut r.router_x,
        &mut r.router_y,
        &mut r.up_embed,
        &mut r.down_embed,
    ] {
        *v = round(v);
    }
    r
}

/// f32 storage with `schedule`.
pub fn f32_options(schedule: ExpertSchedule) -> LayerOptions {
    LayerOptions {
        precision: Precision::F32,
        schedule,
        ..Default::default()
    }
}

/// Every golden file through the GPU in f32, both expert schedules, on `ctx`.
pub fn golden_files_match_in_f32(ctx: &Context) {
    for (name, bytes) in golden_cases() {
        let file = TensorFile::parse(&bytes).unwrap();
        let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
        let (h, k) = (w.config.hidden_size, w.config.num_experts_per_token);
        let (_, x) = file.tokens("input", h).unwrap();
        for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
            let layer = OmniMoeLayer::new(ctx, &w, &f32_options(schedule)).unwrap();
            let out = layer.forward_host_blocking(&x).unwrap();
            let what = format!("{name} {schedule:?}");
            assert_close(
                &format!("{what}: output"),
                &out.output,
                &file.f32("output").unwrap().1,
                1e-5,
                1e-4,
            );
            assert_close(
                &format!("{what}: scores"),
                &out.scores,
                &file.f32("router.scores").unwrap().1,
                1e-5,
                1e-4,
            );
            assert_same_sets(
                &format!("{what}: indices"),
                &out.indices,
                &file.int("router.indices").unwrap().1,
                k,
            );
        }
    }
}

/// Per token, the gap between the K-th and (K+1)-th best expert score (f64, from the CPU's BN logits).
pub fn selection_gaps(logits: &[f32], r: usize, k: usize) -> Vec<f64> {
    logits
        .chunks(2 * r)
        .map(|row| {
            let lsm = |v: &[f32]| -> Vec<f64> {
                let m = v.iter().fold(f64::MIN, |a, &b| a.max(b as f64));
                let lse = m + v.iter().map(|&x| (x as f64 - m).exp()).sum::<f64>().ln();
                v.iter().map(|&x| x as f64 - lse).collect()
            };
            let (lx, ly) = (lsm(&row[..r]), lsm(&row[r..]));
            let mut all: Vec<f64> = lx
                .iter()
                .flat_map(|a| ly.iter().map(move |b| a + b))
                .collect();
            all.sort_by(|a, b| b.total_cmp(a));
            if k < all.len() {
                all[k - 1] - all[k]
            } else {
                f64::INFINITY
            }
        })
        .collect()
}

/// Compares a GPU result with the CPU reference token by token. Tokens whose expert choice is within
/// `min_gap` of a tie may legitimately pick another expert: for them only the sorted scores are compared
/// (a swapped expert scores within the gap). Returns how many tokens were compared in full.
pub fn compare_with_cpu(
    what: &str,
    w: &OmniMoeWeights,
    x: &[f32],
    gpu: &omnimoe::gpu::HostOutput,
    abs: f32,
    rel: f32,
    min_gap: f64,
) -> usize {
    let c = w.config;
    let (h, k, r) = (c.hidden_size, c.num_experts_per_token, c.grid());
    let cpu = omnimoe::cpu::forward(w, x).unwrap();
    let gaps = selection_gaps(&cpu.logits, r, k);
    let mut compared = 0;
    for (t, gap) in gaps.iter().enumerate() {
        if *gap <= min_gap {
            assert_close(
                &format!("{what}: near-tie token {t} scores"),
                &gpu.scores[t * k..][..k],
                &cpu.scores[t * k..][..k],
                min_gap as f32 + 1e-5,
                1e-4,
            );
            continue;
        }
        compared += 1;
        let row = |v: &[f32]| v[t * h..][..h].to_vec();
        assert_close(
            &format!("{what}: token {t} output"),
            &row(&gpu.output),
            &row(&cpu.output),
            abs,
            rel,
        );
        let idx: Vec<i64> = cpu.indices[t * k..][..k]
            .iter()
            .map(|&i| i as i64)
            .collect();
        assert_same_sets(
            &format!("{what}: token {t}"),
            &gpu.indices[t * k..][..k],
            &idx,
            k,
        );
        assert_close(
            &format!("{what}: token {t} scores"),
            &gpu.scores[t * k..][..k],
            &cpu.scores[t * k..][..k],
            1e-5,
            1e-4,
        );
    }
    compared
}

/// The golden `medium` case in f16 storage on `ctx` (which must offer SHADER_F16), T = 512 and the GEMV's
/// decode sizes, against the CPU reference on f16-rounded weights and input, within [`F16_ABS`] /
/// [`F16_REL`].
pub fn f16_stays_within_its_documented_bound(ctx: &Context) {
    let bytes = golden_case("medium");
    let file = TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    // The reference sees the same f16-rounded weights and input; what remains is f16 storage of the
    // SwiGLU intermediate and f32 accumulation.
    let w16 = rounded(&w);
    let x16 = round(&x);
    for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
        let opts = LayerOptions {
            precision: Precision::F16,
            ..f32_options(schedule)
        };
        let layer = OmniMoeLayer::new(ctx, &w, &opts).unwrap();
        let out = layer.forward_host_blocking(&x).unwrap();
        let compared = compare_with_cpu(
            &format!("f16 {schedule:?}"),
            &w16,
            &x16,
            &out,
            F16_ABS,
            F16_REL,
            1e-4,
        );
        assert!(compared >= 250, "only {compared} tokens comparable");
        // Decode sizes run the GEMV kernel.
        let h = w.config.hidden_size;
        let mut decoded = 0;
        for t in [1, 5, 8] {
            let out = layer.forward_host_blocking(&x[..t * h]).unwrap();
            let what = format!("f16 {schedule:?}, T = {t}");
            decoded += compare_with_cpu(&what, &w16, &x16[..t * h], &out, F16_ABS, F16_REL, 1e-4);
        }
        assert!(
            decoded >= 9,
            "only {decoded} of 14 decode tokens comparable"
        );
    }
}

/// The f16 mode's bound against the CPU reference on f16-rounded weights and input (see the README).
pub const F16_ABS: f32 = 2e-3;
pub const F16_REL: f32 = 2e-3;
