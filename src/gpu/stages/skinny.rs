//! Host side of `shaders/gemm_skinny.wgsl`: which shapes it takes, its variant, how many K ranges it splits
//! into, and the size of its partial products. It always runs as the first pass of a split-K GEMM
//! ([`super::gemm_split_k`] with [`GemmKernel::Skinny`]); `gemm_reduce` applies the epilogue.
//!
//! [`GemmKernel::Skinny`]: super::GemmKernel::Skinny

use super::super::measuring::{env_count, env_is};
use super::super::pipelines::Variant;
use super::super::Capabilities;

/// Most rows of A the skinny kernel takes (four 16-row fragments).
pub const SKINNY_MAX_M: u32 = 64;

/// Fewest rows a layer runs on the skinny kernel where it has it: below, the GEMV. Measured on an H100
/// at the README's sizes (BENCHMARKS.md): since the STAGED build's coalesced loads
/// (`h100-run-pf2/run164.sh`, two sweeps each) the layer at 2 tokens 0.0284 / 0.0284 ms against 0.0292 /
/// 0.0292 with the GEMV, at 1 token the GEMV ahead (0.0269 / 0.0276 against 0.0280 / 0.0282). Again with
/// the GEMV's partial sums off one bank (`h100-run-code/run289.sh`, per layer of a stack of 4): 2 tokens
/// 0.0316–0.0317 against 0.0347–0.0352, 3 tokens 0.0319–0.0325 against 0.0380–0.0381. (Before them, from
/// 4 tokens: `h100-run-decode5/run130.sh`, `h100-run-decode3/run103.sh`.) Since the GEMV's rows are
/// fixed by its pipeline (no branch between its loads of B and of A's rows; `h200-run-code/run388.sh`, an
/// H200, per layer of a stack of 4, GEMV against skinny kernel): 3 tokens 0.0266–0.0272 against
/// 0.0301–0.0302 ms, 4 0.0279–0.0282 against 0.0298–0.0304, 5 0.0297–0.0301 against 0.0299–0.0306, 6
/// 0.0310–0.0315 against 0.0300–0.0306, 8 0.0343–0.0344 against 0.0304–0.0309; at I = 16384 the GEMV
/// also ahead at 5 and 6 (0.0578 / 0.0612 against 0.0695 / 0.0697), behind at 8 (0.0739 against 0.0699).
/// Since the GEMV's sums take a chunk one fma at a time (`h200-run-code/run406.sh`, two rounds): the
/// README's sizes at 6 tokens 0.0281–0.0282 against 0.0300–0.0307, I = 8192 0.0401–0.0402 against
/// 0.0412; at 7 tokens even (0.0305 against 0.0306, I = 8192 0.0424 against 0.0420, run405); a layer of
/// 32768 gate/up columns or more kept the GEMV to 8 tokens from then (I = 16384 at 6 / 7 / 8 tokens
/// 0.0582 / 0.0625 / 0.0656 against 0.0701 / 0.0710 / 0.0704, run398). Since the narrow GEMV runs in two
/// K ranges (`h200-run-code/run415.sh`, two rounds, GEMV against skinny kernel): every layer keeps the
/// GEMV to its 8-row build, the README's sizes at 7 tokens 0.0283–0.0284 against 0.0302, at 8
/// 0.0300–0.0307 against 0.0304–0.0309, I = 8192 at 7 / 8 0.0385–0.0386 / 0.0389–0.0394 against 0.0417 /
/// 0.0419–0.0424, I = 2048 at 8 0.0275–0.0280 against 0.0282.
pub const SKINNY_FROM_M: u32 = super::GEMV_ROWS + 1;

/// Columns of C per subgroup (`n0` in `shaders/gemm_skinny.wgsl`): what N must be a multiple of.
const SUBGROUP_COLUMNS: u32 = 32;

/// Workgroups of the skinny kernel's STAGED builds that run at once, one an SM (by workgroup memory:
/// ~35–43 KiB each), on the GPUs its rules were measured on (an H100's or H200's 132 SMs; wgpu reports no
/// count of SMs): [`skinny_subgroups`], [`skinny_groups`].
const SKINNY_WAVE: u32 = 132;

/// Subgroups a workgroup of the skinny kernel for an (m, n, k) GEMM, `staged` and `alone` as in
/// [`GemmKernel::Skinny`](super::GemmKernel::Skinny). Four, except where its rows and K take the
/// 64-k-a-step build (≤ 16 rows, K % 64 == 0) and four's workgroups, counted in the fewest K ranges (512
/// deep), do not run at once ([`SKINNY_WAVE`]). Then a GEMM beside no other dispatch (the layer's gate/up
/// GEMM) takes six (192 columns a workgroup, 64 k a step, ~43 KiB) where six's run at once, else eight
/// (256 columns, 32 k a step, A 512 deep, ~36 KiB: eight subgroups' 64-k steps would take ~53 KiB) where
/// eight's do, else six; a GEMM beside other work (the down projection, beside the router) eight where
/// eight's run at once, else four (six's ~43 KiB had kept the router from running beside it: the
/// README's layer 0.0321 → 0.0381 ms, run446). Each SM streams its workgroups' weights at its own pace
/// (not the HBM's): a second round of workgroups on some SMs costs most of a round, while more subgroups
/// a workgroup take a round longer but fewer rounds. In the fewest ranges (those [`skinny_splits`] gives
/// six or eight) the same sums as four's where four's ranges are those too: the same bits. Where none
/// run at once, six's blocks of columns run on one round of workgroups all the same ([`skinny_groups`]).
///
/// Measured on an H200 (BENCHMARKS.md, "Eight subgroups a workgroup, and workgroups that run at once"):
/// - The gate/up GEMM alone at 16 tokens, H = 1024, two ranges (`h200-run-code/run450.sh`), four / six /
///   eight subgroups, µs: I = 6144 (97 column workgroups of 128) 16.32 / **11.93** / 16.18 (eight in
///   three ranges), I = 8192 (129) 17.91 / 18.41 / **14.92**, I = 10240 (161) 24.98 / **20.34** /
///   24.45, I = 12288 (193) 26.28 / **21.68** / 25.09, I = 16384 (257) 33.73 / **29.13** / 28.45; I =
///   32768 (513) 62.73 / **52.01** / 53.10 (run448, run449); at the README's sizes (65) four's 130
///   workgroups run at once (10.3 µs; eight in four ranges took the layer 0.0319 → 0.0336 ms, run449).
///   Beside six from 256 column workgroups of 128 (run451), per layer of a stack of 4 at 16 tokens:
///   I = 4352 / 5120 / 6144 (six) 0.0380 / 0.0396 / 0.0412 → 0.0335 / 0.0345 / 0.0364 ms, I = 7168 /
///   8192 (eight) 0.0434 / 0.0436 → 0.0406 / 0.0412, I = 9216 (six) 0.0566 → 0.0526, H = 2048 at I =
///   4096 (eight in four ranges) 0.0485 → 0.0454.
/// - The down projection on eight (`run452.sh`, `run453.sh`: its 8 column workgroups of 128 in 20, 24
///   or 32 ranges 512 deep, 160 to 256 workgroups on four, 80 to 128 on eight), per layer of a stack of
///   4 at 16 tokens: I = 10240 / 12288 / 16384 0.0548 / 0.0568 / 0.0674 → 0.0501 / 0.0526 / 0.0640 ms
///   (down 16.18 / 16.85 / 18.42 → 12.93 / 13.38 / 14.66 µs), I = 16384 at 9 / 12 tokens 0.0665 /
///   0.0674 → 0.0612 / 0.0616 (its fused chain from 9 to 15 tokens now: [`skinny_groups`] halves what
///   its down projection re-reads); the README's sizes, I = 8192 (128 workgroups on four) and I = 32768
///   (eight's 256 do not run at once either) as before.
///
/// The same bits at every point. `OMNIMOE_SKINNY_SG=4`, `6` or `8`, a measuring aid, asks that count
/// wherever the rule could give more than four (six only alone).
pub(crate) fn skinny_subgroups((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> u32 {
    let narrow = base_build(m, k, k, staged, alone);
    if narrow.step != Some(64) {
        return 4;
    }
    if let Some(subgroups) = skinny_env().subgroups.filter(|&s| alone || s != 6) {
        return subgroups;
    }
    let ranges = k.div_ceil(narrow.deepest(fragments(m)));
    let at_once = |subgroups: u32| n.div_ceil(subgroups * SUBGROUP_COLUMNS) * ranges <= SKINNY_WAVE;
    if alone {
        [4, 6, 8].into_iter().find(|&s| at_once(s)).unwrap_or(6)
    } else {
        [4, 8].into_iter().find(|&s| at_once(s)).unwrap_or(4)
    }
}

/// Workgroups the skinny kernel aims for unless `OMNIMOE_SKINNY_WGS` says otherwise. Measured on an H100
/// at the README's sizes (BENCHMARKS.md, `h100-run-skinny2/`): 128 against 64, 192, 256 and 512 — at 16
/// tokens the gate/up GEMM in 2 K ranges and the down projection in 16 took the layer from 0.054 to
/// 0.043 ms, at 32 from 0.058 to 0.051 (more ranges: more partial products to write and add; fewer: too
/// little in flight). Again with today's kernels (`h100-run-code/run286.sh`, per layer of a stack of 4):
/// 8 and 16 tokens 0.0324–0.0339 ms at 128, 0.0392–0.0422 at 256, 0.0419–0.0451 at 384.
const SKINNY_WORKGROUPS: u32 = 128;

/// Whether the skinny kernel takes an (m, n, k) GEMM: 1 ≤ m ≤ [`SKINNY_MAX_M`], n ≥ 32 a multiple of 32
/// (a subgroup's columns; a last workgroup's subgroups past n store nothing) and k of 32 (every
/// fragment inside B), and B's elements indexable in 32 bits.
pub fn skinny_takes((m, n, k): (u32, u32, u32)) -> bool {
    (1..=SKINNY_MAX_M).contains(&m)
        && n > 0
        && n % SUBGROUP_COLUMNS == 0
        && k > 0
        && k % 32 == 0
        && (n as u64) * (k as u64) < 1 << 31
}

/// Most rows a layer runs on the skinny kernel ([`skinny_prefers`]).
pub const SKINNY_PREFERRED_MAX_M: u32 = 16;

/// Whether a layer should run an (m, n, k) GEMM the skinny kernel takes on it rather than on the tiled
/// tensor-core kernel: up to [`SKINNY_PREFERRED_MAX_M`] rows. Measured on an H100 at the README's sizes
/// (BENCHMARKS.md): from 5 to 32 tokens it beat the tiled split-K kernels at both GEMMs, at 64 the down
/// projection; since the 64 × 64 tiles at K step 128 it loses both from 17 rows (the layer at 32 tokens
/// 0.0378 → 0.0350 ms, at 64 0.0397 → 0.0375 with both GEMMs on those tiles, `h100-run-early/run175.sh`),
/// and up to 16 it is the fused chain's first and second pass (no reduction between them).
pub fn skinny_prefers((m, n, k): (u32, u32, u32)) -> bool {
    skinny_takes((m, n, k)) && m <= SKINNY_PREFERRED_MAX_M
}

/// 16-row fragments per column for m rows: 1, 2 or 4.
fn fragments(m: u32) -> u32 {
    m.div_ceil(16).next_power_of_two()
}

/// Rows of each K range's partial product: m rounded up to the fragments.
pub fn skinny_rows(m: u32) -> u32 {
    16 * fragments(m)
}

/// Bytes of workgroup memory the skinny kernel declares for m rows (the most over its builds), `staged`
/// and `alone` as in [`GemmKernel::Skinny`](super::GemmKernel::Skinny): at most ~36 KiB (eight subgroups),
/// ~44 KiB alone.
pub fn skinny_workgroup_bytes(m: u32, staged: bool, alone: bool) -> u32 {
    let mt = fragments(m);
    let bytes = |build: Build, subgroups: u32| {
        let a = 16 * mt * (build.deepest(mt) + 8) * 2;
        // Each subgroup's block of B: its columns of a step's halves + 8.
        a + build
            .step
            .map_or(0, |step| subgroups * SUBGROUP_COLUMNS * (step + 8) * 2)
    };
    // Every width that changes the subgroups a workgroup, at every depth.
    BUILD_SHAPES
        .into_iter()
        .flat_map(|(k, kz)| BUILD_WIDTHS.map(|n| (n, k, kz)))
        .map(|(n, k, kz)| {
            let subgroups = skinny_subgroups((m, n, k), staged, alone);
            bytes(build((m, n, k), kz, staged, alone), subgroups)
        })
        .max()
        .unwrap_or(0)
}

/// Widths (N) that between them reach every count of subgroups a workgroup at K = 1024 (two ranges,
/// [`skinny_subgroups`]): four, six, eight and six again.
const BUILD_WIDTHS: [u32; 4] = [128, 12_288, 16_384, 32_768];

/// (K, range depth) pairs that between them reach every build for a given row count: deep ranges with
/// K % 64 == 0 and == 32 (unstaged, or alone STAGED at 64 or 32 k a step, two steps in flight), ranges
/// 256 deep with K % 64 == 32 (STAGED at 32 k a step, A half as deep, two steps in flight), shallow
/// ranges with K % 64 == 0 and == 32 (STAGED at 64 or 32 k a step, one step in flight).
const BUILD_SHAPES: [(u32, u32); 5] = [
    (1024, 1024),
    (1056, 1056),
    (1056, 256),
    (1024, 64),
    (1056, 32),
];

/// How the skinny kernel runs an (m, ·, k) GEMM in ranges `kz` deep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Build {
    /// STAGED and its K step: B streamed by 16-byte loads through each subgroup's block of workgroup
    /// memory, 64 k a step (STEP64) or 32; `None`: fragments straight from the storage buffer.
    step: Option<u32>,
    /// A_HALF: A's rows staged for ranges at most 512 / fragments deep (else 1024 / fragments).
    a_half: bool,
    /// AHEAD2: two steps of B in flight instead of one (see [`AHEAD2_MIN_STEPS`]).
    ahead2: bool,
}

/// Fewest K steps (of 64 or 32) a range of a STAGED build must hold for two steps of B in flight
/// (AHEAD2). Measured on an H100, each GEMM alone on weights from memory, two rounds, the same bits:
/// - 64 k a step, 16 tokens (`h100-run-code/run318.sh`): ranges of 8 steps (512 deep) gate/up at I = 4096
///   / 8192 / 16384 11.4–11.5 / 21.6–21.7 / 40.0 → 11.5 / 20.8 / 37.6 µs, the down projection at I = 8192
///   / 16384 11.3–11.4 / 21.3–21.5 → 11.2–11.3 / 20.7–20.8; ranges of 4 (the down projection at I = 4096)
///   7.7–7.8 → 8.2–8.4, where the two steps read past the range's end (in bounds, unused) are half as
///   many again as its own. As committed (`run319.sh`): per layer of a stack of 4 at I = 16384, 2 / 8 /
///   16 tokens 0.0768–0.0773 / 0.0785–0.0788 / 0.0793–0.0794 → 0.0718–0.0724 / 0.0757–0.0759 / 0.0771 ms;
///   at the README's sizes even.
/// - 32 k a step (half the bytes a step, so one step in flight held half as many): a gate/up GEMM with
///   K % 64 == 32 (H = 1056, ranges of 18 and 15 steps, `run326.sh`) 16.3–16.4 → 12.6–12.9 µs, per layer
///   of a stack of 4 at 2 / 8 / 16 tokens 0.0426 / 0.0526–0.0532 / 0.0668–0.0678 → 0.0392–0.0394 / 0.0492 /
///   0.0634–0.0637; at 24–64 rows (the skinny kernel forced there, `run325.sh`) gate/up at I = 4096
///   15.8–15.9 → 13.0–13.1 (32 rows, 16 steps), the down projection 9.8 → 8.8 (8 steps).
pub const AHEAD2_MIN_STEPS: u32 = 8;

impl Build {
    /// The deepest K range whose rows of A this build stages, for `mt` fragment rows.
    fn deepest(self, mt: u32) -> u32 {
        if self.a_half {
            512 / mt
        } else {
            1024 / mt
        }
    }
}

/// The build for an (m, ·, k) GEMM in ranges `kz` deep asked with `staged`: STAGED where asked and its
/// workgroup memory stays within ~35 KiB (with ~44 KiB the down projection stopped running beside the
/// router on an H100: 32 tokens 0.046 → 0.053 ms, `h100-run-decode5/run128.sh`), that is 64 k a step up to
/// 16 rows where K % 64 == 0 (A 512 deep: 35 KiB), else 32 k a step where the ranges are at most
/// 512 / fragments deep (27 KiB); and `alone` (a GEMM beside no other dispatch) 32 k a step with A as
/// deep as unstaged (~44 KiB: on an H100 the gate/up GEMM at 32 rows 22.0 → 20.4 µs, the layer 0.0431 /
/// 0.0422 → 0.0416 / 0.0408 ms, `h100-run-decode6/run137.sh`). `OMNIMOE_SKINNY_STAGED=16` keeps it to
/// 16 rows.
/// Where [`skinny_subgroups`] gives eight a workgroup, 32 k a step with A 512 deep instead (~36 KiB, which
/// the router still runs beside).
fn build((m, n, k): (u32, u32, u32), kz: u32, staged: bool, alone: bool) -> Build {
    if skinny_subgroups((m, n, k), staged, alone) == 8 {
        Build {
            step: Some(32),
            a_half: true,
            ahead2: ahead2(kz, 32),
        }
    } else {
        base_build(m, k, kz, staged, alone)
    }
}

/// [`build`] on four or six subgroups a workgroup.
fn base_build(m: u32, k: u32, kz: u32, staged: bool, alone: bool) -> Build {
    let mt = fragments(m);
    let plain = Build {
        step: None,
        a_half: false,
        ahead2: false,
    };
    if !staged || (skinny_env().staged_rows_16 && mt > 1) {
        plain
    } else if mt == 1 && k.is_multiple_of(64) {
        Build {
            step: Some(64),
            a_half: true,
            ahead2: ahead2(kz, 64),
        }
    } else if kz <= 512 / mt {
        Build {
            step: Some(32),
            a_half: true,
            ahead2: ahead2(kz, 32),
        }
    } else if alone {
        Build {
            step: Some(32),
            a_half: false,
            ahead2: ahead2(kz, 32),
        }
    } else {
        plain
    }
}

/// Whether ranges `kz` deep at `step` k a step hold two steps of B in flight ([`AHEAD2_MIN_STEPS`]).
fn ahead2(kz: u32, step: u32) -> bool {
    !skinny_env().no_ahead2 && kz >= AHEAD2_MIN_STEPS * step
}

/// Every build of the skinny kernel asked with `staged` on an adapter with `caps`, as (rows, variant): 1,
/// 2 and 4 fragment rows, K % 64 == 0 or not, deep and shallow ranges, beside other work and `alone`
/// or not (what the layer's compile probe and the naga tests cover).
pub(crate) fn skinny_builds(caps: &Capabilities, staged: bool, alone: bool) -> Vec<(u32, Variant)> {
    let alones = if alone { &[false, true][..] } else { &[false] };
    let mut builds: Vec<(u32, Variant)> = [1, 17, 33]
        .into_iter()
        .flat_map(|m| BUILD_SHAPES.map(move |(k, kz)| (m, k, kz)))
        .flat_map(|(m, k, kz)| BUILD_WIDTHS.map(move |n| (m, n, k, kz)))
        .flat_map(|(m, n, k, kz)| {
            alones
                .iter()
                .map(move |&alone| (m, skinny_variant(caps, (m, n, k), kz, staged, alone)))
        })
        .collect();
    builds.sort();
    builds.dedup();
    builds
}

/// The preprocessing of `shaders/gemm_skinny.wgsl` for an (m, n, k) GEMM in ranges `kz` deep, `staged`
/// and `alone` as in [`GemmKernel::Skinny`](super::GemmKernel::Skinny): STAGED only where `caps` has
/// subgroup barriers for workgroup memory; SG6 or SG8 where [`skinny_subgroups`] says six or eight.
pub(crate) fn skinny_variant(
    caps: &Capabilities,
    (m, n, k): (u32, u32, u32),
    kz: u32,
    staged: bool,
    alone: bool,
) -> Variant {
    let mut v = Variant::storage(true).with("COOP").with("SUBGROUP");
    let b = build((m, n, k), kz, staged && caps.subgroup_barrier, alone);
    if let Some(step) = b.step {
        v = v.with("STAGED");
        if step == 64 {
            v = v.with("STEP64");
        }
        if b.ahead2 {
            v = v.with("AHEAD2");
        }
    }
    if b.a_half {
        v = v.with("A_HALF");
    }
    match skinny_subgroups((m, n, k), staged, alone) {
        6 => v = v.with("SG6"),
        8 => v = v.with("SG8"),
        _ => {}
    }
    match fragments(m) {
        1 => v,
        2 => v.with("M2"),
        _ => v.with("M2").with("M4"),
    }
}

/// Workgroup count (G, 1, 1) of one K range of an (m, n, k) GEMM, `staged` and `alone` as in
/// [`GemmKernel::Skinny`](super::GemmKernel::Skinny): G = ⌈N / columns a workgroup⌉
/// ([`skinny_subgroups`]), on six or eight subgroups at most [`SKINNY_WAVE`] / ranges, so that the
/// workgroups run in one round and each subgroup streams its blocks of 32 columns one after another (A
/// staged once a workgroup, a block's stores beside the next block's first loads). Measured on an H200
/// (BENCHMARKS.md, "Eight subgroups a workgroup, and workgroups that run at once", `h200-run-code/
/// run454.sh`, a probe of this with every build's blocks in a loop), the gate/up GEMM alone at 16 tokens
/// on six subgroups, ⌈N / 192⌉ workgroups a range against 66: I = 10240 / 12288 / 16384 / 32768 20.42 /
/// 21.63 / 29.20 / 52.21 → 17.82 / 18.86 / 24.56 / 44.03 µs (132 workgroups in all against 264 at I =
/// 16384: 25.89; eight subgroups on 66: 25.41); the same bits. As committed beside eb7fdb3 (`run455.sh`),
/// per layer of a stack of 4 at 16 tokens: I = 10240 / 12288 / 16384 / 32768 0.0497 / 0.0527 / 0.0645 /
/// 0.1199 → 0.0478 / 0.0496 / 0.0604 / 0.1083 ms, I = 16384 at 9 / 12 tokens 0.0612 / 0.0618 → 0.0570 /
/// 0.0577; the README's sizes, whose builds fit one round but run the loop too, 0.0324 → 0.0315 (gate/up
/// 10.08 → 9.57 µs).
pub(crate) fn skinny_groups((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> [u32; 3] {
    let subgroups = skinny_subgroups((m, n, k), staged, alone);
    let groups = n.div_ceil(subgroups * SUBGROUP_COLUMNS);
    if subgroups > 4 {
        // In the fewest ranges (`skinny_splits`): one round of workgroups, each subgroup taking every
        // (workgroups · subgroups)-th block of 32 columns.
        let ranges = skinny_fewest_splits((m, n, k), staged, alone);
        let wave = skinny_env().persist.unwrap_or(SKINNY_WAVE);
        return [groups.min((wave / ranges).max(1)), 1, 1];
    }
    [groups, 1, 1]
}

/// The skinny kernel's measuring aids ([`crate::gpu::measuring`]: read once from the environment).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SkinnyEnv {
    /// `OMNIMOE_SKINNY=off` keeps layers off the skinny kernel, `=all` uses it from one row on (below the
    /// GEMV's bound too).
    pub mode: Option<&'static str>,
    /// `OMNIMOE_SKINNY_WGS=W`: the workgroups it aims for.
    pub workgroups: u32,
    /// `OMNIMOE_SKINNY_STAGED=off`: layers never ask for its STAGED build.
    pub no_staged: bool,
    /// `OMNIMOE_SKINNY_STAGED=16`: its STAGED build up to 16 rows only.
    pub staged_rows_16: bool,
    /// `OMNIMOE_SKINNY_AHEAD2=off`: one step of B in flight at any depth ([`AHEAD2_MIN_STEPS`]).
    pub no_ahead2: bool,
    /// `OMNIMOE_SKINNY_SG=4`, `6` or `8`: that many subgroups a workgroup at any width where the rule
    /// could give more than four ([`skinny_subgroups`]).
    pub subgroups: Option<u32>,
    /// `OMNIMOE_SKINNY_PERSIST=W`: W workgroups in all instead of [`SKINNY_WAVE`] on six or eight
    /// subgroups ([`skinny_groups`]).
    pub persist: Option<u32>,
}

/// The measuring aids ([`SkinnyEnv`]).
pub(crate) fn skinny_env() -> SkinnyEnv {
    let mode = ["off", "all"]
        .into_iter()
        .find(|&m| env_is("OMNIMOE_SKINNY", m));
    SkinnyEnv {
        mode,
        workgroups: env_count("OMNIMOE_SKINNY_WGS").unwrap_or(SKINNY_WORKGROUPS),
        no_staged: env_is("OMNIMOE_SKINNY_STAGED", "off"),
        staged_rows_16: env_is("OMNIMOE_SKINNY_STAGED", "16"),
        no_ahead2: env_is("OMNIMOE_SKINNY_AHEAD2", "off"),
        subgroups: env_count("OMNIMOE_SKINNY_SG").filter(|n| [4, 6, 8].contains(n)),
        persist: env_count("OMNIMOE_SKINNY_PERSIST"),
    }
}

/// K ranges for an (m, n, k) GEMM the skinny kernel takes: enough for ~128 workgroups, but each range at
/// least 128 deep per 16 rows where K allows (the partial products then stay under a quarter of the
/// weights' bytes), and none deeper than the staged rows of A hold ([`skinny_fewest_splits`]); on six or
/// eight subgroups a workgroup (the layer's gate/up GEMM alone, from some widths) the fewest.
pub fn skinny_splits((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> u32 {
    let mt = fragments(m);
    let fewest = skinny_fewest_splits((m, n, k), staged, alone);
    // Six or eight subgroups: the fewest ranges, those their rule counts workgroups in.
    if skinny_subgroups((m, n, k), staged, alone) > 4 {
        return fewest;
    }
    let most = (k / (128 * mt)).max(1);
    let want = skinny_env()
        .workgroups
        .div_ceil(skinny_groups((m, n, k), staged, alone)[0]);
    want.min(most).max(fewest)
}

/// Fewest K ranges for m rows and depth k: no range deeper than the staged rows of A hold (1024 /
/// fragments, 512 in the STAGED build's 64 steps; ranges valid for the STAGED build are valid without it
/// too).
pub fn skinny_fewest_splits((m, n, k): (u32, u32, u32), staged: bool, alone: bool) -> u32 {
    // With ranges as deep as K, only the 64-step build and eight subgroups stage A half as deep.
    k.div_ceil(build((m, n, k), k, staged, alone).deepest(fragments(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_steps_in_flight_from_ranges_of_eight_steps() {
        // 16 tokens: the gate/up GEMM of the README's sizes (2 ranges of 512) and the down projection at
        // I = 4096 (16 ranges of 256).
        let gate_up = build((16, 8192, 1024), 512, true, true);
        assert_eq!((gate_up.step, gate_up.ahead2), (Some(64), true));
        let down = build((16, 1024, 4096), 256, true, false);
        assert_eq!((down.step, down.ahead2), (Some(64), false));
        // 32 k a step from ranges 256 deep (K % 64 == 32, or more than 16 rows); unstaged never.
        let odd_k = build((16, 8192, 1056), 512, true, false);
        assert_eq!((odd_k.step, odd_k.ahead2), (Some(32), true));
        assert!(build((17, 8192, 1024), 256, true, false).ahead2);
        assert!(!build((17, 8192, 1024), 128, true, false).ahead2);
        assert!(!build((16, 8192, 1024), 512, false, false).ahead2);
    }

    #[test]
    fn more_subgroups_where_their_workgroups_run_at_once() {
        if ["OMNIMOE_SKINNY_SG", "OMNIMOE_SKINNY_PERSIST"]
            .into_iter()
            .any(crate::gpu::measuring::env_set)
        {
            return;
        }
        // The gate/up GEMM alone at 16 tokens, H = 1024 (two ranges 512 deep), I gate and up columns and
        // the router's 128: (I, subgroups, workgroups of a range: at most 132 in all).
        for (i, subgroups, groups) in [
            (4096, 4, 65),  // 130 workgroups run at once on four
            (4352, 6, 46),  // four's 138 do not, six's 92 do
            (6144, 6, 65),  // six's 130
            (7168, 8, 57),  // six's 152 do not, eight's 114 do
            (8192, 8, 65),  // eight's 130
            (8448, 6, 66),  // none run at once: six, on 66 of its 89 (blocks one after another)
            (16384, 6, 66), // 66 of 172
        ] {
            let shape = (16, 2 * i + 128, 1024);
            assert_eq!(skinny_subgroups(shape, true, true), subgroups, "I = {i}");
            assert_eq!(skinny_groups(shape, true, true), [groups, 1, 1], "I = {i}");
            // Two ranges: at 7168 four's rule would ask three for eight's 57 workgroups.
            assert_eq!(skinny_splits(shape, true, true), 2, "I = {i}");
        }
        // H = 2048 (four ranges): four's and six's 260 and 176 do not run at once, eight's 132 do.
        assert_eq!(skinny_subgroups((16, 8320, 2048), true, true), 8);
        assert_eq!(skinny_splits((16, 8320, 2048), true, true), 4);
        // Beside other work: the down projection (N = H = 1024) on eight where eight's workgroups run at
        // once and four's do not, in the same ranges: (I, subgroups, workgroups of a range, ranges).
        for (i, subgroups, groups, ranges) in [
            (4096, 4, 8, 16),
            (8192, 4, 8, 16),
            (12288, 8, 4, 24),
            (16384, 8, 4, 32),
            (32768, 4, 8, 64),
        ] {
            let shape = (16, 1024, i);
            assert_eq!(skinny_subgroups(shape, true, false), subgroups, "I = {i}");
            assert_eq!(skinny_groups(shape, true, false), [groups, 1, 1], "I = {i}");
            assert_eq!(skinny_splits(shape, true, false), ranges, "I = {i}");
        }
        // Never six beside other work; unstaged, at 32 k a step (K % 64 == 32, or more than 16 rows): four.
        let wide = (16, 32_896, 1024);
        assert_eq!(skinny_subgroups(wide, true, false), 4);
        assert_eq!(skinny_subgroups(wide, false, true), 4);
        assert_eq!(skinny_subgroups((16, 32_896, 1056), true, true), 4);
        assert_eq!(skinny_subgroups((17, 32_896, 1024), true, true), 4);
        // Narrow GEMMs keep four's ranges (128 workgroups aimed for).
        assert_eq!(skinny_splits((16, 2048, 1024), true, true), 8);
    }

    #[test]
    fn builds_and_workgroup_memory_of_six_and_eight_subgroups() {
        if ["OMNIMOE_SKINNY_SG", "OMNIMOE_SKINNY_PERSIST"]
            .into_iter()
            .any(crate::gpu::measuring::env_set)
        {
            return;
        }
        let caps = Capabilities::all_wgsl();
        // Six: 64 k a step (A 512 deep, six subgroups' steps), what `alone` declares.
        let six = skinny_variant(&caps, (16, 12_416, 1024), 512, true, true);
        for flag in ["SG6", "STAGED", "STEP64", "A_HALF", "AHEAD2"] {
            assert!(six.flags.contains(flag), "{flag}: {six:?}");
        }
        assert_eq!(
            skinny_workgroup_bytes(16, true, true),
            16 * 520 * 2 + 6 * 32 * 72 * 2
        );
        // Beside other work, at most eight subgroups' 32-k steps.
        assert_eq!(
            skinny_workgroup_bytes(16, true, false),
            16 * 520 * 2 + 8 * 32 * 40 * 2
        );
        // Eight: 32 k a step, A 512 deep (~36 KiB, within six's), two steps in flight in ranges of 512.
        let medium = (16, 16_512, 1024);
        let b = build(medium, 512, true, true);
        assert_eq!((b.step, b.a_half, b.ahead2), (Some(32), true, true));
        assert_eq!(skinny_fewest_splits(medium, true, true), 2);
        assert!(16 * 520 * 2 + 8 * 32 * 40 * 2 < skinny_workgroup_bytes(16, true, true));
        let eight = skinny_variant(&caps, medium, 512, true, true);
        for flag in ["SG8", "STAGED", "A_HALF", "AHEAD2"] {
            assert!(eight.flags.contains(flag), "{flag}: {eight:?}");
        }
        assert!(!eight.flags.contains("STEP64") && !eight.flags.contains("SG6"));
        // The builds the layer's probe and the naga tests cover include both.
        let builds = skinny_builds(&caps, true, true);
        for flag in ["SG6", "SG8"] {
            assert!(builds.iter().any(|(_, v)| v.flags.contains(flag)), "{flag}");
        }
    }
}
