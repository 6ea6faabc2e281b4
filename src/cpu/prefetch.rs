//! CPU twin of `shaders/prefetch.wgsl`: the checksum a prefetch folds the words it reads into.

/// 16-byte words per chunk of `shaders/prefetch.wgsl` (one a workgroup's invocation).
pub const PREFETCH_CHUNK: usize = 256;

/// For each of `groups` workgroups w, the XOR of the 32-bit words of `words` (a multiple of 4) in the
/// chunks c ≡ w (mod groups) of [`PREFETCH_CHUNK`] 16-byte words: what a prefetch of that buffer by
/// `groups` workgroups writes to its sink.
pub fn prefetch(words: &[u32], groups: usize) -> Vec<u32> {
    let mut sink = vec![0; groups];
    for (c, chunk) in words.chunks(4 * PREFETCH_CHUNK).enumerate() {
        sink[c % groups] ^= chunk.iter().fold(0, |a, &w| a ^ w);
    }
    sink
}
