//! Bad input becomes a JS `Error` with a stable `code` property.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

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
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| invalid_input(format!("{what} cannot be converted to JSON")))
}
