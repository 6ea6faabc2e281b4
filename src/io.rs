//! Reading and writing safetensors: dtype conversion to f32, shape checks and finiteness checks, with errors
//! that name the tensor.

use std::collections::HashMap;

use safetensors::{tensor::TensorView, Dtype, SafeTensors};

use crate::{Error, Result};

/// A parsed safetensors file borrowing its bytes.
pub struct TensorFile<'a> {
    st: SafeTensors<'a>,
    metadata: HashMap<String, String>,
}

impl<'a> TensorFile<'a> {
    /// Parses the header; a truncated or malformed file gives [`Error::Safetensors`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| Error::Safetensors(e.to_string()))?;
        let (_, meta) =
            SafeTensors::read_metadata(bytes).map_err(|e| Error::Safetensors(e.to_string()))?;
        Ok(TensorFile {
            st,
            metadata: meta.metadata().clone().unwrap_or_default(),
        })
    }

    /// The `__metadata__` strings (empty when absent).
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// Whether a tensor of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// The shape of a tensor.
    pub fn shape(&self, name: &str) -> Result<Vec<usize>> {
        Ok(self.view(name)?.shape().to_vec())
    }

    fn view(&self, name: &str) -> Result<TensorView<'a>> {
        self.st
            .tensor(name)
            .map_err(|_| Error::MissingTensor(name.to_string()))
    }

    /// Reads a floating-point tensor (F32, F16 or BF16) as f32, checking every value is finite.
    pub fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let v = self.view(name)?;
        let data = v.data();
        let values: Vec<f32> = match v.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => {
                return Err(Error::Dtype {
                    name: name.to_string(),
                    dtype: format!("{other:?}"),
                })
            }
        };
        check_finite(name, &values)?;
        Ok((v.shape().to_vec(), values))
    }

    /// Reads an f32 tensor that must have exactly `expected` shape.
    pub fn f32_shaped(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        let shape = self.shape(name)?;
        if shape != expected {
            return Err(Error::Shape {
                name: name.to_string(),
                expected: expected.to_vec(),
                found: shape,
            });
        }
        Ok(self.f32(name)?.1)
    }

    /// Reads an integer tensor (I32 or I64) as i64.
    pub fn int(&self, name: &str) -> Result<(Vec<usize>, Vec<i64>)> {
        let v = self.view(name)?;
        let data = v.data();
        let values = match v.dtype() {
            Dtype::I32 => data
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64)
                .collect(),
            Dtype::I64 => data
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
                .collect(),
            other => {
                return Err(Error::Dtype {
                    name: name.to_string(),
                    dtype: format!("{other:?}"),
                })
            }
        };
        Ok((v.shape().to_vec(), values))
    }

    /// Reads token activations of width `hidden` from a tensor of shape `[..., hidden]`, flattened to
    /// `[T, hidden]`; returns T and the values.
    pub fn tokens(&self, name: &str, hidden: usize) -> Result<(usize, Vec<f32>)> {
        let shape = self.shape(name)?;
        if shape.is_empty() || *shape.last().unwrap() != hidden {
            let mut expected = shape[..shape.len().saturating_sub(1)].to_vec();
            expected.push(hidden);
            return Err(Error::Shape {
                name: name.to_string(),
                expected,
                found: shape,
            });
        }
        let (_, values) = self.f32(name)?;
        Ok((values.len() / hidden, values))
    }
}

/// Fails with [`Error::NonFinite`] at the first NaN or ±Inf.
pub fn check_finite(name: &str, values: &[f32]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            name: name.to_string(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Fails with [`Error::Overflow`] at the first non-finite element of a result: finite weights and input
/// whose products or sums do not fit f32 (a weight of 1e38, say).
pub fn check_overflow(name: &str, values: &[f32]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::Overflow {
            name: name.to_string(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Data of one tensor to write.
pub enum TensorData<'a> {
    /// Stored as F32.
    F32(&'a [f32]),
    /// Stored as I32.
    I32(&'a [i32]),
}

/// Serialises named tensors (row-major, little-endian) and string metadata into safetensors bytes.
pub fn to_safetensors(
    tensors: &[(String, Vec<usize>, TensorData<'_>)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>> {
    let bytes: Vec<(Dtype, Vec<u8>)> = tensors
        .iter()
        .map(|(_, _, d)| match d {
            TensorData::F32(v) => (Dtype::F32, bytemuck::cast_slice(v).to_vec()),
            TensorData::I32(v) => (Dtype::I32, bytemuck::cast_slice(v).to_vec()),
        })
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for ((name, shape, _), (dtype, data)) in tensors.iter().zip(&bytes) {
        let view = TensorView::new(*dtype, shape.clone(), data)
            .map_err(|e| Error::Safetensors(format!("{name}: {e}")))?;
        views.push((name.clone(), view));
    }
    safetensors::serialize(views, metadata).map_err(|e| Error::Safetensors(e.to_string()))
}

/// Reads a whole file, naming the path on failure.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a whole file, naming the path on failure.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
