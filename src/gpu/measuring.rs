//! Measuring aids: environment variables that turn one of the library's choices off or fix one of its
//! counts, so that `omnimoe bench` can time the library with and without it in one run (BENCHMARKS.md
//! names each beside the runs that used it). Each is read once per process; none is needed to use the
//! library.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// `f` of the environment variable `name`'s value (`None` where unset or not Unicode), read the first
/// time `name` is asked for and kept for the process.
fn with_value<R>(name: &'static str, f: impl FnOnce(Option<&str>) -> R) -> R {
    static READ: OnceLock<Mutex<HashMap<&'static str, Option<String>>>> = OnceLock::new();
    let mut read = READ
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let value = read.entry(name).or_insert_with(|| std::env::var(name).ok());
    f(value.as_deref())
}

/// Whether `name` is set, to anything (the aids that turn something off: `OMNIMOE_NO_…`).
pub(crate) fn env_set(name: &'static str) -> bool {
    with_value(name, |v| v.is_some())
}

/// Whether `name` is set to `value` (`OMNIMOE_SKINNY=off`, say).
pub(crate) fn env_is(name: &'static str, value: &str) -> bool {
    with_value(name, |v| v == Some(value))
}

/// A positive count from `name` (the aids' workgroup targets and thresholds).
pub(crate) fn env_count(name: &'static str) -> Option<u32> {
    with_value(name, |v| v?.parse().ok().filter(|&n| n > 0))
}

/// `name`'s value parsed by `f` (`OMNIMOE_FEW_TILE_GATE=quarter8:128`, say).
pub(crate) fn env_parse<R>(name: &'static str, f: impl FnOnce(&str) -> Option<R>) -> Option<R> {
    with_value(name, |v| f(v?))
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
