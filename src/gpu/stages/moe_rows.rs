//! Host side of `shaders/moe_rows.wgsl`: the dense-router MoE layer's gather of token rows into
//! per-expert segments and its weighted combine back per token.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;

/// moe_gather: row `pos[p]` of `dst` = row `token[p]` of `x`, for `pairs` pairs of rows `h` wide.
pub fn moe_gather<'a>(
    rec: &mut Recorder<'a>,
    (pairs, h): (u32, u32),
    x: Bind<'a>,
    token: Bind<'a>,
    pos: Bind<'a>,
    dst: Bind<'a>,
) {
    let label = "moe_rows";
    let v = Variant::default().with("GATHER");
    let binds = vec![(1, x), (2, token), (3, pos), (4, dst)];
    let groups = rec.fold((pairs * h).div_ceil(256));
    rec.dispatch(label, label, "gather", &v, &[pairs, h], binds, groups);
}

/// moe_combine: `y[t] = Σ_p weight[p] · rows[pos[p]]` over token t's pairs `offsets[t] .. offsets[t+1]`,
/// in pair order, for `t` tokens of rows `h` wide.
#[allow(clippy::too_many_arguments)]
pub fn moe_combine<'a>(
    rec: &mut Recorder<'a>,
    (t, h): (u32, u32),
    rows: Bind<'a>,
    offsets: Bind<'a>,
    weight: Bind<'a>,
    pos: Bind<'a>,
    y: Bind<'a>,
) {
    let label = "moe_rows";
    let v = Variant::default().with("COMBINE");
    let binds = vec![(1, rows), (2, offsets), (3, weight), (4, pos), (5, y)];
    rec.dispatch(label, label, "combine", &v, &[t, h], binds, rec.fold(t));
}
