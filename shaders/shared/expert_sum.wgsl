// expert_sum: what expert_combine.wgsl and expert_token.wgsl share: a token's expert branch summed in slot
// order from its K weights and expert ids staged in workgroup memory, and the bindings of V (`down`, 5) and
// of the expert branch (`sparse`, 6; vec4 arrays with VEC4, H % 4 == 0). The importer declares `p` (fields
// h and k) and the workgroup arrays `weight`, `expert`.
//
// Where the branch goes: by default it is stored (f32); with ADD it is added to what binding 6 holds (the
// layer's f32 output, the down projection already in it); with ADD_ELEM binding 6 is the output in the
// storage type and gets base + branch, base (binding 7, f32) holding the down projection. Either way the
// output is the down projection's accumulator plus the branch, one f32 addition: the same bits as the
// down GEMM adding the stored branch in its epilogue. The ADD variants are never RAGGED.
//
// With PARTIAL (and ADD or ADD_ELEM) the down projection arrives as its split-K partial products
// (binding 7, f32, `p.ranges` ranges `p.zstride` output elements apart) instead: their sum over the ranges
// in range order from zero, what gemm_reduce would have stored, is the base. The same bits again, and one
// pass fewer before the expert stage. PERMUTED: the SIMT kernel's partial products, their columns permuted
// within groups of 32 (see `range_at` below).

const WG: u32 = 256u;

#if VEC4
alias vrow = vec4<elem>;
alias srow = vec4<f32>;
#else
alias vrow = elem;
alias srow = f32;
#endif
@group(0) @binding(5) var<storage, read> down: array<vrow>;
#if ADD_ELEM
#if VEC4
alias orow = vec4<elem>;
#else
alias orow = elem;
#endif
@group(0) @binding(6) var<storage, read_write> sparse: array<orow>;
#else
@group(0) @binding(6) var<storage, read_write> sparse: array<srow>;
#endif
#if PARTIAL
#if PERMUTED
// The SIMT kernel's partial products, their columns where perm_col puts them (H % 32 == 0, so the
// groups of the flattened index are the rows' groups).
@group(0) @binding(7) var<storage, read> base: array<f32>;

#import perm_col

// Element i (in srow units) of range z, from its scattered columns.
fn range_at(z: u32, i: u32) -> srow {
#if VEC4
    let o = z * p.zstride * 4u;
    let f = 4u * i;
    return vec4<f32>(
        base[o + perm_col(f)],
        base[o + perm_col(f + 1u)],
        base[o + perm_col(f + 2u)],
        base[o + perm_col(f + 3u)],
    );
#else
    return base[z * p.zstride + perm_col(i)];
#endif
}
#else
@group(0) @binding(7) var<storage, read> base: array<srow>;

// Element i of range z.
fn range_at(z: u32, i: u32) -> srow {
    return base[z * p.zstride + i];
}
#endif
#else
#if ADD_ELEM
@group(0) @binding(7) var<storage, read> base: array<srow>;
#endif
#endif

// What the branch is added to at element i: the down projection's output, base[i] or the y it is in,
// or (PARTIAL) the sum of its partial products in range order from zero, as gemm_reduce adds them (four
// ranges' loads in flight at a time, the additions in the same order); zero for the stored branch.
// Read before the branch is summed, so its loads overlap the experts'.
fn base_at(i: u32) -> srow {
#if PARTIAL
    var s = srow(0.0);
    var z = 0u;
    for (; z + 4u <= p.ranges; z += 4u) {
        let b0 = range_at(z, i);
        let b1 = range_at(z + 1u, i);
        let b2 = range_at(z + 2u, i);
        let b3 = range_at(z + 3u, i);
        s += b0;
        s += b1;
        s += b2;
        s += b3;
    }
    for (; z < p.ranges; z++) {
        s += range_at(z, i);
    }
    return s;
#else
#if ADD_ELEM
    return base[i];
#else
#if ADD
    return sparse[i];
#else
    return srow(0.0);
#endif
#endif
#endif
}

// The branch's value at element i of the output, `b` = base_at(i), by variant (see above).
fn emit(i: u32, b: srow, acc: srow) {
#if ADD_ELEM
    sparse[i] = orow(b + acc);
#else
#if ADD
    sparse[i] = b + acc;
#else
    sparse[i] = acc;
#endif
#endif
}

// What a ragged token's next batch of pairs starts from (never asked of the ADD variants).
fn carried(i: u32) -> srow {
#if ADD_ELEM
    return srow(0.0);
#else
    return sparse[i];
#endif
}

// Element i of row e of V; with SPLIT (SPLIT16) over up to 8 (16) bindings of DOWN_PER experts (`down`,
// then 30 + j for range j), as up_at in expert_dot.wgsl.
#if SPLIT
override DOWN_PER: u32;
@group(0) @binding(31) var<storage, read> down1: array<vrow>;
@group(0) @binding(32) var<storage, read> down2: array<vrow>;
@group(0) @binding(33) var<storage, read> down3: array<vrow>;
@group(0) @binding(34) var<storage, read> down4: array<vrow>;
@group(0) @binding(35) var<storage, read> down5: array<vrow>;
@group(0) @binding(36) var<storage, read> down6: array<vrow>;
@group(0) @binding(37) var<storage, read> down7: array<vrow>;
#if SPLIT16
@group(0) @binding(38) var<storage, read> down8: array<vrow>;
@group(0) @binding(39) var<storage, read> down9: array<vrow>;
@group(0) @binding(40) var<storage, read> down10: array<vrow>;
@group(0) @binding(41) var<storage, read> down11: array<vrow>;
@group(0) @binding(42) var<storage, read> down12: array<vrow>;
@group(0) @binding(43) var<storage, read> down13: array<vrow>;
@group(0) @binding(44) var<storage, read> down14: array<vrow>;
@group(0) @binding(45) var<storage, read> down15: array<vrow>;
#endif

fn down_at(e: u32, row: u32, i: u32) -> vrow {
    let part = e / DOWN_PER;
    let o = (e - part * DOWN_PER) * row + i;
    switch part {
        case 0u: { return down[o]; }
#if SPLIT16
        case 1u: { return down1[o]; }
        case 2u: { return down2[o]; }
        case 3u: { return down3[o]; }
        case 4u: { return down4[o]; }
        case 5u: { return down5[o]; }
        case 6u: { return down6[o]; }
        case 7u: { return down7[o]; }
        case 8u: { return down8[o]; }
        case 9u: { return down9[o]; }
        case 10u: { return down10[o]; }
        case 11u: { return down11[o]; }
        case 12u: { return down12[o]; }
        case 13u: { return down13[o]; }
        case 14u: { return down14[o]; }
        default: { return down15[o]; }
#else
        case 1u: { return down1[o]; }
        case 2u: { return down2[o]; }
        case 3u: { return down3[o]; }
        case 4u: { return down4[o]; }
        case 5u: { return down5[o]; }
        case 6u: { return down6[o]; }
        default: { return down7[o]; }
#endif
    }
}
#else
fn down_at(e: u32, row: u32, i: u32) -> vrow {
    return down[e * row + i];
}
#endif

// sparse[t, c] = Σ_{k = 0..n} weight[k] · v_{expert[k]}[c] for this invocation's columns c = li, li + 256, …
// (4-column chunks with VEC4: four independent sums in the same order, loading four experts' rows before
// adding them). With `carry` the sums start from sparse[t, c] (a ragged token's next batch of pairs: the
// same chain of fmas as one batch, so the same bits).
fn sum_experts(t: u32, li: u32, n: u32, carry: bool) {
#if VEC4
    sum_expert_columns(t, li, n, carry, vec2<u32>(0u, p.h / 4u));
#else
    sum_expert_columns(t, li, n, carry, vec2<u32>(0u, p.h));
#endif
}

// The columns (in srow units) of slice `s` of `slices`: equal runs in order, the last ones shorter or empty.
fn slice_columns(s: u32, slices: u32) -> vec2<u32> {
#if VEC4
    let width = p.h / 4u;
#else
    let width = p.h;
#endif
    let per = (width + slices - 1u) / slices;
    let c0 = min(width, s * per);
    return vec2<u32>(c0, min(width, c0 + per));
}

// A token's branch over slice `s` of `slices` of its columns: with SPREAD from V an element an
// invocation, else a column an invocation. The same sums either way. Call from uniform control flow.
fn sum_expert_slice(t: u32, li: u32, n: u32, s: u32, slices: u32) {
    let cols = slice_columns(s, slices);
#if SPREAD
    sum_expert_columns_spread(t, li, n, cols);
#else
    sum_expert_columns(t, li, n, false, cols);
#endif
}

// sum_experts over the columns cols.x .. cols.y only (4-column chunks with VEC4): the same sums.
fn sum_expert_columns(t: u32, li: u32, n: u32, carry: bool, cols: vec2<u32>) {
#if VEC4
    let h4 = p.h / 4u;
    let k4 = n / 4u * 4u;
    for (var c = cols.x + li; c < cols.y; c += WG) {
        let b = base_at(t * h4 + c);
        var acc = vec4<f32>(0.0);
        if (carry) {
            acc = carried(t * h4 + c);
        }
        for (var k = 0u; k < k4; k += 4u) {
            let v0 = vec4<f32>(down_at(expert[k], h4, c));
            let v1 = vec4<f32>(down_at(expert[k + 1u], h4, c));
            let v2 = vec4<f32>(down_at(expert[k + 2u], h4, c));
            let v3 = vec4<f32>(down_at(expert[k + 3u], h4, c));
            acc = fma(vec4<f32>(weight[k]), v0, acc);
            acc = fma(vec4<f32>(weight[k + 1u]), v1, acc);
            acc = fma(vec4<f32>(weight[k + 2u]), v2, acc);
            acc = fma(vec4<f32>(weight[k + 3u]), v3, acc);
        }
        for (var k = k4; k < n; k++) {
            acc = fma(vec4<f32>(weight[k]), vec4<f32>(down_at(expert[k], h4, c)), acc);
        }
        emit(t * h4 + c, b, acc);
    }
#else
    for (var c = cols.x + li; c < cols.y; c += WG) {
        let b = base_at(t * p.h + c);
        var acc = 0.0;
        if (carry) {
            acc = carried(t * p.h + c);
        }
        for (var k = 0u; k < n; k++) {
            acc = fma(weight[k], f32(down_at(expert[k], p.h, c)), acc);
        }
        emit(t * p.h + c, b, acc);
    }
#endif
}

#if SPREAD
// SPREAD (router_experts, and expert_token in slices: a few columns a workgroup): sum_expert_columns
// with each (column, expert) element of V loaded by an invocation of its own, so that a slice's loads
// are all in flight at once, then each column's sum by one invocation: the same chain of fmas in slot
// order, so the same bits. With PARTIAL each (column, range) element of the down projection's partial
// products likewise, added in range order from zero as base_at adds them (ranges ≤ WG). WG / max(n,
// ranges) columns a round. Call from uniform control flow (cols uniform).
var<workgroup> spread: array<srow, WG>;
#if PARTIAL
var<workgroup> spread_base: array<srow, WG>;
#endif

// Row length of V in srow units.
fn spread_row() -> u32 {
#if VEC4
    return p.h / 4u;
#else
    return p.h;
#endif
}

// Columns a round of sum_expert_columns_spread for n experts: WG / max(n, ranges).
fn spread_per(n: u32) -> u32 {
    var per = max(1u, WG / n);
#if PARTIAL
    per = min(per, max(1u, WG / p.ranges));
#endif
    return per;
}

#if PRE_V
// PRE_V (router_experts): the first round's element of V, loaded by `spread_first` once the choice is
// known, before the expert weights (it depends only on the choice), and staged by the first round in
// place of its load: the same value, so the same bits.
var<private> pre_v: srow;

// This invocation's (column, expert) element of V in the first round over `cols` (zero where it has none).
fn spread_first(li: u32, n: u32, cols: vec2<u32>) -> srow {
    let col = li / n;
    let k = li - col * n;
    if (col < spread_per(n) && cols.x + col < cols.y) {
        return srow(down_at(expert[k], spread_row(), cols.x + col));
    }
    return srow(0.0);
}
#endif

fn sum_expert_columns_spread(t: u32, li: u32, n: u32, cols: vec2<u32>) {
    let row = spread_row();
    let per = spread_per(n);
#if PARTIAL
    let bcol = li / p.ranges;
    let z = li - bcol * p.ranges;
#endif
    let col = li / n;
    let k = li - col * n;
    for (var c0 = cols.x; c0 < cols.y; c0 += per) {
        if (col < per && c0 + col < cols.y) {
#if PRE_V
            if (c0 == cols.x) {
                spread[li] = pre_v;
            } else {
                spread[li] = srow(down_at(expert[k], row, c0 + col));
            }
#else
            spread[li] = srow(down_at(expert[k], row, c0 + col));
#endif
        }
#if PARTIAL
        if (bcol < per && c0 + bcol < cols.y) {
            spread_base[li] = range_at(z, t * row + c0 + bcol);
        }
#endif
        workgroupBarrier();
        if (li < per && c0 + li < cols.y) {
            var acc = srow(0.0);
            for (var j = 0u; j < n; j++) {
                acc = fma(srow(weight[j]), spread[li * n + j], acc);
            }
            let i = t * row + c0 + li;
#if PARTIAL
            var b = srow(0.0);
            for (var j = 0u; j < p.ranges; j++) {
                b += spread_base[li * p.ranges + j];
            }
#else
            let b = base_at(i);
#endif
            emit(i, b, acc);
        }
        workgroupBarrier();
    }
}
#endif
