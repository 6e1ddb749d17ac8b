//! A room preview from stripped state (`knock_state`, `invite_state`): display data only.
//! Stripped state is unsigned and attacker-controllable; nothing here grants a permission.

use serde::Deserialize;

use super::event::{lenient_string, parse_json, RawEvent};

/// What a client shows about a room it is not in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoomPreview {
    /// `m.room.name`.
    pub name: Option<String>,
    /// `m.room.avatar` URL.
    pub avatar_url: Option<String>,
    /// `m.room.topic`.
    pub topic: Option<String>,
    /// `m.room.join_rules` join rule (informational).
    pub join_rule: Option<String>,
    /// `m.room.canonical_alias` alias.
    pub canonical_alias: Option<String>,
    /// Whether `m.room.encryption` is present.
    pub encrypted: bool,
    /// `m.room.create` `type` (e.g. `m.space`).
    pub room_type: Option<String>,
    /// `m.room.create` sender (MSC4311 puts the create event in stripped state).
    pub creator: Option<String>,
    /// `m.room.create` room version.
    pub room_version: Option<String>,
}

#[derive(Deserialize)]
struct Fields {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    topic: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    join_rule: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    alias: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    room_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    room_version: Option<String>,
}

impl RoomPreview {
    /// Builds a preview; later events of a type win, malformed content is skipped.
    pub fn from_stripped(events: &[RawEvent<'_>]) -> Self {
        let mut preview = Self::default();
        for event in events {
            if event.state_key.as_deref() != Some("") {
                continue;
            }
            let Ok(f) = parse_json::<Fields>(event.content.get()) else {
                continue;
            };
            match event.kind.as_ref() {
                "m.room.name" => preview.name = f.name,
                "m.room.avatar" => preview.avatar_url = f.url,
                "m.room.topic" => preview.topic = f.topic,
                "m.room.join_rules" => preview.join_rule = f.join_rule,
                "m.room.canonical_alias" => preview.canonical_alias = f.alias,
                "m.room.encryption" => preview.encrypted = true,
                "m.room.create" => {
                    preview.room_type = f.room_type;
                    preview.room_version = f.room_version;
                    preview.creator = Some(event.sender.clone().into_owned());
                }
                _ => {}
            }
        }
        preview
    }
}
