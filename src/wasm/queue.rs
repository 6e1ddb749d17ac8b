//! A room's knock queue as JS objects: listed once, then patched in place per change, never
//! rebuilt.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::layout::Layout;
use crate::core::room::{KnockRequest, QueueMove};

/// The queue's frozen entries in JS, in chunks that only the Room holds (see `queue.js`),
/// patched in place per change, and the frozen array `knockRequests` hands out until the
/// next change (made when asked for, so a change costs no copy of the queue).
pub struct Queue {
    chunks: JsValue,
    snapshot: Option<Array>,
}

impl Queue {
    /// The whole queue, listed once (one string crosses for all entries).
    pub fn list(requests: &[KnockRequest<'_>]) -> Queue {
        let mut layout = Layout::default();
        for request in requests {
            layout.request(request);
        }
        Queue {
            chunks: chunked(&requests_from(&layout.text, &layout.numbers)),
            snapshot: None,
        }
    }

    /// The frozen array to hand out: the same one until the queue changes.
    pub fn array(&mut self) -> Array {
        self.snapshot
            .get_or_insert_with(|| frozen_copy(&self.chunks))
            .clone()
    }

    /// The entry at `index`, which must be within the queue.
    pub fn at(&self, index: u32) -> JsValue {
        queue_at(&self.chunks, index)
    }
}

/// The fields of an entry that enters the queue: the strings of the member event object last
/// read (kept on the JS side, nothing crosses the boundary), or the core's.
pub enum Entry {
    Read,
    InRust(Layout),
}

impl Entry {
    /// The fields of a request of the core.
    pub fn of(request: &KnockRequest<'_>) -> Entry {
        let mut layout = Layout::default();
        layout.request(request);
        Entry::InRust(layout)
    }
}

/// `applyEvent`'s result for an event that moved a knocker in the queue (`QueueChange`, with
/// the entry that entered), in one call that also patches the cached queue, if any, to match.
pub fn change(queue: Option<&mut Queue>, moved: QueueMove, entry: Option<Entry>) -> JsValue {
    let none = JsValue::UNDEFINED;
    let chunks: &JsValue = match queue {
        Some(queue) => {
            queue.snapshot = None;
            &queue.chunks
        }
        None => &none,
    };
    let (removed, inserted) = (js_index(moved.from), js_index(moved.to));
    match &entry {
        Some(Entry::Read) => queue_change_of_read(chunks, removed, inserted),
        Some(Entry::InRust(layout)) => {
            queue_change(chunks, removed, inserted, &layout.text, &layout.numbers)
        }
        None => queue_change_of_read(chunks, removed, -1),
    }
}

/// An index for the JS side, -1 for none. An `i32` (a queue in wasm32 memory has far fewer
/// entries): same speed as an `f64`, less code for the conversions at both ends.
fn js_index(index: Option<usize>) -> i32 {
    index.and_then(|i| i32::try_from(i).ok()).unwrap_or(-1)
}

#[wasm_bindgen(module = "/src/wasm/queue.js")]
extern "C" {
    fn chunked(entries: &Array) -> JsValue;

    #[wasm_bindgen(js_name = requestsFrom)]
    fn requests_from(text: &str, numbers: &[f64]) -> Array;

    #[wasm_bindgen(js_name = queueAt)]
    fn queue_at(chunks: &JsValue, index: u32) -> JsValue;

    #[wasm_bindgen(js_name = frozenCopy)]
    fn frozen_copy(chunks: &JsValue) -> Array;

    #[wasm_bindgen(js_name = queueChange)]
    fn queue_change(
        chunks: &JsValue,
        removed: i32,
        inserted: i32,
        text: &str,
        spans: &[f64],
    ) -> JsValue;

    #[wasm_bindgen(js_name = queueChangeOfRead)]
    fn queue_change_of_read(chunks: &JsValue, removed: i32, inserted: i32) -> JsValue;
}
