//! The `m.room.member` auth rules (per room version) and the homeserver checks around them.
//!
//! [`RoomState::authorize`] is the auth rules alone, for one membership event.
//! [`RoomState::check`] predicts a Client-Server call: it adds what Synapse checks before the
//! auth rules (`update_membership_locked`) and the knock words' preconditions.

use js_int::Int;
use ruma_common::{OwnedUserId, UserId};
use ruma_events::room::{member::MembershipState, power_levels::UserPowerLevel};

use super::{
    decision::{Action, Code, Decision},
    error::Result,
    join_rules::JoinRule,
    member::Member,
    room::{check_user_id, RoomState},
    version::MemberRule,
};

/// Facts about the caller that the room state cannot tell.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Rooms the acting user is joined to (decides `join` in restricted rooms).
    pub joined_room_ids: Option<Vec<String>>,
    /// The reason the request will carry (a request identical to the current event is a no-op).
    pub reason: Option<String>,
}

/// An auth verdict before it is explained.
#[derive(Debug)]
struct Outcome {
    code: Code,
    rule: String,
    actor_level: Option<UserPowerLevel>,
    target_level: Option<UserPowerLevel>,
    required_level: Option<Int>,
}

impl Outcome {
    fn new(code: Code, rule: String) -> Self {
        Self {
            code,
            rule,
            actor_level: None,
            target_level: None,
            required_level: None,
        }
    }

    fn levels(
        mut self,
        actor: Option<UserPowerLevel>,
        target: Option<UserPowerLevel>,
        required: Option<Int>,
    ) -> Self {
        self.actor_level = actor;
        self.target_level = target;
        self.required_level = required;
        self
    }
}

const SERVER_RULE: &str = "server: Client-Server API check before the auth rules";
const KNOCK_RULE: &str = "knock: accept, decline and rescind act on a pending knock";

impl RoomState {
    /// Predicts whether `actor` may perform `action` on `target` (the actor when `None`).
    pub fn check(
        &self,
        action: Action,
        actor: &str,
        target: Option<&str>,
        context: &Context,
    ) -> Result<Decision> {
        let actor = check_user_id(actor)?;
        let target = match target {
            Some(target) => check_user_id(target)?,
            None => actor,
        };
        Ok(self.decide(action, actor, target, context))
    }

    /// [`RoomState::check`] on user IDs already parsed: several actions on one pair validate
    /// them once.
    pub fn decide(
        &self,
        action: Action,
        actor: &UserId,
        target: &UserId,
        context: &Context,
    ) -> Decision {
        let outcome = self.predict(action, actor, target, context);
        self.explain(action, actor, target, outcome)
    }

    /// The auth rules alone for one `m.room.member` event `sender` → `target`.
    ///
    /// `authorised_via` is `content.join_authorised_via_users_server` of a join.
    pub fn authorize(
        &self,
        action: Action,
        sender: &UserId,
        target: &UserId,
        membership: &MembershipState,
        authorised_via: Option<&UserId>,
    ) -> Decision {
        let outcome = self.auth(sender, target, membership, authorised_via);
        self.explain(action, sender, target, outcome)
    }

    fn predict(&self, action: Action, actor: &UserId, target: &UserId, ctx: &Context) -> Outcome {
        let target_membership = self.membership(target.as_str());
        match action {
            Action::Accept | Action::Decline
                if !matches!(target_membership, MembershipState::Knock) =>
            {
                return Outcome::new(Code::TargetNotKnocking, KNOCK_RULE.to_owned());
            }
            Action::Rescind if actor != target => {
                return Outcome::new(Code::NotForOthers, KNOCK_RULE.to_owned());
            }
            Action::Rescind if !matches!(target_membership, MembershipState::Knock) => {
                return Outcome::new(Code::NotKnocking, KNOCK_RULE.to_owned());
            }
            _ => {}
        }
        let membership = match action {
            Action::Knock => MembershipState::Knock,
            Action::Join => MembershipState::Join,
            Action::Invite | Action::Accept => MembershipState::Invite,
            Action::Ban => MembershipState::Ban,
            Action::Leave | Action::Kick | Action::Unban | Action::Decline | Action::Rescind => {
                MembershipState::Leave
            }
        };
        let auth = || match action {
            Action::Join => match self.restricted_authoriser(actor, ctx) {
                Ok(via) => self.auth(actor, target, &membership, via.as_deref()),
                Err(outcome) => outcome,
            },
            _ => self.auth(actor, target, &membership, None),
        };
        match self.server_checks(action, actor, target, &membership, ctx) {
            // A duplicate is answered before the auth rules run.
            Some(server) if server.code == Code::Duplicate => server,
            // The membership mismatch says most; where the auth rules refuse for the same
            // reason, their rule number is the better label.
            Some(server) => {
                let auth = auth();
                if auth.code == server.code {
                    auth
                } else {
                    server
                }
            }
            None => auth(),
        }
    }

    /// Synapse's checks on the target's current member event, in its order
    /// (`update_membership_locked`, then the duplicate check of event creation).
    fn server_checks(
        &self,
        action: Action,
        actor: &UserId,
        target: &UserId,
        membership: &MembershipState,
        ctx: &Context,
    ) -> Option<Outcome> {
        let kick = matches!(action, Action::Kick | Action::Decline);
        let server = |code| Some(Outcome::new(code, SERVER_RULE.to_owned()));
        let Some(old) = self.member(target.as_str()) else {
            return if kick {
                server(Code::TargetNotInRoom)
            } else {
                None
            };
        };
        if action == Action::Unban && !matches!(old.membership(), MembershipState::Ban) {
            return server(Code::TargetNotBanned);
        }
        let ban_tolerant = matches!(
            action,
            Action::Ban | Action::Unban | Action::Leave | Action::Rescind
        );
        if matches!(old.membership(), MembershipState::Ban) && !ban_tolerant {
            return server(if actor == target {
                Code::Banned
            } else {
                Code::TargetBanned
            });
        }
        if kick
            && matches!(
                old.membership(),
                MembershipState::Ban | MembershipState::Leave
            )
        {
            return server(Code::TargetNotInRoom);
        }
        // Synapse drops an identical state event at creation (`deduplicate_state_event`),
        // after the checks above and before the auth rules.
        if is_duplicate(old, actor, target, membership, ctx.reason.as_deref()) {
            return server(Code::Duplicate);
        }
        None
    }

    /// For a join by a non-member of a restricted room: the user whose invite power
    /// authorises it, as the joining server would pick one.
    fn restricted_authoriser(
        &self,
        actor: &UserId,
        ctx: &Context,
    ) -> Result<Option<OwnedUserId>, Outcome> {
        let (rules, version) = (self.version().rules(), self.version());
        let allow = match self.effective_join_rule() {
            Some(JoinRule::Restricted(allow)) if rules.restricted_join_rule => allow,
            Some(JoinRule::KnockRestricted(allow)) if rules.knock_restricted_join_rule => allow,
            _ => return Ok(None),
        };
        let membership = self.membership(actor.as_str());
        if matches!(
            membership,
            MembershipState::Join | MembershipState::Invite | MembershipState::Ban
        ) || (!self.federate() && actor.server_name() != self.create_sender().server_name())
        {
            return Ok(None);
        }
        let rule = version.rule(MemberRule::Join, &[5, 2]);
        let Some(joined) = &ctx.joined_room_ids else {
            return Err(Outcome::new(Code::JoinedRoomsUnknown, rule));
        };
        let in_allowed_room = allow
            .iter()
            .any(|room| joined.iter().any(|id| id.as_str() == room.as_str()));
        if !in_allowed_room {
            return Err(Outcome::new(Code::NotInAllowedRoom, rule));
        }
        let invite = self.power_levels().invite();
        let authoriser = if self.power_levels().users_default() >= invite {
            // Most joined members may invite: the first one found.
            self.members_with(&MembershipState::Join).find_map(|user| {
                let user = UserId::parse(user).ok()?;
                (self.power_level(&user) >= invite).then_some(user)
            })
        } else {
            // Only creators and users with a level of their own may: look at them, not at
            // every member of a large room.
            let levels = self.power_levels();
            self.creators()
                .iter()
                .map(|user| &**user)
                .chain(levels.users())
                .find(|user| {
                    self.power_level(user) >= invite
                        && matches!(self.membership(user.as_str()), MembershipState::Join)
                })
                .map(ToOwned::to_owned)
        };
        authoriser
            .map(Some)
            .ok_or_else(|| Outcome::new(Code::NoAuthorisingUser, rule))
    }

    fn auth(
        &self,
        sender: &UserId,
        target: &UserId,
        membership: &MembershipState,
        authorised_via: Option<&UserId>,
    ) -> Outcome {
        let version = self.version();
        if !self.federate() && sender.server_name() != self.create_sender().server_name() {
            return Outcome::new(Code::RoomNotFederated, version.federate_rule());
        }
        match membership {
            MembershipState::Join => self.auth_join(sender, target, authorised_via),
            MembershipState::Invite => self.auth_invite(sender, target),
            MembershipState::Leave => self.auth_leave(sender, target),
            MembershipState::Ban => self.auth_ban(sender, target),
            MembershipState::Knock if version.rules().knocking => self.auth_knock(sender, target),
            _ => Outcome::new(
                Code::KnockingUnsupported,
                version.rule(MemberRule::Unknown, &[]),
            ),
        }
    }

    fn auth_join(&self, sender: &UserId, target: &UserId, via: Option<&UserId>) -> Outcome {
        let version = self.version();
        let rules = version.rules();
        let rule = |steps: &[u8]| version.rule(MemberRule::Join, steps);
        if self.only_create() && target == self.creator() {
            return Outcome::new(Code::Allowed, rule(&[1]));
        }
        if sender != target {
            return Outcome::new(Code::NotForOthers, rule(&[2]));
        }
        let membership = self.membership(sender.as_str());
        if matches!(membership, MembershipState::Ban) {
            return Outcome::new(Code::Banned, rule(&[3]));
        }
        let join_rule = self.effective_join_rule();
        let invite_like = matches!(join_rule, Some(JoinRule::Invite))
            || (rules.knocking && matches!(join_rule, Some(JoinRule::Knock)));
        let member = matches!(membership, MembershipState::Invite | MembershipState::Join);
        if invite_like && member {
            return Outcome::new(Code::Allowed, rule(&[4]));
        }
        let restricted = (rules.restricted_join_rule
            && matches!(join_rule, Some(JoinRule::Restricted(_))))
            || (rules.knock_restricted_join_rule
                && matches!(join_rule, Some(JoinRule::KnockRestricted(_))));
        if restricted {
            if member {
                return Outcome::new(Code::Allowed, rule(&[5, 1]));
            }
            let Some(via) = via else {
                return Outcome::new(Code::NotInAllowedRoom, rule(&[5, 2]));
            };
            let (level, invite) = (self.power_level(via), self.power_levels().invite());
            if !matches!(self.membership(via.as_str()), MembershipState::Join) || level < invite {
                return Outcome::new(Code::NoAuthorisingUser, rule(&[5, 2]));
            }
            return Outcome::new(Code::Allowed, rule(&[5, 3]));
        }
        let public_step = if rules.restricted_join_rule { 6 } else { 5 };
        if matches!(join_rule, Some(JoinRule::Public)) {
            return Outcome::new(Code::Allowed, rule(&[public_step]));
        }
        let code = if invite_like {
            Code::NotInvited
        } else {
            Code::JoinRuleForbidsJoin
        };
        Outcome::new(code, rule(&[public_step + 1]))
    }

    fn auth_invite(&self, sender: &UserId, target: &UserId) -> Outcome {
        let rule = |step| self.version().rule(MemberRule::Invite, &[step]);
        if !matches!(self.membership(sender.as_str()), MembershipState::Join) {
            return Outcome::new(Code::ActorNotJoined, rule(2));
        }
        match self.membership(target.as_str()) {
            MembershipState::Join => return Outcome::new(Code::AlreadyJoined, rule(3)),
            MembershipState::Ban => return Outcome::new(Code::TargetBanned, rule(3)),
            _ => {}
        }
        let (level, required) = (self.power_level(sender), self.power_levels().invite());
        let outcome = if level >= required {
            Outcome::new(Code::Allowed, rule(4))
        } else {
            Outcome::new(Code::InsufficientLevel, rule(5))
        };
        outcome.levels(Some(level), None, Some(required))
    }

    fn auth_leave(&self, sender: &UserId, target: &UserId) -> Outcome {
        let version = self.version();
        let rule = |step| version.rule(MemberRule::Leave, &[step]);
        let target_membership = self.membership(target.as_str());
        if sender == target {
            let may_leave = match target_membership {
                MembershipState::Invite | MembershipState::Join => true,
                MembershipState::Knock => version.rules().knocking,
                _ => false,
            };
            let code = if may_leave {
                Code::Allowed
            } else {
                Code::NotInRoom
            };
            return Outcome::new(code, rule(1));
        }
        if !matches!(self.membership(sender.as_str()), MembershipState::Join) {
            return Outcome::new(Code::ActorNotJoined, rule(2));
        }
        let levels = self.power_levels();
        let (actor, victim) = (self.power_level(sender), self.power_level(target));
        if matches!(target_membership, MembershipState::Ban) && actor < levels.ban() {
            return Outcome::new(Code::InsufficientLevel, rule(3)).levels(
                Some(actor),
                Some(victim),
                Some(levels.ban()),
            );
        }
        let kick = levels.kick();
        let code = outrank(&actor, &victim, kick);
        let step = if code == Code::Allowed { 4 } else { 5 };
        Outcome::new(code, rule(step)).levels(Some(actor), Some(victim), Some(kick))
    }

    fn auth_ban(&self, sender: &UserId, target: &UserId) -> Outcome {
        let rule = |step| self.version().rule(MemberRule::Ban, &[step]);
        if !matches!(self.membership(sender.as_str()), MembershipState::Join) {
            return Outcome::new(Code::ActorNotJoined, rule(1));
        }
        let (actor, victim, ban) = (
            self.power_level(sender),
            self.power_level(target),
            self.power_levels().ban(),
        );
        let code = outrank(&actor, &victim, ban);
        let step = if code == Code::Allowed { 2 } else { 3 };
        Outcome::new(code, rule(step)).levels(Some(actor), Some(victim), Some(ban))
    }

    fn auth_knock(&self, sender: &UserId, target: &UserId) -> Outcome {
        let version = self.version();
        let rule = |step| version.rule(MemberRule::Knock, &[step]);
        let knockable = match self.effective_join_rule() {
            Some(JoinRule::Knock) => true,
            Some(JoinRule::KnockRestricted(_)) => version.rules().knock_restricted_join_rule,
            _ => false,
        };
        if !knockable {
            return Outcome::new(Code::JoinRuleForbidsKnock, rule(1));
        }
        if sender != target {
            return Outcome::new(Code::NotForOthers, rule(2));
        }
        match self.membership(sender.as_str()) {
            MembershipState::Ban => Outcome::new(Code::Banned, rule(4)),
            MembershipState::Invite => Outcome::new(Code::AlreadyInvited, rule(4)),
            MembershipState::Join => Outcome::new(Code::AlreadyJoined, rule(4)),
            _ => Outcome::new(Code::Allowed, rule(3)),
        }
    }

    fn explain(&self, action: Action, actor: &UserId, target: &UserId, o: Outcome) -> Decision {
        let message = super::messages::message(
            self,
            action,
            actor,
            target,
            &o.code,
            LevelsRef {
                actor: o.actor_level.as_ref(),
                target: o.target_level.as_ref(),
                required: o.required_level,
            },
        );
        Decision {
            action,
            allowed: o.code.allows(),
            code: o.code,
            message,
            rule: o.rule,
            actor_level: o.actor_level,
            target_level: o.target_level,
            required_level: o.required_level,
        }
    }
}

/// Kick and ban: the actor needs the required level and a level strictly above the target's.
fn outrank(actor: &UserPowerLevel, victim: &UserPowerLevel, required: Int) -> Code {
    if *actor < required {
        Code::InsufficientLevel
    } else if victim >= actor {
        Code::TargetLevelNotBelowActor
    } else {
        Code::Allowed
    }
}

/// The levels a message may mention.
pub struct LevelsRef<'a> {
    /// Acting user's level.
    pub actor: Option<&'a UserPowerLevel>,
    /// Target's level.
    pub target: Option<&'a UserPowerLevel>,
    /// Required level.
    pub required: Option<Int>,
}

/// Whether the request would repeat the target's current member event exactly (Synapse then
/// returns that event instead of checking the auth rules). Assumes profiles are unchanged.
fn is_duplicate(
    old: &Member,
    actor: &UserId,
    target: &UserId,
    membership: &MembershipState,
    reason: Option<&str>,
) -> bool {
    if old.membership() != *membership {
        return false;
    }
    match &old.details {
        None => actor == target && reason.is_none() && old.plain_self_event,
        Some(d) => {
            let profile_allowed =
                matches!(membership, MembershipState::Knock | MembershipState::Invite);
            d.sender() == actor.as_str()
                && d.reason() == reason
                && !d.other_keys
                && (profile_allowed || (d.displayname().is_none() && d.avatar_url().is_none()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A restricted join needs a joined member who may invite. The search looks only at
    /// creators and users with a level of their own when the default level may not invite;
    /// it must find one exactly when a scan of every joined member does.
    #[test]
    fn the_restricted_join_authoriser_is_found_exactly_when_one_exists() {
        let mut seed = 7u32;
        let mut pick = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as usize % n
        };
        let users = ["@c:hs", "@a:hs", "@b:hs", "@d:hs", "@e:hs"];
        let memberships = ["join", "join", "leave", "invite", "ban", "knock"];
        let levels = [0, 50, 100];
        let (mut found, mut missing) = (0, 0);
        for _ in 0..600 {
            let version = ["8", "10", "12"][pick(3)];
            let member = |user: &str, membership: &str| {
                format!(
                    r#"{{"type":"m.room.member","state_key":"{user}","sender":"{user}","content":{{"membership":"{membership}"}}}}"#
                )
            };
            let mut events = vec![
                format!(
                    r#"{{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{{"room_version":"{version}","creator":"@c:hs"}}}}"#
                ),
                r#"{"type":"m.room.join_rules","state_key":"","sender":"@c:hs","content":{"join_rule":"restricted","allow":[{"type":"m.room_membership","room_id":"!space:hs"}]}}"#.to_owned(),
            ];
            for user in users {
                events.push(member(user, memberships[pick(memberships.len())]));
            }
            if pick(4) > 0 {
                // v12 creators may not be listed.
                let mut own = vec![];
                for user in users.iter().skip(usize::from(version == "12")) {
                    if pick(2) == 0 {
                        own.push(format!(r#""{user}":{}"#, levels[pick(3)]));
                    }
                }
                events.push(format!(
                    r#"{{"type":"m.room.power_levels","state_key":"","sender":"@c:hs","content":{{"users_default":{},"invite":{},"users":{{{}}}}}}}"#,
                    levels[pick(2)],
                    levels[pick(3)],
                    own.join(",")
                ));
            }
            let room = RoomState::from_json(&format!("[{}]", events.join(","))).unwrap();
            let invite = room.power_levels().invite();
            let exists = room
                .members_with(&MembershipState::Join)
                .any(|user| room.power_level(<&UserId>::try_from(user).unwrap()) >= invite);
            let context = Context {
                joined_room_ids: Some(vec!["!space:hs".to_owned()]),
                ..Context::default()
            };
            let decision = room.check(Action::Join, "@new:hs", None, &context).unwrap();
            assert_eq!(
                decision.code != Code::NoAuthorisingUser,
                exists,
                "{events:?}"
            );
            assert_eq!(decision.allowed, exists, "{events:?}");
            if exists {
                found += 1;
            } else {
                missing += 1;
            }
        }
        assert!(
            found > 100 && missing > 100,
            "{found} rooms with one, {missing} without"
        );
    }
}
