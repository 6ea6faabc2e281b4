//! Probe: NVIDIA cooperative-matrix-2 GEMMs through SPIR-V passthrough (dev experiment).
//! `nv_cm2_probe DIR`: runs every `DIR/gemm_cm2_WG_BM_BN_BK.spv` at the layer's two GEMM shapes.

use ash::vk;
use std::borrow::Cow;
use std::ffi::c_void;
use wgpu::hal::api::Vulkan;

#[repr(C)]
struct Cm2Features {
    s_type: vk::StructureType,
    p_next: *mut c_void,
    flags: [vk::Bool32; 7],
}

#[repr(C)]
struct Cm2Properties {
    s_type: vk::StructureType,
    p_next: *mut c_void,
    workgroup_scope_max_workgroup_size: u32,
    flexible_dimensions_max_dimension: u32,
    workgroup_scope_reserved_shared_memory: u32,
}

const CM2: &std::ffi::CStr = c"VK_NV_cooperative_matrix2";

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
    let hal = unsafe { adapter.as_hal::<Vulkan>() }.expect("vulkan");
    let raw = hal.shared_instance().raw_instance();
    let phd = hal.raw_physical_device();
    let exts = unsafe { raw.enumerate_device_extension_properties(phd) }.unwrap();
    let names: Vec<String> = exts
        .iter()
        .map(|e| {
            e.extension_name_as_c_str()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for n in names
        .iter()
        .filter(|n| n.contains("cooperative") || n.contains("NV_"))
    {
        println!("  ext {n}");
    }
    if !names.iter().any(|n| n == "VK_NV_cooperative_matrix2") {
        println!("no VK_NV_cooperative_matrix2");
        return;
    }
    let mut f = Cm2Features {
        s_type: vk::StructureType::from_raw(1000593000),
        p_next: std::ptr::null_mut(),
        flags: [0; 7],
    };
    let mut f2 = vk::PhysicalDeviceFeatures2::default();
    f2.p_next = &mut f as *mut _ as *mut c_void;
    unsafe { raw.get_physical_device_features2(phd, &mut f2) };
    let mut pr = Cm2Properties {
        s_type: vk::StructureType::from_raw(1000593002),
        p_next: std::ptr::null_mut(),
        workgroup_scope_max_workgroup_size: 0,
        flexible_dimensions_max_dimension: 0,
        workgroup_scope_reserved_shared_memory: 0,
    };
    let mut p2 = vk::PhysicalDeviceProperties2::default();
    p2.p_next = &mut pr as *mut _ as *mut c_void;
    unsafe { raw.get_physical_device_properties2(phd, &mut p2) };
    println!(
        "cm2 features {:?}; max wg {} flex dim {} reserved smem {}; smem limit {}",
        f.flags,
        pr.workgroup_scope_max_workgroup_size,
        pr.flexible_dimensions_max_dimension,
        pr.workgroup_scope_reserved_shared_memory,
        p2.properties.limits.max_compute_shared_memory_size
    );

    let features = wgpu::Features::SHADER_F16
        | wgpu::Features::TIMESTAMP_QUERY
        | wgpu::Features::PASSTHROUGH_SHADERS
        | wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX;
    let limits = adapter.limits();
    let feat_box = Box::new(Cm2Features {
        s_type: f.s_type,
        p_next: std::ptr::null_mut(),
        flags: f.flags,
    });
    let fp = Box::into_raw(feat_box);
    let open = unsafe {
        hal.open_with_callback(
            features,
            &limits,
            &wgpu::MemoryHints::Performance,
            Some(Box::new(
                move |args: wgpu::hal::vulkan::CreateDeviceCallbackArgs| {
                    args.extensions.push(CM2);
                    (*fp).p_next = args.create_info.p_next as *mut c_void;
                    args.create_info.p_next = fp as *const c_void;
                },
            )),
        )
    }
    .expect("open");
    drop(hal);
    let (device, queue) = unsafe {
        adapter.create_device_from_hal(
            open,
            &wgpu::DeviceDescriptor {
                label: Some("cm2"),
                required_features: features,
                required_limits: limits,
                experimental_features: wgpu::ExperimentalFeatures::enabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            },
        )
    }
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
    let shapes = [
        (4096usize, 8320usize, 1024usize),
        (4096, 1024, 4096),
        (250, 300, 136),
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
        let params = [m as u32, n as u32, k as u32, 0];
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
        let (bg_n, bg_t) = (bind(&bb), bind(&btb));
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
        for file in &files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let dims: Vec<u32> = stem.split('_').filter_map(|s| s.parse().ok()).collect();
            let (wg, bm, bn) = (dims[0], dims[1], dims[2]);
            if stem.ends_with("_s") && (m % bm as usize != 0 || n % bn as usize != 0) && m < 1000 {
                continue;
            }
            let flags = stem.rsplit('_').next().unwrap_or("").to_string();
            let out16 = flags.contains('h');
            let bg = if flags.contains('t') { &bg_t } else { &bg_n };
            let bytes = std::fs::read(file).unwrap();
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes);
            let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
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
            let pipe = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&stem),
                layout: Some(&pl),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
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
