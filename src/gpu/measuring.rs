//! Measuring aids: environment variables that turn one of the library's choices off or fix one of its
//! counts, so that `omnimoe bench` can time the library with and without it in one run (BENCHMARKS.md
//! names each beside the runs that used it). The process's `OMNIMOE_…` variables are read once, when
//! the first aid is asked for, and kept; none is needed to use the library.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The environment variable `name`'s value (`None` where unset or not Unicode), from the process's
/// `OMNIMOE_…` variables as they were when an aid was first asked for: a lookup in a map nothing writes
/// after, without a lock (some aids are asked for per GEMM a forward records).
fn aid(name: &'static str) -> Option<&'static str> {
    static AIDS: OnceLock<HashMap<String, String>> = OnceLock::new();
    debug_assert!(name.starts_with("OMNIMOE_"), "measuring aid {name}");
    AIDS.get_or_init(read_aids).get(name).map(String::as_str)
}

/// The process's `OMNIMOE_…` variables that are Unicode.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn read_aids() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("OMNIMOE_"))
        .collect()
}

/// None in a browser: wasm32-unknown-unknown has no environment, and its `std::env::vars_os` panics
/// (where `std::env::var` returns an error).
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn read_aids() -> HashMap<String, String> {
    HashMap::new()
}

/// Whether `name` is set, to anything (the aids that turn something off: `OMNIMOE_NO_…`).
pub(crate) fn env_set(name: &'static str) -> bool {
    aid(name).is_some()
}

/// Whether `name` is set to `value` (`OMNIMOE_SKINNY=off`, say).
pub(crate) fn env_is(name: &'static str, value: &str) -> bool {
    aid(name) == Some(value)
}

/// A positive count from `name` (the aids' workgroup targets and thresholds).
pub(crate) fn env_count(name: &'static str) -> Option<u32> {
    aid(name)?.parse().ok().filter(|&n| n > 0)
}

/// `name`'s value parsed by `f` (`OMNIMOE_FEW_TILE_GATE=quarter8:128`, say).
pub(crate) fn env_parse<R>(name: &'static str, f: impl FnOnce(&str) -> Option<R>) -> Option<R> {
    f(aid(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_variable_is_off_and_counts_nothing() {
        let name = "OMNIMOE_MEASURING_AID_NEVER_SET";
        assert!(!env_set(name));
        assert!(!env_is(name, "off"));
        assert_eq!(env_count(name), None);
        assert_eq!(env_parse(name, |v| Some(v.len())), None);
    }
}
