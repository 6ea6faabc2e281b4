// route_select: unified routing's budgeted top-c of each routing group, by radix select (no sort), and
// the kept pairs compacted per token. CPU twin: cpu/route_select.rs (`route_select`, unified mode, then
// `routed_from_mask`).
//
// Elements: the M candidates of every token, `scores` [T, M] f32 and `experts` [T, M] u32, in ascending
// expert order per token (router_candidates; a dense router's columns). Group g holds tokens
// g·S .. min(T, (g+1)·S); element i = (t − g·S)·M + j of the group has a 56-bit key: the score's
// order-preserving bits (0 for a masked token) above 0xFFFFFF − i. Keys are distinct, and a larger key
// goes first: score descending, then token ascending, then expert ascending. Group g keeps its c_g
// largest keys (c_g ≤ its routed candidates, from the host):
// - 7 passes d = 0..6 of `histogram` (digit d, 8 bits from the top, of every key whose higher digits
//   equal the group's prefix, counted in workgroup memory, then added to the group's 256 bins) and `pick`
//   (one workgroup per group: walking the bins from the top, the one where the count of larger keys
//   reaches the budget left joins the prefix, and the bins are cleared). After them the prefix is the
//   c-th largest key, and an element is kept iff its key ≥ the prefix.
// - `count`: kept candidates per token; a scan (expert_scan) makes the offsets [T + 1];
// - `compact`: each token's kept candidates in candidate (expert) order at offsets[t] .. of the staged
//   pairs, with their token;
// - `order`: each token's pairs best first (ascending expert on equal scores) into `pair_experts` and
//   `pair_scores`: one invocation per pair ranks it among its token's (a loop of at most M: lavapipe's
//   llvmpipe stops any loop after 65535 iterations).
// Group state (4 u32 each, set by the host): prefix key high 32 bits, low 24 bits, budget left, and a
// phase: 0 keeps nothing (c_g = 0), 1 selecting, 2 done (a pass found a bin kept whole: the prefix with
// zeros below is the threshold, and the later passes return at once).
// Integer atomics count only (exact sums), positions come from scans: bitwise reproducible.
// Launch: `histogram` G·tiles workgroups of 256, each over TILE elements of one group; `pick` G; `count`
// and `compact` T (ids folded over x and y), each invocation over ⌈M/256⌉ consecutive candidates. M ≤ 8192.
// Files: `histogram` and `pick` here, expert choice's `bucket_keys` and `rank` in
// route_select/expert_choice.wgsl, `count`, `compact` and `order` in route_select/per_token.wgsl.

struct Params {
    t: u32,
    m: u32,
    // Tokens per group.
    s: u32,
    groups: u32,
    // histogram / pick: the digit, 0 (top) .. 6.
    digit: u32,
    // histogram: workgroups per group.
    tiles: u32,
    // keys / rank (expert choice): experts N.
    n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> valid: array<u32>;
#if PICK
@group(0) @binding(3) var<storage, read_write> state: array<u32>;
#else
@group(0) @binding(3) var<storage, read> state: array<u32>;
#endif
#if HISTOGRAM
@group(0) @binding(4) var<storage, read_write> hist: array<atomic<u32>>;
#endif
#if PICK
@group(0) @binding(4) var<storage, read_write> hist: array<u32>;
#endif
#if COUNT
@group(0) @binding(5) var<storage, read_write> counts: array<u32>;
#endif
#if MASKED
// Expert choice: the kept candidates, one u32 each, from `rank`.
@group(0) @binding(4) var<storage, read> keep: array<u32>;
#endif
#if KEYS
@group(0) @binding(4) var<storage, read> cand_experts: array<u32>;
@group(0) @binding(5) var<storage, read_write> keys: array<u32>;
// Cleared here, so that a padding token's candidates (which `rank` never visits) are never kept, whatever
// an earlier selection on the same scratch left.
@group(0) @binding(6) var<storage, read_write> keep_clear: array<u32>;
#endif
#if RANK
@group(0) @binding(4) var<storage, read> bucket_start: array<u32>;
@group(0) @binding(5) var<storage, read> perm: array<u32>;
@group(0) @binding(6) var<storage, read_write> keep_out: array<u32>;
#endif
#if COMPACT
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<storage, read> experts: array<u32>;
@group(0) @binding(7) var<storage, read_write> staged_experts: array<u32>;
@group(0) @binding(8) var<storage, read_write> staged_scores: array<f32>;
@group(0) @binding(9) var<storage, read_write> pair_tokens: array<u32>;
#endif
#if ORDER
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(7) var<storage, read> staged_experts: array<u32>;
@group(0) @binding(8) var<storage, read> staged_scores: array<f32>;
@group(0) @binding(9) var<storage, read> pair_tokens: array<u32>;
@group(0) @binding(10) var<storage, read_write> pair_experts: array<u32>;
@group(0) @binding(11) var<storage, read_write> pair_scores: array<f32>;
#endif

const WG: u32 = 256u;
const TILE: u32 = 4096u;
const INDEX_BITS: u32 = 0xffffffu;

// Larger float, larger key (−0 below +0, as total_cmp).
fn float_key(s: f32) -> u32 {
    let b = bitcast<u32>(s);
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// The 56-bit key of candidate j of token t, element i of its group: (high 32 bits, low 24 bits).
fn key_of(t: u32, j: u32, i: u32) -> vec2<u32> {
    var hi = 0u;
    if (valid[t] != 0u) {
        hi = float_key(scores[t * p.m + j]);
    }
    return vec2<u32>(hi, INDEX_BITS - i);
}

// Digit d (8 bits, d = 0 the top) of a key.
fn digit_of(k: vec2<u32>, d: u32) -> u32 {
    if (d < 4u) {
        return (k.x >> (24u - 8u * d)) & 255u;
    }
    return (k.y >> (16u - 8u * (d - 4u))) & 255u;
}

// Whether the digits above d of key k equal those of the prefix.
fn matches(k: vec2<u32>, prefix: vec2<u32>, d: u32) -> bool {
    if (d == 0u) {
        return true;
    }
    if (d <= 4u) {
        let mask = 0xffffffffu << (32u - 8u * d);
        return (k.x & mask) == (prefix.x & mask);
    }
    let mask = (INDEX_BITS << (24u - 8u * (d - 4u))) & INDEX_BITS;
    return k.x == prefix.x && (k.y & mask) == (prefix.y & mask);
}

// The tokens of group g: [first, end).
fn group_tokens(g: u32) -> vec2<u32> {
    let first = g * p.s;
    return vec2<u32>(first, min(p.t, first + p.s));
}

#if HISTOGRAM
var<workgroup> local_bins: array<atomic<u32>, 256>;
var<workgroup> phase: u32;

@compute @workgroup_size(WG)
fn histogram(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    let g = w / p.tiles;
    if (g >= p.groups) {
        return;
    }
    // A group whose threshold is found (or that keeps nothing) is done.
    if (li == 0u) {
        phase = state[4u * g + 3u];
    }
    if (workgroupUniformLoad(&phase) != 1u) {
        return;
    }
    atomicStore(&local_bins[li], 0u);
    workgroupBarrier();
    let tokens = group_tokens(g);
    let n = (tokens.y - tokens.x) * p.m;
    let prefix = vec2<u32>(state[4u * g], state[4u * g + 1u]);
    let i0 = (w % p.tiles) * TILE;
    let i1 = min(n, i0 + TILE);
    // Runs of equal digits are counted in registers first: the top digits of scores fall in a few bins,
    // and one atomic per element there would serialise the workgroup on them.
    var run_bin = 0u;
    var run = 0u;
    for (var i = i0 + li; i < i1; i += WG) {
        let t = tokens.x + i / p.m;
        let k = key_of(t, i % p.m, i);
        if (matches(k, prefix, p.digit)) {
            let bin = digit_of(k, p.digit);
            if (bin != run_bin && run != 0u) {
                atomicAdd(&local_bins[run_bin], run);
                run = 0u;
            }
            run_bin = bin;
            run += 1u;
        }
    }
    if (run != 0u) {
        atomicAdd(&local_bins[run_bin], run);
    }
    workgroupBarrier();
    let c = atomicLoad(&local_bins[li]);
    if (c != 0u) {
        atomicAdd(&hist[256u * g + li], c);
    }
}
#endif

#if PICK
var<workgroup> bins: array<u32, 256>;

@compute @workgroup_size(WG)
fn pick(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= p.groups) {
        return;
    }
    bins[li] = hist[256u * g + li];
    hist[256u * g + li] = 0u;
    workgroupBarrier();
    if (li == 0u && state[4u * g + 3u] == 1u) {
        // The bin holding the key with `left − 1` larger keys above it in this prefix.
        var left = state[4u * g + 2u];
        var b = 255u;
        loop {
            let c = bins[b];
            if (left <= c || b == 0u) {
                break;
            }
            left -= c;
            b -= 1u;
        }
        state[4u * g + 2u] = left;
        if (p.digit < 4u) {
            state[4u * g] |= b << (24u - 8u * p.digit);
        } else {
            state[4u * g + 1u] |= b << (16u - 8u * (p.digit - 4u));
        }
        // The whole bin is kept: the prefix with zeros below is the threshold, the later passes have
        // nothing to do.
        if (left == bins[b]) {
            state[4u * g + 3u] = 2u;
        }
    }
}
#endif

#import route_select/expert_choice

#import route_select/per_token
