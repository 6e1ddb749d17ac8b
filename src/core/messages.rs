//! Plain-English explanations of decisions.

use std::fmt;

use ruma_common::UserId;
use ruma_events::room::power_levels::UserPowerLevel;

use super::{
    decision::{Action, Code},
    room::RoomState,
    rules::LevelsRef,
};

/// A level as people read it.
struct Level<'a>(Option<&'a UserPowerLevel>);

impl fmt::Display for Level<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(UserPowerLevel::Int(i)) => write!(f, "{i}"),
            Some(UserPowerLevel::Infinite) => f.write_str("infinite (room creator)"),
            Some(_) | None => f.write_str("unknown"),
        }
    }
}

/// A value, or "unknown".
struct OrUnknown<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for OrUnknown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

/// The join rule as a message names it.
struct JoinRule<'a>(&'a RoomState);

impl fmt::Display for JoinRule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.join_rule() {
            Some(rule) => write!(f, "`{}`", rule.as_str()),
            None if self.0.join_rule_absent() => {
                f.write_str("missing, which servers read as `invite`")
            }
            None => f.write_str("malformed (not a string), which matches no rule"),
        }
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Knock => "knock",
        Action::Join => "join",
        Action::Leave | Action::Rescind => "leave",
        Action::Invite | Action::Accept => "invite",
        Action::Kick | Action::Decline => "kick",
        Action::Ban => "ban",
        Action::Unban => "unban",
    }
}

/// Explains `code` for `action` by `actor` on `target`.
pub fn message(
    room: &RoomState,
    action: Action,
    actor: &UserId,
    target: &UserId,
    code: &Code,
    levels: LevelsRef<'_>,
) -> String {
    // Each part is written only by the messages that show it.
    let version = room.version().as_str();
    let rule = JoinRule(room);
    let membership = |user: &UserId| room.membership(user.as_str());
    let (a, t) = (Level(levels.actor), Level(levels.target));
    let required = OrUnknown(levels.required);
    let does = verb(action);
    match code {
        // `/kick` of oneself is a self-leave, which the server accepts.
        Code::Allowed if actor == target && does == "kick" => {
            format!("{actor} may leave (kicking oneself is leaving; room version {version}).")
        }
        Code::Allowed if actor == target => format!("{actor} may {does} (room version {version})."),
        Code::Allowed => format!("{actor} may {does} {target} (room version {version})."),
        Code::Duplicate => format!(
            "This repeats {target}'s current member event: the server returns that event and changes nothing."
        ),
        Code::KnockingUnsupported => format!(
            "Room version {version} has no knocking; it arrived in room version 7. The room must be upgraded."
        ),
        Code::JoinRuleForbidsKnock => {
            let allowed = if room.version().rules().knock_restricted_join_rule {
                "`knock` or `knock_restricted`"
            } else {
                "`knock` (`knock_restricted` needs room version 10)"
            };
            format!("The join rule is {rule}; knocking needs {allowed}.")
        }
        Code::JoinRuleForbidsJoin => format!(
            "The join rule is {rule}, which lets nobody join in room version {version}, invited or not."
        ),
        Code::NotInvited => format!(
            "The join rule is {rule}: {actor} must be invited first (their membership is {}; a pending knock is not enough).",
            membership(actor)
        ),
        Code::NotForOthers => format!("Only {target} can {does} for themselves."),
        Code::Banned => format!("{actor} is banned from this room."),
        Code::AlreadyJoined if actor == target => format!("{actor} is already in the room."),
        Code::AlreadyJoined => format!("{target} is already in the room."),
        Code::AlreadyInvited => format!(
            "{actor} is already invited: accept (join) or reject (leave) the invite instead of knocking."
        ),
        Code::ActorNotJoined => format!(
            "{actor} must be in the room to {does} (their membership is {}).",
            membership(actor)
        ),
        Code::TargetBanned => format!("{target} is banned; only unban applies to them."),
        Code::InsufficientLevel => {
            format!("To {does} needs power level {required}; {actor} has {a}.")
        }
        Code::TargetLevelNotBelowActor => format!(
            "{target} has power level {t}, not below {actor}'s {a}: one can only {does} users with a lower power level."
        ),
        Code::TargetNotInRoom => format!(
            "{target} is not in the room (membership {}), so there is nobody to kick.",
            membership(target)
        ),
        Code::TargetNotBanned => format!("{target} is not banned (membership {}).", membership(target)),
        Code::TargetNotKnocking => format!(
            "{target} has no pending knock (membership {}).",
            membership(target)
        ),
        Code::NotKnocking => format!(
            "{actor} has no pending knock to rescind (membership {}).",
            membership(actor)
        ),
        Code::NotInRoom => format!(
            "{actor} is not in the room (membership {}), so there is nothing to leave.",
            membership(actor)
        ),
        Code::JoinedRoomsUnknown => format!(
            "The join rule is {rule}: joining depends on the rooms {actor} is in; pass context.joinedRoomIds."
        ),
        Code::NotInAllowedRoom => format!(
            "The join rule is {rule}: {actor} must be in one of the rooms it allows, be invited, or knock."
        ),
        Code::NoAuthorisingUser => {
            "No member in the room has the power level to invite, so no server can authorise the join.".to_owned()
        }
        Code::RoomNotFederated => format!(
            "The room is not federated (m.federate: false) and {actor} is not on {}, the creator's server.",
            room.create_sender().server_name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::core::{decision::Action, room::RoomState, rules::Context};

    /// The message of `action` by `actor` on `target` in a room of `events` (JSON objects).
    fn message(events: &[&str], action: Action, actor: &str, target: &str) -> String {
        let room = RoomState::from_json(&format!("[{}]", events.join(","))).unwrap();
        let decision = room.check(action, actor, Some(target), &Context::default());
        decision.unwrap().message
    }

    const CREATE_V10: &str = r#"{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{"room_version":"10","creator":"@c:hs"}}"#;
    const CREATE_V12: &str = r#"{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{"room_version":"12"}}"#;
    const C_JOINED: &str = r#"{"type":"m.room.member","state_key":"@c:hs","sender":"@c:hs","content":{"membership":"join"}}"#;
    const M_JOINED: &str = r#"{"type":"m.room.member","state_key":"@m:hs","sender":"@m:hs","content":{"membership":"join"}}"#;
    const K_KNOCKING: &str = r#"{"type":"m.room.member","state_key":"@k:hs","sender":"@k:hs","content":{"membership":"knock"}}"#;

    #[test]
    fn messages_name_the_levels_the_join_rule_and_the_membership() {
        let levels = r#"{"type":"m.room.power_levels","state_key":"","sender":"@c:hs","content":{"users":{"@m:hs":50},"kick":75}}"#;
        assert_eq!(
            message(
                &[CREATE_V10, C_JOINED, M_JOINED, K_KNOCKING, levels],
                Action::Decline,
                "@m:hs",
                "@k:hs"
            ),
            "To kick needs power level 75; @m:hs has 50."
        );
        let levels = r#"{"type":"m.room.power_levels","state_key":"","sender":"@c:hs","content":{"users":{"@m:hs":100}}}"#;
        assert_eq!(
            message(&[CREATE_V12, C_JOINED, M_JOINED, levels], Action::Kick, "@m:hs", "@c:hs"),
            "@c:hs has power level infinite (room creator), not below @m:hs's 100: one can only kick users with a lower power level."
        );
        assert_eq!(
            message(&[CREATE_V10, C_JOINED], Action::Knock, "@k:hs", "@k:hs"),
            "The join rule is missing, which servers read as `invite`; knocking needs `knock` or `knock_restricted`."
        );
        let malformed = r#"{"type":"m.room.join_rules","state_key":"","sender":"@c:hs","content":{"join_rule":5}}"#;
        assert_eq!(
            message(&[CREATE_V10, C_JOINED, malformed], Action::Join, "@k:hs", "@k:hs"),
            "The join rule is malformed (not a string), which matches no rule, which lets nobody join in room version 10, invited or not."
        );
        assert_eq!(
            message(
                &[CREATE_V10, C_JOINED, K_KNOCKING],
                Action::Unban,
                "@c:hs",
                "@k:hs"
            ),
            "@k:hs is not banned (membership knock)."
        );
    }
}
