//! Actions, decision codes and the [`Decision`] every check returns.

use js_int::Int;
use ruma_events::room::power_levels::UserPowerLevel;

use super::error::{Error, ErrorCode, Result};

/// A membership action a client may attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /knock/{room}` (self).
    Knock,
    /// `POST /join/{room}` (self).
    Join,
    /// Self: `POST /rooms/{room}/leave`; other target: `PUT` a `leave` member event.
    Leave,
    /// `POST /rooms/{room}/invite`.
    Invite,
    /// `POST /rooms/{room}/kick`.
    Kick,
    /// `POST /rooms/{room}/ban`.
    Ban,
    /// `POST /rooms/{room}/unban`.
    Unban,
    /// Accept a knock: invite a user who is knocking.
    Accept,
    /// Decline a knock: kick a user who is knocking.
    Decline,
    /// Rescind one's own knock: leave while knocking.
    Rescind,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Action; 10] = [
        Self::Knock,
        Self::Join,
        Self::Leave,
        Self::Invite,
        Self::Kick,
        Self::Ban,
        Self::Unban,
        Self::Accept,
        Self::Decline,
        Self::Rescind,
    ];

    /// Parses the JS name of an action.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::UnknownAction,
                    format!(
                    "unknown action {name:?}; expected one of knock, join, leave, invite, kick, \
                     ban, unban, accept, decline, rescind"
                ),
                )
            })
    }

    /// The JS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Knock => "knock",
            Self::Join => "join",
            Self::Leave => "leave",
            Self::Invite => "invite",
            Self::Kick => "kick",
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Rescind => "rescind",
        }
    }

    /// Whether the target defaults to the actor.
    pub fn is_self_action(self) -> bool {
        matches!(self, Self::Knock | Self::Join | Self::Leave | Self::Rescind)
    }
}

/// Why an action is allowed or not. The string forms are stable API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// The server will accept it.
    Allowed,
    /// The request repeats the current member event; the server answers with that event.
    Duplicate,
    /// Room versions 1–6 have no knocking.
    KnockingUnsupported,
    /// The join rule does not allow knocking.
    JoinRuleForbidsKnock,
    /// The join rule lets nobody join (private, unknown, unsupported or missing).
    JoinRuleForbidsJoin,
    /// Invite-only (or knock) room and the user is not invited.
    NotInvited,
    /// Knock, join or rescind on behalf of another user.
    NotForOthers,
    /// The user is banned.
    Banned,
    /// The user (or target) is already joined.
    AlreadyJoined,
    /// The user is invited and must accept or reject the invite instead of knocking.
    AlreadyInvited,
    /// The acting user is not joined to the room.
    ActorNotJoined,
    /// The target is banned; only unban applies.
    TargetBanned,
    /// The acting user's power level is below the level the action needs.
    InsufficientLevel,
    /// The target's power level is not below the acting user's.
    TargetLevelNotBelowActor,
    /// Kick of a user who is not in the room.
    TargetNotInRoom,
    /// Unban of a user who is not banned.
    TargetNotBanned,
    /// Accept or decline of a user who is not knocking.
    TargetNotKnocking,
    /// Rescind without a pending knock.
    NotKnocking,
    /// Leave while not in the room.
    NotInRoom,
    /// Restricted room: the caller did not say which rooms the user is joined to.
    JoinedRoomsUnknown,
    /// Restricted room: the user is in none of the rooms the join rule allows.
    NotInAllowedRoom,
    /// Restricted room: no joined member can invite, so no server can authorise the join.
    NoAuthorisingUser,
    /// `m.federate: false` and the user is on another server than the creator.
    RoomNotFederated,
}

impl Code {
    /// Every code (documented in the README).
    pub const ALL: [Code; 23] = [
        Self::Allowed,
        Self::Duplicate,
        Self::KnockingUnsupported,
        Self::JoinRuleForbidsKnock,
        Self::JoinRuleForbidsJoin,
        Self::NotInvited,
        Self::NotForOthers,
        Self::Banned,
        Self::AlreadyJoined,
        Self::AlreadyInvited,
        Self::ActorNotJoined,
        Self::TargetBanned,
        Self::InsufficientLevel,
        Self::TargetLevelNotBelowActor,
        Self::TargetNotInRoom,
        Self::TargetNotBanned,
        Self::TargetNotKnocking,
        Self::NotKnocking,
        Self::NotInRoom,
        Self::JoinedRoomsUnknown,
        Self::NotInAllowedRoom,
        Self::NoAuthorisingUser,
        Self::RoomNotFederated,
    ];

    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "ALLOWED",
            Self::Duplicate => "DUPLICATE",
            Self::KnockingUnsupported => "KNOCKING_UNSUPPORTED",
            Self::JoinRuleForbidsKnock => "JOIN_RULE_FORBIDS_KNOCK",
            Self::JoinRuleForbidsJoin => "JOIN_RULE_FORBIDS_JOIN",
            Self::NotInvited => "NOT_INVITED",
            Self::NotForOthers => "NOT_FOR_OTHERS",
            Self::Banned => "BANNED",
            Self::AlreadyJoined => "ALREADY_JOINED",
            Self::AlreadyInvited => "ALREADY_INVITED",
            Self::ActorNotJoined => "ACTOR_NOT_JOINED",
            Self::TargetBanned => "TARGET_BANNED",
            Self::InsufficientLevel => "INSUFFICIENT_LEVEL",
            Self::TargetLevelNotBelowActor => "TARGET_LEVEL_NOT_BELOW_ACTOR",
            Self::TargetNotInRoom => "TARGET_NOT_IN_ROOM",
            Self::TargetNotBanned => "TARGET_NOT_BANNED",
            Self::TargetNotKnocking => "TARGET_NOT_KNOCKING",
            Self::NotKnocking => "NOT_KNOCKING",
            Self::NotInRoom => "NOT_IN_ROOM",
            Self::JoinedRoomsUnknown => "JOINED_ROOMS_UNKNOWN",
            Self::NotInAllowedRoom => "NOT_IN_ALLOWED_ROOM",
            Self::NoAuthorisingUser => "NO_AUTHORISING_USER",
            Self::RoomNotFederated => "ROOM_NOT_FEDERATED",
        }
    }

    /// Whether the code means the action goes through.
    pub fn allows(self) -> bool {
        matches!(self, Self::Allowed | Self::Duplicate)
    }
}

/// The answer to "may this user do this?", with the reason and the levels involved.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The action decided.
    pub action: Action,
    /// Whether the server will accept it.
    pub allowed: bool,
    /// Why.
    pub code: Code,
    /// Plain-English explanation.
    pub message: String,
    /// The rule that decided, numbered as the room version numbers it (e.g. `"v10 4.5.4"`),
    /// or `"server: …"` for a homeserver check outside the auth rules.
    pub rule: String,
    /// The acting user's level, where levels were compared.
    pub actor_level: Option<UserPowerLevel>,
    /// The target's level, where it was compared.
    pub target_level: Option<UserPowerLevel>,
    /// The level the action needs, where it was compared.
    pub required_level: Option<Int>,
}

impl Decision {
    /// Its strings: action, code, message and rule.
    pub fn strings(&self) -> [&str; 4] {
        [
            self.action.as_str(),
            self.code.as_str(),
            &self.message,
            &self.rule,
        ]
    }

    /// The bytes of [`Decision::strings`].
    pub fn text_len(&self) -> usize {
        self.strings().iter().map(|s| s.len()).sum()
    }
}
