//! CPU twin of `shaders/read_probe.wgsl`: a buffer of 16-byte words folded with XOR per workgroup.

/// read_probe: element w of the result is the XOR of every u32 of words w·per_wg .. (w + 1)·per_wg of
/// `src` (fewer in the last), one element per workgroup (⌈words / per_wg⌉). Panics if `per_wg` is 0.
pub fn read_probe(src: &[[u32; 4]], per_wg: usize) -> Vec<u32> {
    assert!(per_wg > 0, "read_probe: per_wg must be positive");
    src.chunks(per_wg)
        .map(|words| words.iter().flatten().fold(0, |acc, &x| acc ^ x))
        .collect()
}
