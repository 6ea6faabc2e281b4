//! Every (stage, entry point, variant) the layer can dispatch, for naga to validate and translate in the
//! tests. The GEMM variants come from the launchers' own choice ([`stages::gemm_dispatch`]) over every
//! kernel configuration, epilogue and K alignment, so the list cannot drift from what runs.

use super::context::Capabilities;
use super::pipelines::Variant;
use super::stages::{self, CoopConfig, EpilogueKind, GemmKernel};

const EPILOGUES: [EpilogueKind; 5] = [
    EpilogueKind::Store,
    EpilogueKind::Add,
    EpilogueKind::AddElem,
    EpilogueKind::SwiGlu,
    EpilogueKind::SwiGluRouter,
];

/// Whether a GEMV build has its rows fixed by its pipeline (the `ROWS` constant): those take PAIR.
fn fixes_rows(variant: &Variant) -> bool {
    variant.constant_value("ROWS").is_some()
}

/// A tensor-core tile build with AHEAD2 where `variant` has none and without where it has it: the
/// dispatch's depth of K decides (`CoopConfig::ahead2`), so both run. `None` for other stages and the
/// strips (ROW8), which always take it.
fn other_ahead2(stage: &str, variant: &Variant) -> Option<Variant> {
    if stage != "gemm_coop" || variant.flags.contains("ROW8") {
        return None;
    }
    let v = variant.clone();
    Some(if v.flags.contains("AHEAD2") {
        v.without("AHEAD2")
    } else {
        v.with("AHEAD2")
    })
}

/// Every (stage, entry point, variant), for f32 and f16 storage, with every value its pipeline constants
/// take.
pub fn all_variants() -> Vec<(&'static str, &'static str, Variant)> {
    let caps = Capabilities::all_wgsl();
    let mut out: Vec<(&'static str, &'static str, Variant)> = Vec::new();
    let mut kernels = Vec::new();
    // Each with B in rows and in K slabs.
    for (f16, slabs) in [false, true]
        .into_iter()
        .flat_map(|f| [(f, false), (f, true)])
    {
        let simt = GemmKernel::simt(f16).with_slabs(slabs);
        kernels.extend(simt.candidates(&caps, u32::MAX));
        kernels.push(GemmKernel::Gemv { f16, slabs });
    }
    kernels.extend(GemmKernel::Coop(CoopConfig::DEFAULT).candidates(&caps, u32::MAX));
    for kernel in kernels {
        // K a multiple of 8 (vector and tensor-core paths), of 4 only (the SIMT kernel's 4-wide loads
        // with f16 storage), of 2 only, and odd (scalar fallbacks); N a multiple of 4 (the SIMT kernel's
        // stores by quads) or not.
        let ks: [u32; 4] = [1024, 1028, 1026, 1027];
        for (n, k) in [64, 66].into_iter().flat_map(|n| ks.map(|k| (n, k))) {
            // K slabs need K % 8 == 0.
            if kernel.slabs() && !k.is_multiple_of(stages::SLAB_K as u32) {
                continue;
            }
            // The GEMV's builds for 2, 5 and 8 rows (their rows fixed by the pipeline where chunks are
            // vectors: fewer than 4, some of 4..8, all 8) and 16 (ROWS16).
            let rows: &[u32] = if matches!(kernel, GemmKernel::Gemv { .. }) {
                &[2, 5, 8, 16]
            } else {
                &[8]
            };
            for &m in rows {
                for kind in EPILOGUES {
                    let (stage, variant, _) = stages::gemm_dispatch(&caps, kernel, (m, n, k), kind);
                    // Two columns a group (PAIR: a wide projection's, from 2 rows).
                    if fixes_rows(&variant) {
                        let pair = variant.clone().with("PAIR");
                        out.push((stage, "main", pair.clone().constant("PAIR_ROUND", 2)));
                        // Rounds of one chunk (from 6 rows).
                        out.push((stage, "main", pair.clone().constant("PAIR_ROUND", 1)));
                        // Split over K (SPLITK: a narrow GEMV's partial products, plain stores), paired
                        // where a measuring aid asks (OMNIMOE_GEMV_PAIR, OMNIMOE_GEMV_QUAD).
                        let split = kind == EpilogueKind::Store;
                        if split {
                            out.push((stage, "main", pair.clone().with("SPLITK")));
                        }
                        // Four columns a group (from 6 rows, 5 where wide; in rounds of one chunk where
                        // a measuring aid asks, OMNIMOE_GEMV_QUAD=1).
                        if pair.flags.contains("FMA") {
                            for round in [1, 2] {
                                let quad = pair.clone().with("QUAD").constant("QUAD_ROUND", round);
                                if split {
                                    out.push((stage, "main", quad.clone().with("SPLITK")));
                                }
                                out.push((stage, "main", quad));
                            }
                        }
                        // Each row's sums by dots, where a measuring aid asks (OMNIMOE_GEMV_FMA=off).
                        out.push((stage, "main", pair.clone().without("FMA")));
                        out.push((stage, "main", pair));
                    }
                    if variant.flags.contains("FMA") {
                        out.push((stage, "main", variant.clone().without("FMA")));
                    }
                    // COLS: one GEMM per block of a weight's rows.
                    out.push((stage, "main", variant.clone().with("COLS")));
                    if let Some(other) = other_ahead2(stage, &variant) {
                        out.push((stage, "main", other.clone().with("COLS")));
                        out.push((stage, "main", other));
                    }
                    out.push((stage, "main", variant));
                }
            }
            // The GEMV of one row from two parts (the decode chain's ASUM; four elements at a time
            // where K % 4 == 0).
            if matches!(kernel, GemmKernel::Gemv { .. }) {
                for kind in EPILOGUES {
                    let (stage, variant, _) = stages::gemm_dispatch(&caps, kernel, (1, n, k), kind);
                    let variant = stages::gemv_parts_variant(variant, kernel.is_f16(), k);
                    // Two columns a group where a measuring aid asks (OMNIMOE_GEMV_PAIR).
                    if fixes_rows(&variant) {
                        out.push((stage, "main", variant.clone().with("PAIR")));
                    }
                    out.push((stage, "main", variant));
                }
            }
            let (stage, variant, _) =
                stages::gemm_dispatch(&caps, kernel, (8, n, k), EpilogueKind::Store);
            // Stream-K (the SIMT kernel's): groups of 3 tiles, say.
            if matches!(kernel, GemmKernel::Simt { .. }) {
                let stream_k = stages::StreamK {
                    groups: 2,
                    tiles: 6,
                };
                out.push((stage, "main", stream_k.variant(variant.clone())));
                // Its partial products with permuted columns (N % 32 == 0).
                out.push((
                    stage,
                    "main",
                    stream_k.variant(variant.clone()).with("PERM"),
                ));
            }
            // The SIMT kernel's partial products with permuted columns (N % 32 == 0).
            if stage == "gemm" {
                out.push((stage, "main", variant.clone().with("SPLITK").with("PERM")));
            }
            if let Some(other) = other_ahead2(stage, &variant) {
                out.push((stage, "main", other.with("SPLITK")));
            }
            out.push((stage, "main", variant.with("SPLITK")));
        }
    }
    // The skinny kernel with and without its STAGED build.
    for staged in [false, true] {
        for (_, variant) in stages::skinny_builds(&caps, staged, true) {
            // ACT: A made from the gate/up GEMM's partial products while staging.
            out.push(("gemm_skinny", "main", variant.clone().with("ACT")));
            out.push(("gemm_skinny", "main", variant));
        }
    }
    for f16 in [false, true] {
        for kind in EPILOGUES {
            let v = stages::epilogue_variant(f16, kind);
            out.push(("gemm_reduce", "main", v.clone().with("COLS")));
            out.push(("gemm_reduce", "main", v.clone().with("PERMUTED")));
            out.push((
                "gemm_reduce",
                "main",
                v.clone().with("COLS").with("PERMUTED"),
            ));
            out.push(("gemm_reduce", "main", v));
        }
        for vec4 in [false, true] {
            let v = || {
                let v = Variant::storage(f16);
                if vec4 {
                    v.with("VEC4")
                } else {
                    v
                }
            };
            let centric = v().with("EXPERT_CENTRIC");
            out.push(("expert_scores", "expert_centric", centric));
            out.push(("expert_scores", "token_centric", v()));
            out.push(("expert_combine", "main", v()));
            out.push(("expert_token", "main", v()));
            // The decode chain's router and expert stage in one pass.
            out.push(("router_experts", "main", v().with("NORMALISE")));
            let tree = v().with("NORMALISE").with("SG_TREE").constant("SG", 32);
            out.push(("router_experts", "main", tree.clone()));
            // Its slice of the branch summed from V loaded an element an invocation.
            out.push((
                "router_experts",
                "main",
                v().with("NORMALISE").with("SPREAD"),
            ));
            out.push(("router_experts", "main", tree.clone().with("SPREAD")));
            // Its first round's V requested before the expert weights; the dots eight loads a round.
            let pre = tree.with("SPREAD").with("PRE_V");
            out.push(("router_experts", "main", pre.clone()));
            out.push(("router_experts", "main", pre.with("DOT8")));
            // The branch added to the down projection's output (f32 in place, or into the storage type).
            // Or to the sum of its split-K partial products (PARTIAL).
            for add in ["ADD", "ADD_ELEM"] {
                out.push(("expert_combine", "main", v().with(add)));
                out.push(("expert_token", "main", v().with(add)));
                out.push(("expert_combine", "main", v().with(add).with("PARTIAL")));
                out.push(("expert_token", "main", v().with(add).with("PARTIAL")));
                // The SIMT kernel's partial products, columns permuted.
                let permuted = || v().with(add).with("PARTIAL").with("PERMUTED");
                out.push(("expert_combine", "main", permuted()));
                out.push(("expert_token", "main", permuted()));
            }
            // Routing modes: each token's pairs at offsets (ragged).
            out.push(("expert_scores", "token_centric", v().with("RAGGED")));
            out.push(("expert_combine", "main", v().with("RAGGED")));
            // Cost-aware pruning's compensation.
            out.push((
                "expert_combine",
                "main",
                v().with("RAGGED").with("COMPENSATE"),
            ));
            // Expert tables split over several bindings: up to 8, and up to 16.
            for flags in [&["SPLIT"][..], &["SPLIT", "SPLIT16"]] {
                let split = || flags.iter().fold(v(), |v, &f| v.with(f));
                let up = || split().constant("UP_PER", 1000);
                let down = || split().constant("DOWN_PER", 1000);
                out.push((
                    "expert_scores",
                    "expert_centric",
                    up().with("EXPERT_CENTRIC"),
                ));
                out.push(("expert_scores", "token_centric", up()));
                out.push(("expert_combine", "main", down()));
                out.push(("expert_token", "main", up().constant("DOWN_PER", 1000)));
                let both = || up().constant("DOWN_PER", 1000);
                out.push(("expert_token", "main", both().with("ADD")));
                out.push(("expert_token", "main", both().with("ADD_ELEM")));
                out.push(("expert_token", "main", both().with("ADD").with("PARTIAL")));
                let permuted = both().with("ADD").with("PARTIAL").with("PERMUTED");
                out.push(("expert_token", "main", permuted));
                out.push(("expert_scores", "token_centric", up().with("RAGGED")));
                out.push(("expert_combine", "main", down().with("RAGGED")));
            }
        }
    }
    let v = Variant::default;
    for wg in [32, 64, 128, 256] {
        out.push(("router_normalise", "main", v().constant("WG", wg)));
        out.push(("router_topk", "main", v().constant("WG", wg)));
    }
    out.push((
        "router_topk",
        "main",
        v().constant("WG", 256).with("AXIS2048"),
    ));
    out.push(("router_topk", "by_rank", v()));
    // Every candidate, for the routing modes.
    out.push(("router_topk", "by_rank", v().with("ALL")));
    out.push(("router_topk", "by_rank", v().with("ALL").with("NORMALISE")));
    for wg in [32, 256] {
        out.push(("router_topk", "main", v().constant("WG", wg).with("ALL")));
    }
    out.push((
        "router_topk",
        "main",
        v().constant("WG", 256).with("AXIS2048").with("ALL"),
    ));
    out.push(("router_topk", "by_rank", v().with("NORMALISE")));
    out.push(("router_topk", "by_rank", v().with("NORMALISE").with("FLAT")));
    // The normalising reductions' levels under a subgroup by shuffles (32 wide, and lavapipe's 8).
    for sg in [8, 32] {
        let tree = || v().with("NORMALISE").with("SG_TREE").constant("SG", sg);
        out.push(("router_topk", "by_rank", tree()));
        out.push(("router_topk", "by_rank", tree().with("PARTIAL")));
    }
    // The raw logits summed from the gate/up GEMM's partial products.
    for flags in [&["NORMALISE"][..], &["NORMALISE", "FLAT"]] {
        let v = flags.iter().fold(v().with("PARTIAL"), |v, &f| v.with(f));
        out.push(("router_topk", "by_rank", v));
    }
    out.push((
        "router_topk",
        "by_subgroup",
        v().with("SUBGROUP").with("NORMALISE").with("PARTIAL"),
    ));
    out.push((
        "router_topk",
        "main",
        v().constant("WG", 256).with("PARTIAL"),
    ));
    out.push(("router_topk", "by_subgroup", v().with("SUBGROUP")));
    out.push((
        "router_topk",
        "by_subgroup",
        v().with("SUBGROUP").with("NORMALISE"),
    ));
    out.push(("route_select", "histogram", v().with("HISTOGRAM")));
    out.push(("route_select", "pick", v().with("PICK")));
    out.push(("route_select", "count", v().with("TOKENS").with("COUNT")));
    out.push((
        "route_select",
        "compact",
        v().with("TOKENS").with("COMPACT"),
    ));
    out.push(("read_probe", "main", v()));
    out.push(("expert_histogram", "clear", v()));
    out.push(("expert_histogram", "main", v().with("COUNT")));
    out.push(("expert_histogram", "clear", v().with("COUNT")));
    out.push(("expert_scan", "scan_blocks", v().with("BLOCKS")));
    out.push(("expert_scan", "scan_sums", v()));
    out.push(("expert_scan", "add_offsets", v()));
    out.push(("expert_scatter", "count", v()));
    let scatter = v().with("SCATTER");
    out.push(("expert_scatter", "scatter", scatter.clone().with("FIRST")));
    out.push(("expert_scatter", "scatter", scatter));
    // expert_token in slices of a few columns (up to 16 tokens): each build with V (and the partial
    // products) an element an invocation.
    let spread: Vec<_> = out
        .iter()
        .filter(|(stage, _, _)| *stage == "expert_token")
        .map(|(stage, entry, v)| (*stage, *entry, v.clone().with("SPREAD")))
        .collect();
    out.extend(spread);
    out.sort();
    out.dedup();
    out
}
