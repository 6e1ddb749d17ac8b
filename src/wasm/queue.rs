//! A room's knock queue as JS objects: listed once, then patched in place per change, never
//! rebuilt.

use js_sys::{Array, JsString, Object};
use wasm_bindgen::prelude::*;

use super::{
    error::JsResult,
    types::{to_js, JsKnockRequest},
};
use crate::core::room::{KnockRequest, QueueMove};

/// The queue in a JS array of frozen entries that only the Room holds, patched in place per
/// change, and the frozen copy `knockRequests` hands out until the next change (made when
/// asked for, so a change costs no copy of the queue).
pub struct Queue {
    items: Array,
    snapshot: Option<Array>,
}

impl Queue {
    /// The whole queue, listed once (one `JSON.parse` for all entries).
    pub fn list(requests: &[KnockRequest<'_>]) -> JsResult<Queue> {
        let requests: Vec<JsKnockRequest<'_>> = requests.iter().map(JsKnockRequest::from).collect();
        let items: Array = to_js(&requests)?.unchecked_into();
        for entry in items.iter() {
            Object::freeze(entry.unchecked_ref::<Object>());
        }
        Ok(Queue {
            items,
            snapshot: None,
        })
    }

    /// The frozen array to hand out: the same one until the queue changes.
    pub fn array(&mut self) -> Array {
        self.snapshot
            .get_or_insert_with(|| frozen_copy(&self.items))
            .clone()
    }

    /// The entry at `index`, or undefined past the end.
    pub fn at(&self, index: u32) -> JsValue {
        self.items.get(index)
    }

    /// Takes out the entry at `remove` and puts `insert` in (its index after the removal, and
    /// the entry).
    pub fn patch(&mut self, remove: Option<usize>, insert: Option<(usize, JsValue)>) {
        if remove.is_none() && insert.is_none() {
            return;
        }
        let (index, entry) = insert.map_or((None, JsValue::UNDEFINED), |(i, e)| (Some(i), e));
        patch_queue(&self.items, js_index(remove), js_index(index), &entry);
        self.snapshot = None;
    }
}

/// `applyEvent`'s result for an event that moved a knocker in the queue.
pub fn changed(moved: QueueMove) -> JsValue {
    queue_changed(js_index(moved.from), js_index(moved.to))
}

/// An index for the JS side, -1 for none.
fn js_index(index: Option<usize>) -> f64 {
    index.map_or(-1.0, |i| i as f64)
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
    #[wasm_bindgen(js_name = patchQueue)]
    fn patch_queue(items: &Array, remove: f64, insert: f64, entry: &JsValue);

    #[wasm_bindgen(js_name = frozenCopy)]
    fn frozen_copy(items: &Array) -> Array;

    #[wasm_bindgen(js_name = queueChanged)]
    fn queue_changed(removed: f64, inserted: f64) -> JsValue;

    #[wasm_bindgen(js_name = knockRequest)]
    fn knock_request(text: &str, spans: &[f64]) -> JsValue;

    #[wasm_bindgen(js_name = knockRequest)]
    fn knock_request_in(text: &JsString, spans: &[f64]) -> JsValue;
}
