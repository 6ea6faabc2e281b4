// gemm_coop's staging of operand blocks: global memory → registers (`load_block`) → workgroup memory
// (`store_block`, through `put8`); and of its accumulators on their way to C (`emit`). See gemm_coop.wgsl,
// which imports this file after its declarations.

// Loads this invocation's chunks of the blocks at k0 into `pa` / `pb` (zeros outside the matrices).
fn load_block_into(
    pa: ptr<private, array<vec4<u32>, CA>>,
    pb: ptr<private, array<vec4<u32>, CB>>,
    li: u32,
    row0: u32,
    col0: u32,
    k0: u32,
) {
    let k8 = p.k / 8u;
    for (var j = 0u; j < CA; j++) {
        let e = li + WG * j;
        let r = e / ROW_CHUNKS;
        let kq = (e % ROW_CHUNKS) * 8u;
        var v = vec4<u32>(0u);
        if (k0 + kq < k_end && row0 + r < p.m) {
            v = a[(row0 + r) * k8 + (k0 + kq) / 8u];
        }
        (*pa)[j] = v;
    }
    for (var j = 0u; j < CB; j++) {
        let e = li + WG * j;
        let r = e / ROW_CHUNKS;
        let kq = (e % ROW_CHUNKS) * 8u;
        var v = vec4<u32>(0u);
        if (k0 + kq < k_end && col0 + r < p.n) {
            v = b[(col0 + r) * k8 + (k0 + kq) / 8u];
        }
        (*pb)[j] = v;
    }
}

// load_block_into ra / rb.
fn load_block(li: u32, row0: u32, col0: u32, k0: u32) {
    load_block_into(&ra, &rb, li, row0, col0, k0);
}

// The eight halves of a chunk as workgroup elements. WGSL reaches them only through f32 and back
// (naga rejects `bitcast<vec2<f16>>(u32)`); on Vulkan with SPIR-V passthrough the library rewrites each
// such pair into a bitcast of the word (src/gpu/spirv_halves.rs).
#if SMEM4
fn put8(o: u32, v: vec4<u32>, to_a: bool) {
    let q0 = vec4<f16>(vec2<f16>(unpack2x16float(v.x)), vec2<f16>(unpack2x16float(v.y)));
    let q1 = vec4<f16>(vec2<f16>(unpack2x16float(v.z)), vec2<f16>(unpack2x16float(v.w)));
    if (to_a) {
        As[o] = q0;
        As[o + 1u] = q1;
    } else {
        Bs[o] = q0;
        Bs[o + 1u] = q1;
    }
}
#else
#if SMEM2
fn put8(o: u32, v: vec4<u32>, to_a: bool) {
    let h0 = vec2<f16>(unpack2x16float(v.x));
    let h1 = vec2<f16>(unpack2x16float(v.y));
    let h2 = vec2<f16>(unpack2x16float(v.z));
    let h3 = vec2<f16>(unpack2x16float(v.w));
    if (to_a) {
        As[o] = h0;
        As[o + 1u] = h1;
        As[o + 2u] = h2;
        As[o + 3u] = h3;
    } else {
        Bs[o] = h0;
        Bs[o + 1u] = h1;
        Bs[o + 2u] = h2;
        Bs[o + 3u] = h3;
    }
}
#else
fn put8(o: u32, v: vec4<u32>, to_a: bool) {
    let h0 = vec2<f16>(unpack2x16float(v.x));
    let h1 = vec2<f16>(unpack2x16float(v.y));
    let h2 = vec2<f16>(unpack2x16float(v.z));
    let h3 = vec2<f16>(unpack2x16float(v.w));
    if (to_a) {
        As[o] = h0.x;
        As[o + 1u] = h0.y;
        As[o + 2u] = h1.x;
        As[o + 3u] = h1.y;
        As[o + 4u] = h2.x;
        As[o + 5u] = h2.y;
        As[o + 6u] = h3.x;
        As[o + 7u] = h3.y;
    } else {
        Bs[o] = h0.x;
        Bs[o + 1u] = h0.y;
        Bs[o + 2u] = h1.x;
        Bs[o + 3u] = h1.y;
        Bs[o + 4u] = h2.x;
        Bs[o + 5u] = h2.y;
        Bs[o + 6u] = h3.x;
        Bs[o + 7u] = h3.y;
    }
}
#endif
#endif

// Stores `pa` / `pb` into buffer `buf` of the staged blocks.
fn store_block_from(
    pa: ptr<private, array<vec4<u32>, CA>>,
    pb: ptr<private, array<vec4<u32>, CB>>,
    li: u32,
    buf: u32,
) {
    for (var j = 0u; j < CA; j++) {
        let e = li + WG * j;
        put8(buf * SA + (e / ROW_CHUNKS) * PITCH + (e % ROW_CHUNKS) * 8u / UNIT, (*pa)[j], true);
    }
    for (var j = 0u; j < CB; j++) {
        let e = li + WG * j;
        put8(buf * SB + (e / ROW_CHUNKS) * PITCH + (e % ROW_CHUNKS) * 8u / UNIT, (*pb)[j], false);
    }
}

// store_block_from ra / rb.
fn store_block(li: u32, buf: u32) {
    store_block_from(&ra, &rb, li, buf);
}

// Stores a subgroup's staging block (at `so`), holding the 16×16 accumulator at (r0, c0) of C.
fn emit_block(so: u32, lane: u32, r0: u32, c0: u32) {
    for (var e = lane; e < 128u; e += 32u) {
        let r = e / 8u;
        let cc = (e % 8u) * 2u;
        let v0 = staging[so + r * 16u + cc];
        let v1 = staging[so + r * 16u + cc + 1u];
        store(r0 + r, c0 + cc, v0, v1);
        store(r0 + r, c0 + cc + 1u, v1, 0.0);
    }
}

// Writes one 16×16 accumulator at (r0, c0) of C through this subgroup's staging block; with ST4 four
// subgroups at a time (a turn is uniform over each subgroup, the barriers over the workgroup).
fn emit(acc: coop_mat16x16<f32, C>, sg: u32, lane: u32, r0: u32, c0: u32) {
    let so = (sg % ST_SG) * 256u;
    let sixteen = 16u;
#if ST4
    for (var turn = 0u; turn < SG_R * SG_C / ST_SG; turn++) {
        if (sg / ST_SG == turn) {
            coopStoreT(acc, &staging[so], sixteen);
        }
        workgroupBarrier();
        if (sg / ST_SG == turn) {
            emit_block(so, lane, r0, c0);
        }
        workgroupBarrier();
    }
#else
    coopStoreT(acc, &staging[so], sixteen);
    workgroupBarrier();
    emit_block(so, lane, r0, c0);
    workgroupBarrier();
#endif
}
