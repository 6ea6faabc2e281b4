//! Mutation fuzz of the safetensors loader and the config checks: valid files with bytes flipped, header
//! fields rewritten, tensors truncated or cut short, and configs with any values. Nothing panics; every
//! rejection is a typed error that names what is wrong; every file that loads is a consistent layer.

use std::collections::HashMap;

use omnimoe::io::{to_safetensors, TensorData};
use omnimoe::{Error, LoadOptions, OmniMoeConfig, OmniMoeWeights};
use proptest::prelude::*;

/// A small valid layer file with its config in the metadata.
fn seed_file() -> Vec<u8> {
    let w = OmniMoeWeights::random(OmniMoeConfig::new(8, 12, 20, 4).unwrap(), 5).unwrap();
    let c = w.config;
    let meta = HashMap::from([
        ("hidden_size".to_string(), c.hidden_size.to_string()),
        (
            "intermediate_size".to_string(),
            c.intermediate_size.to_string(),
        ),
        ("num_experts".to_string(), c.num_experts.to_string()),
        (
            "num_experts_per_token".to_string(),
            c.num_experts_per_token.to_string(),
        ),
    ]);
    let tensors: Vec<_> = w
        .tensors()
        .into_iter()
        .map(|(n, s, d)| (n.to_string(), s, TensorData::F32(d)))
        .collect();
    to_safetensors(&tensors, Some(meta)).unwrap()
}

/// Length of the JSON header (after the 8-byte length).
fn header_len(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Flip a byte of the header (position as a fraction of it) to a value.
    HeaderByte(f64, u8),
    /// Flip a byte of the tensor data.
    DataByte(f64, u8),
    /// Cut the file at a fraction of its length.
    Truncate(f64),
    /// Replace every occurrence of one header token by another (dtypes, names, config values).
    Replace(&'static str, &'static str),
    /// Overwrite the header length.
    HeaderLength(u64),
    /// Insert bytes at a fraction of the file.
    Insert(f64, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop::sample::select(vec![
        ("\"F32\"", "\"F16\""),
        ("\"F32\"", "\"BF16\""),
        ("\"F32\"", "\"I32\""),
        ("\"F32\"", "\"U8\""),
        ("\"F32\"", "\"F64\""),
        ("[20,8]", "[21,8]"),
        ("[20,8]", "[8,20]"),
        ("[12,8]", "[12,9]"),
        ("[8,12]", "[8]"),
        ("[4]", "[5]"),
        ("[4,8]", "[0,8]"),
        ("\"4\"", "\"0\""),
        ("\"4\"", "\"3\""),
        ("\"4\"", "\"130\""),
        ("\"4\"", "\"-4\""),
        ("\"4\"", "\"four\""),
        ("\"20\"", "\"3\""),
        ("\"20\"", "\"99999999999999999999\""),
        ("\"8\"", "\"0\""),
        ("gate_proj", "gate_prој"),
        ("up_embed", "up_embedding"),
        ("data_offsets\":[0,", "data_offsets\":[4,"),
        ("running_var", "running_vaR"),
    ]);
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(f, b)| Mutation::HeaderByte(f, b)),
        (0.0..1.0f64, any::<u8>()).prop_map(|(f, b)| Mutation::DataByte(f, b)),
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        tokens.prop_map(|(a, b)| Mutation::Replace(a, b)),
        prop_oneof![Just(0u64), Just(u64::MAX), 0..5000u64].prop_map(Mutation::HeaderLength),
        (0.0..1.0f64, prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(f, b)| Mutation::Insert(f, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let header = header_len(bytes).min(bytes.len() - 8);
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len.saturating_sub(1));
    match m {
        Mutation::HeaderByte(f, b) => {
            if header > 0 {
                let i = 8 + at(*f, header);
                bytes[i] = *b;
            }
        }
        Mutation::DataByte(f, b) => {
            let data = bytes.len() - 8 - header;
            if data > 0 {
                let i = 8 + header + at(*f, data);
                bytes[i] = *b;
            }
        }
        Mutation::Truncate(f) => bytes.truncate(at(*f, bytes.len())),
        Mutation::Replace(a, b) => {
            let text = String::from_utf8_lossy(&bytes[8..8 + header]).into_owned();
            if text.contains(a) {
                let new = text.replace(a, b);
                let mut out = (new.len() as u64).to_le_bytes().to_vec();
                out.extend_from_slice(new.as_bytes());
                out.extend_from_slice(&bytes[8 + header..]);
                *bytes = out;
            }
        }
        Mutation::HeaderLength(n) => bytes[..8].copy_from_slice(&n.to_le_bytes()),
        Mutation::Insert(f, b) => {
            let i = at(*f, bytes.len());
            bytes.splice(i..i, b.iter().copied());
        }
    }
}

/// A rejection names what is wrong: a tensor, a config field, or the file's own defect.
fn names_something(e: &Error) -> bool {
    match e {
        Error::Config { field, reason } => !field.is_empty() && !reason.is_empty(),
        Error::Safetensors(msg) => !msg.is_empty(),
        Error::MissingTensor(name) => !name.is_empty(),
        Error::Shape { name, .. } | Error::Dtype { name, .. } | Error::NonFinite { name, .. } => {
            !name.is_empty()
        }
        other => !other.to_string().is_empty(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// 10,000 mutated files (one to three mutations each, with and without an explicit K).
    #[test]
    fn mutated_files_load_or_fail_with_a_named_error(
        mutations in prop::collection::vec(mutation(), 1..=3),
        k in prop::option::of(0usize..200),
    ) {
        let mut bytes = seed_file();
        for m in &mutations {
            if bytes.len() < 8 {
                break;
            }
            apply(&mut bytes, m);
        }
        let options = LoadOptions { prefix: String::new(), experts_per_token: k };
        let loaded = std::panic::catch_unwind(|| OmniMoeWeights::from_safetensors(&bytes, &options));
        let Ok(result) = loaded else {
            return Err(TestCaseError::fail(format!("panic on {mutations:?}, K {k:?}")));
        };
        match result {
            Ok(w) => {
                // What loads is a layer the rest of the library can trust.
                let c = w.config;
                prop_assert!(c.validate().is_ok(), "{c:?}");
                let (h, i, n) = (c.hidden_size, c.intermediate_size, c.num_experts);
                prop_assert_eq!(w.gate_proj.len(), i * h);
                prop_assert_eq!(w.down_proj.len(), h * i);
                prop_assert_eq!(w.up_embed.len(), n * h);
                prop_assert_eq!(w.router_x.len(), c.grid() * h);
                prop_assert!(w.tensors().iter().all(|(_, _, d)| d.iter().all(|v| v.is_finite())));
            }
            Err(e) => prop_assert!(names_something(&e), "{e:?}"),
        }
    }

    /// Any four sizes: a config, or an error naming the field; never a panic or an overflow.
    #[test]
    fn any_config_is_valid_or_names_its_field(
        h in prop_oneof![0usize..64, Just(usize::MAX), Just(1 << 40)],
        i in prop_oneof![0usize..64, Just(usize::MAX)],
        n in prop_oneof![0usize..5000, Just(usize::MAX), Just(1 << 62)],
        k in prop_oneof![0usize..300, Just(usize::MAX)],
    ) {
        let made = std::panic::catch_unwind(|| OmniMoeConfig::new(h, i, n, k));
        let Ok(made) = made else {
            return Err(TestCaseError::fail(format!("panic on ({h}, {i}, {n}, {k})")));
        };
        match made {
            Ok(c) => {
                prop_assert!(k % 2 == 0 && k > 0 && k <= 128 && n >= 4 && h > 0 && i > 0);
                prop_assert!(c.grid() * c.grid() <= n && k <= c.grid() * c.grid());
            }
            Err(Error::Config { field, .. }) => prop_assert!(!field.is_empty()),
            Err(other) => prop_assert!(false, "not a config error: {other:?}"),
        }
    }
}
