// tree_reduce: the max or the sum of red[0..WG) as a tree of a fixed shape (bitwise reproducible), for
// router_normalise.wgsl and route_unified_score.wgsl. Each invocation writes its value to red[li] first;
// every invocation gets the result. The importer defines WG, a power of two up to 256.

var<workgroup> red: array<f32, 256>;

fn reduce(li: u32, is_max: bool) -> f32 {
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (li < s) {
            if (is_max) {
                red[li] = max(red[li], red[li + s]);
            } else {
                red[li] = red[li] + red[li + s];
            }
        }
    }
    workgroupBarrier();
    let v = red[0];
    workgroupBarrier();
    return v;
}
