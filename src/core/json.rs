//! A small JSON reader over text: serde's `Deserializer` (for the cold shapes: derived
//! structs and small visitors) and a by-hand API (`object`, `str`, `loose`, `raw_value`, … for
//! the hot ones: events, member content), borrowing strings without escapes and raw values
//! ([`Raw`]) from the input.
//!
//! It stands in for serde_json's parser, which a size-optimised build compiles once per target
//! type with every token an out-of-line call. It accepts the JSON serde_json accepts (tests and
//! a fuzz target compare the two) and reads numbers as serde_json does (`u64`, then `i64`,
//! then `f64`; out-of-range floats refused). Running out of input is always
//! [`Category::Eof`], never a syntax error: the windowed state reader relies on that to tell
//! "read more" from "bad input".

use std::{borrow::Cow, fmt};

use serde::de::{self, DeserializeSeed, Expected, MapAccess, SeqAccess, Unexpected, Visitor};

/// A reader result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Not JSON.
    Syntax,
    /// The input ends inside a value.
    Eof,
    /// JSON, but not the shape the reader expected.
    Data,
}

/// A reading failure, with the byte offset where it was noticed. One pointer wide, so that
/// every `Result` the reader passes around stays small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Failure>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Failure {
    category: Category,
    message: String,
    offset: Option<usize>,
}

impl Error {
    #[cold]
    fn new(category: Category, message: String, offset: Option<usize>) -> Self {
        Self(Box::new(Failure {
            category,
            message,
            offset,
        }))
    }

    /// The kind of failure.
    pub fn category(&self) -> Category {
        self.0.category
    }

    /// Whether the input ended inside a value (more input might complete it).
    pub fn is_eof(&self) -> bool {
        self.category() == Category::Eof
    }

    /// Whether the JSON was well-formed but of the wrong shape.
    pub fn is_data(&self) -> bool {
        self.category() == Category::Data
    }

    fn or_at(mut self, offset: usize) -> Self {
        self.0.offset.get_or_insert(offset);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        match self.0.offset {
            Some(offset) => write!(f, " at byte {offset}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(Category::Data, message.to_string(), None)
    }

    // Serde's defaults print floats, which would link float formatting for error text alone.
    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Described(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Described(unexpected)
        ))
    }
}

/// An unexpected value in words, without printing floats.
struct Described<'a>(Unexpected<'a>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(_) => f.write_str("a floating point number"),
            Unexpected::Str(s) => write!(f, "string {s:?}"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Seq => f.write_str("an array"),
            Unexpected::Map => f.write_str("an object"),
            Unexpected::Other(other) => f.write_str(other),
            _ => f.write_str("another kind of value"),
        }
    }
}

/// The text of one JSON value as it stands in the input: syntax checked, nothing decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

/// The name [`Raw`] asks the reader for, to get the value's text instead of the value.
const RAW: &str = "$matrix_knock::json::Raw";

impl<'a> Raw<'a> {
    /// The value's JSON text.
    pub fn get(&self) -> &'a str {
        self.0
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Raw<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value (read by matrix-knock's reader)")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> std::result::Result<Raw<'de>, E> {
                Ok(Raw(text))
            }
        }
        d.deserialize_newtype_struct(RAW, RawVisitor)
    }
}

/// Reads one `T` from `input`, which may hold nothing else but whitespace.
pub fn from_str<'a, T: de::Deserialize<'a>>(input: &'a str) -> Result<T> {
    let (value, read) = from_prefix(input)?;
    let mut rest = Deserializer::new(input);
    rest.pos = read;
    rest.end()?;
    Ok(value)
}

/// Reads one `T` from the start of `input` and says how many bytes it took; what follows is
/// not looked at.
pub fn from_prefix<'a, T: de::Deserialize<'a>>(input: &'a str) -> Result<(T, usize)> {
    let mut de = Deserializer::new(input);
    match T::deserialize(&mut de) {
        Ok(value) => Ok((value, de.pos)),
        Err(e) => Err(e.or_at(de.pos)),
    }
}

/// Containers deeper than this in a typed read are refused (serde_json's limit: the stack
/// stays bounded). Skipped and raw values are read without recursion, at any depth.
const MAX_DEPTH: u8 = 128;

/// The reader over one input. The input is text (`&str`): UTF-8 is checked once, by whoever
/// made the `str`, not string by string; strings are cut from it at quotes and backslashes,
/// which are always character boundaries.
pub struct Deserializer<'de> {
    text: &'de str,
    input: &'de [u8],
    pos: usize,
    depth_left: u8,
}

impl<'de> Deserializer<'de> {
    /// A reader at the start of `input`.
    pub fn new(text: &'de str) -> Self {
        Self {
            text,
            input: text.as_bytes(),
            pos: 0,
            depth_left: MAX_DEPTH,
        }
    }

    /// Only whitespace may follow the value read.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.syntax("trailing characters")),
        }
    }

    #[cold]
    fn syntax(&self, message: &str) -> Error {
        Error::new(Category::Syntax, message.to_owned(), Some(self.pos))
    }

    #[cold]
    fn eof(&self) -> Error {
        Error::new(
            Category::Eof,
            "the input ends inside a value".to_owned(),
            Some(self.pos),
        )
    }

    /// The byte at the current position (whitespace included).
    #[inline(always)]
    fn byte(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Skips whitespace; the next byte, not consumed.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        while let Some(b) = self.byte() {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Skips whitespace; the next byte, or an end-of-input error.
    #[inline(always)]
    fn peek_some(&mut self) -> Result<u8> {
        match self.peek() {
            Some(b) => Ok(b),
            None => Err(self.eof()),
        }
    }

    /// [`Self::peek_some`] as a call, for serde's generic code (compiled once per target type).
    #[inline(never)]
    fn peek_outlined(&mut self) -> Result<u8> {
        self.peek_some()
    }

    /// Consumes `b` (after whitespace) or fails with `message`.
    #[inline(always)]
    fn eat(&mut self, b: u8, message: &str) -> Result<()> {
        if self.peek_some()? == b {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(message))
        }
    }

    /// Consumes the rest of a literal whose first byte was consumed.
    fn literal(&mut self, rest: &[u8]) -> Result<()> {
        for expected in rest {
            match self.byte() {
                Some(b) if b == *expected => self.pos += 1,
                Some(_) => return Err(self.syntax("expected a value")),
                None => return Err(self.eof()),
            }
        }
        Ok(())
    }

    /// Where the plain run of string bytes starting at `from` ends: at a quote, a backslash,
    /// a control character or the end of the input. Eight bytes at a time.
    #[inline(always)]
    fn plain_end(&self, from: usize) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        /// Whether any byte of `word` is below `n` (n ≤ 128).
        #[inline(always)]
        fn any_below(word: u64, n: u8) -> bool {
            word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH != 0
        }
        let mut i = from;
        while let Some(chunk) = self.input.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            let word = u64::from_le_bytes(*chunk);
            let quote = word ^ (ONES * u64::from(b'"'));
            let backslash = word ^ (ONES * u64::from(b'\\'));
            if any_below(word, 0x20) || any_below(quote, 1) || any_below(backslash, 1) {
                break;
            }
            i += 8;
        }
        while let Some(b) = self.input.get(i) {
            if *b == b'"' || *b == b'\\' || *b < 0x20 {
                break;
            }
            i += 1;
        }
        i
    }

    /// Fails at the byte that ended a plain run without closing the string.
    fn string_stop(&mut self, at: usize) -> Error {
        self.pos = at;
        match self.byte() {
            None => self.eof(),
            Some(_) => self.syntax("control character in a string"),
        }
    }

    /// The text between two character boundaries.
    #[inline(always)]
    fn utf8(&self, from: usize, to: usize) -> Result<&'de str> {
        let text: &'de str = self.text;
        text.get(from..to)
            .ok_or_else(|| self.syntax("a string cut inside a character"))
    }

    /// Reads a string whose opening quote was consumed: borrowed when it has no escapes.
    #[inline(never)]
    fn string(&mut self) -> Result<Cow<'de, str>> {
        let start = self.pos;
        let end = self.plain_end(start);
        if self.input.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return self.utf8(start, end).map(Cow::Borrowed);
        }
        let mut out = String::new();
        let mut run = start;
        loop {
            let end = self.plain_end(run);
            out.push_str(self.utf8(run, end)?);
            match self.input.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos = end + 1;
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                _ => return Err(self.string_stop(end)),
            }
        }
    }

    /// Decodes the escape after a backslash.
    fn escape(&mut self, out: &mut String) -> Result<()> {
        let b = self.byte().ok_or_else(|| self.eof())?;
        self.pos += 1;
        out.push(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(self.syntax("invalid escape")),
        });
        Ok(())
    }

    /// Decodes `XXXX` after `\u`, and a second `\uXXXX` when the first is a high surrogate.
    /// Unpaired surrogates are refused, as they are not text.
    fn unicode_escape(&mut self) -> Result<char> {
        let lone = |de: &Self| de.syntax("unpaired surrogate in a \\u escape");
        let high = self.hex4()?;
        if (0xDC00..=0xDFFF).contains(&high) {
            return Err(lone(self));
        }
        if !(0xD800..=0xDBFF).contains(&high) {
            return char::from_u32(u32::from(high)).ok_or_else(|| lone(self));
        }
        for expected in [b'\\', b'u'] {
            match self.byte() {
                Some(b) if b == expected => self.pos += 1,
                Some(_) => return Err(lone(self)),
                None => return Err(self.eof()),
            }
        }
        let low = self.hex4()?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return Err(lone(self));
        }
        let code = 0x1_0000 + ((u32::from(high) - 0xD800) << 10 | (u32::from(low) - 0xDC00));
        char::from_u32(code).ok_or_else(|| lone(self))
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u16> {
        let Some(digits) = self.input.get(self.pos..self.pos.saturating_add(4)) else {
            self.pos = self.input.len();
            return Err(self.eof());
        };
        let mut n = 0u16;
        for d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.syntax("invalid \\u escape")),
            };
            n = n << 4 | u16::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    /// Skips a string whose opening quote was consumed. Like serde_json, a skipped string's
    /// escapes are checked for form only (an unpaired surrogate passes).
    #[inline(never)]
    fn skip_string(&mut self) -> Result<()> {
        loop {
            let end = self.plain_end(self.pos);
            match self.input.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos = end + 1;
                    match self.byte() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        Some(_) => return Err(self.syntax("invalid escape")),
                        None => return Err(self.eof()),
                    }
                }
                _ => return Err(self.string_stop(end)),
            }
        }
    }

    /// Skips one or more digits.
    fn digits(&mut self) -> Result<()> {
        match self.byte() {
            Some(b'0'..=b'9') => {}
            Some(_) => return Err(self.syntax("invalid number")),
            None => return Err(self.eof()),
        }
        while let Some(b'0'..=b'9') = self.byte() {
            self.pos += 1;
        }
        Ok(())
    }

    /// Skips a number; whether it is an integer (no fraction, no exponent).
    fn skip_number(&mut self) -> Result<bool> {
        if self.byte() == Some(b'-') {
            self.pos += 1;
        }
        match self.byte() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.byte() {
                    return Err(self.syntax("invalid number (leading zero)"));
                }
            }
            Some(b'1'..=b'9') => self.digits()?,
            Some(_) => return Err(self.syntax("invalid number")),
            None => return Err(self.eof()),
        }
        let mut integer = true;
        if self.byte() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.byte() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.byte() {
                self.pos += 1;
            }
            self.digits()?;
            integer = false;
        }
        Ok(integer)
    }

    /// Reads a number: `u64` when a non-negative integer fits, `i64` when a negative one does,
    /// `f64` otherwise (`-0` included); floats too large for `f64` are refused.
    #[inline(never)]
    fn number(&mut self) -> Result<Token<'de>> {
        let start = self.pos;
        let integer = self.skip_number()?;
        let text = self.input.get(start..self.pos).unwrap_or_default();
        if integer {
            let (negative, digits) = match text.split_first() {
                Some((b'-', digits)) => (true, digits),
                _ => (false, text),
            };
            // n * 10 + d without overflow, checked by comparison: wasm has no 64-bit
            // multiply-high, so `checked_mul` would be a 128-bit multiply call per digit.
            const MAX_TENTH: u64 = u64::MAX / 10;
            let magnitude = digits.iter().try_fold(0u64, |n, d| {
                let d = u64::from(d - b'0');
                (n < MAX_TENTH || (n == MAX_TENTH && d <= u64::MAX % 10)).then(|| n * 10 + d)
            });
            match (negative, magnitude) {
                (false, Some(n)) => return Ok(Token::U64(n)),
                (true, Some(n)) if n > 0 && n <= 1 << 63 => {
                    return Ok(Token::I64((n as i64).wrapping_neg()))
                }
                _ => {}
            }
        }
        match float(text).filter(|f| f.is_finite()) {
            Some(f) => Ok(Token::F64(f)),
            None => {
                self.pos = start;
                Err(self.syntax("number out of range"))
            }
        }
    }

    /// Reads the next scalar, or the opening bracket of a container (entered for a typed
    /// read). Kept apart from the visitors so it is compiled once, not once per target type.
    #[inline(never)]
    fn token(&mut self) -> Result<Token<'de>> {
        let b = self.peek_some()?;
        self.pos += 1;
        Ok(match b {
            b'"' => Token::Str(self.string()?),
            b'{' | b'[' => {
                self.enter()?;
                if b == b'{' {
                    Token::Map
                } else {
                    Token::Seq
                }
            }
            b't' => {
                self.literal(b"rue")?;
                Token::Bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                Token::Bool(false)
            }
            b'n' => {
                self.literal(b"ull")?;
                Token::Null
            }
            b'-' | b'0'..=b'9' => {
                self.pos -= 1;
                self.number()?
            }
            _ => {
                self.pos -= 1;
                return Err(self.syntax("expected a value"));
            }
        })
    }

    /// Skips one value of any depth, without recursion.
    #[inline(never)]
    fn skip_value(&mut self) -> Result<()> {
        let mut open = Containers::default();
        loop {
            match self.peek_some()? {
                b'"' => {
                    self.pos += 1;
                    self.skip_string()?;
                }
                b'{' => {
                    self.pos += 1;
                    if self.peek_some()? == b'}' {
                        self.pos += 1;
                    } else {
                        open.push(true);
                        self.skip_key()?;
                        continue;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    if self.peek_some()? == b']' {
                        self.pos += 1;
                    } else {
                        open.push(false);
                        continue;
                    }
                }
                b't' => self.skip_literal(b"rue")?,
                b'f' => self.skip_literal(b"alse")?,
                b'n' => self.skip_literal(b"ull")?,
                b'-' | b'0'..=b'9' => {
                    self.skip_number()?;
                }
                _ => return Err(self.syntax("expected a value")),
            }
            // After a value: close what ends here, or go on to the next element.
            loop {
                let Some(object) = open.top() else {
                    return Ok(());
                };
                match self.peek_some()? {
                    b',' => {
                        self.pos += 1;
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if object => {
                        self.pos += 1;
                        open.pop();
                    }
                    b']' if !object => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.syntax("expected , or the container's end")),
                }
            }
        }
    }

    fn skip_literal(&mut self, rest: &[u8]) -> Result<()> {
        self.pos += 1;
        self.literal(rest)
    }

    /// Skips `"key":` in an object being skipped.
    fn skip_key(&mut self) -> Result<()> {
        self.eat(b'"', "expected a string key")?;
        self.skip_string()?;
        self.eat(b':', "expected :")
    }

    /// The text of the next value.
    #[inline(never)]
    fn raw(&mut self) -> Result<&'de str> {
        self.peek_some()?;
        let start = self.pos;
        self.skip_value()?;
        self.utf8(start, self.pos)
    }

    /// Enters a container for a typed read.
    fn enter(&mut self) -> Result<()> {
        self.depth_left -= 1;
        if self.depth_left == 0 {
            self.depth_left += 1;
            return Err(self.syntax("nested too deeply"));
        }
        Ok(())
    }

    /// Leaves a container entered with [`Self::enter`]: `close` must follow what the visitor
    /// read. Not generic, so compiled once.
    #[inline(never)]
    fn leave(&mut self, close: u8) -> Result<()> {
        match self.peek_some()? {
            b if b == close => {
                self.pos += 1;
                Ok(())
            }
            b',' => Err(self.syntax("trailing comma")),
            _ => Err(self.syntax("trailing characters in a container")),
        }
    }

    /// Reads an object's entries with `visitor` (its `{` read by [`Self::token`]).
    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.container(b'}', |entries| visitor.visit_map(entries))
    }

    /// Reads an array's elements with `visitor` (its `[` read by [`Self::token`]).
    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.container(b']', |entries| visitor.visit_seq(entries))
    }

    /// Reads an opened container's items with `read`, then its `close`.
    fn container<T>(
        &mut self,
        close: u8,
        read: impl FnOnce(Entries<'_, 'de>) -> Result<T>,
    ) -> Result<T> {
        let read = read(Entries {
            de: self,
            first: true,
        });
        self.depth_left += 1;
        let value = read?;
        self.leave(close)?;
        Ok(value)
    }

    /// The error for a value of the wrong kind, without a visitor call per kind (each would be
    /// compiled for every target type).
    #[inline(never)]
    fn unexpected(&mut self, token: &Token<'_>, expected: &dyn Expected) -> Error {
        let unexpected = match token {
            Token::Str(s) => Unexpected::Str(s),
            Token::Bool(b) => Unexpected::Bool(*b),
            Token::Null => Unexpected::Unit,
            Token::U64(n) => Unexpected::Unsigned(*n),
            Token::I64(n) => Unexpected::Signed(*n),
            Token::F64(f) => Unexpected::Float(*f),
            Token::Map => Unexpected::Map,
            Token::Seq => Unexpected::Seq,
        };
        if matches!(token, Token::Map | Token::Seq) {
            self.depth_left += 1;
        }
        <Error as de::Error>::invalid_type(unexpected, expected).or_at(self.pos)
    }
}

/// A value read loosely: a string, a non-negative integer, or anything else (skipped).
pub enum Loose<'de> {
    /// A string.
    Str(Cow<'de, str>),
    /// A non-negative integer.
    UInt(u64),
    /// Any other value.
    Other,
}

/// Any value, as [`Deserializer::scalar`] reads it.
#[derive(Debug)]
pub enum Scalar<'de> {
    /// A string.
    Str(Cow<'de, str>),
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// A number with a fraction or an exponent, or an integer beyond 64 bits.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An array (skipped).
    Array,
    /// An object (skipped).
    Object,
}

/// Reading by hand, for the hot shapes (events, member content): no serde visitors, one
/// non-generic call per value. Shape errors are [`Category::Data`], as serde's are.
impl<'de> Deserializer<'de> {
    /// Reads an object, calling `entry(self, key)` for each key, which must read the value.
    pub fn object(
        &mut self,
        what: &str,
        mut entry: impl FnMut(&mut Self, &str) -> Result<()>,
    ) -> Result<()> {
        self.items(b'{', b'}', what, |de| {
            de.eat(b'"', "expected a string key")?;
            let key = de.string()?;
            de.eat(b':', "expected :")?;
            entry(de, &key)
        })
    }

    /// Reads an array, calling `element(self)` for each element, which must read it.
    pub fn array(
        &mut self,
        what: &str,
        element: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        self.items(b'[', b']', what, element)
    }

    /// Reads a container that `open` starts, calling `item(self)` for each element or entry.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if self.peek_some()? != open {
            let token = self.token()?;
            return Err(self.unexpected(&token, &what));
        }
        self.pos += 1;
        let mut first = true;
        while self.next_item(&mut first, close)? {
            item(self)?;
        }
        self.pos += 1;
        Ok(())
    }

    /// Before a container's next element or entry: `false` at `close` (not consumed); consumes
    /// the comma between items.
    #[inline(always)]
    fn next_item(&mut self, first: &mut bool, close: u8) -> Result<bool> {
        let b = self.peek_some()?;
        if b == close {
            return Ok(false);
        }
        if !std::mem::replace(first, false) {
            if b != b',' {
                return Err(self.syntax("expected , or the container's end"));
            }
            self.pos += 1;
        }
        Ok(true)
    }

    /// A string.
    #[inline(never)]
    pub fn str(&mut self, what: &str) -> Result<Cow<'de, str>> {
        match self.token()? {
            Token::Str(s) => Ok(s),
            other => Err(self.unexpected(&other, &what)),
        }
    }

    /// Whether the next value is `null` (then consumed). A call (also from serde's generic
    /// code), not inlined into it.
    #[inline(never)]
    pub fn null(&mut self) -> Result<bool> {
        if self.peek_some()? == b'n' {
            self.pos += 1;
            self.literal(b"ull")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// A string, or `null` for `None`.
    pub fn opt_str(&mut self, what: &str) -> Result<Option<Cow<'de, str>>> {
        if self.null()? {
            return Ok(None);
        }
        self.str(what).map(Some)
    }

    /// A boolean.
    pub fn bool(&mut self, what: &str) -> Result<bool> {
        match self.token()? {
            Token::Bool(b) => Ok(b),
            other => Err(self.unexpected(&other, &what)),
        }
    }

    /// An array of any values, each kept as its text.
    pub fn raw_array(&mut self, what: &str) -> Result<Vec<Raw<'de>>> {
        let mut list = Vec::new();
        self.array(what, |de| {
            list.push(de.raw_value()?);
            Ok(())
        })?;
        Ok(list)
    }

    /// Any value, as its text.
    pub fn raw_value(&mut self) -> Result<Raw<'de>> {
        self.raw().map(Raw)
    }

    /// Reads the next value with `read`, and returns its text too. Where `read` fails, the
    /// value is skipped instead and read as `None` (so `read` may refuse valid JSON).
    pub fn try_with_raw<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<(Option<T>, Raw<'de>)> {
        self.peek_some()?;
        let (start, depth_left) = (self.pos, self.depth_left);
        let value = read(self).ok();
        if value.is_none() {
            (self.pos, self.depth_left) = (start, depth_left);
            self.skip_value()?;
        }
        Ok((value, Raw(self.utf8(start, self.pos)?)))
    }

    /// Any value as its text, or `null` for `None`.
    pub fn opt_raw(&mut self) -> Result<Option<Raw<'de>>> {
        if self.null()? {
            return Ok(None);
        }
        self.raw_value().map(Some)
    }

    /// Any value, kept when it is a string or a non-negative integer.
    #[inline(never)]
    pub fn loose(&mut self) -> Result<Loose<'de>> {
        Ok(match self.scalar()? {
            Scalar::Str(s) => Loose::Str(s),
            Scalar::UInt(n) => Loose::UInt(n),
            _ => Loose::Other,
        })
    }

    /// Any value: a scalar as read, a container (skipped) as its kind.
    pub fn scalar(&mut self) -> Result<Scalar<'de>> {
        let first = self.peek_some()?;
        if let b'{' | b'[' = first {
            self.skip_value()?;
            return Ok(if first == b'{' {
                Scalar::Object
            } else {
                Scalar::Array
            });
        }
        Ok(match self.token()? {
            Token::Str(s) => Scalar::Str(s),
            Token::U64(n) => Scalar::UInt(n),
            Token::I64(n) => Scalar::Int(n),
            Token::F64(x) => Scalar::Float(x),
            Token::Bool(b) => Scalar::Bool(b),
            Token::Null => Scalar::Null,
            // Containers were skipped above.
            Token::Map | Token::Seq => return Err(self.syntax("expected a value")),
        })
    }

    /// Skips any value.
    pub fn skip(&mut self) -> Result<()> {
        self.skip_value()
    }
}

/// Reads `input` with `read`; only whitespace may follow.
pub fn read_str<'a, T>(
    input: &'a str,
    read: impl FnOnce(&mut Deserializer<'a>) -> Result<T>,
) -> Result<T> {
    let mut de = Deserializer::new(input);
    let value = read(&mut de).and_then(|value| de.end().map(|()| value));
    value.map_err(|e| e.or_at(de.pos))
}

/// Reads the start of `input` with `read`, and says how many bytes it took.
pub fn read_prefix<'a, T>(
    input: &'a str,
    read: impl FnOnce(&mut Deserializer<'a>) -> Result<T>,
) -> Result<(T, usize)> {
    let mut de = Deserializer::new(input);
    match read(&mut de) {
        Ok(value) => Ok((value, de.pos)),
        Err(e) => Err(e.or_at(de.pos)),
    }
}

/// A field seen twice in an object (serde's derive refuses that too).
pub fn duplicate(field: &'static str) -> Error {
    <Error as de::Error>::duplicate_field(field)
}

/// Reads a field into its empty slot; a second occurrence is refused before its value is read.
pub fn once<T>(
    slot: &mut Option<T>,
    name: &'static str,
    read: impl FnOnce() -> Result<T>,
) -> Result<()> {
    if slot.is_some() {
        return Err(duplicate(name));
    }
    *slot = Some(read()?);
    Ok(())
}

/// A required field that is missing.
pub fn missing(field: &'static str) -> Error {
    <Error as de::Error>::missing_field(field)
}

/// The value of a number's text (grammar already checked). Exact (correctly rounded) for up
/// to 15 significant digits with a decimal exponent within ±22, which covers the floats
/// Matrix events carry (v1–5 power levels); within a few units in the last place beyond, as
/// serde_json's default reader. (The standard library's exact parser would add ~13 kB of
/// tables and code to the wasm.)
fn float(text: &[u8]) -> Option<f64> {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent_text) = match text.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (text.get(..at)?, text.get(at + 1..)?),
        None => (text, &b""[..]),
    };
    let mut significand = 0u64;
    let mut exponent = 0i32;
    let mut fraction = false;
    for b in mantissa {
        match b {
            b'.' => fraction = true,
            b'0'..=b'9' => match significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(b - b'0')))
            {
                Some(s) => {
                    significand = s;
                    exponent = exponent.saturating_sub(i32::from(fraction));
                }
                // Digits beyond u64 only scale the value.
                None => exponent = exponent.saturating_add(i32::from(!fraction)),
            },
            _ => return None,
        }
    }
    let (sign, digits) = match exponent_text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, exponent_text),
    };
    let explicit = digits.iter().fold(0i32, |n, d| {
        n.saturating_mul(10)
            .saturating_add(i32::from(d.wrapping_sub(b'0')))
            .min(100_000)
    });
    let mut exponent = exponent.saturating_add(sign * explicit);
    let mut value = significand as f64;
    if value != 0.0 {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        while exponent > 22 && value.is_finite() {
            value *= 1e22;
            exponent -= 22;
        }
        while exponent < -22 && value != 0.0 {
            value /= 1e22;
            exponent += 22;
        }
        let scale = POW10
            .get(exponent.unsigned_abs() as usize)
            .copied()
            .unwrap_or(1.0);
        value = if exponent < 0 {
            value / scale
        } else {
            value * scale
        };
    }
    Some(if negative { -value } else { value })
}

/// One value's start as [`Deserializer::token`] reads it.
enum Token<'de> {
    Str(Cow<'de, str>),
    Bool(bool),
    Null,
    U64(u64),
    I64(i64),
    F64(f64),
    /// An object was opened.
    Map,
    /// An array was opened.
    Seq,
}

/// The open containers of a skipped value (`true` for objects): a bit per level, on the
/// stack for the first 64.
#[derive(Default)]
struct Containers {
    depth: usize,
    bits: u64,
    deeper: Vec<bool>,
}

impl Containers {
    fn push(&mut self, object: bool) {
        if self.depth < 64 {
            self.bits = (self.bits & !(1 << self.depth)) | (u64::from(object) << self.depth);
        } else {
            self.deeper.push(object);
        }
        self.depth += 1;
    }

    fn top(&self) -> Option<bool> {
        let top = self.depth.checked_sub(1)?;
        if top < 64 {
            Some(self.bits >> top & 1 == 1)
        } else {
            self.deeper.last().copied()
        }
    }

    fn pop(&mut self) {
        if self.depth > 64 {
            self.deeper.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            Token::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Token::Str(Cow::Owned(s)) => visitor.visit_string(s),
            Token::Bool(b) => visitor.visit_bool(b),
            Token::Null => visitor.visit_unit(),
            Token::U64(n) => visitor.visit_u64(n),
            Token::I64(n) => visitor.visit_i64(n),
            Token::F64(f) => visitor.visit_f64(f),
            Token::Map => self.map(visitor),
            Token::Seq => self.seq(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            Token::Map => self.map(visitor),
            other => Err(self.unexpected(&other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            Token::Seq => self.seq(visitor),
            other => Err(self.unexpected(&other, &visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            Token::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Token::Str(Cow::Owned(s)) => visitor.visit_string(s),
            other => Err(self.unexpected(&other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.null()? {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == RAW {
            let text = self.raw()?;
            visitor.visit_borrowed_str(text)
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    /// Structs are read from objects only (serde_json also reads them from arrays, by position,
    /// which would let `["m.room.member", …]` pass as an event).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct enum
    }
}

/// The elements of an array or the entries of an object being read.
struct Entries<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl Entries<'_, '_> {
    /// Before the next element or entry: `false` at `close`; consumes the comma between.
    #[inline(never)]
    fn has_next(&mut self, close: u8) -> Result<bool> {
        self.de.next_item(&mut self.first, close)
    }
}

impl<'de> SeqAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.has_next(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if !self.has_next(b'}')? {
            return Ok(None);
        }
        if self.de.peek_outlined()? != b'"' {
            return Err(self.de.syntax("expected a string key"));
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.eat(b':', "expected :")?;
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn category<T: for<'a> Deserialize<'a>>(text: &str) -> Option<Category> {
        from_str::<T>(text).err().map(|e| e.category())
    }

    #[test]
    fn reads_scalars_strings_and_containers() {
        let v: (u64, i64, f64, bool, Option<u8>, String) =
            from_str(r#" [ 18446744073709551615, -9223372036854775808, -0, true, null, "a\u00e9\ud83d\ude00\n" ] "#)
                .unwrap();
        assert_eq!(v.0, u64::MAX);
        assert_eq!(v.1, i64::MIN);
        assert!(v.2 == 0.0 && v.2.is_sign_negative());
        assert_eq!((v.3, v.4), (true, None));
        assert_eq!(v.5, "aé😀\n");
        let big: f64 = from_str("18446744073709551616").unwrap();
        assert_eq!(big, 18446744073709551616.0);
    }

    #[test]
    fn short_floats_are_exact() {
        let mut rng = 0x5eed_u64;
        for _ in 0..20_000 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let digits = (rng >> 33) % 1_000_000_000_000_000;
            let scale = (rng >> 20) % 45;
            let text = format!("{digits}e{}", scale as i64 - 22);
            let exact: f64 = text.parse().unwrap();
            assert_eq!(from_str::<f64>(&text).unwrap(), exact, "{text}");
            let text = format!("-{}.{:03}", digits % 100_000, scale);
            let exact: f64 = text.parse().unwrap();
            assert_eq!(from_str::<f64>(&text).unwrap(), exact, "{text}");
        }
        let long: f64 = from_str("123456789012345678901234567890.5e-3").unwrap();
        assert!((long - 1.2345678901234568e26).abs() / long < 1e-15);
    }

    #[test]
    fn borrows_plain_strings_and_raw_values() {
        #[derive(Deserialize)]
        struct S<'a> {
            #[serde(borrow)]
            a: Cow<'a, str>,
            #[serde(borrow)]
            b: Cow<'a, str>,
            #[serde(borrow)]
            c: Raw<'a>,
        }
        let s: S<'_> = from_str(r#"{"a":"x","b":"\"","c": {"d":[1,{"e":null}]} }"#).unwrap();
        assert!(matches!(s.a, Cow::Borrowed("x")));
        assert!(matches!(s.b, Cow::Owned(ref b) if b == "\""));
        assert_eq!(s.c.get(), r#"{"d":[1,{"e":null}]}"#);
    }

    #[test]
    fn the_end_of_input_is_eof_wherever_it_falls() {
        let text = r#"{"a":[-1.5e-3,"x\u00e9\"",true,null,{"b":{}}],"c":0}"#;
        for cut in 0..text.len() {
            let cut_text = text.get(..cut).unwrap();
            assert_eq!(
                category::<serde::de::IgnoredAny>(cut_text),
                Some(Category::Eof),
                "{cut_text}"
            );
            assert!(from_str::<Raw<'_>>(cut_text).unwrap_err().is_eof());
            assert!(
                from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(cut_text)
                    .unwrap_err()
                    .is_eof()
            );
        }
        assert_eq!(category::<serde::de::IgnoredAny>(text), None);
    }

    #[test]
    fn refuses_what_is_not_json() {
        let not_json = |text: &str| {
            let e = from_str::<serde::de::IgnoredAny>(text).err();
            matches!(
                e.map(|e| e.category()),
                Some(Category::Syntax | Category::Eof)
            )
        };
        for bad in [
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            ".5",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "tru ",
            "\"\u{1}\"",
            "\"\\x\"",
            "[] []",
            "\u{c}1",
            "{\"a\" 1}",
            "nul",
            "[",
            "]",
            "",
        ] {
            assert!(not_json(bad), "{bad:?}");
        }
        // Decoded strings must be text: no unpaired surrogates.
        for bad in [
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"\\ud800x\"",
        ] {
            let e = from_str::<String>(bad).unwrap_err();
            assert_eq!(e.category(), Category::Syntax, "{bad:?}");
        }
        // Floats beyond f64 are refused when read, as serde_json does.
        assert_eq!(category::<f64>("1e400"), Some(Category::Syntax));
        // A skipped string's escapes are checked for form only, as serde_json does.
        assert!(from_str::<serde::de::IgnoredAny>("\"\\ud800\"").is_ok());
        assert!(from_str::<serde::de::IgnoredAny>("\"\\uZZZZ\"").is_err());
    }

    #[test]
    fn limits_typed_depth_but_not_skipped_depth() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(from_str::<serde::de::IgnoredAny>(&deep(100_000)).is_ok());
        let deep_text = deep(100_000);
        assert!(from_str::<Raw<'_>>(&deep_text).is_ok());
        assert_eq!(category::<serde_json::Value>(&deep(127)), None);
        assert_eq!(
            category::<serde_json::Value>(&deep(128)),
            Some(Category::Syntax)
        );
    }

    #[test]
    fn shape_errors_are_data_errors_without_printing_floats() {
        let e = from_str::<String>("1.5").unwrap_err();
        assert_eq!(e.category(), Category::Data);
        assert_eq!(
            e.to_string(),
            "invalid type: a floating point number, expected a string at byte 3"
        );
    }
}
