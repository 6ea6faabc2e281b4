//! CPU twin of `shaders/prefetch.wgsl`: the checksum a prefetch folds the words it reads into.

/// 16-byte words per workgroup of `shaders/prefetch.wgsl` (256 invocations, 8 loads each).
pub const PREFETCH_SLICE: usize = 2048;

/// Per slice of [`PREFETCH_SLICE`] 16-byte words of `words` (32-bit words, a multiple of 4), the XOR of
/// its 32-bit words: what a prefetch of that buffer writes to its sink.
pub fn prefetch(words: &[u32]) -> Vec<u32> {
    words
        .chunks(4 * PREFETCH_SLICE)
        .map(|slice| slice.iter().fold(0, |a, &w| a ^ w))
        .collect()
}
