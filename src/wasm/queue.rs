//! A room's knock queue as JS objects: listed once, then patched per change, never rebuilt.

use js_sys::{Array, JsString, Object};
use wasm_bindgen::prelude::*;

use super::{
    error::JsResult,
    types::{to_js, JsKnockRequest},
};
use crate::core::room::KnockRequest;

/// The frozen array `knockRequests` hands out; a change replaces it by a patched copy, so an
/// unchanged queue keeps its identity.
pub struct Queue(Array);

impl Queue {
    /// The whole queue, listed once (one `JSON.parse` for all entries).
    pub fn list(requests: &[KnockRequest<'_>]) -> JsResult<Queue> {
        let requests: Vec<JsKnockRequest<'_>> = requests.iter().map(JsKnockRequest::from).collect();
        let all: Array = to_js(&requests)?.unchecked_into();
        for entry in all.iter() {
            Object::freeze(entry.unchecked_ref::<Object>());
        }
        Ok(Queue(Object::freeze(&all).unchecked_into()))
    }

    /// The array to hand out.
    pub fn array(&self) -> &Array {
        &self.0
    }

    /// Takes out the entry at `remove` and puts `insert` in (its index after the removal, and
    /// the entry).
    pub fn patch(&mut self, remove: Option<usize>, insert: Option<(usize, JsValue)>) {
        if remove.is_none() && insert.is_none() {
            return;
        }
        let at = |index: Option<usize>| index.map_or(-1.0, |i| i as f64);
        let (index, entry) = insert.map_or((None, JsValue::UNDEFINED), |(i, e)| (Some(i), e));
        self.0 = patched_queue(&self.0, at(remove), at(index), &entry);
    }
}

/// Where an entry's fields are in a text, as `knockRequest` in `queue.js` reads them: start and
/// length in UTF-16 units of userId, reason, displayName, avatarUrl and eventId (length -1
/// for none), then originServerTs (-1 for none).
pub type Spans = [f64; 11];

/// A queue entry from its fields in a JS string (no text crosses the boundary).
pub fn entry_in(text: &JsString, spans: &Spans) -> JsValue {
    knock_request_in(text, spans)
}

/// A queue entry for a request of the core, shaped as [`JsKnockRequest`] serialises it.
pub fn entry(request: &KnockRequest<'_>) -> JsValue {
    let fields = [
        Some(request.user_id),
        request.reason(),
        request.displayname(),
        request.avatar_url(),
        request.event_id(),
    ];
    let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
    let mut spans: Spans = [-1.0; 11];
    let mut at = 0.0;
    for (field, span) in fields.iter().zip(spans.chunks_exact_mut(2)) {
        if let (Some(field), [start, length]) = (field, span) {
            let units = field.chars().map(char::len_utf16).sum::<usize>() as f64;
            text.push_str(field);
            (*start, *length) = (at, units);
            at += units;
        }
    }
    spans[10] = request.origin_server_ts().map_or(-1.0, |ts| ts as f64);
    knock_request(&text, &spans)
}

#[wasm_bindgen(module = "/src/wasm/queue.js")]
extern "C" {
    #[wasm_bindgen(js_name = patchedQueue)]
    fn patched_queue(queue: &Array, remove: f64, insert: f64, entry: &JsValue) -> Array;

    #[wasm_bindgen(js_name = knockRequest)]
    fn knock_request(text: &str, spans: &[f64]) -> JsValue;

    #[wasm_bindgen(js_name = knockRequest)]
    fn knock_request_in(text: &JsString, spans: &[f64]) -> JsValue;
}
