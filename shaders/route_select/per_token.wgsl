// route_select's per-token entry points, `count`, `compact` and `order`, and what they share (see
// route_select.wgsl, which imports this file last).

#if TOKENS
#if MASKED
fn kept(t: u32, j: u32) -> bool {
    return keep[t * p.m + j] != 0u;
}
#else
// Whether candidate j of token t is kept.
fn kept(t: u32, j: u32) -> bool {
    let g = t / p.s;
    if (valid[t] == 0u || state[4u * g + 3u] == 0u) {
        return false;
    }
    let k = key_of(t, j, (t - g * p.s) * p.m + j);
    let prefix = vec2<u32>(state[4u * g], state[4u * g + 1u]);
    return k.x > prefix.x || (k.x == prefix.x && k.y >= prefix.y);
}
#endif

var<workgroup> run: array<u32, 256>;

// Candidates per invocation: each takes PER consecutive candidates (M ≤ 256·PER).
fn per_invocation() -> u32 {
    return (p.m + WG - 1u) / WG;
}

// Kept candidates li·PER .. li·PER + PER − 1 of token t, as bits.
fn kept_bits(t: u32, li: u32) -> u32 {
    let per = per_invocation();
    var bits = 0u;
    for (var q = 0u; q < per; q++) {
        let j = per * li + q;
        if (j < p.m && kept(t, j)) {
            bits |= 1u << q;
        }
    }
    return bits;
}

// Inclusive scan of run[0..256) (Hillis–Steele); every invocation's own result.
fn scan_run(li: u32, v: u32) -> u32 {
    run[li] = v;
    var acc = v;
    for (var s = 1u; s < WG; s <<= 1u) {
        workgroupBarrier();
        if (li >= s) {
            acc += run[li - s];
        }
        workgroupBarrier();
        run[li] = acc;
    }
    workgroupBarrier();
    return acc;
}
#endif

#if COUNT
@compute @workgroup_size(WG)
fn count(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    let total = scan_run(li, countOneBits(kept_bits(t, li)));
    if (li == WG - 1u) {
        counts[t] = total;
    }
}
#endif

#if COMPACT
@compute @workgroup_size(WG)
fn compact(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    let bits = kept_bits(t, li);
    let n = countOneBits(bits);
    var at = offsets[t] + scan_run(li, n) - n;
    let per = per_invocation();
    for (var q = 0u; q < per; q++) {
        if ((bits & (1u << q)) != 0u) {
            let j = per * li + q;
            staged_experts[at] = experts[t * p.m + j];
            staged_scores[at] = scores[t * p.m + j];
            pair_tokens[at] = t;
            at += 1u;
        }
    }
}
#endif

#if ORDER
// Each kept pair's place among its token's: best first, the lower expert first on equal scores (pairs
// are staged in expert order). One invocation per pair, over at most the token's pairs.
@compute @workgroup_size(WG)
fn order(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * WG + li;
    if (i >= offsets[p.t]) {
        return;
    }
    let t = pair_tokens[i];
    let first = offsets[t];
    let end = offsets[t + 1u];
    let v = staged_scores[i];
    var rank = 0u;
    for (var q = first; q < end; q++) {
        let w = staged_scores[q];
        rank += select(0u, 1u, w > v || (w == v && q < i));
    }
    pair_experts[first + rank] = staged_experts[i];
    pair_scores[first + rank] = v;
}
#endif
