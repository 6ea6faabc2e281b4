// expert_dot: what expert_scores.wgsl and expert_token.wgsl share: the bindings of x and u, and the dot
// product of one (token, expert) pair split over 16 lanes in a fixed order (see expert_scores.wgsl), so both
// compute the same bits. The importer declares `p` with a field `h`.

#if VEC4
alias urow = vec4<elem>;
#else
alias urow = elem;
#endif
@group(0) @binding(1) var<storage, read> x: array<urow>;
@group(0) @binding(2) var<storage, read> up: array<urow>;

// Element i of row e of U. With SPLIT the table lies in up to 8 bindings of UP_PER experts each (an
// expert table larger than one binding), with SPLIT16 in up to 16: binding 2 holds experts
// 0 .. UP_PER − 1, binding 10 + j the range j (the host binds part 0 again where there are fewer parts).
#if SPLIT
override UP_PER: u32;
@group(0) @binding(11) var<storage, read> up1: array<urow>;
@group(0) @binding(12) var<storage, read> up2: array<urow>;
@group(0) @binding(13) var<storage, read> up3: array<urow>;
@group(0) @binding(14) var<storage, read> up4: array<urow>;
@group(0) @binding(15) var<storage, read> up5: array<urow>;
@group(0) @binding(16) var<storage, read> up6: array<urow>;
@group(0) @binding(17) var<storage, read> up7: array<urow>;
#if SPLIT16
@group(0) @binding(18) var<storage, read> up8: array<urow>;
@group(0) @binding(19) var<storage, read> up9: array<urow>;
@group(0) @binding(20) var<storage, read> up10: array<urow>;
@group(0) @binding(21) var<storage, read> up11: array<urow>;
@group(0) @binding(22) var<storage, read> up12: array<urow>;
@group(0) @binding(23) var<storage, read> up13: array<urow>;
@group(0) @binding(24) var<storage, read> up14: array<urow>;
@group(0) @binding(25) var<storage, read> up15: array<urow>;
#endif

fn up_at(e: u32, row: u32, i: u32) -> urow {
    let part = e / UP_PER;
    let o = (e - part * UP_PER) * row + i;
    switch part {
        case 0u: { return up[o]; }
#if SPLIT16
        case 1u: { return up1[o]; }
        case 2u: { return up2[o]; }
        case 3u: { return up3[o]; }
        case 4u: { return up4[o]; }
        case 5u: { return up5[o]; }
        case 6u: { return up6[o]; }
        case 7u: { return up7[o]; }
        case 8u: { return up8[o]; }
        case 9u: { return up9[o]; }
        case 10u: { return up10[o]; }
        case 11u: { return up11[o]; }
        case 12u: { return up12[o]; }
        case 13u: { return up13[o]; }
        case 14u: { return up14[o]; }
        default: { return up15[o]; }
#else
        case 1u: { return up1[o]; }
        case 2u: { return up2[o]; }
        case 3u: { return up3[o]; }
        case 4u: { return up4[o]; }
        case 5u: { return up5[o]; }
        case 6u: { return up6[o]; }
        default: { return up7[o]; }
#endif
    }
}
#else
fn up_at(e: u32, row: u32, i: u32) -> urow {
    return up[e * row + i];
}
#endif

const LANES: u32 = 16u;
const GROUPS: u32 = 16u;

fn silu(z: f32) -> f32 {
    return z / (1.0 + exp(-z));
}

// acc + u · v, one fma per element in order.
fn dot4_fma(u: vec4<f32>, v: vec4<f32>, acc: f32) -> f32 {
    return fma(u.w, v.w, fma(u.z, v.z, fma(u.y, v.y, fma(u.x, v.x, acc))));
}

#if VEC4
// Four chunks of u_e and of x_t (chunks c, c + LANES, c + 2·LANES, c + 3·LANES of their rows), loaded.
struct Quad {
    u0: vec4<f32>,
    u1: vec4<f32>,
    u2: vec4<f32>,
    u3: vec4<f32>,
    v0: vec4<f32>,
    v1: vec4<f32>,
    v2: vec4<f32>,
    v3: vec4<f32>,
}

fn load_quad(e: u32, t: u32, h4: u32, c: u32) -> Quad {
    return Quad(
        vec4<f32>(up_at(e, h4, c)),
        vec4<f32>(up_at(e, h4, c + LANES)),
        vec4<f32>(up_at(e, h4, c + 2u * LANES)),
        vec4<f32>(up_at(e, h4, c + 3u * LANES)),
        vec4<f32>(x[t * h4 + c]),
        vec4<f32>(x[t * h4 + c + LANES]),
        vec4<f32>(x[t * h4 + c + 2u * LANES]),
        vec4<f32>(x[t * h4 + c + 3u * LANES]),
    );
}

// acc + the quad's four chunk products, in chunk order.
fn add_quad(q: Quad, acc: f32) -> f32 {
    return dot4_fma(q.u3, q.v3, dot4_fma(q.u2, q.v2, dot4_fma(q.u1, q.v1, dot4_fma(q.u0, q.v0, acc))));
}
#endif

// Partial dot of u_e and x_t over this lane's columns.
fn lane_dot(e: u32, t: u32, lane: u32) -> f32 {
    var acc = 0.0;
#if VEC4
    let h4 = p.h / 4u;
    var c = lane;
#if DOT8
    // DOT8 (router_experts): two quads' loads a round, then one; the same sums in the same order.
    for (; c + 7u * LANES < h4; c += 8u * LANES) {
        let a = load_quad(e, t, h4, c);
        let b = load_quad(e, t, h4, c + 4u * LANES);
        acc = add_quad(b, add_quad(a, acc));
    }
#endif
    // Four chunks' loads before their (sequential) sums: the gathered rows come from L2, and one load
    // at a time would leave each lane waiting on it.
    for (; c + 3u * LANES < h4; c += 4u * LANES) {
        acc = add_quad(load_quad(e, t, h4, c), acc);
    }
    for (; c < h4; c += LANES) {
        acc = dot4_fma(vec4<f32>(up_at(e, h4, c)), vec4<f32>(x[t * h4 + c]), acc);
    }
#else
    for (var c = lane; c < p.h; c += LANES) {
        acc = fma(f32(up_at(e, p.h, c)), f32(x[t * p.h + c]), acc);
    }
#endif
    return acc;
}
