// perm_col: where the SIMT GEMM's partial products put column g with PERM (shared/gemm_epilogue.wgsl),
// and where their readers (PERMUTED: gemm_reduce.wgsl, shared/expert_sum.wgsl) find it: columns
// 32a + 4b + j at 32a + 8j + b, within groups of 32 (N % 32 == 0). An invocation of gemm.wgsl holds four
// adjacent columns, stored one at a time, so the eight invocations of a store instruction wrote 8 of each
// 32-byte sector's bytes; permuted they write whole sectors (with four columns a store instead the driver
// compiled the GEMM's loop slower, BENCHMARKS.md). The same values in the same sums.

fn perm_col(g: u32) -> u32 {
    return (g & ~31u) | ((g & 3u) << 3u) | ((g >> 2u) & 7u);
}
