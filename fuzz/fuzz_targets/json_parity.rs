//! The crate's JSON reader (`core::json`) against serde_json on arbitrary bytes: the same texts
//! accepted as values (equal up to float rounding), skipped, and captured raw. Bytes that are
//! not UTF-8 never reach our reader (it takes `&str`). The seeded version is
//! `tests/json_parity.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matrix_knock::core::json;
use serde::de::IgnoredAny;
use serde_json::{value::RawValue, Value};

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs() * 8.0 * f64::EPSILON
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, a), (l, b))| k == l && same(a, b))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match (serde_json::from_str::<Value>(text), json::from_str::<Value>(text)) {
        (Ok(a), Ok(b)) => assert!(same(&a, &b), "{a} vs {b}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("serde_json {a:?}, ours {b:?}"),
    }
    assert_eq!(
        serde_json::from_str::<IgnoredAny>(text).is_ok(),
        json::from_str::<IgnoredAny>(text).is_ok()
    );
    assert_eq!(
        serde_json::from_str::<&RawValue>(text).ok().map(RawValue::get),
        json::from_str::<json::Raw<'_>>(text).ok().map(|r| r.get())
    );
});
