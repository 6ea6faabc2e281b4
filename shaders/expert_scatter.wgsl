// expert_scatter: stable sort of the P pairs by expert id, as LSD radix passes of 8 bits. Each pass is a
// counting sort by the digit d = (key >> shift) & 255, over tiles of 1024 pairs in pair order:
//
//   count:   table[d · tiles + tile] = #{ pairs of the tile with digit d }
//   (expert_scan of the table gives each (digit, tile) bucket its first output slot, bound as `table` below)
//   scatter: a pair goes to table[d · tiles + tile] + (its rank among the tile's pairs with digit d, in
//            input order); key and value move together.
//
// The rank comes from a bitonic sort of (d << 10 | position in tile) in workgroup memory, so the result
// is stable and the same on every run. After the passes, the values list pair ids p = t·K + k grouped by
// expert and, within an expert, in increasing p: `perm` of the CPU twin. The first pass reads the router's
// indices as keys and takes the pair ids themselves as values (FIRST).
// Launch: ⌈P/1024⌉ workgroups of 256 per entry point (folded over x and y).

struct Params {
    pairs: u32,
    tiles: u32,
    shift: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> keys_in: array<u32>;
#if SCATTER
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(4) var<storage, read_write> vals_out: array<u32>;
#if FIRST
#else
@group(0) @binding(5) var<storage, read> vals_in: array<u32>;
#endif
#else
@group(0) @binding(2) var<storage, read_write> table: array<u32>;
#endif

const WG: u32 = 256u;
const TILE: u32 = 1024u;

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> sorted: array<u32, 1024>;
var<workgroup> first: array<u32, 256>;

fn tile_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

fn digit(key: u32) -> u32 {
    return (key >> p.shift) & 255u;
}

#if SCATTER
@compute @workgroup_size(256)
fn scatter(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let tile = tile_id(wid, nwg);
    if (tile >= p.tiles) {
        return;
    }
    let base = tile * TILE;
    for (var j = 0u; j < 4u; j++) {
        let i = li + j * WG;
        var v = 0xffffffffu;
        if (base + i < p.pairs) {
            v = (digit(keys_in[base + i]) << 10u) | i;
        }
        sorted[i] = v;
    }
    // Ascending bitonic sort of the 1024 composite keys.
    for (var size = 2u; size <= TILE; size <<= 1u) {
        for (var stride = size / 2u; stride > 0u; stride >>= 1u) {
            workgroupBarrier();
            for (var i = li; i < TILE / 2u; i += WG) {
                let lo = 2u * stride * (i / stride) + i % stride;
                let hi = lo + stride;
                let a = sorted[lo];
                let b = sorted[hi];
                if ((a > b) == ((lo & size) == 0u)) {
                    sorted[lo] = b;
                    sorted[hi] = a;
                }
            }
        }
    }
    workgroupBarrier();
    // The first sorted position of each digit present in the tile.
    for (var j = 0u; j < 4u; j++) {
        let s = li + j * WG;
        let v = sorted[s];
        if (v != 0xffffffffu && (s == 0u || (sorted[s - 1u] >> 10u) != (v >> 10u))) {
            first[v >> 10u] = s;
        }
    }
    workgroupBarrier();
    for (var j = 0u; j < 4u; j++) {
        let s = li + j * WG;
        let v = sorted[s];
        if (v == 0xffffffffu) {
            continue;
        }
        let d = v >> 10u;
        let i = base + (v & 1023u);
        let dst = table[d * p.tiles + tile] + (s - first[d]);
        keys_out[dst] = keys_in[i];
#if FIRST
        vals_out[dst] = i;
#else
        vals_out[dst] = vals_in[i];
#endif
    }
}
#else
@compute @workgroup_size(256)
fn count(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let tile = tile_id(wid, nwg);
    if (tile >= p.tiles) {
        return;
    }
    atomicStore(&hist[li], 0u);
    workgroupBarrier();
    let base = tile * TILE;
    for (var j = 0u; j < 4u; j++) {
        let i = base + li + j * WG;
        if (i < p.pairs) {
            atomicAdd(&hist[digit(keys_in[i])], 1u);
        }
    }
    workgroupBarrier();
    table[li * p.tiles + tile] = atomicLoad(&hist[li]);
}
#endif
