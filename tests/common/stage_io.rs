//! Buffers in and out of a stage test, random inputs and the element-wise check (`gpu_stages`, `gpu_gemm`).

use omnimoe::gpu::buffers;
use omnimoe::gpu::stages::Recorder;
use omnimoe::gpu::Context;
use omnimoe::rng::SplitMix64;
use proptest::prelude::*;

pub fn uniform(seed: u64, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut r = SplitMix64::new(seed);
    (0..len).map(|_| r.uniform(lo, hi)).collect()
}

pub fn f32_buf(ctx: &Context, v: &[f32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

pub fn u32_buf(ctx: &Context, v: &[u32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

pub fn submit(ctx: &Context, rec: Recorder<'_>) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
}

pub fn read_f32(ctx: &Context, b: &wgpu::Buffer, len: usize) -> Vec<f32> {
    pollster::block_on(buffers::read_f32(ctx, b, 0, len)).unwrap()
}

pub fn read_u32(ctx: &Context, b: &wgpu::Buffer, len: usize) -> Vec<u32> {
    pollster::block_on(buffers::read_u32(ctx, b, 0, len)).unwrap()
}

pub fn to_f16(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&x| half::f16::from_f32(x).to_f32()).collect()
}

pub fn f16_modes(ctx: &Context) -> Vec<bool> {
    if ctx.caps.shader_f16 {
        vec![false, true]
    } else {
        vec![false]
    }
}

/// |gpu − cpu| ≤ tol[i] for every element.
pub fn check(
    what: &str,
    gpu: &[f32],
    cpu: &[f32],
    tol: impl Fn(usize) -> f32,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(gpu.len(), cpu.len());
    for (i, (a, b)) in gpu.iter().zip(cpu).enumerate() {
        prop_assert!(
            (a - b).abs() <= tol(i),
            "{}[{}]: gpu {} cpu {} (tol {})",
            what,
            i,
            a,
            b,
            tol(i)
        );
    }
    Ok(())
}
