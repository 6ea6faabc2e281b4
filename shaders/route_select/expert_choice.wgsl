// route_select's expert-choice entry points, `bucket_keys` and `rank` (see route_select.wgsl, which
// imports this file after `pick`).

#if KEYS
// Expert choice, before the counting sort: each candidate's bucket, (group within the chunk)·N + expert,
// and G·N for a padding token's; every kept flag cleared.
@compute @workgroup_size(WG)
fn bucket_keys(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * WG + li;
    if (i >= p.t * p.m) {
        return;
    }
    let t = i / p.m;
    keys[i] = select(p.groups * p.n, (t / p.s) * p.n + cand_experts[i], valid[t] != 0u);
    keep_clear[i] = 0u;
}
#endif

#if RANK
var<workgroup> segment: vec2<u32>;
var<workgroup> bucket_bins: array<atomic<u32>, 256>;
var<workgroup> bucket_prefix: vec2<u32>;
var<workgroup> bucket_left: u32;

// Key of position i of a bucket starting at `first`: the score's bits above 0xFFFFFF − (i − first), so
// an earlier position (an earlier token) ranks first on equal scores.
fn bucket_key(i: u32, first: u32) -> vec2<u32> {
    return vec2<u32>(float_key(scores[perm[i]]), INDEX_BITS - (i - first));
}

// Expert choice, after the counting sort: one workgroup per bucket (group g, expert e) keeps the
// bucket's `capacity` best candidates (state[4g + 2]): higher score first, then the earlier token (the
// lower candidate index: the sort is stable). Buckets of up to 64 rank each candidate against all the
// others; larger ones run the radix select of `histogram`/`pick` inside the workgroup (7 passes over
// the bucket) and keep the keys at or above the capacity-th.
@compute @workgroup_size(WG)
fn rank(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let b = wid.x + wid.y * nwg.x;
    if (b >= p.groups * p.n) {
        return;
    }
    if (li == 0u) {
        segment = vec2<u32>(bucket_start[b], bucket_start[b + 1u]);
    }
    let seg = workgroupUniformLoad(&segment);
    let cap = state[4u * (b / p.n) + 2u];
    if (seg.y - seg.x <= 64u) {
        for (var i = seg.x + li; i < seg.y; i += WG) {
            let pi = perm[i];
            let si = scores[pi];
            var r = 0u;
            for (var q = seg.x; q < seg.y && r < cap; q++) {
                let pq = perm[q];
                let sq = scores[pq];
                if (sq > si || (sq == si && pq < pi)) {
                    r += 1u;
                }
            }
            keep_out[pi] = select(0u, 1u, r < cap);
        }
        return;
    }
    if (li == 0u) {
        bucket_prefix = vec2<u32>(0u);
        bucket_left = min(cap, seg.y - seg.x);
    }
    for (var d = 0u; d < 7u; d++) {
        atomicStore(&bucket_bins[li], 0u);
        workgroupBarrier();
        let prefix = bucket_prefix;
        for (var i = seg.x + li; i < seg.y; i += WG) {
            let k = bucket_key(i, seg.x);
            if (matches(k, prefix, d)) {
                atomicAdd(&bucket_bins[digit_of(k, d)], 1u);
            }
        }
        workgroupBarrier();
        if (li == 0u && bucket_left > 0u) {
            var left = bucket_left;
            var bin = 255u;
            loop {
                let c = atomicLoad(&bucket_bins[bin]);
                if (left <= c || bin == 0u) {
                    break;
                }
                left -= c;
                bin -= 1u;
            }
            bucket_left = left;
            if (d < 4u) {
                bucket_prefix.x |= bin << (24u - 8u * d);
            } else {
                bucket_prefix.y |= bin << (16u - 8u * (d - 4u));
            }
        }
        workgroupBarrier();
    }
    let prefix = bucket_prefix;
    let none = cap == 0u;
    for (var i = seg.x + li; i < seg.y; i += WG) {
        let k = bucket_key(i, seg.x);
        let kept = !none && (k.x > prefix.x || (k.x == prefix.x && k.y >= prefix.y));
        keep_out[perm[i]] = select(0u, 1u, kept);
    }
}
#endif
