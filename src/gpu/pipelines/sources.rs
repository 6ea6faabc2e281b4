//! The embedded WGSL: each stage's file, the code several stages share, and the parts of large stages
//! (`#import` targets; see [`super::preprocess`]).

/// The WGSL source of each stage, by file name.
pub const SHADERS: &[(&str, &str)] = &[
    ("gemm", include_str!("../../../shaders/gemm.wgsl")),
    ("gemm_coop", include_str!("../../../shaders/gemm_coop.wgsl")),
    ("gemv", include_str!("../../../shaders/gemv.wgsl")),
    (
        "gemm_skinny",
        include_str!("../../../shaders/gemm_skinny.wgsl"),
    ),
    (
        "gemm_reduce",
        include_str!("../../../shaders/gemm_reduce.wgsl"),
    ),
    (
        "router_normalise",
        include_str!("../../../shaders/router_normalise.wgsl"),
    ),
    (
        "router_topk",
        include_str!("../../../shaders/router_topk.wgsl"),
    ),
    (
        "expert_histogram",
        include_str!("../../../shaders/expert_histogram.wgsl"),
    ),
    (
        "expert_scan",
        include_str!("../../../shaders/expert_scan.wgsl"),
    ),
    (
        "expert_scatter",
        include_str!("../../../shaders/expert_scatter.wgsl"),
    ),
    (
        "expert_scores",
        include_str!("../../../shaders/expert_scores.wgsl"),
    ),
    (
        "expert_combine",
        include_str!("../../../shaders/expert_combine.wgsl"),
    ),
    (
        "expert_token",
        include_str!("../../../shaders/expert_token.wgsl"),
    ),
    (
        "router_experts",
        include_str!("../../../shaders/router_experts.wgsl"),
    ),
    (
        "route_select",
        include_str!("../../../shaders/route_select.wgsl"),
    ),
    (
        "route_unified_score",
        include_str!("../../../shaders/route_unified_score.wgsl"),
    ),
    ("moe_rows", include_str!("../../../shaders/moe_rows.wgsl")),
    (
        "read_probe",
        include_str!("../../../shaders/read_probe.wgsl"),
    ),
];

/// WGSL that several stages pull in with `#import NAME`.
pub const SHARED: &[(&str, &str)] = &[
    (
        "gemm_epilogue",
        include_str!("../../../shaders/shared/gemm_epilogue.wgsl"),
    ),
    (
        "expert_dot",
        include_str!("../../../shaders/shared/expert_dot.wgsl"),
    ),
    (
        "expert_sum",
        include_str!("../../../shaders/shared/expert_sum.wgsl"),
    ),
    (
        "tree_reduce",
        include_str!("../../../shaders/shared/tree_reduce.wgsl"),
    ),
    (
        "perm_col",
        include_str!("../../../shaders/shared/perm_col.wgsl"),
    ),
    (
        "expert_weights",
        include_str!("../../../shaders/shared/expert_weights.wgsl"),
    ),
    (
        "topk_rank",
        include_str!("../../../shaders/shared/topk_rank.wgsl"),
    ),
];

/// Parts of one stage's source in files of their own, `#import STAGE/PART` in that stage.
pub const PARTS: &[(&str, &str)] = &[
    (
        "gemm/staging",
        include_str!("../../../shaders/gemm/staging.wgsl"),
    ),
    ("gemv/pair", include_str!("../../../shaders/gemv/pair.wgsl")),
    ("gemv/sums", include_str!("../../../shaders/gemv/sums.wgsl")),
    ("gemv/quad", include_str!("../../../shaders/gemv/quad.wgsl")),
    (
        "gemm_skinny/step",
        include_str!("../../../shaders/gemm_skinny/step.wgsl"),
    ),
    (
        "gemm_coop/step",
        include_str!("../../../shaders/gemm_coop/step.wgsl"),
    ),
    (
        "gemm_coop/staging",
        include_str!("../../../shaders/gemm_coop/staging.wgsl"),
    ),
    (
        "router_topk/by_subgroup",
        include_str!("../../../shaders/router_topk/by_subgroup.wgsl"),
    ),
    (
        "route_select/expert_choice",
        include_str!("../../../shaders/route_select/expert_choice.wgsl"),
    ),
    (
        "route_select/per_token",
        include_str!("../../../shaders/route_select/per_token.wgsl"),
    ),
];

/// The source of a stage; panics on an unknown name (a bug, not an input).
pub fn source(stage: &str) -> &'static str {
    SHADERS
        .iter()
        .find(|(n, _)| *n == stage)
        .unwrap_or_else(|| panic!("no shader named {stage}"))
        .1
}
