//! `m.room.member` event objects read field by field for `applyEvent`, without
//! `JSON.stringify`: the JS side (`member_event.js`) gathers the fields the rules read, and
//! declines anything whose reading only `JSON.stringify` could tell, which then goes the JSON
//! way. `tests/js/object-events.test.mjs` holds both ways equal.

use std::borrow::Cow;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::{
    input::utf8_from_js,
    queue::{Entry, Spans},
};
use crate::core::event::{take_utf16, MemberContent, MemberEvent};

/// The strings' lengths, the timestamp, the other-keys flag, and the bytes written.
const SLOTS: usize = 11;

/// A member event object's fields, concatenated in a JS string and as UTF-8.
pub struct Parts<'a> {
    js: JsString,
    text: Cow<'a, [u8]>,
    slots: [f64; SLOTS],
}

impl<'a> Parts<'a> {
    /// Reads `event` when it is a member event object the JS side can read alone, as UTF-8
    /// into `scratch` when it fits (one call across the boundary for all of it).
    pub fn read(event: &JsValue, scratch: &'a mut [u8]) -> Option<Parts<'a>> {
        let mut slots = [0.0; SLOTS];
        // A getter that throws: the JSON way reports it.
        let js = member_event_parts(event, &mut slots, scratch).ok()??;
        let written = slots[10];
        let scratch: &'a [u8] = scratch;
        let text = match scratch.get(..written as usize) {
            Some(bytes) if written >= 0.0 => Cow::Borrowed(bytes),
            _ => Cow::Owned(utf8_from_js(&js)),
        };
        Some(Parts { js, text, slots })
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

    /// The queue entry of the event's member, in the object's own strings: the entry
    /// [`Entry::of`] would make from the core's state once the event made them knock.
    pub fn entry(&self) -> Entry<'_> {
        let [state_key, sender, event_id, room_id, membership, reason, displayname, avatar_url, ts, _, _] =
            self.slots;
        // Each field starts where the present ones before it end.
        let mut end = 0.0;
        let [user_at, _, event_id_at, _, _, reason_at, displayname_at, avatar_url_at] = [
            state_key,
            sender,
            event_id,
            room_id,
            membership,
            reason,
            displayname,
            avatar_url,
        ]
        .map(|length| {
            let start = end;
            end += f64::max(length, 0.0);
            start
        });
        let spans: Spans = [
            user_at,
            state_key,
            reason_at,
            reason,
            displayname_at,
            displayname,
            avatar_url_at,
            avatar_url,
            event_id_at,
            event_id,
            ts,
        ];
        Entry::InJs(&self.js, spans)
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
    #[wasm_bindgen(catch, js_name = memberEventParts)]
    fn member_event_parts(
        event: &JsValue,
        out: &mut [f64],
        utf8: &mut [u8],
    ) -> Result<Option<JsString>, JsValue>;
}
