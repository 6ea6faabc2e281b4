//! Host side of `shaders/gemm_skinny.wgsl`: which shapes it takes, its variant, how many K ranges it splits
//! into, and the size of its partial products. It always runs as the first pass of a split-K GEMM
//! ([`super::gemm_split_k`] with [`GemmKernel::Skinny`]); `gemm_reduce` applies the epilogue.
//!
//! [`GemmKernel::Skinny`]: super::GemmKernel::Skinny

use super::super::measuring::{env_count, env_is};
use super::super::pipelines::Variant;
use super::super::Capabilities;

#[cfg(test)]
mod tests;
mod workgroups;

pub(crate) use workgroups::{skinny_groups, skinny_subgroups};

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

    /// Fewest K ranges of depth k for m rows this build stages A for.
    fn fewest_ranges(self, m: u32, k: u32) -> u32 {
        k.div_ceil(self.deepest(fragments(m)))
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
    /// `OMNIMOE_SKINNY_PERSIST=W`: W workgroups in all instead of
    /// [`SKINNY_WAVE`](workgroups::SKINNY_WAVE) on six or eight subgroups ([`skinny_groups`]).
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
    build((m, n, k), k, staged, alone).fewest_ranges(m, k)
}
