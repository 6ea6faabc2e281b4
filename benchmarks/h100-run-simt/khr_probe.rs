//! Probe (ninth session): the WGSL tensor-core GEMM (naga) beside the same tiling in GLSL (glslang, SPIR-V
//! passthrough), plain f32 output, at the layer's two GEMM shapes. `khr_probe DIR ROUNDS`: every
//! `DIR/khr_WG_BM_BN_BK.spv`, and gemm_coop's variants of the same tiles.

use omnimoe::gpu::pipelines::{preprocess, source, Variant};
use std::borrow::Cow;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "shaders/spirv/out".into());
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .expect("adapter");
    println!("adapter {:?}", adapter.get_info().name);
    let features = wgpu::Features::SHADER_F16
        | wgpu::Features::TIMESTAMP_QUERY
        | wgpu::Features::PASSTHROUGH_SHADERS
        | wgpu::Features::SUBGROUP
        | wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("khr probe"),
        required_features: features,
        required_limits: adapter.limits(),
        experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .expect("device");
    let period = queue.get_timestamp_period() as f64;

    let path = std::path::PathBuf::from(&dir);
    let mut files: Vec<_> = if path.is_file() {
        vec![path]
    } else {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "spv"))
            .collect()
    };
    files.sort();
    let shapes = [(4096usize, 8320usize, 1024usize), (4096, 1024, 4096)];
    let rounds: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    // (name, workgroup size, tile rows, tile columns, flags) of gemm_coop's builds of the same tiles.
    let wgsl: [(&str, u32, u32, u32, &[&'static str]); 3] = [
        ("wgsl_512_256_128_32", 512, 256, 128, &["SG16"]),
        ("wgsl_256_128_128_64", 256, 128, 128, &["TK64"]),
        ("wgsl_256_128_128_32", 256, 128, 128, &[]),
    ];
    // Inputs: small integers / 8 so f16 products are exact and sums exact in f32.
    let mk = |n: usize, seed: u64| -> Vec<half::f16> {
        let mut s = omnimoe::rng::SplitMix64::new(seed);
        (0..n)
            .map(|_| half::f16::from_f32(((s.next_u64() % 9) as f32 - 4.0) / 8.0))
            .collect()
    };
    use wgpu::util::DeviceExt;
    for (m, n, k) in shapes {
        let a = mk(m * k, 1);
        let b = mk(n * k, 2);
        let ab = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&a),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&b),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bt: Vec<half::f16> = (0..k * n).map(|i| b[(i % n) * k + i / n]).collect();
        let btb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&bt),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let params = [m as u32, n as u32, k as u32, 0, 0, 0, 0, 0];
        let pb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let cbytes = (m * n * 4) as u64;
        let cb = device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: cbytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let rb = device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: cbytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let entry = |i: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding: i,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let bgl = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: None,
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(2, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(3, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let bind = |b: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &bgl,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: pb.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: ab.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: b.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: cb.as_entire_binding(),
                    },
                ],
            })
        };
        let bg_n = bind(&bb);
        let _ = &btb;
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: None,
            bind_group_layouts: &[Some(&bgl)],
            immediate_size: 0,
        });
        // CPU reference rows.
        let rows: Vec<usize> = vec![0, 1, m / 3, m / 2 + 7, m - 1];
        let reference: Vec<Vec<f32>> = rows
            .iter()
            .map(|&r| {
                (0..n)
                    .map(|c| {
                        (0..k)
                            .map(|i| a[r * k + i].to_f32() * b[c * k + i].to_f32())
                            .sum::<f32>()
                    })
                    .collect()
            })
            .collect();
        // f32 copies of A and B for the SIMT kernels (the same values: f16 ones are exact in f32).
        let a32: Vec<f32> = a.iter().map(|v| v.to_f32()).collect();
        let b32: Vec<f32> = b.iter().map(|v| v.to_f32()).collect();
        let ab32 = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&a32),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bb32 = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&b32),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bg32 = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &bgl,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: pb.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: ab32.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: bb32.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: cb.as_entire_binding() },
            ],
        });
        let mut kernels: Vec<(String, u32, u32, u32, wgpu::ShaderModule)> = Vec::new();
        for file in &files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let dims: Vec<u32> = stem.split('_').filter_map(|s| s.parse().ok()).collect();
            let (wg, bm, bn) = (dims[0], dims[1], dims[2]);
            let bytes = std::fs::read(file).unwrap();
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
            let module = unsafe {
                device.create_shader_module_passthrough(wgpu::ShaderModuleDescriptorPassthrough {
                    label: Some(&stem),
                    entry_points: Cow::Owned(vec![wgpu::PassthroughShaderEntryPoint {
                        name: "main".into(),
                        workgroup_size: (wg, 1, 1),
                    }]),
                    spirv: Some(Cow::Owned(words)),
                    ..Default::default()
                })
            };
            kernels.push((stem, wg, bm, bn, module));
        }
        for (name, wg, bm, bn, flags) in wgsl {
            let mut v = Variant::storage(true)
                .with("COOP")
                .with("SUBGROUP")
                .with("SMEM2")
                .with("DIRECT");
            for f in flags {
                v = v.with(f);
            }
            let code = preprocess(source("gemm_coop"), &v);
            let module = unsafe {
                device.create_shader_module_trusted(
                    wgpu::ShaderModuleDescriptor {
                        label: Some(name),
                        source: wgpu::ShaderSource::Wgsl(code.into()),
                    },
                    wgpu::ShaderRuntimeChecks::unchecked(),
                )
            };
            kernels.push((name.to_string(), wg, bm, bn, module));
        }
        // gemm.wgsl's SIMT builds (f32, VEC4), K step 8 and 16.
        for tk in [8u32, 16] {
            let code = preprocess(source("gemm"), &Variant::storage(false).with("VEC4"));
            let name = format!("wsimt_256_128_128_{tk}");
            let module = unsafe {
                device.create_shader_module_trusted(
                    wgpu::ShaderModuleDescriptor {
                        label: Some(&name),
                        source: wgpu::ShaderSource::Wgsl(code.into()),
                    },
                    wgpu::ShaderRuntimeChecks::unchecked(),
                )
            };
            kernels.push((name, 256, 128, 128, module));
        }
        for _round in 0..rounds {
        for (stem, _wg, bm, bn, module) in &kernels {
            let (stem, bm, bn) = (stem.clone(), *bm, *bn);
            let out16 = false;
            let simt = stem.contains("simt");
            let bg = if simt { &bg32 } else { &bg_n };
            let tk: f64 = stem.rsplit('_').next().and_then(|t| t.parse().ok()).unwrap_or(0.0);
            let wsimt = stem.starts_with("wsimt");
            let consts = [("TK", tk)];
            let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
            let pipe = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&stem),
                layout: Some(&pl),
                module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: if wsimt { &consts } else { &[] },
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
            if let Some(e) = pollster::block_on(scope.pop()) {
                println!("{stem}: pipeline error {e}");
                continue;
            }
            let groups = ((n as u32).div_ceil(bn), (m as u32).div_ceil(bm));
            let qs = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: None,
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let qb = device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let qr = device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: 16,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let run = |reps: usize, timed: bool| {
                let mut enc = device.create_command_encoder(&Default::default());
                {
                    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: None,
                        timestamp_writes: timed.then(|| wgpu::ComputePassTimestampWrites {
                            query_set: &qs,
                            beginning_of_pass_write_index: Some(0),
                            end_of_pass_write_index: Some(1),
                        }),
                    });
                    pass.set_pipeline(&pipe);
                    pass.set_bind_group(0, bg, &[]);
                    for _ in 0..reps {
                        pass.dispatch_workgroups(groups.0, groups.1, 1);
                    }
                }
                if timed {
                    enc.resolve_query_set(&qs, 0..2, &qb, 0);
                    enc.copy_buffer_to_buffer(&qb, 0, &qr, 0, 16);
                }
                queue.submit([enc.finish()]);
                device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
            };
            // Warm the clocks up: ~0.4 s of back-to-back work.
            let t0 = std::time::Instant::now();
            while t0.elapsed().as_secs_f64() < 0.4 {
                run(20, false);
            }
            let mut times = vec![];
            for _ in 0..5 {
                let reps = 20;
                run(reps, true);
                qr.slice(..).map_async(wgpu::MapMode::Read, |_| {});
                device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
                let ts: Vec<u64> =
                    bytemuck::pod_collect_to_vec(&qr.slice(..).get_mapped_range().unwrap());
                qr.unmap();
                times.push((ts[1] - ts[0]) as f64 * period / 1e6 / reps as f64);
            }
            times.sort_by(f64::total_cmp);
            let ms = times[2];
            // Check.
            let mut enc = device.create_command_encoder(&Default::default());
            enc.clear_buffer(&cb, 0, None);
            queue.submit([enc.finish()]);
            run(1, false);
            let mut enc = device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(&cb, 0, &rb, 0, cbytes);
            queue.submit([enc.finish()]);
            rb.slice(..).map_async(wgpu::MapMode::Read, |_| {});
            device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
            let c: Vec<f32> = if out16 {
                let h: Vec<half::f16> = bytemuck::pod_collect_to_vec(
                    &rb.slice(..).get_mapped_range().unwrap()[..m * n * 2],
                );
                h.iter().map(|v| v.to_f32()).collect()
            } else {
                bytemuck::pod_collect_to_vec(&rb.slice(..).get_mapped_range().unwrap())
            };
            rb.unmap();
            let mut bad = 0;
            for (ri, &r) in rows.iter().enumerate() {
                for col in 0..n {
                    let want = reference[ri][col];
                    let tol = if out16 {
                        2e-3 * want.abs().max(1.0)
                    } else {
                        0.0
                    };
                    if (c[r * n + col] - want).abs() > tol {
                        bad += 1;
                    }
                }
            }
            let tf = 2.0 * (m * n * k) as f64 / (ms * 1e-3) / 1e12;
            println!(
                "{m}x{n}x{k} {stem}: {ms:.4} ms {tf:.1} TFLOP/s, mismatches {bad} of {}",
                rows.len() * n
            );
        }
        }
    }
}
