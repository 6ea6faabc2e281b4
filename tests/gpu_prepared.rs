//! Prepared forwards (buffers, bind groups and parameters made once) against the plain forward, and
//! stacks of layers in one submit against layer-by-layer forwards.

mod common;

use common::{bits, gpu};
use omnimoe::gpu::{LayerOptions, OmniMoeLayer, Precision, PreparedForward};
use omnimoe::rng::SplitMix64;
use omnimoe::{Error, OmniMoeConfig, OmniMoeWeights};

fn precisions() -> Vec<Precision> {
    if gpu().caps.shader_f16 {
        vec![Precision::F32, Precision::F16]
    } else {
        vec![Precision::F32]
    }
}

/// Token counts around the decode kernel's limit and the chunk size, all through one prepared forward.
#[test]
fn prepared_forward_equals_the_plain_one_at_every_token_count() {
    let ctx = gpu();
    let w = OmniMoeWeights::random(OmniMoeConfig::new(96, 160, 300, 6).unwrap(), 3).unwrap();
    for precision in precisions() {
        for chunk in [None, Some(128)] {
            let options = LayerOptions {
                precision,
                max_chunk_tokens: chunk,
                ..Default::default()
            };
            let layer = OmniMoeLayer::new(ctx, &w, &options).unwrap();
            let prepared = layer.prepare(300).unwrap();
            for t in [1, 2, 7, 8, 9, 33, 130, 300, 8] {
                let x = SplitMix64::new(t as u64).normals(t * 96);
                let plain = layer.forward_host_blocking(&x).unwrap();
                assert_eq!(prepared.write_input(&x).unwrap(), t);
                prepared.run(t).unwrap();
                let got = pollster::block_on(prepared.read(t)).unwrap();
                let what = format!("{precision:?}, chunk {chunk:?}, T = {t}");
                assert_eq!(got.output, plain.output, "{what}: output");
                assert_eq!(got.scores, plain.scores, "{what}: scores");
                assert_eq!(got.indices, plain.indices, "{what}: indices");
            }
        }
    }
}

/// Forwards of one token count in a row submit what the previous `run` encoded ahead, before their input
/// was written: each equals the plain forward of its own input, also around runs of other counts.
#[test]
fn runs_encoded_ahead_read_the_inputs_written_since() {
    let ctx = gpu();
    let w = OmniMoeWeights::random(OmniMoeConfig::new(96, 160, 300, 6).unwrap(), 5).unwrap();
    for precision in precisions() {
        let options = LayerOptions {
            precision,
            ..Default::default()
        };
        let layer = OmniMoeLayer::new(ctx, &w, &options).unwrap();
        let prepared = layer.prepare(16).unwrap();
        for (i, t) in [1, 1, 1, 5, 5, 1, 16, 16, 16].into_iter().enumerate() {
            let x = SplitMix64::new(100 + i as u64).normals(t * 96);
            let plain = layer.forward_host_blocking(&x).unwrap();
            prepared.write_input(&x).unwrap();
            prepared.run(t).unwrap();
            let got = pollster::block_on(prepared.read(t)).unwrap();
            let what = format!("{precision:?}, run {i}, T = {t}");
            assert_eq!(got.output, plain.output, "{what}: output");
            assert_eq!(got.scores, plain.scores, "{what}: scores");
            assert_eq!(got.indices, plain.indices, "{what}: indices");
        }
    }
}

/// Three layers (one of them twice) in one submit equal the layers run one after another, the
/// activations passing through the storage type in between.
#[test]
fn a_stack_in_one_submit_equals_layer_by_layer_forwards() {
    let ctx = gpu();
    let config = OmniMoeConfig::new(64, 128, 256, 8).unwrap();
    let (w1, w2) = (
        OmniMoeWeights::random(config, 11).unwrap(),
        OmniMoeWeights::random(config, 12).unwrap(),
    );
    for precision in precisions() {
        let options = LayerOptions {
            precision,
            ..Default::default()
        };
        let a = OmniMoeLayer::new(ctx, &w1, &options).unwrap();
        let b = OmniMoeLayer::new(ctx, &w2, &options).unwrap();
        let stack = PreparedForward::stack(&[&a, &b, &a], 40).unwrap();
        assert_eq!(stack.layers(), 3);
        for t in [1, 5, 40] {
            let x = SplitMix64::new(100 + t as u64).normals(t * 64);
            let mut y = x.clone();
            for layer in [&a, &b, &a] {
                y = layer.forward_host_blocking(&y).unwrap().output;
                if precision == Precision::F16 {
                    // What the stack keeps between layers: the output rounded to f16.
                    y.iter_mut()
                        .for_each(|v| *v = half::f16::from_f32(*v).to_f32());
                }
            }
            stack.write_input(&x).unwrap();
            stack.run(t).unwrap();
            let got = pollster::block_on(stack.read(t)).unwrap();
            match precision {
                Precision::F32 => assert_eq!(got.output, y, "f32 stack, T = {t}"),
                // The last layer's output is f32 in the stack; `y` was rounded once more.
                Precision::F16 => common::assert_close(
                    &format!("f16 stack, T = {t}"),
                    &got.output,
                    &y,
                    1e-3,
                    1e-3,
                ),
            }
        }
    }
}

/// One token through a stack by the decode chain (each layer's output left as its down projection and
/// expert branch for the next layer to add, the last layer adding its own in a pass of their own, or with
/// `set_chain_sum(false)` running the three-pass tail) gives the bits of the same stack without it: the
/// output and the last layer's router choice, each precision, for one layer and stacks of two, three (one
/// layer twice) and four layers.
#[test]
fn the_decode_chain_gives_the_bits_of_the_three_pass_chain() {
    let ctx = gpu();
    let config = OmniMoeConfig::new(64, 128, 256, 8).unwrap();
    let weights: Vec<OmniMoeWeights> = (0..3)
        .map(|s| OmniMoeWeights::random(config, 20 + s).unwrap())
        .collect();
    for precision in precisions() {
        let options = LayerOptions {
            precision,
            ..Default::default()
        };
        let layers: Vec<OmniMoeLayer> = weights
            .iter()
            .map(|w| OmniMoeLayer::new(ctx, w, &options).unwrap())
            .collect();
        let (a, b, c) = (&layers[0], &layers[1], &layers[2]);
        for stack in [vec![a], vec![a, b], vec![a, b, a], vec![c, a, b, c]] {
            let run = |on: bool, sum: bool| {
                for layer in &stack {
                    layer.set_chain_sum(sum);
                }
                let prepared = PreparedForward::stack(&stack, 4)
                    .unwrap()
                    .with_decode_chain(on);
                let chained = prepared.decode_chain_layers(1);
                // Never at more than one token.
                assert_eq!(prepared.decode_chain_layers(2), 0);
                let x = SplitMix64::new(stack.len() as u64).normals(64);
                prepared.write_input(&x).unwrap();
                prepared.run(1).unwrap();
                (pollster::block_on(prepared.read(1)).unwrap(), chained)
            };
            let (off, none) = run(false, true);
            let n = stack.len();
            // The last layer by its sum pass, then by the three-pass tail (a single layer then does not
            // chain: it has no parts to take).
            for (sum, layers) in [(true, n), (false, if n == 1 { 0 } else { n })] {
                let (on, chained) = run(true, sum);
                let what = format!("{precision:?}, {n} layers, sum pass {sum}");
                assert_eq!((chained, none), (layers, 0), "{what}: layers chained");
                assert_eq!(bits(&on.output), bits(&off.output), "{what}: output");
                assert_eq!(bits(&on.scores), bits(&off.scores), "{what}: scores");
                assert_eq!(on.indices, off.indices, "{what}: indices");
            }
        }
    }
}

#[test]
fn prepared_forward_rejects_bad_sizes_with_typed_errors() {
    let ctx = gpu();
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 64, 64, 4).unwrap(), 5).unwrap();
    let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
    let prepared = layer.prepare(4).unwrap();
    assert!(matches!(
        prepared.write_input(&vec![0.5; 5 * 32]),
        Err(Error::Limit { .. })
    ));
    assert!(matches!(prepared.run(5), Err(Error::Limit { .. })));
    assert!(matches!(
        prepared.write_input(&[0.5; 33]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(layer.prepare(0), Err(Error::Config { .. })));
    assert!(matches!(
        layer.prepare(usize::MAX / 2),
        Err(Error::Limit { .. })
    ));
    let other = OmniMoeWeights::random(OmniMoeConfig::new(48, 64, 64, 4).unwrap(), 5).unwrap();
    let other = OmniMoeLayer::new(ctx, &other, &LayerOptions::default()).unwrap();
    assert!(matches!(
        PreparedForward::stack(&[&layer, &other], 4),
        Err(Error::Config { .. })
    ));
}
