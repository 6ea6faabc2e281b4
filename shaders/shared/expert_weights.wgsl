// expert_weights: the weights h[k] = SiLU(u_{e_k} · x_t) · exp(score_k) of a token's K chosen experts into
// `weight`, for expert_token.wgsl and router_experts.wgsl (the same bits in both): 16 groups of 16 lanes,
// one expert a group, each dot split over the lanes by lane_dot (shared/expert_dot.wgsl) and summed in
// lane order. The importer declares `red` (256 f32 of workgroup memory), `weight` (128 f32), and
// `slot_expert(t, k)` and `slot_score(t, k)`: the expert and the score of the token's k-th choice.

fn expert_weights(t: u32, li: u32) {
    let g = li / LANES;
    for (var k0 = 0u; k0 < p.k; k0 += GROUPS) {
        let slot = k0 + g;
        let valid = slot < p.k;
        var acc = 0.0;
        var score = 0.0;
        if (valid) {
            score = slot_score(t, slot);
            acc = lane_dot(slot_expert(t, slot), t, li % LANES);
        }
        red[li] = acc;
        workgroupBarrier();
        if (valid && li % LANES == 0u) {
            var s = 0.0;
            for (var l = 0u; l < LANES; l++) {
                s += red[li + l];
            }
            weight[slot] = silu(s) * exp(score);
        }
        workgroupBarrier();
    }
}
