//! The K ranges of a narrow GEMV (`SPLITK` in `shaders/gemv.wgsl`: the down projection): how many, and
//! for a deep one how many columns each group of its ranges streams and in what rounds.

use super::super::gemm_kernel::GEMV_ROWS;
use super::{gemv_fma, gemv_lanes, group_workgroups, GEMV_WORKGROUPS};

/// K ranges a narrow GEMV of 2 to [`GEMV_ROWS`] rows runs in ([`gemv_splits`]). Measured on an H200
/// (BENCHMARKS.md, "The narrow GEMV split over K", runs 413–414), per layer of a stack of 4, unsplit →
/// two ranges: the README's sizes at 2 / 4 / 6 tokens 0.0254 / 0.0265 / 0.0285 → 0.0244 / 0.0251 /
/// 0.0270 ms (the down GEMV alone at 4 tokens 7.58 → 6.25 µs), I = 8192 at 4 0.0351 → 0.0318, I = 16384
/// at 4 0.0481 → 0.0468; four ranges no better (0.0239 / 0.0256 / 0.0273, I = 8192 0.0323).
const GEMV_SPLITS: u32 = 2;

/// K ranges of an (m, n, k) GEMV (`SPLITK` in `gemv.wgsl`: each workgroup layer sums one range on the
/// lanes a GEMV that deep takes, its consumer adds the partial products in range order): [`GEMV_SPLITS`]
/// for a narrow GEMV (its workgroups on all of K under [`GEMV_WORKGROUPS`]: the down projection) of 2 to
/// [`GEMV_ROWS`] rows with K % 8 == 0, [`GEMV_DEEP_SPLITS`] where its ranges stream two or four columns a
/// group ([`gemv_range_group`]: a deep one), else 1: twice the workgroups, each lane's stream half as
/// long. `OMNIMOE_GEMV_SPLIT=S` (a measuring aid) asks S where it would split (1: never).
pub(in crate::gpu::stages) fn gemv_splits((m, n, k): (u32, u32, u32), f16: bool) -> u32 {
    // The chunks `gemm_dispatch` takes at K % 8 == 0.
    let chunk = if f16 { 8 } else { 4 };
    if !splits_narrow((m, n, k), chunk) {
        return 1;
    }
    let default = if f16 && narrow_range_group(m, k).is_some() {
        GEMV_DEEP_SPLITS
    } else {
        GEMV_SPLITS
    };
    let splits = crate::gpu::measuring::env_count("OMNIMOE_GEMV_SPLIT").unwrap_or(default);
    splits.min(k / 64).max(1)
}

/// Chunks of eight halves from which a narrow GEMV of 2 to [`GEMV_ROWS`] rows is deep
/// ([`gemv_splits`], [`gemv_range_group`]): I = 8192's down projection and deeper.
const GEMV_DEEP_SPLIT_CHUNKS: u32 = 1024;

/// K ranges of a deep narrow GEMV ([`GEMV_DEEP_SPLIT_CHUNKS`]) at the rows [`deep_group`] groups, each
/// range streamed two or four columns a group ([`gemv_range_group`]). Measured on an H200 (BENCHMARKS.md,
/// "Deep narrow GEMVs in four ranges", runs 420–421), per layer of a stack of 4, against two ranges of
/// one column a group on 64 lanes: I = 8192 at 6 tokens 0.0376–0.0377 → 0.0357–0.0364 ms (the down GEMV
/// alone 10.3–10.4 → 9.5–9.6 µs), I = 16384 at 4 0.0464 → 0.0451, at 8 0.0589–0.0593 → 0.0544–0.0548
/// (21.0–21.3 → 15.8), I = 32768 at 8 0.1030 → 0.0877 (43.0 → 28.1); eight ranges of two or four
/// columns, or sixteen of four on 32 lanes, slower. At the README's depth (512 chunks) two or four
/// columns in four ranges were even or slower in the stack.
const GEMV_DEEP_SPLITS: u32 = 4;

/// Lanes a column of a deep narrow GEMV's ranges ([`gemv_range_group`]).
const GEMV_DEEP_LANES: u32 = 64;

/// Whether an (m, n, k) GEMV is narrow (its workgroups on all of K, one column a group, under
/// [`GEMV_WORKGROUPS`]: the down projection) with 2 to [`GEMV_ROWS`] rows and K % 8 == 0: what
/// [`gemv_splits`] splits; with `chunk` elements a load.
fn splits_narrow((m, n, k): (u32, u32, u32), chunk: u32) -> bool {
    (2..=GEMV_ROWS).contains(&m)
        && k.is_multiple_of(8)
        && group_workgroups(n, gemv_lanes(m, n, k / chunk), 1) < GEMV_WORKGROUPS as u64
}

/// Rows from which a deep narrow GEMV's ranges stream four columns a group ([`deep_group`]); from one
/// row fewer where [`GEMV_DEEP_QUAD_WIDE_CHUNKS`] deep.
const GEMV_DEEP_QUAD_FROM_M: u32 = 6;

/// Chunks of eight halves from which a deep narrow GEMV's ranges stream four columns a group at one row
/// fewer than [`GEMV_DEEP_QUAD_FROM_M`] ([`deep_group`]): the down projection from I = 16384.
const GEMV_DEEP_QUAD_WIDE_CHUNKS: u32 = 2048;

/// Columns a group of a deep narrow GEMV's ranges at `m` rows `chunks` chunks of eight halves deep
/// ([`gemv_range_group`]): two at 4 rows, four from [`GEMV_DEEP_QUAD_FROM_M`] rows to 8 (from 5 where
/// [`GEMV_DEEP_QUAD_WIDE_CHUNKS`] deep); else none (two ranges of one column). Per layer of a stack of 4
/// on an H200 against two ranges of one column (runs 420–422): at 4 rows I = 8192 0.0320 → 0.0315 ms, I =
/// 32768 0.0759 → 0.0711; at 2 and 3 rows even (I = 16384 0.0433 / 0.0440 → 0.0431 / 0.0438, I = 8192 at
/// 2 0.0298 → 0.0299). Four columns in rounds of two chunks a column ([`gemv_range_round`]; in rounds of
/// one they lost at 5 rows and were even with two columns at 6 and 7) against the rule before (two ranges
/// of one column at 5 rows, four ranges of two columns in rounds of one at 6 and 7, of four in rounds of
/// one at 8; run434, the down GEMV alone in µs): I = 16384 at 5 / 6 / 7 / 8 tokens 0.0478 / 0.0490 /
/// 0.0513 / 0.0529 → 0.0469 / 0.0475 / 0.0497 / 0.0517 ms (14.97 / 14.74 / 15.96 / 15.85 → 13.41 / 13.29
/// / 13.89 / 14.66), I = 32768 at 6 0.0780 → 0.0744 (26.45 → 21.78), I = 8192 at 6 / 7 / 8 0.0338 / 0.0345
/// / 0.0365 → 0.0332 / 0.0348 / 0.0360 (9.51 / 10.30 / 10.11 → 8.76 / 9.08 / 9.40); at 5 rows I = 8192
/// lost in the stack though its GEMV alone gained (0.0330 → 0.0337 and, run433, 0.0330 → 0.0333; 9.40 →
/// 9.00), so there one column as before. At 3 and 4 rows four columns in rounds of two were even or lost
/// (I = 16384 at 3 0.0440 → 0.0440, at 4 0.0450 → 0.0458; I = 8192 at 4 0.0314 → 0.0325) (BENCHMARKS.md,
/// "The deep down GEMV on four columns in rounds of two").
fn deep_group(m: u32, chunks: u32) -> Option<u32> {
    let from = if chunks >= GEMV_DEEP_QUAD_WIDE_CHUNKS {
        GEMV_DEEP_QUAD_FROM_M - 1
    } else {
        GEMV_DEEP_QUAD_FROM_M
    };
    match m {
        4 => Some(2),
        m if (from..=GEMV_ROWS).contains(&m) => Some(4),
        _ => None,
    }
}

/// The chunks a column each round of a deep narrow GEMV's ranges loads ([`gemv_range_group`]) on `group`
/// columns a group: two on four (`QUAD_ROUND`), one on two (`PAIR_ROUND`). The same sums in the same
/// order: the same bits. Four columns in rounds of two against rounds of one (run432–433), the down GEMV
/// alone at I = 16384 and 8 tokens 15.74–15.90 → 14.56–14.66 µs; two columns in rounds of two at 6 / 7
/// rows 14.67 / 15.94 → 14.58 / 16.37, of four 16.92 / 19.85. `OMNIMOE_GEMV_RANGE_ROUND=1`, `2` or (two
/// columns only) `4`, a measuring aid, fixes it.
pub(in crate::gpu::stages) fn gemv_range_round(group: u32) -> u32 {
    let default = if group == 4 { 2 } else { 1 };
    let most = if group == 4 { 2 } else { 4 };
    crate::gpu::measuring::env_count("OMNIMOE_GEMV_RANGE_ROUND")
        .filter(|r| [1, 2, 4].contains(r))
        .unwrap_or(default)
        .min(most)
}

/// How each K range of a split (m, n, k) GEMV streams its columns where not as a GEMV of the range's
/// depth would: `Some((group, lanes))`, `group` columns a group on `lanes` lanes, in the rounds
/// `gemv_range_round` gives (PAIR, with QUAD for four, and FMA: each chunk of A's rows loaded and
/// unpacked once for the group's columns; the layer's partial products added in range order as any split
/// GEMV's), for a deep narrow GEMV (the down projection from I = 8192: 1024 chunks of eight halves or
/// more, 2 to 8 rows, f16 storage): two columns on 64 lanes at 4 rows, four from 6 to 8 (from 5 from I =
/// 16384, `deep_group`); else `None`. Such a GEMV runs in four K ranges (`split_k`).
/// `OMNIMOE_GEMV_NARROW`, a measuring aid: `off` (`None`), or `group:lanes` for every narrow GEMV of 2 to
/// 8 rows in chunks of eight (then in four ranges unless `OMNIMOE_GEMV_SPLIT` says).
pub fn gemv_range_group((m, n, k): (u32, u32, u32), f16: bool) -> Option<(u32, u32)> {
    if !(f16 && splits_narrow((m, n, k), 8)) {
        return None;
    }
    narrow_range_group(m, k)
}

/// [`gemv_range_group`] for an `m`-row GEMV `k` deep with f16 storage already known narrow
/// ([`splits_narrow`], which [`gemv_splits`] has just asked).
fn narrow_range_group(m: u32, k: u32) -> Option<(u32, u32)> {
    use crate::gpu::measuring::{env_is, env_parse};
    if !gemv_fma() || env_is("OMNIMOE_GEMV_NARROW", "off") {
        return None;
    }
    let aid = env_parse("OMNIMOE_GEMV_NARROW", |v| {
        let (g, l) = v.split_once(':')?;
        Some((g.parse::<u32>().ok()?, l.parse::<u32>().ok()?))
    });
    if let Some((group, lanes)) = aid {
        let valid = [2, 4].contains(&group) && [16, 32, 64, 128].contains(&lanes);
        return valid.then_some((group, lanes));
    }
    let chunks = k / 8;
    let group = deep_group(m, chunks)?;
    (chunks >= GEMV_DEEP_SPLIT_CHUNKS).then_some((group, GEMV_DEEP_LANES))
}
