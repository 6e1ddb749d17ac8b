//! Client-format events as the room state API and `/sync` deliver them, parsed lazily:
//! only the fields the rules and the knock views need, borrowed from the input text.

use std::borrow::Cow;

use ruma_events::room::member::MembershipState;

use super::{
    error::{Error, ErrorCode, Result},
    json::{self, Loose, Raw},
};

/// A client-format event: the envelope fields the rules and views need, with `content` and
/// `unsigned` kept raw until a handler needs them.
#[derive(Clone, Debug)]
pub struct RawEvent<'a> {
    /// Event type.
    pub kind: Cow<'a, str>,
    /// State key; `None` for non-state events.
    pub state_key: Option<Cow<'a, str>>,
    /// Sender user ID.
    pub sender: Cow<'a, str>,
    /// Event ID, when present (and a string).
    pub event_id: Option<Cow<'a, str>>,
    /// Room ID, when present (the state API has it, sync blocks do not).
    pub room_id: Option<Cow<'a, str>>,
    /// Timestamp, when present and an integer in 0..=2^53−1 (Canonical JSON's range).
    pub origin_server_ts: Option<u64>,
    /// Content.
    pub content: Raw<'a>,
    /// The content's member fields, read with it when it is an object with a string
    /// `membership` (`None` otherwise: [`MemberContent::parse`] then reads `content`).
    pub member: Option<MemberContent<'a>>,
    /// `unsigned`, when present and not `null`.
    pub unsigned: Option<Raw<'a>>,
}

impl<'a> RawEvent<'a> {
    /// Parses one event from JSON text.
    pub fn from_json(text: &'a str) -> Result<Self> {
        json::read_str(text, Self::read).map_err(|e| json_error(&e, "event"))
    }

    /// Reads one event object. `type`, `sender` and `content` are required, `state_key` must
    /// be a string or `null`, the other fields are lenient; a known field given twice is
    /// refused, unknown fields are skipped.
    pub fn read(de: &mut json::Deserializer<'a>) -> json::Result<Self> {
        let mut kind = None;
        let mut state_key = None;
        let mut sender = None;
        let mut event_id = None;
        let mut room_id = None;
        let mut origin_server_ts = None;
        let mut content = None;
        let mut unsigned = None;
        de.object("an event (a JSON object)", |de, key| {
            // Byte patterns compile to a length switch and byte tests, not a call per key.
            match key.as_bytes() {
                b"type" => json::once(&mut kind, "type", || de.str("the event type (a string)"))?,
                b"state_key" => json::once(&mut state_key, "state_key", || {
                    de.opt_str("a state key (a string)")
                })?,
                b"sender" => json::once(&mut sender, "sender", || de.str("the sender (a string)"))?,
                b"event_id" => json::once(&mut event_id, "event_id", || loose_str(de))?,
                b"room_id" => json::once(&mut room_id, "room_id", || loose_str(de))?,
                b"origin_server_ts" => {
                    json::once(&mut origin_server_ts, "origin_server_ts", || {
                        Ok(loose_u64(de)?.filter(|ts| *ts <= MAX_SAFE_INTEGER))
                    })?
                }
                b"content" => json::once(&mut content, "content", || read_content(de))?,
                b"unsigned" => json::once(&mut unsigned, "unsigned", || de.opt_raw())?,
                _ => de.skip()?,
            }
            Ok(())
        })?;
        let (content, member) = content.ok_or_else(|| json::missing("content"))?;
        Ok(Self {
            kind: kind.ok_or_else(|| json::missing("type"))?,
            state_key: state_key.flatten(),
            sender: sender.ok_or_else(|| json::missing("sender"))?,
            event_id: event_id.flatten(),
            room_id: room_id.flatten(),
            origin_server_ts: origin_server_ts.flatten(),
            content,
            member,
            unsigned: unsigned.flatten(),
        })
    }

    /// The event as an `m.room.member` event (whatever its type): its member content read,
    /// or an error.
    pub fn member_event(&self) -> Result<MemberEvent<'_>> {
        Ok(MemberEvent {
            state_key: self.state_key.as_deref().unwrap_or_default(),
            sender: &self.sender,
            event_id: self.event_id.as_deref(),
            room_id: self.room_id.as_deref(),
            origin_server_ts: self.origin_server_ts,
            content: self.member_content()?,
        })
    }

    /// The member content: as read with the event, or parsed from `content`.
    pub fn member_content(&self) -> Result<MemberContent<'a>> {
        match &self.member {
            Some(member) => Ok(member.clone()),
            None => MemberContent::parse(self.content),
        }
    }
}

/// Reads `content` once, for its text and its member fields: most events in a room's state
/// are member events, and their `type` may come after `content`. Content that is not member
/// content is skipped instead (and [`MemberContent::parse`] reports why, if it is needed).
fn read_content<'a>(
    de: &mut json::Deserializer<'a>,
) -> json::Result<(Raw<'a>, Option<MemberContent<'a>>)> {
    let (member, raw) = de.try_with_raw(MemberContent::read_fields)?;
    Ok((raw, member.flatten()))
}

/// A lenient string field's value: the string, or `None` for any other value.
pub fn loose_str<'a>(de: &mut json::Deserializer<'a>) -> json::Result<Option<Cow<'a, str>>> {
    Ok(match de.loose()? {
        Loose::Str(s) => Some(s),
        _ => None,
    })
}

/// A lenient integer field's value: a non-negative integer, or `None` for any other value.
pub fn loose_u64(de: &mut json::Deserializer<'_>) -> json::Result<Option<u64>> {
    Ok(match de.loose()? {
        Loose::UInt(n) => Some(n),
        _ => None,
    })
}

/// UTF-8 bytes as text, or `INVALID_JSON`.
pub fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes)
        .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("not UTF-8 JSON text: {e}")))
}

/// Takes the first `units` UTF-16 units of `text` (a JS string's length) off its front, or
/// `None` when `text` is shorter or the count ends inside a character.
pub fn take_utf16<'a>(text: &mut &'a str, units: usize) -> Option<&'a str> {
    let end = match text.as_bytes().get(..units) {
        Some(head) if head.is_ascii() => units,
        _ => {
            let (mut counted, mut end) = (0, 0);
            for c in text.chars() {
                if counted >= units {
                    break;
                }
                counted += c.len_utf16();
                end += c.len_utf8();
            }
            if counted != units {
                return None;
            }
            end
        }
    };
    let (head, rest) = (text.get(..end)?, text.get(end..)?);
    *text = rest;
    Some(head)
}

/// Parses a JSON array of events.
pub fn events_from_json(text: &str) -> Result<Vec<RawEvent<'_>>> {
    json::read_str(text, |de| {
        let mut events = vec![];
        de.array("an array of state events", |de| {
            events.push(RawEvent::read(de)?);
            Ok(())
        })?;
        Ok(events)
    })
    .map_err(|e| json_error(&e, "array of state events"))
}

/// Maps a reading error to our codes: syntax errors are `INVALID_JSON`, shape errors
/// `INVALID_EVENT`.
pub fn json_error(e: &json::Error, what: &str) -> Error {
    let code = match e.category() {
        json::Category::Syntax | json::Category::Eof => ErrorCode::InvalidJson,
        json::Category::Data => ErrorCode::InvalidEvent,
    };
    Error::new(code, format!("not a valid {what}: {e}"))
}

/// The fields of `m.room.member` content we read. Display fields of the wrong type are ignored
/// (servers relay them unchecked); `membership` is required, as the auth rules require it.
#[derive(Clone, Debug)]
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

impl<'a> MemberContent<'a> {
    /// Reads member content: `membership` must be a string (the last one given counts), the
    /// display fields are lenient.
    pub fn read(de: &mut json::Deserializer<'a>) -> json::Result<Self> {
        Self::read_fields(de)?.ok_or_else(|| json::missing("membership"))
    }

    /// Reads an object's member fields, or `None` when it has no `membership`.
    fn read_fields(de: &mut json::Deserializer<'a>) -> json::Result<Option<Self>> {
        let mut membership = None;
        let mut content = MemberContent {
            membership: Cow::Borrowed(""),
            reason: None,
            displayname: None,
            avatar_url: None,
            other_keys: false,
        };
        de.object("m.room.member content", |de, key| {
            match key.as_bytes() {
                b"membership" => membership = Some(de.str("a membership (a string)")?),
                b"reason" => content.reason = loose_str(de)?,
                b"displayname" => content.displayname = loose_str(de)?,
                b"avatar_url" => content.avatar_url = loose_str(de)?,
                _ => {
                    content.other_keys = true;
                    de.skip()?;
                }
            }
            Ok(())
        })?;
        Ok(membership.map(|membership| MemberContent {
            membership,
            ..content
        }))
    }
}

impl MemberContent<'_> {
    /// Parses member content.
    pub fn parse(content: Raw<'_>) -> Result<MemberContent<'_>> {
        json::read_str(content.get(), MemberContent::read).map_err(|e| {
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

/// An `m.room.member` event as the rules read it: from a [`RawEvent`], or field by field from
/// a JS object.
#[derive(Clone, Debug)]
pub struct MemberEvent<'a> {
    /// The member's user ID.
    pub state_key: &'a str,
    /// Sender user ID.
    pub sender: &'a str,
    /// Event ID, when a string.
    pub event_id: Option<&'a str>,
    /// Room ID, when a string.
    pub room_id: Option<&'a str>,
    /// Timestamp, as [`RawEvent::origin_server_ts`].
    pub origin_server_ts: Option<u64>,
    /// The member content.
    pub content: MemberContent<'a>,
}

/// `unsigned.prev_content.membership`, where a server gives it.
#[derive(Debug, Default)]
pub struct Unsigned<'a> {
    /// `prev_content.membership`, when a string.
    prev_membership: Option<Cow<'a, str>>,
}

impl<'a> Unsigned<'a> {
    /// Parses `unsigned` leniently (it is informational): anything unexpected (not an object,
    /// `prev_content` given twice or not an object, `membership` given twice) reads as nothing.
    pub fn parse(raw: Option<Raw<'a>>) -> Self {
        raw.and_then(|raw| json::read_str(raw.get(), Self::read).ok())
            .unwrap_or_default()
    }

    fn read(de: &mut json::Deserializer<'a>) -> json::Result<Self> {
        let mut prev_content = None;
        de.object("unsigned", |de, key| {
            if key != "prev_content" {
                return de.skip();
            }
            json::once(&mut prev_content, "prev_content", || {
                if de.null()? {
                    return Ok(None);
                }
                let mut membership = None;
                de.object("prev_content", |de, key| match key {
                    "membership" => json::once(&mut membership, "membership", || loose_str(de)),
                    _ => de.skip(),
                })?;
                Ok(membership.flatten())
            })
        })?;
        Ok(Self {
            prev_membership: prev_content.flatten(),
        })
    }

    /// The previous membership, when given as a string.
    pub fn prev_membership(&self) -> Option<&str> {
        self.prev_membership.as_deref()
    }
}

/// Largest integer JSON (and a JS number) holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[cfg(test)]
mod tests {
    use super::take_utf16;

    #[test]
    fn take_utf16_counts_js_string_units() {
        let mut text = "@k:hs2Zoë 🙏𝔘x";
        assert_eq!(take_utf16(&mut text, 6), Some("@k:hs2"));
        assert_eq!(
            take_utf16(&mut text, 3),
            Some("Zoë"),
            "ë is one unit, two bytes"
        );
        assert_eq!(take_utf16(&mut text, 0), Some(""));
        assert_eq!(
            take_utf16(&mut text, 5),
            Some(" 🙏𝔘"),
            "astral characters are two units"
        );
        assert_eq!(take_utf16(&mut text, 2), None, "longer than the rest");
        assert_eq!(text, "x", "nothing taken on failure");
        let mut pair = "🙏";
        assert_eq!(
            take_utf16(&mut pair, 1),
            None,
            "ends inside a surrogate pair"
        );
        assert_eq!(take_utf16(&mut pair, 2), Some("🙏"));
    }
}
