//! What the browser tests share: the WebGPU context, inputs, uploads, a submit and the CPU comparison.
#![allow(dead_code)]

use omnimoe::gpu::buffers;
use omnimoe::gpu::stages::Recorder;
use omnimoe::gpu::Context;
use omnimoe::rng::SplitMix64;

pub async fn ctx() -> Context {
    Context::new()
        .await
        .unwrap_or_else(|e| panic!("the browser tests need WebGPU: {e}"))
}

pub fn uniform(seed: u64, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut r = SplitMix64::new(seed);
    (0..len).map(|_| r.uniform(lo, hi)).collect()
}

pub fn up(ctx: &Context, v: &[f32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

pub fn up_u32(ctx: &Context, v: &[u32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

pub fn submit(ctx: &Context, rec: Recorder<'_>) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
}

pub fn close(what: &str, gpu: &[f32], cpu: &[f32], abs: f32, rel: f32) {
    assert_eq!(gpu.len(), cpu.len(), "{what}");
    for (i, (a, b)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            (a - b).abs() <= abs + rel * b.abs(),
            "{what}[{i}]: gpu {a} cpu {b}"
        );
    }
}
