//! The crate's JSON reader (`core::json`) against serde_json on random documents and random
//! corruptions of them: both accept the same texts and read the same values, skip the same
//! values and capture the same raw text. Floats may differ in the last few bits (neither
//! reader rounds every float correctly; both do for the short ones events carry).
#![cfg(not(target_arch = "wasm32"))]

use matrix_knock::core::json;
use serde::de::IgnoredAny;
use serde_json::{value::RawValue, Value};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn whitespace(rng: &mut Rng, out: &mut String) {
    if rng.below(4) == 0 {
        out.push_str(rng.pick(&[" ", "\n", "\t", "\r\n ", "  "]));
    }
}

fn string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.below(6) {
        out.push_str(rng.pick(&[
            "a",
            "knock",
            "é",
            "😀",
            "\\\"",
            "\\\\",
            "\\/",
            "\\n",
            "\\t",
            "\\b",
            "\\f",
            "\\r",
            "\\u0041",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\u0000",
            "\\uFFFF",
            "@u:hs",
            " ",
        ]));
    }
    out.push('"');
}

fn number(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(&[
        "0",
        "-0",
        "7",
        "-12",
        "50",
        "100",
        "9007199254740991",
        "-9007199254740992",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "1.5",
        "-0.25",
        "50.0",
        "1e2",
        "1E+2",
        "2.5e-3",
        "-4e10",
        "0.1",
        "1e308",
        "1e-320",
        "123.456e7",
    ]));
}

fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    whitespace(rng, out);
    let kind = if depth > 5 {
        rng.below(4)
    } else {
        rng.below(6)
    };
    match kind {
        0 => string(rng, out),
        1 => number(rng, out),
        2 => out.push_str(rng.pick(&["true", "false", "null"])),
        3 => string(rng, out),
        4 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                value(rng, depth + 1, out);
            }
            whitespace(rng, out);
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                whitespace(rng, out);
                string(rng, out);
                whitespace(rng, out);
                out.push(':');
                value(rng, depth + 1, out);
            }
            whitespace(rng, out);
            out.push('}');
        }
    }
    whitespace(rng, out);
}

/// A random change to the text: a byte dropped, a JSON-significant byte put in, or a cut.
fn corrupt(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.below(bytes.len() + 1);
    match rng.below(3) {
        0 if at < bytes.len() => {
            bytes.remove(at);
        }
        1 => {
            let insert = b"{}[]\",:\\-+.eE0u \x0c\x01tn";
            bytes.insert(at, insert[rng.below(insert.len())]);
        }
        _ => bytes.truncate(at),
    }
    bytes
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs() * 8.0 * f64::EPSILON
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, a), (kb, b))| ka == kb && same_value(a, b))
        }
        _ => a == b,
    }
}

/// Our reader takes text: bytes that are not UTF-8 are refused before it runs (serde_json
/// refuses them too, except inside a string it skips).
fn ours<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    json::from_str(text).map_err(|e| e.to_string())
}

fn check(bytes: &[u8], case: &str) {
    let theirs = serde_json::from_slice::<Value>(bytes);
    let ours_value = ours::<Value>(bytes);
    match (&theirs, &ours_value) {
        (Ok(a), Ok(b)) => assert!(same_value(a, b), "{case}: {a} vs {b}"),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "{case}: {:?}\nserde_json: {theirs:?}\nours: {ours_value:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
    let skipped = (
        serde_json::from_slice::<IgnoredAny>(bytes).is_ok() && std::str::from_utf8(bytes).is_ok(),
        ours::<IgnoredAny>(bytes).is_ok(),
    );
    assert_eq!(
        skipped.0,
        skipped.1,
        "{case} skipped: {:?}",
        String::from_utf8_lossy(bytes)
    );
    let raw = (
        serde_json::from_slice::<&RawValue>(bytes)
            .ok()
            .map(|r| r.get()),
        ours::<json::Raw<'_>>(bytes).ok().map(|r| r.get()),
    );
    assert_eq!(
        raw.0,
        raw.1,
        "{case} raw: {:?}",
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn reads_what_serde_json_reads() {
    let mut rng = Rng(0x6a73_6f6e);
    let (mut valid, mut corrupted_ok) = (0, 0);
    for case in 0..20_000 {
        let mut text = String::new();
        value(&mut rng, 0, &mut text);
        check(text.as_bytes(), &format!("case {case}"));
        valid += 1;
        for round in 0..3 {
            let bytes = corrupt(&mut rng, &text);
            check(&bytes, &format!("case {case} corruption {round}"));
            corrupted_ok += usize::from(serde_json::from_slice::<IgnoredAny>(&bytes).is_ok());
        }
    }
    // The corruptions must reach both sides of the line, or the test proves little.
    assert!(valid == 20_000 && corrupted_ok > 5_000 && corrupted_ok < 55_000);
}

#[test]
fn nesting_limits_match() {
    for depth in [1, 126, 127, 128, 129, 5_000] {
        for text in [
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
        ] {
            check(text.as_bytes(), &format!("depth {depth}"));
        }
    }
}

#[test]
fn odd_texts_match() {
    for text in [
        "",
        " ",
        "\u{feff}1",
        "1 2",
        "[1]x",
        "\"\\ud800\"",
        "[\"\\ud800\"]",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\\ud800\"",
        "\"\\ud800\\ud800\"",
        "1e400",
        "-1e400",
        "[1e400]",
        "1.0e-400",
        "{\"a\":1,\"a\":2}",
        "\"\x7f\"",
        "\"\u{10ffff}\"",
        "-",
        "-a",
        "00",
        "0x1",
        "1.e1",
        "1e+",
        "true false",
        "nulll",
        "[[]",
        "{\"a\"}",
        "{1:2}",
        "\"\u{1f}\"",
        "\"a\tb\"",
        "\"\u{0}\"",
    ] {
        check(text.as_bytes(), text);
    }
    // Invalid UTF-8: refused (serde_json passes over it inside a skipped string).
    for bytes in [&b"\"\xff\""[..], b"[\"\xc3\"]", b"{\"\xe2\x82\":1}"] {
        check(bytes, "invalid UTF-8");
    }
}
