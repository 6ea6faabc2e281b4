// expert_scan: exclusive prefix sum of u32, reduce-then-scan in three dispatches (no cross-workgroup
// waiting):
//
//   scan_blocks: block b = src[1024 b .. 1024 b + 1024): dst[i] = Σ_{b·1024 ≤ j < i} src[j]; sums[b] = block total
//   scan_sums:   sums[b] = Σ_{b' < b} sums[b'] (one workgroup; at most 1024 blocks); dst[len] = grand total
//   add_offsets: dst[i] += sums[i / 1024]
//
// So dst[i] = Σ_{j < i} src[j] for i ≤ len: with src = count [N] this is offset [N + 1].
// Launch: scan_blocks and add_offsets ⌈len/1024⌉ workgroups of 256 (folded over x and y), scan_sums one.

struct Params {
    len: u32,
    blocks: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if BLOCKS
@group(0) @binding(1) var<storage, read> src: array<u32>;
#endif
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read_write> sums: array<u32>;

const WG: u32 = 256u;
var<workgroup> part: array<u32, 256>;

// Exclusive scan of one value per invocation across the workgroup (Hillis–Steele); returns
// (exclusive prefix, workgroup total).
fn workgroup_scan(li: u32, v: u32) -> vec2<u32> {
    part[li] = v;
    for (var off = 1u; off < WG; off <<= 1u) {
        workgroupBarrier();
        var add = 0u;
        if (li >= off) {
            add = part[li - off];
        }
        workgroupBarrier();
        part[li] += add;
    }
    workgroupBarrier();
    let r = vec2<u32>(part[li] - v, part[WG - 1u]);
    workgroupBarrier();
    return r;
}

fn block_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

#if BLOCKS
@compute @workgroup_size(256)
fn scan_blocks(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let b = block_id(wid, nwg);
    if (b >= p.blocks) {
        return;
    }
    let base = b * 1024u + li * 4u;
    var v: array<u32, 4>;
    var total = 0u;
    for (var j = 0u; j < 4u; j++) {
        v[j] = select(0u, src[base + j], base + j < p.len);
        total += v[j];
    }
    let s = workgroup_scan(li, total);
    var run = s.x;
    for (var j = 0u; j < 4u; j++) {
        if (base + j < p.len) {
            dst[base + j] = run;
        }
        run += v[j];
    }
    if (li == 0u) {
        sums[b] = s.y;
    }
}
#endif

@compute @workgroup_size(256)
fn scan_sums(@builtin(local_invocation_index) li: u32) {
    let base = li * 4u;
    var v: array<u32, 4>;
    var total = 0u;
    for (var j = 0u; j < 4u; j++) {
        v[j] = select(0u, sums[base + j], base + j < p.blocks);
        total += v[j];
    }
    let s = workgroup_scan(li, total);
    var run = s.x;
    for (var j = 0u; j < 4u; j++) {
        if (base + j < p.blocks) {
            sums[base + j] = run;
        }
        run += v[j];
    }
    if (li == 0u) {
        dst[p.len] = s.y;
    }
}

@compute @workgroup_size(256)
fn add_offsets(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let b = block_id(wid, nwg);
    if (b >= p.blocks) {
        return;
    }
    let add = sums[b];
    for (var j = 0u; j < 4u; j++) {
        let i = b * 1024u + j * WG + li;
        if (i < p.len) {
            dst[i] += add;
        }
    }
}
