//! The state of one room as a client sees it: create facts, join rule, power levels, members.

use std::collections::{BTreeSet, HashMap};

use ruma_common::{room::JoinRule, OwnedRoomId, OwnedUserId, RoomId, UserId};
use ruma_events::room::{member::MembershipState, power_levels::UserPowerLevel};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    error::{Error, ErrorCode, Result},
    event::{events_from_json, MemberContent, Obj, RawEvent, Unsigned},
    power_levels::PowerLevels,
    version::RoomVersion,
};

/// A member's current `m.room.member` event, reduced to what the rules and views need.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Current membership.
    pub membership: MembershipState,
    /// Details for every membership but `join` (kept small for large rooms).
    pub details: Option<Box<MemberDetails>>,
    /// The event was sent by the member, with no reason and no keys beyond the profile.
    pub plain_self_event: bool,
}

/// What a non-joined member's event says besides the membership.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberDetails {
    /// Who sent the event (the inviter, kicker, banner, or the member).
    pub sender: String,
    /// Event ID.
    pub event_id: Option<String>,
    /// Timestamp in ms.
    pub origin_server_ts: Option<u64>,
    /// Reason given.
    pub reason: Option<String>,
    /// Display name.
    pub displayname: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// `unsigned.prev_content.membership`, when the server sent it.
    pub prev_membership: Option<MembershipState>,
    /// Content has keys beyond membership, reason, displayname and avatar_url.
    pub other_keys: bool,
}

/// A pending knock, for the moderator queue.
#[derive(Clone, Debug, PartialEq)]
pub struct KnockRequest<'a> {
    /// The knocker.
    pub user_id: &'a str,
    /// Their details.
    pub details: Option<&'a MemberDetails>,
}

impl<'a> KnockRequest<'a> {
    /// The reason given.
    pub fn reason(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.reason.as_deref())
    }

    /// The display name.
    pub fn displayname(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.displayname.as_deref())
    }

    /// The avatar URL.
    pub fn avatar_url(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.avatar_url.as_deref())
    }

    /// The knock event's ID.
    pub fn event_id(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.event_id.as_deref())
    }

    /// When the knock was sent (ms).
    pub fn origin_server_ts(&self) -> Option<u64> {
        self.details.and_then(|d| d.origin_server_ts)
    }
}

/// Why [`RoomState::apply_event`] left the state alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// The event has no `state_key`.
    NotStateEvent,
    /// The event's `room_id` is another room's.
    OtherRoom,
    /// A second `m.room.create` cannot change an existing room.
    CreateEvent,
}

impl Ignored {
    /// Stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStateEvent => "NOT_STATE_EVENT",
            Self::OtherRoom => "OTHER_ROOM",
            Self::CreateEvent => "CREATE_EVENT",
        }
    }
}

/// The room state that decides knock-related actions.
#[derive(Clone, Debug)]
pub struct RoomState {
    room_id: Option<OwnedRoomId>,
    version: RoomVersion,
    create_sender: OwnedUserId,
    /// The creator for "first join" (v1–10 `content.creator`, v11+ the create sender).
    creator: OwnedUserId,
    /// Users with creator privileges for power levels (v12 includes `additional_creators`).
    creators: Vec<OwnedUserId>,
    federate: bool,
    join_rules: JoinRules,
    power_levels: PowerLevels,
    members: HashMap<String, Member>,
    /// Users whose membership is `knock`: the queue without scanning every member.
    knockers: BTreeSet<String>,
    /// State holds nothing but the create event.
    only_create: bool,
}

/// The parts of `m.room.create` content we read.
#[derive(Deserialize)]
struct CreateContent {
    #[serde(default)]
    room_version: Option<serde_json::Value>,
    #[serde(default)]
    creator: Option<serde_json::Value>,
    #[serde(default)]
    additional_creators: Option<serde_json::Value>,
    #[serde(default, rename = "m.federate")]
    federate: Option<serde_json::Value>,
}

/// One parsed state change, validated before anything is mutated.
enum Change {
    Member(String, Member),
    JoinRules(JoinRules),
    PowerLevels(PowerLevels),
    Other,
}

impl RoomState {
    /// Builds the state from the JSON text of an array of client-format state events.
    pub fn from_json(text: &str) -> Result<Self> {
        let events = events_from_json(text)?;
        Self::from_events(&events)
    }

    /// Builds the state from parsed events; later events for the same state key win.
    pub fn from_events(events: &[RawEvent<'_>]) -> Result<Self> {
        let mut room_id: Option<&str> = None;
        let mut create = None;
        for (index, event) in events.iter().enumerate() {
            if event.state_key.is_none() {
                return Err(Error::new(
                    ErrorCode::InvalidEvent,
                    format!(
                        "event {index} ({}) has no state_key: not a state event",
                        event.kind
                    ),
                ));
            }
            if let Some(id) = event.room_id.as_deref() {
                match room_id {
                    Some(first) if first != id => {
                        return Err(Error::new(
                            ErrorCode::RoomIdMismatch,
                            format!("event {index} is for {id}, earlier events for {first}"),
                        ))
                    }
                    _ => room_id = Some(id),
                }
            }
            if event.kind == "m.room.create" && event.state_key.as_deref() == Some("") {
                create = Some(event);
            }
        }
        let create = create.ok_or_else(|| {
            Error::new(
                ErrorCode::MissingCreate,
                "the state has no m.room.create event",
            )
        })?;
        let mut state = Self::from_create(create)?;
        if let Some(id) = room_id {
            state.room_id = Some(parse_room_id(id)?);
        }
        let mut state_keys = 0usize;
        for event in events {
            if event.kind != "m.room.create" {
                state_keys += 1;
                let change = state.parse_change(event)?;
                state.commit(change);
            }
        }
        state.only_create = state_keys == 0;
        Ok(state)
    }

    /// Starts a room from its `m.room.create` event alone.
    pub fn from_create(event: &RawEvent<'_>) -> Result<Self> {
        let invalid = |m: String| Error::new(ErrorCode::InvalidCreate, m);
        let content: CreateContent =
            serde_json::from_str::<Obj<CreateContent>>(event.content.get())
                .map(|o| o.0)
                .map_err(|e| invalid(format!("m.room.create content: {e}")))?;
        let version = match &content.room_version {
            None => RoomVersion::parse("1")?,
            Some(serde_json::Value::String(v)) => RoomVersion::parse(v)?,
            Some(other) => return Err(invalid(format!("room_version is {other}, not a string"))),
        };
        let create_sender = parse_user_id(&event.sender)?;
        let rules = version.rules();
        let creator = match (&content.creator, rules.use_room_create_sender) {
            (Some(serde_json::Value::String(c)), false) => parse_user_id(c)?,
            (Some(other), false) => {
                return Err(invalid(format!("creator is {other}, not a user ID")))
            }
            // `creator` is always equal to the sender; fall back to it when it is missing.
            _ => create_sender.clone(),
        };
        let mut creators = vec![creator.clone()];
        if rules.additional_room_creators {
            match &content.additional_creators {
                None => {}
                Some(serde_json::Value::Array(list)) => {
                    for user in list {
                        let serde_json::Value::String(user) = user else {
                            return Err(invalid(format!("additional_creators holds {user}")));
                        };
                        creators.push(parse_user_id(user)?);
                    }
                }
                Some(other) => return Err(invalid(format!("additional_creators is {other}"))),
            }
        }
        let power_levels = PowerLevels::absent(&version, &creators);
        let federate = !matches!(content.federate, Some(serde_json::Value::Bool(false)));
        let room_id = event.room_id.as_deref().map(parse_room_id).transpose()?;
        Ok(Self {
            room_id,
            version,
            create_sender,
            creator,
            creators,
            federate,
            join_rules: JoinRules::Absent,
            power_levels,
            members: HashMap::new(),
            knockers: BTreeSet::new(),
            only_create: true,
        })
    }

    /// Parses and validates one state event without changing anything.
    fn parse_change(&self, event: &RawEvent<'_>) -> Result<Change> {
        let state_key = event.state_key.as_deref().unwrap_or_default();
        Ok(match (event.kind.as_ref(), state_key) {
            ("m.room.member", user) => {
                let user = parse_user_id(user)?;
                Change::Member(user.into(), member_from_event(event)?)
            }
            ("m.room.join_rules", "") => Change::JoinRules(JoinRules::parse(event.content)),
            ("m.room.power_levels", "") => Change::PowerLevels(PowerLevels::parse(
                event.content,
                &self.version,
                &self.creators,
            )?),
            _ => Change::Other,
        })
    }

    fn commit(&mut self, change: Change) {
        match change {
            Change::Member(user, member) => {
                if member.membership == MembershipState::Knock {
                    self.knockers.insert(user.clone());
                } else {
                    self.knockers.remove(&user);
                }
                self.members.insert(user, member);
            }
            Change::JoinRules(rules) => self.join_rules = rules,
            Change::PowerLevels(levels) => self.power_levels = levels,
            Change::Other => {}
        }
    }

    /// Applies one more state event; on error nothing changes.
    pub fn apply_event(&mut self, event: &RawEvent<'_>) -> Result<Option<Ignored>> {
        if event.state_key.is_none() {
            return Ok(Some(Ignored::NotStateEvent));
        }
        if let (Some(id), Some(ours)) = (event.room_id.as_deref(), &self.room_id) {
            if id != ours.as_str() {
                return Ok(Some(Ignored::OtherRoom));
            }
        }
        if event.kind == "m.room.create" {
            return Ok(Some(Ignored::CreateEvent));
        }
        let change = self.parse_change(event)?;
        if self.room_id.is_none() {
            if let Some(id) = event.room_id.as_deref() {
                self.room_id = Some(parse_room_id(id)?);
            }
        }
        self.commit(change);
        self.only_create = false;
        Ok(None)
    }

    /// Sets the room ID (a sync response names rooms by key, not in events).
    pub fn set_room_id(&mut self, room_id: OwnedRoomId) {
        self.room_id = Some(room_id);
    }

    /// The room ID, when the events carried one.
    pub fn room_id(&self) -> Option<&RoomId> {
        self.room_id.as_deref()
    }

    /// The room version.
    pub fn version(&self) -> &RoomVersion {
        &self.version
    }

    /// The sender of `m.room.create`.
    pub fn create_sender(&self) -> &UserId {
        &self.create_sender
    }

    /// The creator whose first join is always allowed.
    pub fn creator(&self) -> &UserId {
        &self.creator
    }

    /// Creators with creator privileges (several in v12).
    pub fn creators(&self) -> &[OwnedUserId] {
        &self.creators
    }

    /// `m.federate` of the create event.
    pub fn federate(&self) -> bool {
        self.federate
    }

    /// Whether the state holds only the create event.
    pub fn only_create(&self) -> bool {
        self.only_create
    }

    /// The join rule the room's `m.room.join_rules` event names; `None` when there is no such
    /// event, it names none, or its `join_rule` is not a string.
    pub fn join_rule(&self) -> Option<&JoinRule> {
        match &self.join_rules {
            JoinRules::Rule(rule) => Some(rule),
            JoinRules::Absent | JoinRules::Malformed => None,
        }
    }

    /// The join rule the auth rules apply: homeservers (Synapse) read a missing event or a
    /// missing `join_rule` as `invite`; a `join_rule` that is not a string matches no rule.
    pub fn effective_join_rule(&self) -> Option<&JoinRule> {
        static INVITE: JoinRule = JoinRule::Invite;
        match &self.join_rules {
            JoinRules::Rule(rule) => Some(rule),
            JoinRules::Absent => Some(&INVITE),
            JoinRules::Malformed => None,
        }
    }

    /// Whether the room has no `m.room.join_rules` event naming a rule (read as `invite`).
    pub fn join_rule_absent(&self) -> bool {
        matches!(self.join_rules, JoinRules::Absent)
    }

    /// A user's current member event.
    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.get(user_id)
    }

    /// A user's membership; no member event means `leave`.
    pub fn membership(&self, user_id: &str) -> MembershipState {
        self.member(user_id)
            .map_or(MembershipState::Leave, |m| m.membership.clone())
    }

    /// A user's power level.
    pub fn power_level(&self, user_id: &UserId) -> UserPowerLevel {
        self.power_levels.user(user_id)
    }

    /// The room's power levels.
    pub fn power_levels(&self) -> &PowerLevels {
        &self.power_levels
    }

    /// Members with a given membership.
    pub fn members_with<'a>(
        &'a self,
        membership: &'a MembershipState,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.members
            .iter()
            .filter(move |(_, m)| m.membership == *membership)
            .map(|(user, _)| user.as_str())
    }

    /// Pending knocks, oldest first (ties by user ID).
    pub fn knock_requests(&self) -> Vec<KnockRequest<'_>> {
        let mut requests: Vec<_> = self
            .knockers
            .iter()
            .map(|user| KnockRequest {
                user_id: user,
                details: self.members.get(user).and_then(|m| m.details.as_deref()),
            })
            .collect();
        requests.sort_by_key(|r| (r.origin_server_ts(), r.user_id));
        requests
    }

    /// Number of member events held.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }
}

fn member_from_event(event: &RawEvent<'_>) -> Result<Member> {
    let content = MemberContent::parse(event.content)?;
    let membership = content.membership();
    let plain_self_event = event.state_key.as_deref() == Some(event.sender.as_ref())
        && content.reason.is_none()
        && !content.other_keys;
    let details = (membership != MembershipState::Join).then(|| {
        let unsigned = Unsigned::parse(event.unsigned);
        Box::new(MemberDetails {
            sender: event.sender.clone().into_owned(),
            event_id: event.event_id.as_deref().map(str::to_owned),
            origin_server_ts: event.origin_server_ts,
            reason: content.reason,
            displayname: content.displayname,
            avatar_url: content.avatar_url,
            prev_membership: unsigned.prev_membership().map(MembershipState::from),
            other_keys: content.other_keys,
        })
    });
    Ok(Member {
        membership,
        details,
        plain_self_event,
    })
}

/// The room's `m.room.join_rules`, as homeservers read it.
#[derive(Clone, Debug)]
enum JoinRules {
    /// No event, or no `join_rule` key: read as `invite`.
    Absent,
    /// A rule; a bad `allow` list is emptied, as servers ignore invalid entries.
    Rule(JoinRule),
    /// `join_rule` is not a string: no rule matches it.
    Malformed,
}

impl JoinRules {
    fn parse(content: &RawValue) -> Self {
        #[derive(Deserialize)]
        struct Kind {
            #[serde(default)]
            join_rule: Option<serde_json::Value>,
        }
        let Ok(Obj(kind)) = serde_json::from_str::<Obj<Kind>>(content.get()) else {
            return Self::Malformed;
        };
        match kind.join_rule {
            None => Self::Absent,
            Some(serde_json::Value::String(rule)) => {
                serde_json::from_str::<JoinRule>(content.get())
                    .ok()
                    .or_else(|| {
                        serde_json::from_value(serde_json::json!({ "join_rule": rule })).ok()
                    })
                    .map_or(Self::Malformed, Self::Rule)
            }
            Some(_) => Self::Malformed,
        }
    }
}

/// Parses a user ID (historical forms allowed, as servers accept them).
pub fn parse_user_id(user: &str) -> Result<OwnedUserId> {
    UserId::parse(user).map_err(|e| {
        Error::new(
            ErrorCode::InvalidUserId,
            format!("{user:?} is not a valid user ID: {e}"),
        )
    })
}

/// Parses a room ID.
pub fn parse_room_id(room: &str) -> Result<OwnedRoomId> {
    RoomId::parse(room).map_err(|e| {
        Error::new(
            ErrorCode::InvalidRoomId,
            format!("{room:?} is not a valid room ID: {e}"),
        )
    })
}
