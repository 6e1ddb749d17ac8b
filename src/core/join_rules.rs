//! `m.room.join_rules`, read as homeservers read it: only the rule and the rooms whose members
//! may join a restricted room.

use std::borrow::Cow;

use ruma_common::{OwnedRoomId, RoomId};
use serde::Deserialize;

use super::{
    event::{lenient_str, parse_json},
    json::Raw,
};

/// A join rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinRule {
    /// Anyone may join.
    Public,
    /// Only invited users may join.
    Invite,
    /// Invited users may join; others may knock (v7+).
    Knock,
    /// Reserved by the spec; matches no rule.
    Private,
    /// Members of the listed rooms may join (v8+).
    Restricted(Vec<OwnedRoomId>),
    /// Restricted, and others may knock (v10+).
    KnockRestricted(Vec<OwnedRoomId>),
    /// A rule the spec does not define; matches no rule.
    Custom(String),
}

impl JoinRule {
    /// The rule's name in the event.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Public => "public",
            Self::Invite => "invite",
            Self::Knock => "knock",
            Self::Private => "private",
            Self::Restricted(_) => "restricted",
            Self::KnockRestricted(_) => "knock_restricted",
            Self::Custom(rule) => rule,
        }
    }
}

/// The room's `m.room.join_rules`, as homeservers read it.
#[derive(Clone, Debug)]
pub enum JoinRules {
    /// No event, or no `join_rule` key: read as `invite`.
    Absent,
    /// A rule.
    Rule(JoinRule),
    /// `join_rule` is not a string, or the content not an object: no rule matches it.
    Malformed,
}

impl JoinRules {
    /// Reads the content. In `allow`, entries that are not a valid `m.room_membership` rule
    /// are skipped, and an `allow` that is not an array counts as empty.
    pub fn parse(content: Raw<'_>) -> Self {
        #[derive(Deserialize)]
        struct Content<'a> {
            #[serde(default, borrow, deserialize_with = "present")]
            join_rule: Option<Option<Cow<'a, str>>>,
            #[serde(default, borrow)]
            allow: Option<Raw<'a>>,
        }
        let Ok(content) = parse_json::<Content<'_>>(content.get()) else {
            return Self::Malformed;
        };
        let rule = match content.join_rule {
            None => return Self::Absent,
            Some(None) => return Self::Malformed,
            Some(Some(rule)) => rule,
        };
        let allow = || content.allow.map(allowed_rooms).unwrap_or_default();
        Self::Rule(match rule.as_ref() {
            "public" => JoinRule::Public,
            "invite" => JoinRule::Invite,
            "knock" => JoinRule::Knock,
            "private" => JoinRule::Private,
            "restricted" => JoinRule::Restricted(allow()),
            "knock_restricted" => JoinRule::KnockRestricted(allow()),
            _ => JoinRule::Custom(rule.into_owned()),
        })
    }
}

/// A present key's lenient string (`Some(None)` when it is not a string).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<Cow<'de, str>>>, D::Error> {
    lenient_str(d).map(Some)
}

/// The room IDs of the valid `m.room_membership` entries of an `allow` list.
fn allowed_rooms(allow: Raw<'_>) -> Vec<OwnedRoomId> {
    #[derive(Deserialize)]
    struct Entry<'a> {
        #[serde(rename = "type", default, borrow, deserialize_with = "lenient_str")]
        kind: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "lenient_str")]
        room_id: Option<Cow<'a, str>>,
    }
    let entries: Vec<Raw<'_>> = parse_json(allow.get()).unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| {
            let entry = parse_json::<Entry<'_>>(entry.get()).ok()?;
            if entry.kind.as_deref() != Some("m.room_membership") {
                return None;
            }
            RoomId::parse(entry.room_id?.as_ref()).ok()
        })
        .collect()
}
