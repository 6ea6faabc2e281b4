//! Buffers: creation, upload in the storage type of a variant, and read-back (async; on native the device
//! is polled until the map completes, on the web the browser completes it).

use super::context::Context;
use crate::{Error, Result};

/// Usages of every storage buffer of the layer.
pub const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// Rows per step that keep binding offsets aligned: the fewest rows n such that n rows of each width in
/// `row_bytes` start on the adapter's storage offset alignment (a power of two, 256 on most).
pub(crate) fn aligned_rows(ctx: &Context, row_bytes: impl IntoIterator<Item = usize>) -> usize {
    let align = (ctx.limits.min_storage_buffer_offset_alignment as usize).max(1);
    row_bytes
        .into_iter()
        .map(|row| align / gcd(align, row))
        .max()
        .unwrap_or(1)
}

/// Greatest common divisor.
pub(crate) fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A range of a buffer to bind.
#[derive(Clone, Copy, Debug)]
pub struct Bind<'a> {
    /// The buffer.
    pub buffer: &'a wgpu::Buffer,
    /// First byte.
    pub offset: u64,
    /// Bytes, or the rest of the buffer.
    pub size: Option<u64>,
}

impl<'a> Bind<'a> {
    /// The whole buffer.
    pub fn all(buffer: &'a wgpu::Buffer) -> Self {
        Bind {
            buffer,
            offset: 0,
            size: None,
        }
    }

    /// `size` bytes from `offset`.
    pub fn range(buffer: &'a wgpu::Buffer, offset: u64, size: u64) -> Self {
        Bind {
            buffer,
            offset,
            size: Some(size),
        }
    }
}

/// An uninitialised storage buffer of `bytes` (at least 4).
pub fn storage(ctx: &Context, label: &str, bytes: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: bytes.max(4).next_multiple_of(4),
        usage: STORAGE,
        mapped_at_creation: false,
    })
}

/// Fails with [`Error::Shape`] naming `name` when `buffer` holds fewer than `rows` rows of `cols`
/// elements of `elem_bytes` bytes.
pub(crate) fn check_rows(
    name: &str,
    buffer: &wgpu::Buffer,
    rows: usize,
    cols: usize,
    elem_bytes: u64,
) -> Result<()> {
    if buffer.size() < (rows * cols) as u64 * elem_bytes {
        return Err(Error::Shape {
            name: name.into(),
            expected: vec![rows, cols],
            found: vec![(buffer.size() / elem_bytes) as usize],
        });
    }
    Ok(())
}

/// A storage buffer holding `bytes`.
pub fn upload(ctx: &Context, label: &str, bytes: &[u8]) -> wgpu::Buffer {
    let mut padded;
    let contents = if bytes.len().is_multiple_of(4) && !bytes.is_empty() {
        bytes
    } else {
        padded = bytes.to_vec();
        padded.resize(bytes.len().max(4).next_multiple_of(4), 0);
        &padded
    };
    // Written through the queue rather than mapped at creation: on a lost device wgpu's mapped-at-creation
    // helper panics, where this records an error the next `check_alive` returns.
    let buffer = storage(ctx, label, contents.len() as u64);
    ctx.queue.write_buffer(&buffer, 0, contents);
    buffer
}

/// `values` as f32 or f16 little-endian bytes.
pub fn elem_bytes(values: &[f32], f16: bool) -> Vec<u8> {
    if f16 {
        values
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect()
    } else {
        bytemuck::cast_slice(values).to_vec()
    }
}

/// Bytes of one element of the storage type.
pub fn elem_size(f16: bool) -> u64 {
    if f16 {
        2
    } else {
        4
    }
}

/// Copies `bytes` bytes of `buffer` from `offset` to the host.
pub async fn read_back(
    ctx: &Context,
    buffer: &wgpu::Buffer,
    offset: u64,
    bytes: u64,
) -> Result<Vec<u8>> {
    if bytes == 0 {
        return Ok(Vec::new());
    }
    let size = bytes.next_multiple_of(4);
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("read back"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, size);
    ctx.queue.submit([encoder.finish()]);
    let (tx, rx) = futures_channel::oneshot::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    wait(ctx)?;
    let mapped = rx
        .await
        .map_err(|_| Error::DeviceLost("the read-back was dropped".into()))?;
    // A map fails when the device went away under it: say that rather than "map failed".
    ctx.check_alive()?;
    mapped.map_err(|e| Error::Gpu(format!("mapping a buffer for read-back failed: {e}")))?;
    let data = staging
        .get_mapped_range(..)
        .map_err(|e| Error::Gpu(e.to_string()))?[..bytes as usize]
        .to_vec();
    staging.unmap();
    Ok(data)
}

/// Waits for all submitted work on native; a no-op on the web, where the browser drives completion.
pub fn wait(ctx: &Context) -> Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(e.to_string()))?;
    let _ = ctx;
    Ok(())
}

/// [`wait`] by polling the device in a loop instead of sleeping until the driver wakes the thread: for
/// a decode loop where each forward's latency counts, at the price of one CPU core busy while the GPU
/// works (what CUDA's spin-wait synchronisation does). A no-op on the web.
pub fn wait_spin(ctx: &Context) -> Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    loop {
        let status = ctx
            .device
            .poll(wgpu::PollType::Poll)
            .map_err(|e| Error::Gpu(e.to_string()))?;
        if status.is_queue_empty() {
            break;
        }
        ctx.check_alive()?;
        std::hint::spin_loop();
    }
    let _ = ctx;
    Ok(())
}

/// Reads f32 values.
pub async fn read_f32(
    ctx: &Context,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: usize,
) -> Result<Vec<f32>> {
    let bytes = read_back(ctx, buffer, offset, len as u64 * 4).await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Reads u32 values.
pub async fn read_u32(
    ctx: &Context,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: usize,
) -> Result<Vec<u32>> {
    let bytes = read_back(ctx, buffer, offset, len as u64 * 4).await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Bytes copies of a weight read in turn add up to at least: twice an H100's 50 MB L2, so that a copy is
/// long gone from it when its turn comes again.
const ROTATION_BYTES: u64 = 100 << 20;
/// Most copies of a weight read in turn.
const MOST_COPIES: u64 = 32;

/// Copies of a weight of `bytes` that together exceed the last-level cache ([`ROTATION_BYTES`]), 2 to
/// [`MOST_COPIES`]: read in turn, each read comes from device memory.
pub(crate) fn rotation_copies(bytes: u64) -> usize {
    ROTATION_BYTES.div_ceil(bytes.max(1)).clamp(2, MOST_COPIES) as usize
}

/// `copies` buffers each holding `bytes` (as [`upload`] makes them), for kernels that read them in turn
/// ([`rotation_copies`]: each read from device memory rather than the cache).
pub(crate) fn upload_copies(
    ctx: &Context,
    label: &str,
    bytes: &[u8],
    copies: usize,
) -> Vec<wgpu::Buffer> {
    (0..copies).map(|_| upload(ctx, label, bytes)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Copies read in turn add up to more than the cache, within 2 to MOST_COPIES.
    #[test]
    fn rotation_copies_exceed_the_cache() {
        for bytes in [1, 4 << 10, 8 << 20, 17 << 20, 60 << 20, 1 << 30] {
            let copies = rotation_copies(bytes) as u64;
            assert!((2..=MOST_COPIES).contains(&copies), "{bytes}: {copies}");
            assert!(
                copies == MOST_COPIES || copies * bytes >= ROTATION_BYTES,
                "{bytes}"
            );
            assert!(
                copies == 2 || (copies - 1) * bytes < ROTATION_BYTES,
                "{bytes}"
            );
        }
        assert_eq!(rotation_copies(17 << 20), 6);
    }
}
