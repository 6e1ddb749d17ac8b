//! JSON input from JS, as UTF-8: whole (small inputs) or in chunks straight into the core's
//! reading window (large ones), so a big text never sits whole in linear memory.

use js_sys::{JsString, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{invalid_input, stringify_js, JsResult};
use crate::core::event_stream::Source;

/// A JS string as UTF-8 in linear memory, without wasm-bindgen's string glue, which copies an
/// ASCII prefix one character at a time in JS (~1.7 µs for a 500-character event, against
/// 0.13 µs for `encodeInto`). A short string is encoded straight into a buffer of 3 bytes per
/// UTF-16 unit (always enough); a long one on the JS side, then copied in once, so it never
/// claims three times its length.
pub fn utf8_from_js(text: &JsString) -> Vec<u8> {
    const DIRECT_MAX_UNITS: u32 = 1 << 16;
    ENCODER.with(|encoder| {
        let units = text.length();
        if units > DIRECT_MAX_UNITS {
            return encoder.encode(text).to_vec();
        }
        let mut buf = vec![0; units as usize * 3];
        let written = encoder.encode_into(text, &mut buf).written() as usize;
        buf.truncate(written);
        buf
    })
}

/// JSON input as UTF-8: JSON text, or an object as `JSON.stringify` writes it; `not_json` is
/// the `INVALID_INPUT` message for any other value.
pub fn json_utf8(value: &JsValue, what: &str, not_json: &str) -> JsResult<Vec<u8>> {
    let text = if value.is_string() {
        value.unchecked_ref::<JsString>().clone()
    } else if value.is_object() {
        stringify_js(value, what)?
    } else {
        return Err(invalid_input(not_json));
    };
    Ok(utf8_from_js(&text))
}

/// A JS string read in chunks with `TextEncoder.encodeInto`, a chunk never ending between the
/// two halves of a surrogate pair.
pub struct StringSource {
    text: JsString,
    pos: u32,
    len: u32,
}

impl StringSource {
    /// Reads `text` from the start.
    pub fn new(text: JsString) -> Self {
        let len = text.length();
        Self { text, pos: 0, len }
    }
}

impl Source for StringSource {
    fn fill(&mut self, buf: &mut [u8]) -> usize {
        // A UTF-16 unit becomes at most 3 bytes, so the chunk always fits.
        let remaining = self.len - self.pos;
        let mut units = remaining.min(u32::try_from(buf.len() / 3).unwrap_or(u32::MAX));
        if units < remaining && units > 1 {
            let last = self.text.char_code_at(self.pos + units - 1) as u32;
            if (0xD800..0xDC00).contains(&last) {
                units -= 1;
            }
        }
        if units == 0 {
            return 0;
        }
        let chunk = self.text.substring(self.pos, self.pos + units);
        self.pos += units;
        ENCODER.with(|encoder| encoder.encode_into(&chunk, buf).written() as usize)
    }

    fn size_hint(&self) -> usize {
        self.len as usize
    }
}

/// A `Uint8Array` read in chunks.
pub struct BytesSource {
    bytes: Uint8Array,
    pos: u32,
}

impl BytesSource {
    /// Reads `bytes` from the start.
    pub fn new(bytes: Uint8Array) -> Self {
        Self { bytes, pos: 0 }
    }
}

impl Source for BytesSource {
    fn fill(&mut self, buf: &mut [u8]) -> usize {
        let remaining = self.bytes.length() - self.pos;
        let n = remaining.min(u32::try_from(buf.len()).unwrap_or(u32::MAX));
        let Some(dest) = buf.get_mut(..n as usize) else {
            return 0;
        };
        self.bytes.subarray(self.pos, self.pos + n).copy_to(dest);
        self.pos += n;
        n as usize
    }

    fn size_hint(&self) -> usize {
        self.bytes.length() as usize
    }
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

#[wasm_bindgen]
extern "C" {
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, input: &JsString) -> Uint8Array;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, input: &JsString, dest: &mut [u8]) -> EncodeResult;

    type EncodeResult;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeResult) -> f64;
}
