//! Recording of dispatches: each stage's launcher appends its pipeline, bindings, uniform parameters and
//! workgroup counts to a [`Recorder`]; [`Recorder::freeze`] builds the parameter buffer and bind groups
//! once, and the frozen recording encodes into any command encoder, as one compute pass or (profiling) one
//! timed pass per stage.

use std::sync::Arc;

use super::buffers::Bind;
use super::context::Context;
use super::pipelines::Variant;

/// Uniform parameters of one dispatch live in a 256-byte slot (the largest offset alignment WebGPU allows).
const SLOT: u64 = 256;
/// Most workgroups per dispatch dimension that every adapter supports.
pub const MAX_GROUPS: u32 = 65535;

struct Dispatch<'a> {
    label: &'static str,
    pipeline: Arc<wgpu::ComputePipeline>,
    binds: Vec<(u32, Bind<'a>)>,
    slot: u64,
    groups: [u32; 3],
    /// Buffers made read-only storage just before this dispatch ([`Recorder::readable_from_next`]).
    readable: Vec<&'a wgpu::Buffer>,
}

/// Dispatches of one submission, in order.
pub struct Recorder<'a> {
    ctx: &'a Context,
    params: Vec<u8>,
    dispatches: Vec<Dispatch<'a>>,
    readable: Vec<&'a wgpu::Buffer>,
}

/// GPU timestamps of the passes of one submission.
pub struct PassTimes {
    /// Stage label of each pass, in order.
    pub labels: Vec<&'static str>,
    query_set: wgpu::QuerySet,
    resolved: wgpu::Buffer,
}

impl PassTimes {
    /// Milliseconds per pass, and from the first pass's start to the last one's end, once the submission
    /// completed.
    pub async fn read(&self, ctx: &Context) -> crate::Result<(Vec<(&'static str, f64)>, f64)> {
        let n = self.labels.len();
        let bytes = super::buffers::read_back(ctx, &self.resolved, 0, 16 * n as u64).await?;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        let period = ctx.queue.get_timestamp_period() as f64;
        let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 * period * 1e-6;
        let passes = (0..n)
            .map(|i| (self.labels[i], ms(ticks[2 * i], ticks[2 * i + 1])))
            .collect();
        Ok((passes, ms(ticks[0], ticks[2 * n - 1])))
    }
}

/// Workgroup counts for `n` workgroups, folded into y when `n` exceeds one dimension.
pub fn fold(n: u32) -> [u32; 3] {
    [n.min(MAX_GROUPS), n.div_ceil(MAX_GROUPS), 1]
}

impl<'a> Recorder<'a> {
    /// An empty recording.
    pub fn new(ctx: &'a Context) -> Self {
        Recorder {
            ctx,
            params: Vec::new(),
            dispatches: Vec::new(),
            readable: Vec::new(),
        }
    }

    /// Makes `buffer` read-only storage from the next dispatch recorded on, as if that dispatch read it.
    ///
    /// wgpu puts a barrier before a dispatch whose bindings change state (written, now read): on Vulkan
    /// that barrier waits for every dispatch before it. A dispatch that only reads buffers already in
    /// read-only state and writes buffers the command buffer has not used gets no barrier, so it runs
    /// beside the dispatch before it. Moving a buffer's change of state onto an earlier dispatch that
    /// waits anyway is how a later reader of it comes to need no barrier of its own: the layer makes the
    /// SwiGLU output readable at the router, so the down projection runs beside the router. Native only
    /// (WebGPU orders dispatches itself); the results are the same with or without it.
    pub fn readable_from_next(&mut self, buffer: &'a wgpu::Buffer) {
        self.readable.push(buffer);
    }

    /// The context recorded for.
    pub fn ctx(&self) -> &'a Context {
        self.ctx
    }

    /// Workgroup counts for `n` workgroups, folded into y beyond the context's planning limit per
    /// dimension (the device's, or lower with `ContextOptions::max_workgroups_per_dimension`).
    pub fn fold(&self, n: u32) -> [u32; 3] {
        let most = self
            .ctx
            .limits
            .max_compute_workgroups_per_dimension
            .clamp(1, MAX_GROUPS);
        [n.min(most), n.div_ceil(most), 1]
    }

    /// Appends one dispatch of `entry` in `stage`; `params` fill the shader's uniform `p`.
    #[allow(clippy::too_many_arguments)]
    pub fn dispatch(
        &mut self,
        label: &'static str,
        stage: &'static str,
        entry: &'static str,
        variant: &Variant,
        params: &[u32],
        binds: Vec<(u32, Bind<'a>)>,
        groups: [u32; 3],
    ) {
        if groups.contains(&0) {
            return;
        }
        let mut variant = variant.clone();
        variant.browser = self.ctx.caps.browser;
        let pipeline = self
            .ctx
            .pipelines
            .get(&self.ctx.device, stage, entry, &variant);
        let slot = self.params.len() as u64;
        let mut block = [0u32; (SLOT / 4) as usize];
        block[..params.len()].copy_from_slice(params);
        self.params.extend_from_slice(bytemuck::cast_slice(&block));
        self.dispatches.push(Dispatch {
            label,
            pipeline,
            binds,
            slot,
            groups,
            readable: std::mem::take(&mut self.readable),
        });
    }

    /// Builds the parameter buffer and every bind group once: a recording that can be encoded again and
    /// again with no host work but the encoding itself.
    pub fn freeze(self) -> Frozen {
        let device = &self.ctx.device;
        // Written through the queue rather than mapped at creation: on a lost device that is an error
        // the caller's scopes catch, not a panic.
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: (self.params.len() as u64).max(SLOT),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.ctx.queue.write_buffer(&uniform, 0, &self.params);
        let dispatches = self
            .dispatches
            .iter()
            .map(|d| {
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &uniform,
                        offset: d.slot,
                        size: wgpu::BufferSize::new(SLOT),
                    }),
                }];
                entries.extend(d.binds.iter().map(|(binding, b)| wgpu::BindGroupEntry {
                    binding: *binding,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: b.buffer,
                        offset: b.offset,
                        size: b.size.and_then(wgpu::BufferSize::new),
                    }),
                }));
                let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(d.label),
                    layout: &d.pipeline.get_bind_group_layout(0),
                    entries: &entries,
                });
                FrozenDispatch {
                    label: d.label,
                    pipeline: d.pipeline.clone(),
                    group,
                    groups: d.groups,
                    readable: d.readable.iter().map(|&b| b.clone()).collect(),
                }
            })
            .collect();
        Frozen {
            dispatches,
            _uniform: uniform,
        }
    }

    /// Encodes the dispatches (see [`Frozen::encode`]); with `timestamps`, one timed pass per stage.
    pub fn encode(self, encoder: &mut wgpu::CommandEncoder, timestamps: bool) -> Option<PassTimes> {
        let ctx = self.ctx;
        let timing = if timestamps {
            Timing::PerStage
        } else {
            Timing::Off
        };
        self.freeze().encode(ctx, encoder, timing)
    }
}

/// What GPU timestamps a [`Frozen::encode`] records (where the adapter has TIMESTAMP_QUERY).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// None: all dispatches in one compute pass.
    Off,
    /// The start and end of that one pass: the whole recording's GPU time, undisturbed.
    Total,
    /// One timed pass per run of dispatches with the same label (per stage); the pass boundaries and
    /// timestamps themselves cost a few microseconds each.
    PerStage,
}

struct FrozenDispatch {
    label: &'static str,
    pipeline: Arc<wgpu::ComputePipeline>,
    group: wgpu::BindGroup,
    groups: [u32; 3],
    readable: Vec<wgpu::Buffer>,
}

/// A recording with its parameter buffer and bind groups built ([`Recorder::freeze`]).
pub struct Frozen {
    dispatches: Vec<FrozenDispatch>,
    _uniform: wgpu::Buffer,
}

impl Frozen {
    /// Encodes the dispatches into `encoder`: in one compute pass (wgpu puts a barrier between dependent
    /// dispatches), or with [`Timing::PerStage`] one timed pass per run of equal labels.
    pub fn encode(
        &self,
        ctx: &Context,
        encoder: &mut wgpu::CommandEncoder,
        timing: Timing,
    ) -> Option<PassTimes> {
        if self.dispatches.is_empty() {
            return None;
        }
        let timing = if ctx.caps.timestamp_query {
            timing
        } else {
            Timing::Off
        };
        let per_stage = timing == Timing::PerStage;
        let timestamps = timing != Timing::Off;
        let mut runs: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
        for (i, d) in self.dispatches.iter().enumerate() {
            match runs.last_mut() {
                Some((l, r)) if *l == d.label || !per_stage => r.end = i + 1,
                _ => runs.push((if per_stage { d.label } else { "forward" }, i..i + 1)),
            }
        }
        let device = &ctx.device;
        let times = timestamps.then(|| {
            let n = runs.len() as u32 * 2;
            PassTimes {
                labels: runs.iter().map(|r| r.0).collect(),
                query_set: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("pass times"),
                    ty: wgpu::QueryType::Timestamp,
                    count: n,
                }),
                resolved: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("pass times"),
                    size: n as u64 * 8,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                }),
            }
        });
        for (pass_index, (label, range)) in runs.iter().enumerate() {
            let q = pass_index as u32 * 2;
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: times.as_ref().map(|t| wgpu::ComputePassTimestampWrites {
                    query_set: &t.query_set,
                    beginning_of_pass_write_index: Some(q),
                    end_of_pass_write_index: Some(q + 1),
                }),
            });
            for d in &self.dispatches[range.clone()] {
                if !d.readable.is_empty() {
                    pass.transition_resources(
                        d.readable.iter().map(|buffer| wgpu::BufferTransition {
                            buffer,
                            state: wgpu::BufferUses::STORAGE_READ_ONLY,
                        }),
                        std::iter::empty(),
                    );
                }
                pass.set_pipeline(&d.pipeline);
                pass.set_bind_group(0, &d.group, &[]);
                pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
            }
        }
        if let Some(t) = &times {
            encoder.resolve_query_set(&t.query_set, 0..runs.len() as u32 * 2, &t.resolved, 0);
        }
        times
    }
}
