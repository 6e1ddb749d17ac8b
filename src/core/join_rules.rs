//! `m.room.join_rules`, read as homeservers read it: only the rule and the rooms whose members
//! may join a restricted room.

use std::borrow::Cow;

use ruma_common::{OwnedRoomId, RoomId};

use super::{
    event::loose_str,
    json::{self, Raw},
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
        let (mut join_rule, mut allow) = (None, None);
        let read = json::read_str(content.get(), |de| {
            de.object("join rules content (an object)", |de, key| match key {
                "join_rule" => json::once(&mut join_rule, "join_rule", || loose_str(de)),
                "allow" => json::once(&mut allow, "allow", || de.opt_raw()),
                _ => de.skip(),
            })
        });
        if read.is_err() {
            return Self::Malformed;
        }
        let rule = match join_rule {
            None => return Self::Absent,
            Some(None) => return Self::Malformed,
            Some(Some(rule)) => rule,
        };
        let allow = || allow.flatten().map(allowed_rooms).unwrap_or_default();
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

/// The room IDs of the valid `m.room_membership` entries of an `allow` list.
fn allowed_rooms(allow: Raw<'_>) -> Vec<OwnedRoomId> {
    // Not an array: no entries.
    let entries = json::read_str(allow.get(), |de| de.raw_array("`allow` (an array)"));
    entries
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| RoomId::parse(membership_rule_room(entry.get())?.as_ref()).ok())
        .collect()
}

/// The `room_id` of an `allow` entry of type `m.room_membership`; `None` for an entry that is
/// not an object, repeats a key, or is of another type.
fn membership_rule_room(entry: &str) -> Option<Cow<'_, str>> {
    let (mut kind, mut room_id) = (None, None);
    json::read_str(entry, |de| {
        de.object("an `allow` entry (an object)", |de, key| match key {
            "type" => json::once(&mut kind, "type", || loose_str(de)),
            "room_id" => json::once(&mut room_id, "room_id", || loose_str(de)),
            _ => de.skip(),
        })
    })
    .ok()?;
    (kind.flatten().as_deref() == Some("m.room_membership"))
        .then_some(room_id.flatten())
        .flatten()
}
