//! A room preview from stripped state (`knock_state`, `invite_state`): display data only.
//! Stripped state is unsigned and attacker-controllable; nothing here grants a permission.

use std::borrow::Cow;

use super::{
    event::{loose_str, RawEvent},
    json,
};

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

/// The content keys a preview reads, each a lenient string (any other value reads as absent).
const KEYS: [&str; 7] = [
    "name",
    "url",
    "topic",
    "join_rule",
    "alias",
    "type",
    "room_version",
];

/// The [`KEYS`] of a content object, in that order; `None` when the content is not an object
/// or repeats one of them.
fn read_fields(content: &str) -> Option<[Option<String>; 7]> {
    let mut fields: [Option<Option<Cow<'_, str>>>; 7] = Default::default();
    json::read_str(content, |de| {
        de.object("state content (an object)", |de, key| {
            match KEYS.iter().position(|k| *k == key) {
                Some(i) => match fields.get_mut(i) {
                    Some(slot) => json::once(slot, "a preview field", || loose_str(de)),
                    None => de.skip(),
                },
                None => de.skip(),
            }
        })
    })
    .ok()?;
    Some(fields.map(|f| f.flatten().map(Cow::into_owned)))
}

impl RoomPreview {
    /// Builds a preview; later events of a type win, malformed content is skipped.
    pub fn from_stripped(events: &[RawEvent<'_>]) -> Self {
        let mut preview = Self::default();
        for event in events {
            if event.state_key.as_deref() != Some("") {
                continue;
            }
            let Some([name, url, topic, join_rule, alias, room_type, room_version]) =
                read_fields(event.content.get())
            else {
                continue;
            };
            match event.kind.as_ref() {
                "m.room.name" => preview.name = name,
                "m.room.avatar" => preview.avatar_url = url,
                "m.room.topic" => preview.topic = topic,
                "m.room.join_rules" => preview.join_rule = join_rule,
                "m.room.canonical_alias" => preview.canonical_alias = alias,
                "m.room.encryption" => preview.encrypted = true,
                "m.room.create" => {
                    preview.room_type = room_type;
                    preview.room_version = room_version;
                    preview.creator = Some(event.sender.clone().into_owned());
                }
                _ => {}
            }
        }
        preview
    }
}
