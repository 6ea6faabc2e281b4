//! Device faults are typed errors: a device destroyed between or during forwards gives
//! `Error::DeviceLost` from every later call, never a panic or a hang.

mod common;

use omnimoe::gpu::{EncodeOutputs, LayerOptions, OmniMoeLayer};
use omnimoe::rng::SplitMix64;
use omnimoe::{Error, OmniMoeConfig, OmniMoeWeights};

fn lost<T: std::fmt::Debug>(what: &str, r: omnimoe::Result<T>) {
    match r {
        Err(Error::DeviceLost(why)) => assert!(!why.is_empty(), "{what}"),
        other => panic!("{what} after the device was destroyed: {other:?}"),
    }
}

#[test]
fn a_destroyed_device_makes_every_call_a_device_lost_error() {
    // A context of its own: this test destroys its device.
    let ctx = common::gpu_with(&Default::default());
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 256, 8).unwrap(), 3).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    let x = SplitMix64::new(1).normals(40 * 32);
    let before = layer.forward_host_blocking(&x).unwrap();
    assert_eq!(before.tokens, 40);
    let prepared = layer.prepare(64).unwrap();
    let t = prepared.write_input(&x).unwrap();

    // Mid-run: a forward queued, then the device destroyed before its results are read.
    prepared.run(t).unwrap();
    ctx.device.destroy();
    lost(
        "reading a forward queued before",
        pollster::block_on(prepared.read(t)),
    );
    lost("a forward", layer.forward_host_blocking(&x));
    lost("a prepared forward", prepared.run(t));
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let (_, input) = (0, omnimoe::gpu::buffers::storage(&ctx, "x", 40 * 32 * 4));
    let y = omnimoe::gpu::buffers::storage(&ctx, "y", 40 * 32 * 4);
    lost(
        "encode",
        layer.encode(&mut encoder, &input, 40, EncodeOutputs::output(&y)),
    );
    lost(
        "a new layer",
        OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).map(|_| ()),
    );
}

/// A validation error inside a forward (here: an input buffer of another device, which no up-front check
/// of ours can see) comes back through the forward's error scopes as a typed error, not a panic; the
/// layer keeps working afterwards.
#[test]
fn a_validation_error_in_a_forward_is_a_typed_error() {
    let ctx = common::gpu_with(&Default::default());
    let other = common::gpu_with(&Default::default());
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 256, 8).unwrap(), 3).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    let x = SplitMix64::new(1).normals(10 * 32);
    let foreign = omnimoe::gpu::buffers::upload(&other, "x", bytemuck::cast_slice(&x));
    let out = layer.outputs(10);
    match pollster::block_on(layer.forward(&foreign, &out, false)) {
        Err(Error::Gpu(msg)) => assert!(!msg.is_empty()),
        other => panic!("a buffer of another device: {:?}", other.map(|_| ())),
    }
    assert_eq!(layer.forward_host_blocking(&x).unwrap().tokens, 10);
}
