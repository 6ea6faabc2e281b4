//! Host side of `shaders/gemm_skinny.wgsl`: which shapes it takes, its variant, how many K ranges it splits
//! into, and the size of its partial products. It always runs as the first pass of a split-K GEMM
//! ([`super::gemm_split_k`] with [`GemmKernel::Skinny`]); `gemm_reduce` applies the epilogue.
//!
//! [`GemmKernel::Skinny`]: super::GemmKernel::Skinny

use std::sync::OnceLock;

use super::super::pipelines::Variant;

/// Most rows of A the skinny kernel takes (four 16-row fragments).
pub const SKINNY_MAX_M: u32 = 64;

/// Fewest rows a layer runs on the skinny kernel where it has it: below, the GEMV. Measured on an H100
/// at the README's sizes (BENCHMARKS.md, `h100-run-decode3/run103.sh`): the layer at 8 tokens 0.038 ms
/// against 0.047 with the GEMV, at 4 tokens 0.037 either way, at 1 and 2 tokens the GEMV ahead (0.030
/// against 0.037).
pub const SKINNY_FROM_M: u32 = 5;

/// Columns of C per workgroup.
const SKINNY_COLUMNS: u32 = 128;

/// Workgroups the skinny kernel aims for unless `OMNIMOE_SKINNY_WGS` says otherwise. Measured on an H100
/// at the README's sizes (BENCHMARKS.md, `h100-run-skinny2/`): 128 against 64, 192, 256 and 512 — at 16
/// tokens the gate/up GEMM in 2 K ranges and the down projection in 16 took the layer from 0.054 to
/// 0.043 ms, at 32 from 0.058 to 0.051 (more ranges: more partial products to write and add; fewer: too
/// little in flight).
const SKINNY_WORKGROUPS: u32 = 128;

/// Whether the skinny kernel takes an (m, n, k) GEMM: 1 ≤ m ≤ [`SKINNY_MAX_M`], n a multiple of 128 and
/// k of 32 (every fragment inside B), and B's elements indexable in 32 bits.
pub fn skinny_takes((m, n, k): (u32, u32, u32)) -> bool {
    (1..=SKINNY_MAX_M).contains(&m)
        && n > 0
        && n % SKINNY_COLUMNS == 0
        && k > 0
        && k % 32 == 0
        && (n as u64) * (k as u64) < 1 << 31
}

/// Whether a layer should run an (m, n, k) GEMM the skinny kernel takes on it rather than on the tiled
/// tensor-core kernel: up to 32 rows, and up to 64 where the output is narrower than K is deep (the down
/// projection). Measured on an H100 at the README's sizes (BENCHMARKS.md): from 5 to 32 tokens it beats the
/// tiled split-K kernel at both GEMMs; at 64 it wins the down projection (8 MB of weights) and loses the
/// gate/up projection, where its partial products (8.5 MB for 17 MB of weights) cost more than it saves.
pub fn skinny_prefers((m, n, k): (u32, u32, u32)) -> bool {
    skinny_takes((m, n, k)) && (m <= 32 || n < k)
}

/// 16-row fragments per column for m rows: 1, 2 or 4.
fn fragments(m: u32) -> u32 {
    m.div_ceil(16).next_power_of_two()
}

/// Rows of each K range's partial product: m rounded up to the fragments.
pub fn skinny_rows(m: u32) -> u32 {
    16 * fragments(m)
}

/// Bytes of workgroup memory the skinny kernel declares for m rows.
pub fn skinny_workgroup_bytes(m: u32) -> u32 {
    let mt = fragments(m);
    16 * mt * (1024 / mt + 8) * 2
}

/// The preprocessing of `shaders/gemm_skinny.wgsl` for m rows.
pub(crate) fn skinny_variant(m: u32) -> Variant {
    let v = Variant::storage(true).with("COOP").with("SUBGROUP");
    match fragments(m) {
        1 => v,
        2 => v.with("M2"),
        _ => v.with("M2").with("M4"),
    }
}

/// Workgroup count (N/128, 1, 1) of one K range.
pub(crate) fn skinny_groups(n: u32) -> [u32; 3] {
    [n / SKINNY_COLUMNS, 1, 1]
}

/// A positive count from the environment variable `name` (the measuring aids' workgroup targets).
pub(crate) fn env_count(name: &str) -> Option<u32> {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&w| w > 0)
}

/// Measuring aids, read once: `OMNIMOE_SKINNY=off` keeps layers off the skinny kernel, `=all` uses it from
/// one row on (below the GEMV's bound too); `OMNIMOE_SKINNY_WGS=W` sets the workgroups it aims for.
pub(crate) fn skinny_env() -> (Option<&'static str>, u32) {
    static ENV: OnceLock<(Option<&'static str>, u32)> = OnceLock::new();
    *ENV.get_or_init(|| {
        let mode = match std::env::var("OMNIMOE_SKINNY").as_deref() {
            Ok("off") => Some("off"),
            Ok("all") => Some("all"),
            _ => None,
        };
        let wgs = env_count("OMNIMOE_SKINNY_WGS").unwrap_or(SKINNY_WORKGROUPS);
        (mode, wgs)
    })
}

/// K ranges for an (m, n, k) GEMM the skinny kernel takes: enough for ~128 workgroups, but each range at
/// least 128 deep per 16 rows where K allows (the partial products then stay under a quarter of the
/// weights' bytes), and none deeper than the staged rows of A hold (1024 / fragments).
pub fn skinny_splits((m, n, k): (u32, u32, u32)) -> u32 {
    let mt = fragments(m);
    let fewest = skinny_fewest_splits(m, k);
    let most = (k / (128 * mt)).max(1);
    let want = skinny_env().1.div_ceil(n / SKINNY_COLUMNS);
    want.min(most).max(fewest)
}

/// Fewest K ranges for m rows and depth k: no range deeper than the staged rows of A hold.
pub fn skinny_fewest_splits(m: u32, k: u32) -> u32 {
    k.div_ceil(1024 / fragments(m))
}
