// expert_histogram: count[e] = #{ pairs p : indices[p] = e } over the P = T·K (token, slot) pairs.
//
// Launch: `clear` with ⌈N/256⌉ workgroups of 256, then `main` with ⌈P/256⌉ (both folded over x and y).
// Integer atomics only: the counts do not depend on the order the additions land in.

struct Params {
    pairs: u32,
    n: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> count: array<atomic<u32>>;
#if COUNT
@group(0) @binding(2) var<storage, read> indices: array<u32>;
#endif

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn clear(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = flat(gid, nwg);
    if (e < p.n) {
        atomicStore(&count[e], 0u);
    }
}

#if COUNT
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(gid, nwg);
    if (i < p.pairs) {
        atomicAdd(&count[indices[i]], 1u);
    }
}
#endif
