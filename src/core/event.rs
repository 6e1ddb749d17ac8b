//! Client-format events as the room state API and `/sync` deliver them, parsed lazily:
//! only the fields the rules and the knock views need, borrowed from the input text.

use std::borrow::Cow;

use ruma_events::room::member::MembershipState;
use serde::{de, Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::error::{Error, ErrorCode, Result};

/// `T` read only from a JSON object: derived `Deserialize` impls also accept an array and read
/// it by position, which would let `["m.room.member", …]` pass as an event.
#[derive(Debug, Default)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        map_only(d).map(Obj)
    }
}

/// Deserializes `T` from a JSON object only (for `deserialize_with`).
pub fn map_only<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<T, D::Error> {
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> std::result::Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(Visitor(std::marker::PhantomData))
}

/// A client-format event: the envelope fields, with `content` and `unsigned` read as `C` and
/// `U` (raw, or parsed in the same pass).
#[derive(Clone, Debug, Deserialize)]
pub struct Event<'a, C, U> {
    /// Event type.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// State key; `None` for non-state events.
    #[serde(default, borrow)]
    pub state_key: Option<Cow<'a, str>>,
    /// Sender user ID.
    #[serde(borrow)]
    pub sender: Cow<'a, str>,
    /// Event ID, when present (and a string).
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub event_id: Option<Cow<'a, str>>,
    /// Room ID, when present (the state API has it, sync blocks do not).
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub room_id: Option<Cow<'a, str>>,
    /// Timestamp, when present and an integer in 0..=2^53−1 (Canonical JSON's range).
    #[serde(default, deserialize_with = "timestamp")]
    pub origin_server_ts: Option<u64>,
    /// Content.
    pub content: C,
    /// `unsigned`, when present.
    #[serde(default = "Option::default")]
    pub unsigned: Option<U>,
}

/// One event; `content` and `unsigned` stay raw until a handler needs them.
pub type RawEvent<'a> = Event<'a, &'a RawValue, &'a RawValue>;

/// A member event read in one pass, content and `unsigned` included: the fast path for the
/// bulk of a room's state (no raw capture of `content` and second parse). Whatever it does
/// not accept is read again as a [`RawEvent`], which decides; when it accepts, it reads
/// exactly what `RawEvent` plus [`MemberContent::parse`] and [`Unsigned::parse`] would.
pub type MemberEvent<'a> = Event<'a, MemberContent<'a>, Obj<Unsigned<'a>>>;

impl<'a> RawEvent<'a> {
    /// Parses one event from JSON text.
    pub fn from_json(text: &'a str) -> Result<Self> {
        parse_json::<Obj<Self>>(text)
            .map(|o| o.0)
            .map_err(|e| json_error(&e, "event"))
    }
}

/// One event of a state array: a member event read on the fast path, or any event raw.
#[derive(Debug)]
pub enum StateEvent<'a> {
    /// `m.room.member`, fully read.
    Member(MemberEvent<'a>),
    /// Any other event (or a member event the fast path did not accept).
    Raw(RawEvent<'a>),
}

impl<'a> StateEvent<'a> {
    /// Parses one event: a member event on the fast path, anything else raw.
    pub fn from_json(text: &'a str) -> Result<Self> {
        match parse_json::<Obj<MemberEvent<'a>>>(text).map(|o| Self::from_member(o.0)) {
            Ok(Some(event)) => Ok(event),
            _ => RawEvent::from_json(text).map(Self::Raw),
        }
    }

    /// A fast-path read taken as a member event; `None` when its type is not `m.room.member`
    /// (a custom event whose content happens to carry `membership`), so it is read raw.
    pub fn from_member(event: MemberEvent<'a>) -> Option<Self> {
        (event.kind == "m.room.member").then_some(Self::Member(event))
    }

    /// Event type.
    pub fn kind(&self) -> &str {
        match self {
            Self::Member(e) => &e.kind,
            Self::Raw(e) => &e.kind,
        }
    }

    /// State key.
    pub fn state_key(&self) -> Option<&str> {
        match self {
            Self::Member(e) => e.state_key.as_deref(),
            Self::Raw(e) => e.state_key.as_deref(),
        }
    }

    /// Room ID, when present.
    pub fn room_id(&self) -> Option<&str> {
        match self {
            Self::Member(e) => e.room_id.as_deref(),
            Self::Raw(e) => e.room_id.as_deref(),
        }
    }
}

/// Parses JSON text. Every parse in the crate reads bytes, so serde_json's parser is compiled
/// once (for its slice reader) rather than once more for its `&str` reader.
pub fn parse_json<'a, T: Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// UTF-8 bytes as text, or `INVALID_JSON`.
pub fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes)
        .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("not UTF-8 JSON text: {e}")))
}

/// Parses a JSON array of events.
pub fn events_from_json(text: &str) -> Result<Vec<RawEvent<'_>>> {
    let events: Vec<Obj<RawEvent<'_>>> =
        parse_json(text).map_err(|e| json_error(&e, "array of state events"))?;
    Ok(events.into_iter().map(|o| o.0).collect())
}

/// Maps a serde_json error to our codes: syntax errors are `INVALID_JSON`, shape errors
/// `INVALID_EVENT`.
pub fn json_error(e: &serde_json::Error, what: &str) -> Error {
    use serde_json::error::Category;
    let code = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ErrorCode::InvalidJson,
        Category::Data => ErrorCode::InvalidEvent,
    };
    Error::new(code, format!("not a valid {what}: {e}"))
}

/// The fields of `m.room.member` content we read. Display fields of the wrong type are ignored
/// (servers relay them unchecked); `membership` is required, as the auth rules require it.
#[derive(Debug)]
pub struct MemberContent<'a> {
    /// The membership.
    pub membership: Cow<'a, str>,
    /// Free-text reason.
    pub reason: Option<Cow<'a, str>>,
    /// Display name.
    pub displayname: Option<Cow<'a, str>>,
    /// Avatar URL.
    pub avatar_url: Option<Cow<'a, str>>,
    /// Whether any key other than membership, reason, displayname and avatar_url is present.
    pub other_keys: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for MemberContent<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Fields<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> de::Visitor<'de> for Fields<'a> {
            type Value = MemberContent<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("m.room.member content")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut content = MemberContent {
                    membership: Cow::Borrowed(""),
                    reason: None,
                    displayname: None,
                    avatar_url: None,
                    other_keys: false,
                };
                let mut membership = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "membership" => membership = Some(map.next_value::<Cow<'de, str>>()?),
                        "reason" => content.reason = map.next_value::<LenientCow<'de>>()?.0,
                        "displayname" => {
                            content.displayname = map.next_value::<LenientCow<'de>>()?.0
                        }
                        "avatar_url" => content.avatar_url = map.next_value::<LenientCow<'de>>()?.0,
                        _ => {
                            content.other_keys = true;
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                content.membership =
                    membership.ok_or_else(|| de::Error::missing_field("membership"))?;
                Ok(content)
            }
        }
        deserializer.deserialize_map(Fields(std::marker::PhantomData))
    }
}

impl MemberContent<'_> {
    /// Parses member content.
    pub fn parse(content: &RawValue) -> Result<MemberContent<'_>> {
        parse_json(content.get()).map_err(|e| {
            Error::new(
                ErrorCode::InvalidEvent,
                format!("invalid m.room.member content: {e}"),
            )
        })
    }

    /// The membership as ruma's type.
    pub fn membership(&self) -> MembershipState {
        MembershipState::from(self.membership.as_ref())
    }
}

/// `unsigned.prev_content.membership`, where a server gives it.
#[derive(Debug, Default, Deserialize)]
pub struct Unsigned<'a> {
    /// The previous content.
    #[serde(default, borrow)]
    prev_content: Option<Obj<PrevContent<'a>>>,
}

/// The part of `unsigned.prev_content` we read.
#[derive(Debug, Default, Deserialize)]
struct PrevContent<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    membership: Option<Cow<'a, str>>,
}

impl<'a> Unsigned<'a> {
    /// Parses `unsigned` leniently (it is informational).
    pub fn parse(raw: Option<&'a RawValue>) -> Self {
        raw.and_then(|raw| parse_json::<Obj<Self>>(raw.get()).ok())
            .map(|o| o.0)
            .unwrap_or_default()
    }

    /// The previous membership, when given as a string.
    pub fn prev_membership(&self) -> Option<&str> {
        self.prev_content.as_ref()?.0.membership.as_deref()
    }
}

/// A JSON value as a lenient field sees it: a string, a non-negative integer, or anything
/// else (not kept).
enum Loose<'a> {
    Str(Cow<'a, str>),
    UInt(u64),
    Other,
}

/// Accepts any JSON value without buffering it (unlike an untagged enum).
struct LenientVisitor;

impl<'de> de::Visitor<'de> for LenientVisitor {
    type Value = Loose<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Loose::Other, Loose::UInt))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Loose::UInt(v))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
    fn visit_map<A: de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Loose::Other)
    }
}

/// A string field, or `None` when the value has another type.
pub fn lenient_str<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Cow<'de, str>>, D::Error> {
    Ok(match d.deserialize_any(LenientVisitor)? {
        Loose::Str(s) => Some(s),
        Loose::UInt(_) | Loose::Other => None,
    })
}

/// An owned string field, or `None` when the value has another type.
pub fn lenient_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(lenient_str(d)?.map(Cow::into_owned))
}

/// A non-negative integer field, or `None` when the value is anything else.
pub fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match d.deserialize_any(LenientVisitor)? {
        Loose::UInt(n) => Some(n),
        Loose::Str(_) | Loose::Other => None,
    })
}

/// A lenient string, borrowed from the input when it has no escapes.
struct LenientCow<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for LenientCow<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Self(lenient_str(d)?))
    }
}

/// Largest integer JSON (and a JS number) holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A timestamp, or `None` when it is not an integer in Canonical JSON's range.
fn timestamp<'de, D>(deserializer: D) -> std::result::Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient_u64(deserializer)?.filter(|ts| *ts <= MAX_SAFE_INTEGER))
}
