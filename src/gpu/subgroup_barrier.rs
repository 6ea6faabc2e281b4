//! `subgroupBarrier()` that orders workgroup memory on Vulkan.
//!
//! A kernel whose subgroups each stage their own block of workgroup memory needs only its own subgroup to
//! wait: a workgroup barrier there stalls every subgroup behind the slowest one's loads. WGSL's
//! `subgroupBarrier()` has the right execution scope, but naga's SPIR-V writer gives it `SubgroupMemory`
//! semantics only, which under the Vulkan memory model order no workgroup-memory accesses. (Metal's
//! `simdgroup_barrier(mem_threadgroup)`, which naga's MSL writer emits, does order them.)
//!
//! So for Vulkan the WGSL of such a stage is parsed here and each subgroup barrier also gets naga's
//! `WORK_GROUP` flag before wgpu compiles the module: the SPIR-V becomes
//! `OpControlBarrier(Subgroup, Subgroup, AcquireRelease | WorkgroupMemory | SubgroupMemory)` — GLSL's
//! `subgroupMemoryBarrierShared(); subgroupBarrier();`. Shaders using it run only where
//! [`uses_it`] and the adapter's backend say so (`Capabilities::subgroup_barrier`).

use wgpu::naga::{self, Block, Statement};

/// Whether the (preprocessed) WGSL has a subgroup barrier to rewrite.
pub(crate) fn uses_it(code: &str) -> bool {
    code.contains("subgroupBarrier()")
}

/// The module of `code` with every subgroup barrier also ordering workgroup memory; `None` where the WGSL
/// does not parse (wgpu then compiles the text and reports the error).
pub(crate) fn module(code: &str) -> Option<naga::Module> {
    let mut module = naga::front::wgsl::parse_str(code).ok()?;
    let mut rewrite = |b: &mut naga::Barrier| {
        if b.contains(naga::Barrier::SUB_GROUP) {
            *b |= naga::Barrier::WORK_GROUP;
        }
    };
    for (_, f) in module.functions.iter_mut() {
        for_each_barrier(&mut f.body, &mut rewrite);
    }
    for e in module.entry_points.iter_mut() {
        for_each_barrier(&mut e.function.body, &mut rewrite);
    }
    Some(module)
}

/// Calls `f` on the flags of every control barrier in `block`, nested blocks included, in order.
fn for_each_barrier(block: &mut Block, f: &mut impl FnMut(&mut naga::Barrier)) {
    for s in block.iter_mut() {
        match s {
            Statement::ControlBarrier(b) => f(b),
            Statement::Block(b) => for_each_barrier(b, f),
            Statement::If { accept, reject, .. } => {
                for_each_barrier(accept, f);
                for_each_barrier(reject, f);
            }
            Statement::Switch { cases, .. } => {
                for c in cases.iter_mut() {
                    for_each_barrier(&mut c.body, f);
                }
            }
            Statement::Loop {
                body, continuing, ..
            } => {
                for_each_barrier(body, f);
                for_each_barrier(continuing, f);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgroup_barriers_in_loops_get_workgroup_memory() {
        let code = "var<workgroup> w: array<u32, 64>;\n\
            @compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) {\n\
              for (var k = 0u; k < 4u; k++) { w[i] = k; subgroupBarrier(); if (k > 1u) { subgroupBarrier(); } }\n\
              workgroupBarrier();\n\
            }";
        assert!(uses_it(code));
        let mut m = module(code).expect("parses");
        let mut seen = Vec::new();
        for_each_barrier(&mut m.entry_points[0].function.body, &mut |b| seen.push(*b));
        let both = naga::Barrier::SUB_GROUP | naga::Barrier::WORK_GROUP;
        assert_eq!(seen, [both, both, naga::Barrier::WORK_GROUP]);

        // In the SPIR-V: OpControlBarrier(execution scope, memory scope, semantics), constants by id.
        let flags = naga::valid::ValidationFlags::all();
        let caps = naga::valid::Capabilities::all();
        let info = naga::valid::Validator::new(flags, caps)
            .validate(&m)
            .unwrap();
        let options = naga::back::spv::Options {
            zero_initialize_workgroup_memory:
                naga::back::spv::ZeroInitializeWorkgroupMemoryMode::None,
            ..Default::default()
        };
        let words = naga::back::spv::write_vec(&m, &info, &options, None).unwrap();
        let (mut constants, mut barriers) = (std::collections::HashMap::new(), Vec::new());
        let mut at = 5;
        while at < words.len() {
            let (count, op) = ((words[at] >> 16) as usize, words[at] & 0xffff);
            match op {
                // OpConstant: type, result, value.
                43 if count == 4 => {
                    constants.insert(words[at + 2], words[at + 3]);
                }
                224 => barriers.push([words[at + 1], words[at + 2], words[at + 3]]),
                _ => {}
            }
            at += count.max(1);
        }
        let (subgroup, workgroup) = (3, 2);
        let workgroup_memory = 0x100;
        let scopes: Vec<(u32, u32, bool)> = barriers
            .iter()
            .map(|b| {
                let [exec, mem, sem] = b.map(|id| constants[&id]);
                (exec, mem, sem & workgroup_memory != 0)
            })
            .collect();
        let sub = (subgroup, subgroup, true);
        assert_eq!(scopes, [sub, sub, (workgroup, workgroup, true)]);
    }
}
