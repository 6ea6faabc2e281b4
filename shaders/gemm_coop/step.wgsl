// gemm_coop's multiplies of one staged K step, imported into its main loop: each k16 slice's fragments
// of B and A from the staged blocks at `bbase` / `abase` (rows `pitch` apart) into the subgroup's FM × FN
// accumulators, in k order.
        for (var k16 = 0u; k16 < TK; k16 += 16u) {
            let kk = k16 / UNIT;
            let ib0 = bbase + kk;
            let b0 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib0], pitch);
#if FN1
#else
            let ib1 = bbase + 16u * PITCH + kk;
            let b1 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib1], pitch);
#endif
#if FN2
#else
            let ib2 = bbase + 32u * PITCH + kk;
            let b2 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib2], pitch);
            let ib3 = bbase + 48u * PITCH + kk;
            let b3 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib3], pitch);
#endif
            let ia0 = abase + kk;
            let a0 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia0], pitch);
            c00 = coopMultiplyAdd(a0, b0, c00);
#if FN1
#else
            c01 = coopMultiplyAdd(a0, b1, c01);
#endif
#if FN2
#else
            c02 = coopMultiplyAdd(a0, b2, c02);
            c03 = coopMultiplyAdd(a0, b3, c03);
#endif
#if FM1
#else
            let ia1 = abase + 16u * PITCH + kk;
            let a1 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia1], pitch);
            c10 = coopMultiplyAdd(a1, b0, c10);
#if FN1
#else
            c11 = coopMultiplyAdd(a1, b1, c11);
#endif
#if FN2
#else
            c12 = coopMultiplyAdd(a1, b2, c12);
            c13 = coopMultiplyAdd(a1, b3, c13);
#endif
#endif
#if FM4
            let ia2 = abase + 32u * PITCH + kk;
            let a2 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia2], pitch);
            c20 = coopMultiplyAdd(a2, b0, c20);
            c21 = coopMultiplyAdd(a2, b1, c21);
            c22 = coopMultiplyAdd(a2, b2, c22);
            c23 = coopMultiplyAdd(a2, b3, c23);
            let ia3 = abase + 48u * PITCH + kk;
            let a3 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia3], pitch);
            c30 = coopMultiplyAdd(a3, b0, c30);
            c31 = coopMultiplyAdd(a3, b1, c31);
            c32 = coopMultiplyAdd(a3, b2, c32);
            c33 = coopMultiplyAdd(a3, b3, c33);
#endif
        }
