//! Reads a JSON array of events one element at a time from a fixed window, refilled from a
//! [`Source`]: a large state array is never whole in memory (in wasm, linear memory never
//! shrinks, so a 40 MB text would stay allocated for the page's life).

use super::{
    error::{Error, ErrorCode, Result},
    event::{json_error, RawEvent},
    json,
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

/// Where the reader is in the array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The opening `[`.
    Open,
    /// The first element or `]`.
    FirstOrClose,
    /// An element.
    Element,
    /// `,` or `]` after an element.
    CommaOrClose,
    /// Nothing but whitespace after the `]`.
    End,
}

/// Calls `each(index, event)` for every element of the JSON array the source holds, in order.
/// The window is checked as UTF-8 once per refill and read as text; an element cut by the
/// window's end is carried over and read again after a refill; the window doubles only for an
/// element larger than itself.
pub fn for_each_event<S: Source>(
    source: S,
    mut each: impl FnMut(usize, RawEvent<'_>) -> Result<()>,
) -> Result<()> {
    let mut window = Window {
        source,
        buf: vec![0; WINDOW],
        pos: 0,
        end: 0,
        exhausted: false,
    };
    let mut expect = Expect::Open;
    let mut index = 0;
    loop {
        let more = window.refill();
        let (text, utf8_error) = window.text();
        let mut pos = window.pos;
        let stopped = read_window(text, &mut pos, &mut expect, &mut index, &mut each);
        window.pos = pos;
        match stopped? {
            // Only whitespace may follow the array, up to the end of the input.
            Stop::Done if !more && utf8_error.is_none() => return Ok(()),
            Stop::Done | Stop::NeedMore if utf8_error.is_none() && more => {}
            Stop::Done | Stop::NeedMore => {
                return Err(match (utf8_error, expect) {
                    (Some(at), _) => syntax(&format!("not UTF-8 text (at byte {at})")),
                    (None, Expect::Open) => syntax("expected a JSON array of state events"),
                    (None, Expect::Element) => {
                        syntax(&format!("the input ends inside state event {index}"))
                    }
                    (None, _) => syntax("the array of state events is not closed"),
                })
            }
            Stop::NotAnArray => return Err(not_an_array(window)),
        }
    }
}

/// Why [`read_window`] stopped.
enum Stop {
    /// The array was read; only whitespace followed, up to the window's end.
    Done,
    /// The window ends before what comes next does.
    NeedMore,
    /// The input does not start with `[`.
    NotAnArray,
}

/// Reads from `text[*pos..]` as far as it goes: array punctuation and whole elements.
fn read_window(
    text: &str,
    pos: &mut usize,
    expect: &mut Expect,
    index: &mut usize,
    each: &mut impl FnMut(usize, RawEvent<'_>) -> Result<()>,
) -> Result<Stop> {
    loop {
        let unread = text.get(*pos..).unwrap_or_default();
        let Some(skip) = unread.bytes().position(|b| !is_json_whitespace(b)) else {
            *pos = text.len();
            return Ok(if *expect == Expect::End {
                Stop::Done
            } else {
                Stop::NeedMore
            });
        };
        *pos += skip;
        let next = unread.as_bytes().get(skip).copied();
        *expect = match (*expect, next) {
            (Expect::Open, Some(b'[')) => Expect::FirstOrClose,
            (Expect::Open, _) => return Ok(Stop::NotAnArray),
            (Expect::FirstOrClose | Expect::CommaOrClose, Some(b']')) => Expect::End,
            (Expect::CommaOrClose, Some(b',')) => Expect::Element,
            (Expect::CommaOrClose, _) => {
                return Err(syntax(&format!("expected , or ] after event {index}")))
            }
            (Expect::End, _) => return Err(syntax("trailing characters after the array")),
            (Expect::FirstOrClose | Expect::Element, _) => {
                let rest = text.get(*pos..).unwrap_or_default();
                match json::read_prefix(rest, RawEvent::read) {
                    Ok((event, read)) => {
                        each(*index, event)?;
                        *index += 1;
                        *pos += read;
                        *expect = Expect::CommaOrClose;
                        continue;
                    }
                    Err(e) if e.is_eof() => return Ok(Stop::NeedMore),
                    Err(e) => return Err(json_error(&e, &format!("state event {index}"))),
                }
            }
        };
        *pos += 1;
    }
}

/// The error for input that does not start with `[`: valid JSON of another type is the wrong
/// shape, anything else bad JSON. Reads the rest of the input to tell which.
fn not_an_array<S: Source>(mut window: Window<S>) -> Error {
    while window.refill() {}
    match window.text() {
        (text, None)
            if json::read_str(text.get(window.pos..).unwrap_or_default(), |de| de.skip())
                .is_ok() =>
        {
            Error::new(
                ErrorCode::InvalidEvent,
                "not a valid array of state events: the JSON is not an array",
            )
        }
        _ => syntax("expected a JSON array of state events"),
    }
}

/// JSON's whitespace: space, tab, line feed, carriage return (not form feed, unlike
/// `u8::is_ascii_whitespace`).
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
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

    /// The window's bytes as text, up to the first that are not UTF-8, and where those are
    /// when they are certainly not (a character cut by the window's end is not an error
    /// until the input ends).
    fn text(&self) -> (&str, Option<usize>) {
        let bytes = self.buf.get(..self.end).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
                let text = std::str::from_utf8(valid).unwrap_or_default();
                let bad = (e.error_len().is_some() || self.exhausted).then_some(e.valid_up_to());
                (text, bad)
            }
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
            let unsigned = e.unsigned.map_or("-", |u| u.get());
            out.push(format!("{i}:{}:{unsigned}", e.kind));
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
                ["0:a:-", "1:b:-", "2:c:-"],
                "step {step}"
            );
        }
        assert_eq!(kinds("[]", 1).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_window_cut_inside_a_number_reads_on() {
        // serde_json took a cut after `-`, `1.` or `1e` for a bad number, not for more input.
        let text = r#"[{"type":"a","state_key":"","sender":"@a:b","content":{"x":-1.5e-3,"y":[0,-0,12]}}]"#;
        for step in 1..text.len() {
            assert_eq!(kinds(text, step).unwrap(), ["0:a:-"], "step {step}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_wherever_the_window_cuts() {
        let event = r#"{"type":"a","state_key":"","sender":"@a:b","content":{"x":"é😀"}}"#;
        let good = format!("[{event},{event}]");
        for step in [1, 2, 3, 5, 1 << 20] {
            assert_eq!(kinds(&good, step).unwrap(), ["0:a:-", "1:a:-"]);
        }
        let mut bad = good.clone().into_bytes();
        let at = good.find('é').unwrap();
        bad[at + 1] = b'x'; // é's second byte replaced: not UTF-8
                            // A complete array, then a character cut off by the end of the input.
        let mut cut = format!("{good} ").into_bytes();
        cut.extend_from_slice(&[0xf0, 0x9f]);
        for step in [1, 2, 3, 5, 1 << 20] {
            for bytes in [&bad, &cut] {
                let mut out = vec![];
                let e = for_each_event(Trickle(bytes, step), |i, _| {
                    out.push(i);
                    Ok(())
                })
                .unwrap_err();
                assert_eq!(e.code, ErrorCode::InvalidJson, "step {step}: {e:?}");
                assert!(e.message.contains("not UTF-8"), "step {step}: {e:?}");
            }
        }
    }

    #[test]
    fn events_are_read_with_their_unsigned_raw() {
        let member = |extra: &str| {
            format!(
                r#"{{"type":"m.room.member","state_key":"@a:b","sender":"@a:b",
                   "content":{{"membership":"join","displayname":"é"}}{extra}}}"#
            )
        };
        let text = format!(
            "[{},{},{},{}]",
            member(r#","unsigned":{"prev_content":{"membership":"knock"},"age":5}"#),
            // `unsigned` is lenient: any value is kept raw, `null` is none.
            member(r#","unsigned":5"#),
            member(r#","unsigned":null"#),
            // Content is checked by whoever reads it, not here.
            r#"{"type":"m.room.member","state_key":"@a:b","sender":"@a:b","content":{}}"#,
        );
        for step in [5, 1 << 20] {
            assert_eq!(
                kinds(&text, step).unwrap(),
                [
                    r#"0:m.room.member:{"prev_content":{"membership":"knock"},"age":5}"#,
                    "1:m.room.member:5",
                    "2:m.room.member:-",
                    "3:m.room.member:-"
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
