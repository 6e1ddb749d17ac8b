//! Client-format events as the room state API and `/sync` deliver them, parsed lazily:
//! only the fields the rules and the knock views need, borrowed from the input text.

use std::borrow::Cow;

use ruma_events::room::member::MembershipState;
use serde::{de, Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::error::{Error, ErrorCode, Result};

/// One event; `content` and `unsigned` stay raw until a handler needs them.
#[derive(Debug, Deserialize)]
pub struct RawEvent<'a> {
    /// Event type.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// State key; `None` for non-state events.
    #[serde(default, borrow)]
    pub state_key: Option<Cow<'a, str>>,
    /// Sender user ID.
    #[serde(borrow)]
    pub sender: Cow<'a, str>,
    /// Event ID, when present.
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub event_id: Option<Cow<'a, str>>,
    /// Room ID, when present (the state API has it, sync blocks do not).
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub room_id: Option<Cow<'a, str>>,
    /// Timestamp, when present and an integer in 0..=2^53−1 (Canonical JSON's range).
    #[serde(default, deserialize_with = "timestamp")]
    pub origin_server_ts: Option<u64>,
    /// Raw content.
    #[serde(borrow)]
    pub content: &'a RawValue,
    /// Raw `unsigned`, when present.
    #[serde(default, borrow)]
    pub unsigned: Option<&'a RawValue>,
}

impl<'a> RawEvent<'a> {
    /// Parses one event from JSON text.
    pub fn from_json(text: &'a str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| json_error(&e, "event"))
    }
}

/// Parses a JSON array of events.
pub fn events_from_json(text: &str) -> Result<Vec<RawEvent<'_>>> {
    serde_json::from_str(text).map_err(|e| json_error(&e, "array of state events"))
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
#[derive(Debug, Deserialize)]
pub struct MemberContent<'a> {
    /// The membership.
    #[serde(borrow)]
    pub membership: Cow<'a, str>,
    /// Free-text reason.
    #[serde(default, deserialize_with = "lenient")]
    pub reason: Option<String>,
    /// Display name.
    #[serde(default, deserialize_with = "lenient")]
    pub displayname: Option<String>,
    /// Avatar URL.
    #[serde(default, deserialize_with = "lenient")]
    pub avatar_url: Option<String>,
    /// Whether any key other than membership, reason, displayname and avatar_url is present.
    #[serde(flatten, deserialize_with = "any_other_key")]
    pub other_keys: bool,
}

impl MemberContent<'_> {
    /// Parses member content.
    pub fn parse(content: &RawValue) -> Result<MemberContent<'_>> {
        serde_json::from_str(content.get()).map_err(|e| {
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

/// `unsigned.prev_content.membership` and `unsigned.prev_sender`, where a server gives them.
#[derive(Debug, Default, Deserialize)]
pub struct Unsigned {
    /// The previous content.
    #[serde(default, deserialize_with = "lenient")]
    pub prev_content: Option<PrevContent>,
}

/// The part of `prev_content` we read.
#[derive(Debug, Deserialize)]
pub struct PrevContent {
    /// Previous membership.
    #[serde(default, deserialize_with = "lenient")]
    pub membership: Option<String>,
}

impl Unsigned {
    /// Parses `unsigned` leniently (it is informational).
    pub fn parse(raw: Option<&RawValue>) -> Self {
        raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default()
    }
}

/// Deserializes `T`, or `None` when the value has another type.
fn lenient<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Value(T),
        Other(de::IgnoredAny),
    }
    Ok(match Either::<T>::deserialize(deserializer)? {
        Either::Value(value) => Some(value),
        Either::Other(_) => None,
    })
}

/// Largest integer JSON (and a JS number) holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A timestamp, or `None` when it is not an integer in Canonical JSON's range.
fn timestamp<'de, D>(deserializer: D) -> std::result::Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient::<D, u64>(deserializer)?.filter(|ts| *ts <= MAX_SAFE_INTEGER))
}

/// True when the flattened remainder of a member content has any key.
fn any_other_key<'de, D>(deserializer: D) -> std::result::Result<bool, D::Error>
where
    D: Deserializer<'de>,
{
    let rest = std::collections::BTreeMap::<String, de::IgnoredAny>::deserialize(deserializer)?;
    Ok(!rest.is_empty())
}
