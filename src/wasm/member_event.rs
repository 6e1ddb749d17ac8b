//! `m.room.member` event objects read field by field for `applyEvent`, without
//! `JSON.stringify`: the JS side (`member_event.js`) gathers the fields the rules read, and
//! declines anything whose reading only `JSON.stringify` could tell, which then goes the JSON
//! way. `tests/js/object-events.test.mjs` holds both ways equal.

use std::{borrow::Cow, cell::Cell};

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::input::utf8_from_js;
use crate::core::event::{take_utf16, MemberContent, MemberEvent};

/// The strings' lengths, the timestamp, the other-keys flag, and the bytes written.
const SLOTS: usize = 11;

/// A member event object's fields, concatenated, as UTF-8 (the JS side keeps the strings).
pub struct Parts<'a> {
    text: Cow<'a, [u8]>,
    slots: [f64; SLOTS],
}

impl<'a> Parts<'a> {
    /// Reads `event` when it is a member event object the JS side can read alone, as UTF-8
    /// into `scratch` when it fits: one call across the boundary, which writes into this
    /// memory through views it keeps (wasm-bindgen's slice arguments make new ones per call).
    pub fn read(event: &JsValue, scratch: &'a mut [u8]) -> Option<Parts<'a>> {
        thread_local! {
            static MEMORY_GIVEN: Cell<bool> = const { Cell::new(false) };
        }
        if !MEMORY_GIVEN.replace(true) {
            use_memory(&wasm_bindgen::memory());
        }
        let mut slots = [0.0; SLOTS];
        // (Addresses in this memory: `memberEventParts` writes the numbers and the bytes there
        // before it returns, and nothing else does.)
        let read = member_event_parts(
            event,
            slots.as_mut_ptr() as usize as u32,
            scratch.as_mut_ptr() as usize as u32,
            scratch.len() as u32,
        );
        if !read {
            return None;
        }
        let written = slots[10];
        let scratch: &'a [u8] = scratch;
        let text = match scratch.get(..written as usize) {
            Some(bytes) if written >= 0.0 => Cow::Borrowed(bytes),
            _ => Cow::Owned(utf8_from_js(&last_text())),
        };
        Some(Parts { text, slots })
    }

    /// The event, borrowing from the parts. `None` when a field holds U+FFFD, which
    /// `encodeInto` also writes for a lone surrogate (the JSON way then reads the event as
    /// the text reader does), and if the lengths did not fit the text.
    pub fn member_event(&self) -> Option<MemberEvent<'_>> {
        let mut rest = std::str::from_utf8(&self.text).ok()?;
        // (As bytes: `str::contains` would link a substring searcher, 1.3 kB gzip. Its first
        // byte is looked for first, by `memchr`: most texts have none.)
        let fffd = "\u{FFFD}".as_bytes();
        if self.text.contains(&0xEF) && self.text.windows(3).any(|w| w == fffd) {
            return None;
        }
        let [state_key, sender, event_id, room_id, membership, reason, displayname, avatar_url, ts, other, _] =
            self.slots;
        let mut take = |units: f64| next(&mut rest, units);
        let event = MemberEvent {
            state_key: take(state_key)??,
            sender: take(sender)??,
            event_id: take(event_id)?,
            room_id: take(room_id)?,
            content: MemberContent {
                membership: Cow::Borrowed(take(membership)??),
                reason: take(reason)?.map(Cow::Borrowed),
                displayname: take(displayname)?.map(Cow::Borrowed),
                avatar_url: take(avatar_url)?.map(Cow::Borrowed),
                other_keys: other != 0.0,
            },
            origin_server_ts: (ts >= 0.0).then_some(ts as u64),
        };
        rest.is_empty().then_some(event)
    }
}

/// The next field: `Some(None)` for an absent one (a negative length).
fn next<'a>(rest: &mut &'a str, units: f64) -> Option<Option<&'a str>> {
    if units < 0.0 {
        return Some(None);
    }
    take_utf16(rest, units as usize).map(Some)
}

#[wasm_bindgen(module = "/src/wasm/member_event.js")]
extern "C" {
    #[wasm_bindgen(js_name = useMemory)]
    fn use_memory(memory: &JsValue);

    /// Catches what a getter throws (and returns false): the JSON way then reports it.
    #[wasm_bindgen(js_name = memberEventParts)]
    fn member_event_parts(event: &JsValue, slots_at: u32, utf8_at: u32, utf8_len: u32) -> bool;

    #[wasm_bindgen(js_name = lastText)]
    fn last_text() -> JsString;
}
