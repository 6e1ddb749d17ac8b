//! Reads a JSON array of events one element at a time from a fixed window, refilled from a
//! [`Source`]: a large state array is never whole in memory (in wasm, linear memory never
//! shrinks, so a 40 MB text would stay allocated for the page's life).

use serde_json::Deserializer;

use super::{
    error::{Error, ErrorCode, Result},
    event::{json_error, MemberEvent, Obj, RawEvent, StateEvent},
};

/// Supplies the input's bytes in order.
pub trait Source {
    /// Writes the next bytes into `buf` (at most `buf.len()`), returning how many; 0 at the end.
    /// It is given at least 8 bytes, room for a whole character however it is encoded.
    fn fill(&mut self, buf: &mut [u8]) -> usize;

    /// About how many bytes the input holds, when known (0 when not).
    fn size_hint(&self) -> usize {
        0
    }
}

/// A source over bytes already in memory.
pub struct SliceSource<'a>(pub &'a [u8]);

impl Source for SliceSource<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        if let Some(dest) = buf.get_mut(..n) {
            dest.copy_from_slice(head);
        }
        self.0 = rest;
        n
    }

    fn size_hint(&self) -> usize {
        self.0.len()
    }
}

/// Window size: large enough that refills are rare, small next to a big room's text.
pub const WINDOW: usize = 256 * 1024;

/// Calls `each(index, event)` for every element of the JSON array the source holds, in order.
/// An element cut by the window's end is carried over and read again after a refill; the
/// window doubles only for an element larger than itself.
pub fn for_each_event<S: Source>(
    source: S,
    mut each: impl FnMut(usize, StateEvent<'_>) -> Result<()>,
) -> Result<()> {
    let mut window = Window {
        source,
        buf: vec![0; WINDOW],
        pos: 0,
        end: 0,
        exhausted: false,
    };
    if window.next_byte()? != Some(b'[') {
        // Not an array: valid JSON of another type is the wrong shape, anything else bad JSON.
        while window.refill() {}
        let rest = window.buf.get(window.pos..window.end).unwrap_or_default();
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(rest) {
                Ok(_) => Error::new(
                    ErrorCode::InvalidEvent,
                    "not a valid array of state events: the JSON is not an array",
                ),
                Err(_) => syntax("expected a JSON array of state events"),
            },
        );
    }
    window.pos += 1;
    if window.next_byte()? == Some(b']') {
        window.pos += 1;
        return window.finish();
    }
    let mut index = 0;
    loop {
        window.element(index, &mut each)?;
        index += 1;
        match window.next_byte()? {
            Some(b',') => window.pos += 1,
            Some(b']') => {
                window.pos += 1;
                return window.finish();
            }
            Some(_) => return Err(syntax(&format!("expected , or ] after event {index}"))),
            None => return Err(syntax("the array of state events is not closed")),
        }
    }
}

/// JSON's whitespace: space, tab, line feed, carriage return (not form feed, unlike
/// `u8::is_ascii_whitespace`).
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Reads the event at the start of `unread` and how many bytes it took: member events on the
/// one-pass fast path, anything else (or anything it refuses) as a raw event. `None` when
/// `unread` holds no value yet.
fn read_element(unread: &[u8]) -> serde_json::Result<Option<(StateEvent<'_>, usize)>> {
    let mut members = Deserializer::from_slice(unread).into_iter::<Obj<MemberEvent<'_>>>();
    match members.next() {
        Some(Ok(Obj(event))) => {
            if let Some(event) = StateEvent::from_member(event) {
                return Ok(Some((event, members.byte_offset())));
            }
        }
        Some(Err(e)) if e.is_eof() => return Err(e),
        _ => {}
    }
    let mut events = Deserializer::from_slice(unread).into_iter::<Obj<RawEvent<'_>>>();
    match events.next() {
        Some(Ok(Obj(event))) => Ok(Some((StateEvent::Raw(event), events.byte_offset()))),
        Some(Err(e)) => Err(e),
        None => Ok(None),
    }
}

fn syntax(message: &str) -> Error {
    Error::new(
        ErrorCode::InvalidJson,
        format!("not a valid array of state events: {message}"),
    )
}

struct Window<S> {
    source: S,
    buf: Vec<u8>,
    /// Next unread byte.
    pos: usize,
    /// End of the bytes read into `buf`.
    end: usize,
    exhausted: bool,
}

impl<S: Source> Window<S> {
    /// Moves the unread bytes to the front and reads more; false at the end of the input.
    fn refill(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.buf.len() - self.end < 8 {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = match self.buf.get_mut(self.end..) {
            Some(free) => self.source.fill(free),
            None => 0,
        };
        self.end += n;
        self.exhausted = n == 0;
        n > 0
    }

    /// The next byte that is not whitespace, without consuming it.
    fn next_byte(&mut self) -> Result<Option<u8>> {
        loop {
            let unread = self.buf.get(self.pos..self.end).unwrap_or_default();
            match unread.iter().position(|b| !is_json_whitespace(*b)) {
                Some(skip) => {
                    self.pos += skip;
                    return Ok(unread.get(skip).copied());
                }
                None => {
                    self.pos = self.end;
                    if !self.refill() {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Reads one element (an event object) and hands it to `each`.
    fn element(
        &mut self,
        index: usize,
        each: &mut impl FnMut(usize, StateEvent<'_>) -> Result<()>,
    ) -> Result<()> {
        loop {
            let unread = self.buf.get(self.pos..self.end).unwrap_or_default();
            match read_element(unread) {
                Ok(Some((event, read))) => {
                    each(index, event)?;
                    self.pos += read;
                    return Ok(());
                }
                Err(e) if !e.is_eof() => {
                    return Err(json_error(&e, &format!("state event {index}")));
                }
                // Nothing yet, or an element cut off by the window's end: read more.
                Ok(None) | Err(_) => {}
            }
            if !self.refill() {
                return Err(syntax(&format!(
                    "the input ends inside state event {index}"
                )));
            }
        }
    }

    /// Only whitespace may follow the array.
    fn finish(&mut self) -> Result<()> {
        match self.next_byte()? {
            None => Ok(()),
            Some(_) => Err(syntax("trailing characters after the array")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `step` bytes per fill, to cut elements anywhere.
    struct Trickle<'a>(&'a [u8], usize);

    impl Source for Trickle<'_> {
        fn fill(&mut self, buf: &mut [u8]) -> usize {
            let n = self.1.min(buf.len()).min(self.0.len());
            let (head, rest) = self.0.split_at(n);
            buf[..n].copy_from_slice(head);
            self.0 = rest;
            n
        }
    }

    fn kinds(text: &str, step: usize) -> Result<Vec<String>> {
        let mut out = vec![];
        for_each_event(Trickle(text.as_bytes(), step), |i, e| {
            let path = if matches!(e, StateEvent::Member(_)) {
                "fast"
            } else {
                "raw"
            };
            out.push(format!("{i}:{}:{path}", e.kind()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_every_element_wherever_the_window_cuts() {
        let event = |k: &str| {
            format!(r#"{{"type":"{k}","state_key":"","sender":"@a:b","content":{{"x":"é\"]"}}}}"#)
        };
        let text = format!(" [ {} ,\n{},{} ] \n", event("a"), event("b"), event("c"));
        for step in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(
                kinds(&text, step).unwrap(),
                ["0:a:raw", "1:b:raw", "2:c:raw"],
                "step {step}"
            );
        }
        assert_eq!(kinds("[]", 1).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn member_events_take_the_fast_path_unless_it_refuses_them() {
        let member = |extra: &str| {
            format!(
                r#"{{"type":"m.room.member","state_key":"@a:b","sender":"@a:b",
                   "content":{{"membership":"join","displayname":"é"}}{extra}}}"#
            )
        };
        let text = format!(
            "[{},{},{},{}]",
            member(r#","unsigned":{"prev_content":{"membership":"knock"},"age":5}"#),
            // `unsigned` that is not an object: lenient on the raw path only.
            member(r#","unsigned":5"#),
            // A non-member event with a member-like content is not taken as a member.
            r#"{"type":"x.custom","state_key":"","sender":"@a:b","content":{"membership":"join"}}"#,
            r#"{"type":"m.room.member","state_key":"@a:b","sender":"@a:b","content":{}}"#,
        );
        for step in [5, 1 << 20] {
            assert_eq!(
                kinds(&text, step).unwrap(),
                [
                    "0:m.room.member:fast",
                    "1:m.room.member:raw",
                    "2:x.custom:raw",
                    "3:m.room.member:raw"
                ]
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_array_of_events() {
        let code = |t: &str| kinds(t, 3).unwrap_err().code;
        assert_eq!(code(""), ErrorCode::InvalidJson);
        assert_eq!(code("["), ErrorCode::InvalidJson);
        assert_eq!(code("[{}"), ErrorCode::InvalidEvent);
        assert_eq!(code(r#"[{"type":"a","#), ErrorCode::InvalidJson);
        assert_eq!(code("[] x"), ErrorCode::InvalidJson);
        assert_eq!(code("[1]"), ErrorCode::InvalidEvent);
        assert_eq!(code("{}"), ErrorCode::InvalidEvent);
        assert_eq!(code("[,]"), ErrorCode::InvalidJson);
        // Form feed is ASCII whitespace but not JSON whitespace (found by the fuzzer).
        assert_eq!(code("\x0c[]"), ErrorCode::InvalidJson);
        assert_eq!(code("[]\x0c"), ErrorCode::InvalidJson);
    }
}
