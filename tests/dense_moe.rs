//! The dense-router MoE layer on the CPU (`omnimoe::dense_moe`, `cpu::dense_moe_forward`): OLMoE names in
//! and out, token choice as OLMoE routes (top-k of the softmax, unnormalised), the routing modes.

use omnimoe::cpu;
use omnimoe::dense_moe::{names, DenseMoeConfig, DenseMoeWeights};
use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;
use omnimoe::routing::Routing;
use omnimoe::Error;

fn layer(h: usize, i: usize, e: usize, k: usize, seed: u64) -> DenseMoeWeights {
    DenseMoeWeights::random(DenseMoeConfig::new(h, i, e, k).unwrap(), seed).unwrap()
}

#[test]
fn olmoe_names_round_trip_and_errors_name_the_tensor() {
    let w = layer(16, 24, 6, 2, 1);
    let bytes = w.to_safetensors("model.layers.3.mlp.").unwrap();
    let file = TensorFile::parse(&bytes).unwrap();
    assert!(file
        .shape("model.layers.3.mlp.experts.5.down_proj.weight")
        .is_ok());
    let back = DenseMoeWeights::from_file(&file, "model.layers.3.mlp.", 2).unwrap();
    assert_eq!(back, w);
    match DenseMoeWeights::from_file(&file, "", 2) {
        Err(Error::MissingTensor(name)) => assert_eq!(name, names::ROUTER),
        other => panic!("{:?}", other.map(|w| w.config)),
    }
    match DenseMoeWeights::from_file(&file, "model.layers.3.mlp.", 7) {
        Err(Error::Config { field, .. }) => assert_eq!(field, "top_k"),
        other => panic!("{:?}", other.map(|w| w.config)),
    }
    // A file missing one expert's tensor is refused by that tensor's name.
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
    for name in [
        names::ROUTER.to_string(),
        names::gate(0),
        names::up(0),
        names::down(0),
    ] {
        let (shape, v) = file.f32(&format!("model.layers.3.mlp.{name}")).unwrap();
        tensors.push((name, shape, v));
    }
    let data: Vec<(String, Vec<usize>, omnimoe::io::TensorData)> = tensors
        .iter()
        .map(|(n, s, v)| (n.clone(), s.clone(), omnimoe::io::TensorData::F32(v)))
        .collect();
    let partial = omnimoe::io::to_safetensors(&data, None).unwrap();
    match DenseMoeWeights::from_file(&TensorFile::parse(&partial).unwrap(), "", 2) {
        Err(Error::MissingTensor(name)) => assert_eq!(name, names::gate(1)),
        other => panic!("{:?}", other.map(|w| w.config)),
    }
}

/// Token choice is OLMoE's routing: each token's k largest softmax probabilities, unnormalised, weighting
/// the experts' SwiGLU outputs; against a direct computation here.
#[test]
fn token_choice_is_olmoe_routing() {
    let (h, i, e, k, t) = (12, 10, 9, 3, 21);
    let w = layer(h, i, e, k, 2);
    let x = SplitMix64::new(3).normals(t * h);
    let got = cpu::dense_moe_forward(&w, &x, &Routing::token_choice(), 0.5).unwrap();
    let dot = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum::<f64>()
    };
    for tok in 0..t {
        let xt = &x[tok * h..(tok + 1) * h];
        let logits: Vec<f64> = (0..e)
            .map(|x| dot(&w.router[x * h..(x + 1) * h], xt))
            .collect();
        let m = logits.iter().cloned().fold(f64::MIN, f64::max);
        let z: f64 = logits.iter().map(|l| (l - m).exp()).sum();
        let mut probs: Vec<(f64, usize)> = logits
            .iter()
            .enumerate()
            .map(|(x, l)| ((l - m).exp() / z, x))
            .collect();
        probs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<u32> = probs[..k].iter().map(|p| p.1 as u32).collect();
        assert_eq!(
            &got.routed.experts[got.routed.range(tok)],
            &chosen[..],
            "token {tok}"
        );
        let mut want = vec![0.0f64; h];
        for &(p, ex) in &probs[..k] {
            let act: Vec<f32> = (0..i)
                .map(|j| {
                    let g = dot(&w.gate[(ex * i + j) * h..][..h], xt);
                    let u = dot(&w.up[(ex * i + j) * h..][..h], xt);
                    (g / (1.0 + (-g).exp()) * u) as f32
                })
                .collect();
            for (o, acc) in want.iter_mut().enumerate() {
                *acc += p * dot(&w.down[(ex * h + o) * i..][..i], &act);
            }
        }
        for (o, (a, b)) in got.output[tok * h..(tok + 1) * h]
            .iter()
            .zip(&want)
            .enumerate()
        {
            assert!(
                (*a as f64 - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                "token {tok} [{o}]: {a} vs {b}"
            );
        }
    }
}

/// Unified routing keeps round(budget · tokens) pairs per group, weighted by USMoE's score; with r = 0 and
/// one token per group at budget k it is token choice, bit for bit.
#[test]
fn unified_budgets_and_decode_equivalence() {
    let (h, e, k, t) = (16, 32, 4, 40);
    let w = layer(h, 20, e, k, 4);
    let x = SplitMix64::new(5).normals(t * h);
    for budget in [0.5, 2.0, 7.5] {
        let routing = Routing {
            group_tokens: Some(8),
            ..Routing::unified(budget)
        };
        let out = cpu::dense_moe_forward(&w, &x, &routing, 0.5).unwrap();
        for g in 0..5 {
            let pairs = out.routed.offsets[8 * g + 8] - out.routed.offsets[8 * g];
            assert_eq!(
                pairs as f64,
                (budget * 8.0).round(),
                "budget {budget} group {g}"
            );
        }
        // Weights are U = 0.5·softmax + 0.5·sigmoid·2/E.
        for tok in 0..t {
            for p in out.routed.range(tok) {
                let ex = out.routed.experts[p] as usize;
                assert_eq!(out.routed.scores[p], out.scores[tok * e + ex]);
            }
        }
    }
    let decode = Routing {
        group_tokens: Some(1),
        ..Routing::unified(k as f64)
    };
    let a = cpu::dense_moe_forward(&w, &x, &decode, 0.0).unwrap();
    let b = cpu::dense_moe_forward(&w, &x, &Routing::token_choice(), 0.0).unwrap();
    assert_eq!(a.routed, b.routed);
    assert_eq!(a.output, b.output);
}
