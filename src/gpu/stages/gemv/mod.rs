//! Host side of `shaders/gemv.wgsl` beyond its dispatch in `gemm.rs`: how many lanes stream each column,
//! where a group streams two or four (PAIR, QUAD: `shaders/gemv/pair.wgsl`, `quad.wgsl`) and in what
//! rounds, in how many K ranges a narrow GEMV runs (SPLITK, [`ranges`]), and the decode chain's GEMV of a
//! row given as two parts (ASUM).

mod ranges;

pub use ranges::gemv_range_group;
pub(super) use ranges::{gemv_range_round, gemv_splits};

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::gemm::{gemm_dispatch, Epilogue};
use super::gemm_kernel::{GemmKernel, GEMV_ROWS};

/// Workgroups the GEMV's lanes a column aim for ([`gemv_lanes`]). Measured on an H100 at the README's
/// sizes (`h100-run-code/run292.sh`, `run293.sh`): the f16 gate/up GEMV (8320 columns, 128 chunks deep)
/// 11.1–11.2 µs on 16 lanes (520 workgroups), 10.7–10.8 on 32 (1040), 11.9–12.0 on 64 (2080); the down
/// projection (1024 columns, 512 chunks) 8.0–8.1 on 64 (256 workgroups), 10.0 on 32; the f32 gate/up
/// GEMV (256 chunks) 16.4 on 32, 17.4 on 64.
pub(super) const GEMV_WORKGROUPS: u32 = 1024;

/// Chunks a column from which [`gemv_lanes`] takes 128 lanes rather than 64: 32 a lane on 64 (eight
/// rounds of four loads). Measured on an H100 at one token (`h100-run-code/run301.sh`–`run305.sh`):
/// alone, the down projection on 64 / 128 lanes took 8.0 / 7.4 µs at I = 4096 (512 chunks), 11.9 / 10.8
/// at 8192, 22.6–23.0 / 17.4–17.9 at 16384 (2048); in the layer, beside router_experts, the f16 layer
/// at I = 16384 per layer of a stack of 4 0.0578–0.0582 → 0.0515–0.0518 ms, f32 (4096 chunks)
/// 0.0877–0.0878 → 0.0830, while at 1024 chunks 128 lanes gained nothing (f16 at I = 8192:
/// 0.0344–0.0345 → 0.0345) or lost (f32 at the README's sizes: 0.0312–0.0315 → 0.0321–0.0324; f16 at
/// 512 chunks 0.0259–0.0261 → 0.0261–0.0266).
const GEMV_DEEP_CHUNKS: u32 = 32 * 64;

/// Whether a GEMV of up to 8 rows in vector chunks has its rows fixed by its pipeline (`ROWS` in
/// `gemv.wgsl`: M), so that every row's chunks of A load beside B's: yes, unless
/// `OMNIMOE_GEMV_ROWS_BRANCH` is set (a measuring aid: the GEMV as before the thirty-second session).
pub(super) fn gemv_fixed_rows() -> bool {
    !super::super::measuring::env_set("OMNIMOE_GEMV_ROWS_BRANCH")
}

/// Whether a GEMV in chunks of eight halves (f16 storage, K % 8 == 0) has its rows take each chunk's
/// products one fma at a time (`FMA` in `gemv.wgsl`: 8 fmas a chunk where a dot and its add took 10
/// operations; other sums than without, as reproducible): yes, unless `OMNIMOE_GEMV_FMA=off` (a
/// measuring aid). Every such GEMV alike, at any rows, so that the decode chain's two-part GEMV and a
/// product's rows keep the bits of the plain one-row GEMV. Measured on an H200 (BENCHMARKS.md, "One fma
/// at a time", run404), per layer of a stack of 4: 3 tokens 0.0267 → 0.0257 ms, 5 tokens 0.0296 →
/// 0.0276, I = 16384 at 5 0.0532 → 0.0507, at 8 0.0666 → 0.0636, 1, 2 and 4 tokens even; with f32
/// storage (chunks of four) slower (4 tokens 0.0325 → 0.0333: its down GEMV 9.3 → 10.5 µs), so not there.
pub(super) fn gemv_fma() -> bool {
    !super::super::measuring::env_is("OMNIMOE_GEMV_FMA", "off")
}

/// Rows from which a PAIR GEMV with FMA streams four columns a group ([`gemv_quad`]), to 8; at one row
/// fewer where four columns a group still leave [`GEMV_PAIR_WORKGROUPS`] workgroups. At 8 rows since the
/// thirty-sixth session (on an H200 per layer of a stack of 4, in rounds of two chunks: I = 16384
/// 0.0616–0.0622 → 0.0596–0.0600 ms, gate/up alone 30.4 → 26.5 µs, "Four columns a group", runs
/// 407–409; the README's sizes 0.0300 → 0.0287–0.0292, I = 8192 0.0390–0.0394 → 0.0378–0.0383, run420).
/// At 5 to 7 rows four columns lost until their lane sums were reduced two blocks at a time
/// (`reduce_halves` in `gemv/quad.wgsl`); since, against two (runs 428–429, rounds of two): at 6 / 7
/// tokens I = 16384 0.0520–0.0521 / 0.0531–0.0542 → 0.0487–0.0493 / 0.0508–0.0509 (gate/up alone 30.2 /
/// 28.4 → 23.1 / 23.7 µs), I = 8192 0.0354–0.0360 / 0.0359–0.0362 → 0.0331–0.0333 / 0.0346–0.0347, the
/// README's sizes 0.0273–0.0276 / 0.0286–0.0287 → 0.0273–0.0275 / 0.0280–0.0282, I = 2048 at 6 0.0264 →
/// 0.0268; at 5 I = 16384 (514 workgroups on four columns) 0.0487 → 0.0472–0.0477 (25.8 → 22.3–22.5),
/// I = 8192 (258) 0.0334 → 0.0328, the README's (260) 0.0260 → 0.0268 (BENCHMARKS.md, "A QUAD group's
/// lane sums two blocks at a time"). `OMNIMOE_GEMV_QUAD_FROM=M`, a measuring aid, moves it (at M rows
/// and more at every width).
const GEMV_QUAD_FROM_M: u32 = 6;

/// Bytes of workgroup memory the GEMV's QUAD build declares: its lane sums of two blocks of columns at a
/// time and their results (`part` and `res` in `shaders/gemv.wgsl`, two blocks of 2176 and 136 words;
/// other builds one). Where the device allows less, a group streams two columns.
pub const GEMV_QUAD_WORKGROUP_BYTES: u32 = 4 * 2 * (2176 + 136);

/// The chunks a column each round loads where an `m`-row PAIR GEMV with FMA streams four columns a group
/// (QUAD in `gemv.wgsl`, `gemv/quad.wgsl`: A's loads and unpacking per column halved again; the same
/// lanes, the same bits), or `None` for two: two chunks from [`GEMV_QUAD_FROM_M`] rows, or from one row
/// fewer where the `n` columns on `lanes` lanes a column leave [`GEMV_PAIR_WORKGROUPS`] on four.
/// `OMNIMOE_GEMV_QUAD`, a measuring aid: `off`, or `1` / `2` (four columns wherever two would be, in
/// rounds of that many chunks).
pub(super) fn gemv_quad(m: u32, n: u32, lanes: u32) -> Option<u32> {
    use super::super::measuring::{env_count, env_is};
    if env_is("OMNIMOE_GEMV_QUAD", "off") {
        return None;
    }
    if let Some(round) = env_count("OMNIMOE_GEMV_QUAD").filter(|r| [1, 2].contains(r)) {
        return Some(round);
    }
    if let Some(from) = env_count("OMNIMOE_GEMV_QUAD_FROM") {
        return (from..=GEMV_ROWS).contains(&m).then_some(2);
    }
    let wide = group_workgroups(n, lanes, 4) >= GEMV_PAIR_WORKGROUPS as u64;
    let from = if wide {
        GEMV_QUAD_FROM_M - 1
    } else {
        GEMV_QUAD_FROM_M
    };
    (from..=GEMV_ROWS).contains(&m).then_some(2)
}

/// The workgroups (of 256 invocations) of an `n`-column GEMV on `lanes` lanes a column whose groups
/// stream `group` columns each, rounded down: what [`gemv_pair`] and [`gemv_quad`] hold against
/// [`GEMV_PAIR_WORKGROUPS`], [`gemv_lanes`] and [`gemv_splits`] (one column a group) against
/// [`GEMV_WORKGROUPS`].
pub(super) fn group_workgroups(n: u32, lanes: u32, group: u32) -> u64 {
    n as u64 * lanes as u64 / (256 * group as u64)
}

/// Workgroups from which a GEMV of [`GEMV_PAIR_FROM_M`] rows or more streams two columns a group
/// ([`gemv_pair`]). Measured on an H200 (BENCHMARKS.md, "Two columns a group", runs 393–394): the
/// README's gate/up GEMV (8320 columns on 32 lanes: 520 workgroups paired) 9.7 → 8.5 µs at 4 tokens; its
/// down projection (1024 columns on 64 lanes: 128 paired) 7.7 → 8.7, and on twice the lanes (256) faster
/// only at some rows (4, 6, 8), slower at others (2, 3, 5).
const GEMV_PAIR_WORKGROUPS: u32 = 512;

/// Rows from which a GEMV streams two columns a group where that leaves it
/// [`GEMV_PAIR_WORKGROUPS`] ([`gemv_pair`]): at one token the README's gate/up GEMV alone 7.3 → 7.7 µs
/// on an H200, at two 8.4 → 7.9 (run393).
const GEMV_PAIR_FROM_M: u32 = 2;

/// The lanes a column of a GEMV of `m` (≤ 8) rows in vector chunks and `n` columns on `lanes` lanes a
/// column where its groups stream two columns each (PAIR in `gemv.wgsl`: each chunk of A's rows loaded
/// and unpacked once for both; with the lanes unchanged, the same bits), or `None` for one column a
/// group: from
/// [`GEMV_PAIR_FROM_M`] rows, where the workgroups, half as many, stay [`GEMV_PAIR_WORKGROUPS`] or more.
/// `OMNIMOE_GEMV_PAIR`, a measuring aid: `off` (one column a group), `all` (two wherever it may),
/// `double` (two wherever it may, on twice the lanes, at most 128).
pub(super) fn gemv_pair(m: u32, n: u32, lanes: u32) -> Option<u32> {
    let aid = |value| super::super::measuring::env_is("OMNIMOE_GEMV_PAIR", value);
    if aid("off") {
        None
    } else if aid("all") {
        Some(lanes)
    } else if aid("double") {
        Some((2 * lanes).min(128))
    } else {
        let paired = group_workgroups(n, lanes, 2) >= GEMV_PAIR_WORKGROUPS as u64;
        (m >= GEMV_PAIR_FROM_M && paired).then_some(lanes)
    }
}

/// Rows from which a PAIR GEMV's rounds load two chunks a column, not four ([`gemv_pair_round`]): on an
/// H200 the README's gate/up GEMV alone at 5 tokens 9.5 → 9.2 µs, at 8 12.9 → 11.0, I = 16384 at 5 28.7
/// → 27.1 (run395).
const GEMV_PAIR_ROUND2_FROM_M: u32 = 5;

/// Rows from which a PAIR GEMV's rounds load one chunk a column ([`gemv_pair_round`]): on an H200 per
/// layer of a stack of 4 (`h200-run-code/run406.sh`, two rounds) the README's sizes at 6 tokens
/// 0.0287–0.0294 → 0.0281–0.0282 ms, I = 16384 at 7 0.0595–0.0604 → 0.0579–0.0584, at 8 0.0631–0.0632 →
/// 0.0616–0.0620; I = 8192 and I = 16384 at 6 even. At 7 and 8 rows, where every layer runs the GEMV
/// since the thirty-seventh session, against rounds of two (run418): the README's sizes even, I = 8192 at
/// 8 tokens 0.0394–0.0395 against 0.0419.
const GEMV_PAIR_ROUND1_FROM_M: u32 = 6;

/// The chunks a column each round of an `m`-row PAIR GEMV loads (`PAIR_ROUND` in `gemv.wgsl`), where not
/// the shader's four: two from [`GEMV_PAIR_ROUND2_FROM_M`] rows, one from [`GEMV_PAIR_ROUND1_FROM_M`].
/// The same sums in the same order: the same bits. `OMNIMOE_GEMV_PAIR_ROUND=1`, `2` or `4`, a measuring
/// aid, fixes it.
pub(super) fn gemv_pair_round(m: u32) -> Option<u32> {
    let default = if m >= GEMV_PAIR_ROUND1_FROM_M {
        1
    } else if m >= GEMV_PAIR_ROUND2_FROM_M {
        2
    } else {
        4
    };
    let round = super::super::measuring::env_count("OMNIMOE_GEMV_PAIR_ROUND")
        .filter(|r| [1, 2, 4].contains(r))
        .unwrap_or(default);
    (round != 4).then_some(round)
}

/// Lanes per column of the GEMV for an `n`-column projection `chunks` loads deep: chunks / 8 rounded up
/// to a power of two, from 16 to 64 (about eight chunks a lane: two rounds of four loads in flight), so
/// that a wide projection of little depth runs as one wave of longer streams instead of many short ones;
/// then doubled while the workgroups (n · lanes / 256) stay under [`GEMV_WORKGROUPS`] and each lane keeps
/// four chunks; 128 (a workgroup's two columns, a SwiGLU pair for gemv.wgsl's `store`) where 64 would
/// leave the workgroups under it and [`GEMV_DEEP_CHUNKS`] are as deep (a narrow projection of a wide
/// model: the down projection at I = 16384). Last, for 2 rows or more, 16 lanes become 32 where 16's
/// workgroups would fill their rounds at most [`GEMV_ROUND_FILL_MOST`] and 32's fill theirs more
/// ([`round_fill`]): the gate/up GEMV of H = 1024 at I = 10240 and 12288. `OMNIMOE_GEMV_LANES=L`, a
/// measuring aid, fixes the lanes; `OMNIMOE_GEMV_ROUNDS=off` leaves 16.
pub(super) fn gemv_lanes(m: u32, n: u32, chunks: u32) -> u32 {
    super::super::measuring::env_count("OMNIMOE_GEMV_LANES")
        .filter(|l| [16, 32, 64, 128].contains(l))
        .unwrap_or_else(|| {
            let under = |lanes: u32| group_workgroups(n, lanes, 1) < GEMV_WORKGROUPS as u64;
            let mut lanes = (chunks / 8).next_power_of_two().clamp(16, 64);
            while lanes < 64 && under(lanes) && chunks >= 8 * lanes {
                lanes *= 2;
            }
            if lanes == 64 && under(lanes) && chunks >= GEMV_DEEP_CHUNKS {
                lanes = 128;
            }
            let rounds = !super::super::measuring::env_is("OMNIMOE_GEMV_ROUNDS", "off");
            let fill16 = round_fill(n, 16);
            if rounds
                && m >= 2
                && lanes == 16
                && chunks >= 4 * 32
                && fill16 <= GEMV_ROUND_FILL_MOST
                && round_fill(n, 32) > fill16
            {
                lanes = 32;
            }
            lanes
        })
}

/// Workgroups of 256 lanes on one column each that run at once on an H100 or H200: eight an SM, on
/// [`MEASURED_SMS`](super::MEASURED_SMS). A PAIR or QUAD group's workgroups run two or four columns each
/// and fewer an SM (the 8-row QUAD build two, by its registers), about as many columns at once.
const GEMV_WAVE: u64 = 8 * super::MEASURED_SMS as u64;

/// How full 16 lanes' rounds may be for [`gemv_lanes`] to take 32. Measured on an H200 (BENCHMARKS.md,
/// "Rounds of GEMV workgroups", run463), per layer of a stack of 4, 16 → 32 lanes: I = 12288 (fill
/// 0.73) at 3 / 5 / 8 tokens 0.0387 / 0.0437 / 0.0469 → 0.0383 / 0.0414 / 0.0450 ms, I = 10240 (0.61)
/// 0.0371 / 0.0403 / 0.0439 → 0.0360 / 0.0394 / 0.0432; at I = 20480 (0.81) the gate/up GEMV alone ran
/// faster (34.2 → 33.0 µs at 8 tokens) but the stack at 8 tokens slower (0.0606 → 0.0620), and at 1
/// token (the decode chain's GEMV of two parts) the stack slower at I = 12288 and 20480 too.
const GEMV_ROUND_FILL_MOST: f64 = 0.75;

/// How full the rounds of an `n`-column GEMV on `lanes` lanes a column are: its workgroups (on one
/// column each) over [`GEMV_WAVE`], divided by the rounds that takes. Each SM streams its workgroups at
/// its own pace, so a round the workgroups fill only in part costs about a whole one (the skinny kernel's
/// finding, `skinny_subgroups`); on an H200 the gate/up GEMV alone at I = 12288 (1.46 rounds on 16
/// lanes, 2.92 on 32) took 23.1 → 21.4 µs at 8 tokens on 32 lanes (BENCHMARKS.md).
fn round_fill(n: u32, lanes: u32) -> f64 {
    let rounds = group_workgroups(n, lanes, 1) as f64 / GEMV_WAVE as f64;
    rounds / rounds.ceil().max(1.0)
}

/// The GEMV's `variant` (from [`gemm_dispatch`]) as [`gemv_parts`] builds it for depth `k`: ASUM, with f16
/// storage ASUM_HALF, where K % 4 == 0 ASUM4.
pub(crate) fn gemv_parts_variant(variant: Variant, f16: bool, k: u32) -> Variant {
    let mut variant = variant.with("ASUM");
    if f16 {
        variant = variant.with("ASUM_HALF");
    }
    if k.is_multiple_of(4) {
        variant = variant.with("ASUM4");
    }
    variant
}

/// Most K of [`gemv_parts`]: its row is staged in 2048 elements of the GEMV's workgroup memory (`part`'s
/// first 2048 f32, or `row_half` with f16 storage).
pub const GEMV_PARTS_MAX_K: u32 = 2048;

/// The GEMV of one row given as two f32 parts of K: `a = elem(dense + branch)`, a layer's output left as its
/// down projection and its expert branch by the decode chain (`gemv.wgsl`'s ASUM: the bits the expert
/// stage's `ADD_ELEM` would have stored), which it also stores to `x_out` (elem `[K]`); `c = a · bᵀ` with
/// `epilogue`. `kernel` is the GEMV.
#[allow(clippy::too_many_arguments)]
pub fn gemv_parts<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    (n, k): (u32, u32),
    (dense, branch): (Bind<'a>, Bind<'a>),
    x_out: Bind<'a>,
    b: Bind<'a>,
    c: Bind<'a>,
    epilogue: Epilogue<'a>,
) {
    assert!(
        matches!(kernel, GemmKernel::Gemv { .. }) && k <= GEMV_PARTS_MAX_K,
        "a row from two parts through the GEMV, K ≤ {GEMV_PARTS_MAX_K}"
    );
    let (stage, variant, groups) =
        gemm_dispatch(&rec.ctx().caps, kernel, (1, n, k), epilogue.kind());
    let mut binds = vec![(1, dense), (2, b), (3, c), (6, branch), (7, x_out)];
    let split = epilogue.bind(n, &mut binds);
    let variant = gemv_parts_variant(variant, kernel.is_f16(), k);
    rec.dispatch(
        label,
        stage,
        "main",
        &variant,
        &[1, n, k, split, 0, 0, 0],
        binds,
        groups,
    );
}

#[cfg(test)]
mod tests {
    use super::gemv_lanes;

    /// The README's one-token GEMVs (f16 chunks are 8 elements, f32 4): the gate/up GEMV's 8320 columns
    /// on 32 lanes (16 leave 520 workgroups), the down projection on 64 (as deep as a lane's four chunks
    /// allow: 256 workgroups), f32's gate/up GEMV on 32 (already 1040 workgroups), its down projection on
    /// 64; the down projection at I = 16384 on 128 (f16 and f32); a shallow one keeps 16, a deep one of
    /// many columns 64.
    #[test]
    fn gemv_lanes_fill_about_a_thousand_workgroups() {
        if crate::gpu::measuring::env_set("OMNIMOE_GEMV_LANES") {
            return;
        }
        assert_eq!(gemv_lanes(8, 8320, 1024 / 8), 32);
        assert_eq!(gemv_lanes(8, 1024, 4096 / 8), 64);
        assert_eq!(gemv_lanes(8, 8320, 1024 / 4), 32);
        assert_eq!(gemv_lanes(8, 1024, 4096 / 4), 64);
        assert_eq!(gemv_lanes(8, 1024, 16384 / 8), 128);
        assert_eq!(gemv_lanes(8, 1024, 16384 / 4), 128);
        assert_eq!(gemv_lanes(8, 1024, 2048 / 8), 64);
        assert_eq!(gemv_lanes(8, 64, 16), 16);
        assert_eq!(gemv_lanes(8, 100_000, 4096), 64);
    }

    /// The gate/up GEMV of H = 1024 (128 chunks deep, 2·I + 128 columns) at 2 rows or more runs 32 lanes
    /// where 16 would fill its rounds at most three quarters (I = 10240, 12288), else 16 from I = 8192.
    #[test]
    fn gemv_lanes_fill_their_rounds() {
        if crate::gpu::measuring::env_set("OMNIMOE_GEMV_LANES")
            || crate::gpu::measuring::env_set("OMNIMOE_GEMV_ROUNDS")
        {
            return;
        }
        let gate_up = |i: u32| gemv_lanes(8, 2 * i + 128, 1024 / 8);
        assert_eq!(gate_up(4096), 32);
        assert_eq!(gate_up(8192), 16);
        assert_eq!(gate_up(10240), 32);
        assert_eq!(gate_up(12288), 32);
        assert_eq!(gate_up(14336), 16);
        assert_eq!(gate_up(16384), 16);
        assert_eq!(gate_up(20480), 16);
        assert_eq!(gate_up(24576), 16);
        assert_eq!(gate_up(32768), 16);
        // Half as deep (H = 512): 16 lanes keep their four chunks each.
        assert_eq!(gemv_lanes(8, 2 * 12288 + 128, 512 / 8), 16);
        // One row (the decode chain's GEMV): 16.
        assert_eq!(gemv_lanes(1, 2 * 12288 + 128, 1024 / 8), 16);
    }
}
