//! Layers recorded into the caller's encoder on the caller's buffers (`OmniMoeLayer::encode`) against
//! layers run one forward at a time.

mod common;

use common::{bits, gpu};
use omnimoe::gpu::buffers::{self, read_back};
use omnimoe::gpu::{EncodeOutputs, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::rng::SplitMix64;
use omnimoe::{Error, OmniMoeConfig, OmniMoeWeights};

fn read(buffer: &wgpu::Buffer, bytes: u64) -> Vec<u8> {
    pollster::block_on(read_back(gpu(), buffer, 0, bytes)).unwrap()
}

fn layers(precision: Precision) -> (OmniMoeLayer<'static>, OmniMoeLayer<'static>) {
    let config = OmniMoeConfig::new(64, 96, 400, 8).unwrap();
    // Chunks of 128 tokens: a forward of 300 spans three, and the router outputs left to the scratch
    // outgrow it.
    let options = LayerOptions {
        precision,
        max_chunk_tokens: Some(128),
        ..Default::default()
    };
    let make = |seed| {
        let w = OmniMoeWeights::random(config, seed).unwrap();
        OmniMoeLayer::new(gpu(), &w, &options).unwrap()
    };
    (make(21), make(22))
}

#[test]
fn two_layers_in_one_encoder_equal_two_forwards_bit_for_bit() {
    let ctx = gpu();
    let mut precisions = vec![Precision::F32];
    if ctx.caps.shader_f16 {
        precisions.push(Precision::F16);
    }
    for precision in precisions {
        let (a, b) = layers(precision);
        let (h, k) = (64u64, 8u64);
        for t in [1usize, 7, 300] {
            let x = SplitMix64::new(t as u64).normals(t * h as usize);
            let (_, input) = a.upload_input(&x).unwrap();
            let tt = t as u64;
            let es = if precision == Precision::F16 { 2 } else { 4 };
            let s = |label| buffers::storage(ctx, label, tt * h * 4);
            let (hidden, y) = (s("hidden"), s("y"));
            let scores = buffers::storage(ctx, "scores", tt * k * 4);
            let indices = buffers::storage(ctx, "indices", tt * k * 4);
            let between = EncodeOutputs {
                storage_type: true,
                ..EncodeOutputs::output(&hidden)
            };
            let last = EncodeOutputs {
                scores: Some(&scores),
                indices: Some(&indices),
                ..EncodeOutputs::output(&y)
            };
            // One encoder, one submit.
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            a.encode(&mut encoder, &input, t, between).unwrap();
            b.encode(&mut encoder, &hidden, t, last).unwrap();
            ctx.queue.submit([encoder.finish()]);
            let one = (
                read(&hidden, tt * h * es),
                read(&y, tt * h * 4),
                read(&scores, tt * k * 4),
                read(&indices, tt * k * 4),
            );
            // The same layers one submit each, on fresh buffers.
            let (hidden2, y2) = (s("hidden"), s("y"));
            let (scores2, indices2) = (
                buffers::storage(ctx, "scores", tt * k * 4),
                buffers::storage(ctx, "indices", tt * k * 4),
            );
            for (layer, from, to) in [(&a, &input, &hidden2), (&b, &hidden2, &y2)] {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let outputs = if std::ptr::eq(to, &hidden2) {
                    EncodeOutputs {
                        storage_type: true,
                        ..EncodeOutputs::output(to)
                    }
                } else {
                    EncodeOutputs {
                        scores: Some(&scores2),
                        indices: Some(&indices2),
                        ..EncodeOutputs::output(to)
                    }
                };
                layer.encode(&mut encoder, from, t, outputs).unwrap();
                ctx.queue.submit([encoder.finish()]);
            }
            let two = (
                read(&hidden2, tt * h * es),
                read(&y2, tt * h * 4),
                read(&scores2, tt * k * 4),
                read(&indices2, tt * k * 4),
            );
            assert!(one == two, "{precision:?}, T = {t}: one encoder differs");
            // And the plain host-to-host forwards (f32: the hidden state needs no conversion).
            if precision == Precision::F32 {
                let ya = a.forward_host_blocking(&x).unwrap();
                let yb = b.forward_host_blocking(&ya.output).unwrap();
                let got: Vec<f32> = bytemuck::pod_collect_to_vec(&one.1);
                assert_eq!(bits(&got), bits(&yb.output), "T = {t}: output");
                let got: Vec<f32> = bytemuck::pod_collect_to_vec(&one.2);
                assert_eq!(bits(&got), bits(&yb.scores), "T = {t}: scores");
                let got: Vec<u32> = bytemuck::pod_collect_to_vec(&one.3);
                assert_eq!(got, yb.indices, "T = {t}: indices");
            }
        }
    }
}

#[test]
fn encode_names_the_buffer_it_cannot_use() {
    let ctx = gpu();
    let (a, _) = layers(Precision::F32);
    let (t, input) = a.upload_input(&[0.5; 3 * 64]).unwrap();
    let small = buffers::storage(ctx, "small", 2 * 64 * 4);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    match a.encode(&mut encoder, &input, t, EncodeOutputs::output(&small)) {
        Err(Error::Shape { name, .. }) => assert_eq!(name, "output"),
        other => panic!("a 2-row output for 3 tokens: {other:?}"),
    }
    let uniform = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("uniform"),
        size: 3 * 64 * 4,
        usage: wgpu::BufferUsages::UNIFORM,
        mapped_at_creation: false,
    });
    match a.encode(&mut encoder, &input, t, EncodeOutputs::output(&uniform)) {
        Err(Error::Config { reason, .. }) => assert!(reason.contains("output"), "{reason}"),
        other => panic!("an output without STORAGE usage: {other:?}"),
    }
    let y = buffers::storage(ctx, "y", 3 * 64 * 4);
    let short_scores = buffers::storage(ctx, "scores", 8 * 4);
    let outputs = EncodeOutputs {
        scores: Some(&short_scores),
        ..EncodeOutputs::output(&y)
    };
    match a.encode(&mut encoder, &input, t, outputs) {
        Err(Error::Shape { name, .. }) => assert_eq!(name, "router scores"),
        other => panic!("scores for one token of three: {other:?}"),
    }
    match a.encode(&mut encoder, &input, 4, EncodeOutputs::output(&y)) {
        Err(Error::Shape { name, .. }) => assert_eq!(name, "input"),
        other => panic!("4 tokens of a 3-token input: {other:?}"),
    }
}
