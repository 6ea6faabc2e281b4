// gemm_skinny's multiplies of one step of B: its fragments (from the subgroup's block of workgroup memory
// with STAGED, else from global memory) times A's staged rows at k = ks .. ks + BSTEP of the range, into
// the accumulators. Imported where `ks` is bound (`#import gemm_skinny/step`).
        for (var h = 0u; h < BSTEP; h += 32u) {
#if STAGED
            let ob00 = sbase + h / 4u;
            let b00 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ob00], bpitch);
            let ob01 = ob00 + 4u;
            let b01 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ob01], bpitch);
            let ob10 = ob00 + 16u * BP;
            let b10 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ob10], bpitch);
            let ob11 = ob10 + 4u;
            let b11 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ob11], bpitch);
#else
            let ob00 = n0 * p.k + k0 + ks + h;
            let b00 = coopLoad<coop_mat16x16<f16, B>>(&b[ob00], ld);
            let ob01 = ob00 + 16u;
            let b01 = coopLoad<coop_mat16x16<f16, B>>(&b[ob01], ld);
            let ob10 = ob00 + 16u * p.k;
            let b10 = coopLoad<coop_mat16x16<f16, B>>(&b[ob10], ld);
            let ob11 = ob10 + 16u;
            let b11 = coopLoad<coop_mat16x16<f16, B>>(&b[ob11], ld);
#endif
            let oa00 = ks + h;
            let a00 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa00], pitch);
            let oa01 = oa00 + 16u;
            let a01 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa01], pitch);
            c00 = coopMultiplyAdd(a00, b00, c00);
            c00 = coopMultiplyAdd(a01, b01, c00);
            c01 = coopMultiplyAdd(a00, b10, c01);
            c01 = coopMultiplyAdd(a01, b11, c01);
#if M2
            let oa10 = 16u * PITCH + ks + h;
            let a10 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa10], pitch);
            let oa11 = oa10 + 16u;
            let a11 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa11], pitch);
            c10 = coopMultiplyAdd(a10, b00, c10);
            c10 = coopMultiplyAdd(a11, b01, c10);
            c11 = coopMultiplyAdd(a10, b10, c11);
            c11 = coopMultiplyAdd(a11, b11, c11);
#endif
#if M4
            let oa20 = 32u * PITCH + ks + h;
            let a20 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa20], pitch);
            let oa21 = oa20 + 16u;
            let a21 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa21], pitch);
            c20 = coopMultiplyAdd(a20, b00, c20);
            c20 = coopMultiplyAdd(a21, b01, c20);
            c21 = coopMultiplyAdd(a20, b10, c21);
            c21 = coopMultiplyAdd(a21, b11, c21);
            let oa30 = 48u * PITCH + ks + h;
            let a30 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa30], pitch);
            let oa31 = oa30 + 16u;
            let a31 = coopLoadT<coop_mat16x16<f16, A>>(&As[oa31], pitch);
            c30 = coopMultiplyAdd(a30, b00, c30);
            c30 = coopMultiplyAdd(a31, b01, c30);
            c31 = coopMultiplyAdd(a30, b10, c31);
            c31 = coopMultiplyAdd(a31, b11, c31);
#endif
        }
