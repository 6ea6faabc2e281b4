//! The skinny kernel's host rules: builds, subgroups, workgroups, ranges and workgroup memory.

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
