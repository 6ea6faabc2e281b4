//! Bad input gives typed errors that name the tensor or field, never a panic or a wrong answer.

use std::collections::HashMap;

use omnimoe::io::{to_safetensors, TensorData, TensorFile};
use omnimoe::weights::names;
use omnimoe::{cpu, Error, LoadOptions, OmniMoeConfig, OmniMoeWeights};
use safetensors::{tensor::TensorView, Dtype};

fn layer() -> OmniMoeWeights {
    OmniMoeWeights::random(OmniMoeConfig::new(16, 24, 20, 4).unwrap(), 3).unwrap()
}

fn meta(w: &OmniMoeWeights) -> HashMap<String, String> {
    let c = w.config;
    HashMap::from([
        ("hidden_size".into(), c.hidden_size.to_string()),
        ("intermediate_size".into(), c.intermediate_size.to_string()),
        ("num_experts".into(), c.num_experts.to_string()),
        (
            "num_experts_per_token".into(),
            c.num_experts_per_token.to_string(),
        ),
    ])
}

/// The layer's tensors with `edit` applied to (name, shape, values); `None` drops the tensor.
fn edited(
    w: &OmniMoeWeights,
    metadata: Option<HashMap<String, String>>,
    edit: impl Fn(&str, Vec<usize>, Vec<f32>) -> Option<(Vec<usize>, Vec<f32>)>,
) -> Vec<u8> {
    let owned: Vec<(String, Vec<usize>, Vec<f32>)> = w
        .tensors()
        .into_iter()
        .filter_map(|(n, s, d)| edit(n, s, d.to_vec()).map(|(s, d)| (n.to_string(), s, d)))
        .collect();
    let tensors: Vec<_> = owned
        .iter()
        .map(|(n, s, d)| (n.clone(), s.clone(), TensorData::F32(d)))
        .collect();
    to_safetensors(&tensors, metadata).unwrap()
}

fn load(bytes: &[u8]) -> omnimoe::Result<OmniMoeWeights> {
    OmniMoeWeights::from_safetensors(bytes, &LoadOptions::default())
}

#[test]
fn round_trip_with_and_without_prefix() {
    let w = layer();
    assert_eq!(load(&w.to_safetensors("").unwrap()).unwrap(), w);
    let opts = LoadOptions {
        prefix: "model.layers.3.mlp.".into(),
        experts_per_token: None,
    };
    let bytes = w.to_safetensors(&opts.prefix).unwrap();
    assert_eq!(OmniMoeWeights::from_safetensors(&bytes, &opts).unwrap(), w);
    match load(&bytes) {
        Err(Error::MissingTensor(n)) => assert_eq!(n, names::GATE_PROJ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_or_garbage_files_are_malformed() {
    let bytes = layer().to_safetensors("").unwrap();
    for cut in [0, 4, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            matches!(load(&bytes[..cut]), Err(Error::Safetensors(_))),
            "cut at {cut}"
        );
    }
    let mut garbage = bytes.clone();
    garbage[9..40].fill(b'{');
    assert!(matches!(load(&garbage), Err(Error::Safetensors(_))));
}

#[test]
fn missing_tensor_is_named() {
    let w = layer();
    let bytes = edited(&w, Some(meta(&w)), |n, s, d| {
        (n != names::DOWN_EMBED).then_some((s, d))
    });
    match load(&bytes) {
        Err(Error::MissingTensor(n)) => assert_eq!(n, names::DOWN_EMBED),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_shape_is_named() {
    let w = layer();
    let bytes = edited(&w, Some(meta(&w)), |n, s, d| {
        Some(if n == names::ROUTER_Y {
            (vec![d.len()], d)
        } else {
            (s, d)
        })
    });
    match load(&bytes) {
        Err(Error::Shape {
            name,
            expected,
            found,
        }) => {
            assert_eq!(name, names::ROUTER_Y);
            assert_eq!(expected, vec![4, 16]);
            assert_eq!(found, vec![64]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_dtype_is_named() {
    let w = layer();
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = w
        .tensors()
        .into_iter()
        .map(|(n, s, d)| {
            (
                n.to_string(),
                Dtype::F32,
                s,
                bytemuck::cast_slice(d).to_vec(),
            )
        })
        .collect();
    tensors[0].1 = Dtype::I32;
    let views: Vec<_> = tensors
        .iter()
        .map(|(n, t, s, d)| (n.clone(), TensorView::new(*t, s.clone(), d).unwrap()))
        .collect();
    let bytes = safetensors::serialize(views, Some(meta(&w))).unwrap();
    match load(&bytes) {
        Err(Error::Dtype { name, dtype }) => {
            assert_eq!((name.as_str(), dtype.as_str()), (names::GATE_PROJ, "I32"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn half_precision_weights_load_as_f32() {
    let w = layer();
    for dtype in [Dtype::F16, Dtype::BF16] {
        let conv = |v: f32| match dtype {
            Dtype::F16 => half::f16::from_f32(v).to_le_bytes(),
            _ => half::bf16::from_f32(v).to_le_bytes(),
        };
        let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = w
            .tensors()
            .into_iter()
            .map(|(n, s, d)| (n.to_string(), s, d.iter().flat_map(|&v| conv(v)).collect()))
            .collect();
        let views: Vec<_> = tensors
            .iter()
            .map(|(n, s, d)| (n.clone(), TensorView::new(dtype, s.clone(), d).unwrap()))
            .collect();
        let got = load(&safetensors::serialize(views, Some(meta(&w))).unwrap()).unwrap();
        let back = |v: f32| match dtype {
            Dtype::F16 => half::f16::from_f32(v).to_f32(),
            _ => half::bf16::from_f32(v).to_f32(),
        };
        let want: Vec<f32> = w.up_embed.iter().map(|&v| back(v)).collect();
        assert_eq!(got.up_embed, want, "{dtype:?}");
        assert_eq!(got.config, w.config);
    }
}

#[test]
fn non_finite_weights_and_inputs_are_rejected() {
    let w = layer();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let bytes = edited(&w, Some(meta(&w)), |n, s, mut d| {
            if n == names::UP_PROJ {
                d[5] = bad;
            }
            Some((s, d))
        });
        match load(&bytes) {
            Err(Error::NonFinite { name, index, .. }) => {
                assert_eq!((name.as_str(), index), (names::UP_PROJ, 5))
            }
            other => panic!("{other:?}"),
        }
        let mut x = vec![0.5; 3 * 16];
        x[17] = bad;
        match cpu::forward(&w, &x) {
            Err(Error::NonFinite { name, index, .. }) => {
                assert_eq!((name.as_str(), index), ("input", 17))
            }
            other => panic!("{other:?}"),
        }
    }
    match cpu::forward(&w, &[0.0; 17]) {
        Err(Error::Shape { name, .. }) => assert_eq!(name, "input"),
        other => panic!("{other:?}"),
    }
    let bytes = edited(&w, Some(meta(&w)), |n, s, mut d| {
        if n == names::NORM_Y_VAR {
            d[1] = -0.5;
        }
        Some((s, d))
    });
    assert!(
        matches!(load(&bytes), Err(Error::NonFinite { name, .. }) if name.contains(names::NORM_Y_VAR))
    );
}

#[test]
fn config_from_metadata_shapes_or_explicit_k() {
    let w = layer();
    // No metadata: shapes give H, I, N; K must be explicit.
    let bytes = edited(&w, None, |_, s, d| Some((s, d)));
    assert!(matches!(
        load(&bytes),
        Err(Error::Config {
            field: "num_experts_per_token",
            ..
        })
    ));
    let opts = LoadOptions {
        prefix: String::new(),
        experts_per_token: Some(4),
    };
    assert_eq!(OmniMoeWeights::from_safetensors(&bytes, &opts).unwrap(), w);
    // Metadata that breaks a constraint, or does not parse.
    for (key, value, field) in [
        ("num_experts_per_token", "3", Some("num_experts_per_token")),
        (
            "num_experts_per_token",
            "256",
            Some("num_experts_per_token"),
        ),
        ("num_experts", "3", Some("num_experts")),
        ("hidden_size", "sixteen", None),
    ] {
        let mut m = meta(&w);
        m.insert(key.into(), value.into());
        match (load(&edited(&w, Some(m), |_, s, d| Some((s, d)))), field) {
            (Err(Error::Config { field: f, .. }), Some(field)) => assert_eq!(f, field),
            (Err(Error::Metadata { key: k, .. }), None) => assert_eq!(k, key),
            (other, _) => panic!("{key}={value}: {other:?}"),
        }
    }
    // Metadata that disagrees with the shapes names the tensor.
    let mut m = meta(&w);
    m.insert("intermediate_size".into(), "32".into());
    assert!(matches!(load(&edited(&w, Some(m), |_, s, d| Some((s, d)))),
        Err(Error::Shape { name, .. }) if name == names::GATE_PROJ));
}

#[test]
fn input_tensor_of_the_wrong_width_is_named() {
    let x = vec![0.0f32; 2 * 3 * 8];
    let bytes = to_safetensors(
        &[("input".into(), vec![2, 3, 8], TensorData::F32(&x))],
        None,
    )
    .unwrap();
    let file = TensorFile::parse(&bytes).unwrap();
    assert_eq!(file.tokens("input", 8).unwrap().0, 6);
    assert!(matches!(file.tokens("input", 16), Err(Error::Shape { name, .. }) if name == "input"));
    assert!(matches!(file.tokens("x", 8), Err(Error::MissingTensor(n)) if n == "x"));
}
