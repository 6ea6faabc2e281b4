//! How much of the device a layer takes: the tokens per chunk its bindings and `max_device_bytes` allow,
//! and its footprint, planned before anything is allocated.

use super::*;

/// Tokens per chunk are a multiple of this, so that every chunk's offset into the per-token buffers (x and
/// y: H elements of 2 or 4 bytes a token; router scores and indices: K of 4) meets the adapter's storage
/// offset alignment (a power of two, 256 on most).
pub(super) fn chunk_align(ctx: &Context, c: &OmniMoeConfig, f16: bool) -> usize {
    let es = elem_size(f16) as usize;
    let rows = [
        c.hidden_size * es,
        c.hidden_size * 4,
        c.num_experts_per_token * 4,
    ];
    buffers::aligned_rows(ctx, rows)
}

impl OmniMoeLayer<'_> {
    /// Largest chunk of tokens whose buffers all fit the adapter's binding size.
    pub(super) fn chunk_tokens(
        ctx: &Context,
        c: &OmniMoeConfig,
        f16: bool,
        cap: Option<usize>,
    ) -> Result<usize> {
        let binding = ctx.binding_bytes();
        let (h, i, k, r) = (
            c.hidden_size,
            c.intermediate_size,
            c.num_experts_per_token,
            c.grid(),
        );
        let es = elem_size(f16) as usize;
        let widest_row = [h * es, h * 4, i * es, 2 * r * 4, k * 4]
            .into_iter()
            .max()
            .unwrap() as u64;
        let by_binding = (binding / widest_row) as usize;
        let by_radix = (stages::MAX_SCAN as usize / 256) * 1024 / k;
        let groups = ctx
            .limits
            .max_compute_workgroups_per_dimension
            .clamp(1, stages::MAX_GROUPS);
        let by_grid = groups as usize * 128;
        let limit = by_binding
            .min(by_radix)
            .min(by_grid)
            .min(cap.unwrap_or(usize::MAX));
        let align = chunk_align(ctx, c, f16);
        let chunk = limit / align * align;
        if chunk == 0 {
            return Err(Error::Limit {
                what: format!("tokens per chunk (a row of {widest_row} bytes)"),
                needed: align as u64,
                allowed: limit as u64,
            });
        }
        Ok(chunk)
    }

    /// The layer's device memory by part, as planned before allocating.
    pub fn footprint(&self) -> Footprint {
        self.footprint
    }

    /// The footprint a layer of `config` would have on `ctx` with `options`, without allocating; fails as
    /// [`Self::new`] would when it cannot fit `max_device_bytes` or the adapter's bindings.
    pub fn plan(
        ctx: &Context,
        config: &OmniMoeConfig,
        options: &LayerOptions,
    ) -> Result<Footprint> {
        Self::plan_with(ctx, config, options.precision == Precision::F16, options)
    }

    /// The token chunk (bindings, then `max_device_bytes`) and the footprint with it.
    pub(super) fn plan_with(
        ctx: &Context,
        c: &OmniMoeConfig,
        f16: bool,
        options: &LayerOptions,
    ) -> Result<Footprint> {
        let mut chunk = Self::chunk_tokens(ctx, c, f16, options.max_chunk_tokens)?;
        let mut plan = footprint(c, f16, chunk);
        if let Some(max) = options.max_device_bytes {
            let align = chunk_align(ctx, c, f16);
            let least = plan.weights + plan.scratch_fixed + plan.scratch_per_token * align as u64;
            if least > max {
                return Err(Error::Limit {
                    what: format!(
                        "device memory (max_device_bytes): weights {} B + scratch for {align} \
                         tokens {} B",
                        plan.weights,
                        least - plan.weights
                    ),
                    needed: least,
                    allowed: max,
                });
            }
            let room = (max - plan.weights - plan.scratch_fixed) / plan.scratch_per_token;
            chunk = chunk.min(room as usize / align * align);
            plan = footprint(c, f16, chunk);
        }
        Ok(plan)
    }
}
