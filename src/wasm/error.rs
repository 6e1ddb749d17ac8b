//! Bad input becomes a JS `Error` with a stable `code` property.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::{Error, ErrorCode};

/// Result type of exported functions.
pub type JsResult<T> = Result<T, JsValue>;

/// Converts a core error into a thrown `Error` (`name` `MatrixKnockError`, `code`, `message`).
pub fn to_js(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    js.set_name("MatrixKnockError");
    // Setting a property on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(&js, &"code".into(), &error.code.as_str().into());
    js.into()
}

/// Shorthand for an `INVALID_INPUT` error.
pub fn invalid_input(message: impl Into<String>) -> JsValue {
    to_js(Error::new(ErrorCode::InvalidInput, message))
}

/// `JSON.stringify` of a JS value, or an `INVALID_INPUT` error (cycles, BigInt, undefined).
pub fn stringify(value: &JsValue, what: &str) -> JsResult<String> {
    stringify_js(value, what).map(String::from)
}

/// [`stringify`], leaving the text a JS string (to be read in chunks).
pub fn stringify_js(value: &JsValue, what: &str) -> JsResult<js_sys::JsString> {
    js_sys::JSON::stringify(value)
        .ok()
        .filter(|s| s.is_string())
        .ok_or_else(|| invalid_input(format!("{what} cannot be converted to JSON")))
}

/// A string argument, checked here because the release glue would pass a non-string through as
/// a bogus pointer and length (a trap, or worse). Lone surrogates are refused rather than
/// silently replaced, so an ID is never answered for as another ID.
pub fn string_arg(value: &JsValue, name: &str) -> JsResult<String> {
    let text = value
        .dyn_ref::<js_sys::JsString>()
        .ok_or_else(|| invalid_input(format!("{name} must be a string")))?;
    let string = String::from(text);
    // The conversion writes a lone surrogate as U+FFFD (UTF-8 EF BF BD), so only a string with
    // an EF byte needs the exact check, which costs a call into JS per UTF-16 unit.
    if string.bytes().any(|b| b == 0xEF) && !text.is_valid_utf16() {
        return Err(invalid_input(format!("{name} contains a lone surrogate")));
    }
    Ok(string)
}

/// An optional string argument (`undefined` or `null` for none).
pub fn optional_string_arg(value: &JsValue, name: &str) -> JsResult<Option<String>> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        string_arg(value, name).map(Some)
    }
}

/// An array-of-strings argument.
pub fn strings_arg(value: &JsValue, name: &str) -> JsResult<Vec<String>> {
    if !js_sys::Array::is_array(value) {
        return Err(invalid_input(format!("{name} must be an array of strings")));
    }
    js_sys::Array::from(value)
        .iter()
        .map(|item| string_arg(&item, name))
        .collect()
}

/// An HTTP status argument: a number from 100 to 599.
pub fn status_arg(value: &JsValue) -> JsResult<u16> {
    value
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..600.0).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| invalid_input("status must be an HTTP status number (100–599)"))
}
