//! The state of one room as a client sees it: create facts, join rule, power levels, members.

use std::{borrow::Cow, collections::HashMap};

use ruma_common::{OwnedRoomId, OwnedUserId, RoomId, UserId};
use ruma_events::room::{member::MembershipState, power_levels::UserPowerLevel};

use super::{
    error::{Error, ErrorCode, Result},
    event::{MemberEvent, RawEvent},
    event_stream::{for_each_event, SliceSource, Source},
    join_rules::{JoinRule, JoinRules},
    json::{self, Raw},
    member::{Member, MemberDetails},
    power_levels::PowerLevels,
    version::RoomVersion,
};

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
        self.details.and_then(|d| d.reason())
    }

    /// The display name.
    pub fn displayname(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.displayname())
    }

    /// The avatar URL.
    pub fn avatar_url(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.avatar_url())
    }

    /// The knock event's ID.
    pub fn event_id(&self) -> Option<&'a str> {
        self.details.and_then(|d| d.event_id())
    }

    /// When the knock was sent (ms).
    pub fn origin_server_ts(&self) -> Option<u64> {
        self.details.and_then(|d| d.origin_server_ts)
    }
}

/// What applying an event did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Why the event was ignored, if it was.
    pub ignored: Option<Ignored>,
    /// How the member's place in the knock queue changed.
    pub queue: QueueMove,
}

impl Applied {
    fn ignored(why: Ignored) -> Self {
        Self {
            ignored: Some(why),
            queue: QueueMove::default(),
        }
    }
}

/// A knocker's move in the queue of [`RoomState::knock_requests`]: out of index `from` (before
/// the event), into index `to` (after it), either absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueMove {
    /// Index before the event, when the member was knocking.
    pub from: Option<usize>,
    /// Index after the event, when the member knocks now.
    pub to: Option<usize>,
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
    members: HashMap<Box<str>, Member>,
    /// Users whose membership is `knock`, in queue order (oldest first, ties by user ID): the
    /// queue without scanning or sorting every member.
    knockers: Vec<QueueKey>,
    /// State holds nothing but the create event.
    only_create: bool,
}

/// A knocker's place in the queue: knock timestamp, then user ID.
type QueueKey = (Option<u64>, String);

/// The parts of `m.room.create` content we read (`null` counts as absent).
/// The `m.room.create` content fields the rules read, each as its JSON text.
#[derive(Default)]
struct CreateContent<'a> {
    room_version: Option<Raw<'a>>,
    creator: Option<Raw<'a>>,
    additional_creators: Option<Raw<'a>>,
    federate: Option<Raw<'a>>,
}

impl<'a> CreateContent<'a> {
    /// Reads the content object: `null` reads as absent, a repeated field is refused.
    fn read(text: &'a str) -> json::Result<Self> {
        let (mut room_version, mut creator, mut additional_creators, mut federate) =
            (None, None, None, None);
        json::read_str(text, |de| {
            de.object("m.room.create content (an object)", |de, key| match key {
                "room_version" => json::once(&mut room_version, "room_version", || de.opt_raw()),
                "creator" => json::once(&mut creator, "creator", || de.opt_raw()),
                "additional_creators" => {
                    json::once(&mut additional_creators, "additional_creators", || {
                        de.opt_raw()
                    })
                }
                "m.federate" => json::once(&mut federate, "m.federate", || de.opt_raw()),
                _ => de.skip(),
            })
        })?;
        Ok(Self {
            room_version: room_version.flatten(),
            creator: creator.flatten(),
            additional_creators: additional_creators.flatten(),
            federate: federate.flatten(),
        })
    }
}

/// One parsed state change, validated before anything is mutated.
enum Change<'a> {
    Member(&'a UserId, MemberEvent<'a>),
    JoinRules(JoinRules),
    PowerLevels(PowerLevels),
    Other,
}

impl RoomState {
    /// Builds the state from the JSON text of an array of client-format state events.
    pub fn from_json(text: &str) -> Result<Self> {
        Self::from_source(SliceSource(text.as_bytes()))
    }

    /// Builds the state from a JSON array of state events read from `source` in one pass,
    /// through a fixed window; later events for the same state key win.
    pub fn from_source(source: impl Source) -> Result<Self> {
        let mut builder = Builder::default();
        // Room for the members a state of this size usually holds (a member event is rarely
        // under 512 bytes of JSON), so the map does not rehash all the way up.
        builder.members.reserve(source.size_hint() / 512);
        for_each_event(source, |index, event| builder.push(index, &event))?;
        builder.finish()
    }

    /// Starts a room from its `m.room.create` event alone.
    pub fn from_create(event: &RawEvent<'_>) -> Result<Self> {
        let invalid = |m: String| Error::new(ErrorCode::InvalidCreate, m);
        let content = CreateContent::read(event.content.get())
            .map_err(|e| invalid(format!("m.room.create content: {e}")))?;
        let string = |raw: Raw<'_>, what: &str| {
            json::read_str(raw.get(), |de| de.str("a string").map(Cow::into_owned))
                .map_err(|_| invalid(format!("{what} is {}, not a string", raw.get())))
        };
        let version = match content.room_version {
            None => RoomVersion::parse("1")?,
            Some(raw) => RoomVersion::parse(&string(raw, "room_version")?)?,
        };
        let create_sender = parse_user_id(&event.sender)?;
        let rules = version.rules();
        let creator = match (content.creator, rules.use_room_create_sender) {
            (Some(raw), false) => parse_user_id(&string(raw, "creator")?)?,
            // `creator` is always equal to the sender; fall back to it when it is missing.
            _ => create_sender.clone(),
        };
        let mut creators = vec![creator.clone()];
        if let (Some(raw), true) = (content.additional_creators, rules.additional_room_creators) {
            let mut list = Vec::new();
            let read = json::read_str(raw.get(), |de| {
                de.array("a list of user IDs", |de| {
                    list.push(de.str("a user ID")?);
                    Ok(())
                })
            });
            read.map_err(|_| {
                invalid(format!(
                    "additional_creators is {}, not a list of user IDs",
                    raw.get()
                ))
            })?;
            for user in list {
                creators.push(parse_user_id(&user)?);
            }
        }
        let power_levels = PowerLevels::absent(&version, &creators);
        let federate = content.federate.is_none_or(|raw| raw.get() != "false");
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
            knockers: Vec::new(),
            only_create: true,
        })
    }

    /// Parses and validates one state event without changing anything.
    fn parse_change<'a>(&self, event: &'a RawEvent<'_>) -> Result<Change<'a>> {
        if event.kind == "m.room.member" {
            // The state key first: when it and the content are both bad, its error is reported.
            let user = check_user_id(event.state_key.as_deref().unwrap_or_default())?;
            return Ok(Change::Member(user, event.member_event()?));
        }
        Ok(match (event.kind.as_ref(), event.state_key.as_deref()) {
            ("m.room.join_rules", Some("")) => Change::JoinRules(JoinRules::parse(event.content)),
            ("m.room.power_levels", Some("")) => Change::PowerLevels(PowerLevels::parse(
                event.content.get(),
                &self.version,
                &self.creators,
            )?),
            _ => Change::Other,
        })
    }

    /// Makes a validated change; says where a member's knock moved in the queue.
    fn commit(&mut self, change: Change<'_>) -> QueueMove {
        match change {
            Change::Member(user, event) => return self.commit_member(user.as_str(), &event),
            Change::JoinRules(rules) => self.join_rules = rules,
            Change::PowerLevels(levels) => self.power_levels = levels,
            Change::Other => {}
        }
        QueueMove::default()
    }

    /// Sets a user's member event: a known member is updated in place (one hash lookup, its
    /// strings' memory reused), and the user's knock moves in the queue.
    fn commit_member(&mut self, user: &str, event: &MemberEvent<'_>) -> QueueMove {
        let mut moved = QueueMove::default();
        // The key the user's knock leaves, whose string a knock again reuses.
        let mut left = None;
        let ts = match self.members.get_mut(user) {
            Some(member) => {
                if member.is_knock() {
                    moved.from = queue_position(&self.knockers, member.origin_server_ts(), user);
                    left = moved.from.map(|index| self.knockers.remove(index));
                }
                member.update(event);
                member.is_knock().then(|| member.origin_server_ts())
            }
            None => {
                let member = Member::from_event(event);
                let ts = member.is_knock().then(|| member.origin_server_ts());
                self.members.insert(user.into(), member);
                ts
            }
        };
        if let Some(ts) = ts {
            let key = (ts, left.map_or_else(|| user.to_owned(), |(_, user)| user));
            let (Ok(index) | Err(index)) = self.knockers.binary_search(&key);
            self.knockers.insert(index, key);
            moved.to = Some(index);
        }
        moved
    }

    /// Applies one more state event; on error nothing changes.
    pub fn apply_event(&mut self, event: &RawEvent<'_>) -> Result<Option<Ignored>> {
        self.apply(event).map(|applied| applied.ignored)
    }

    /// [`Self::apply_event`], also saying how the knock queue changed.
    pub fn apply(&mut self, event: &RawEvent<'_>) -> Result<Applied> {
        if event.state_key.is_none() {
            return Ok(Applied::ignored(Ignored::NotStateEvent));
        }
        if let Some(ignored) = self.other_room(event.room_id.as_deref()) {
            return Ok(Applied::ignored(ignored));
        }
        if event.kind == "m.room.create" {
            return Ok(Applied::ignored(Ignored::CreateEvent));
        }
        let change = self.parse_change(event)?;
        self.commit_from(change, event.room_id.as_deref())
    }

    /// [`Self::apply`] for an `m.room.member` event read field by field: the same checks in
    /// the same order, so both readings of one event end alike.
    pub fn apply_member(&mut self, event: &MemberEvent<'_>) -> Result<Applied> {
        if let Some(ignored) = self.other_room(event.room_id) {
            return Ok(Applied::ignored(ignored));
        }
        let user = check_user_id(event.state_key)?;
        self.commit_from(Change::Member(user, event.clone()), event.room_id)
    }

    /// `OtherRoom` when the event names a room and it is not this one.
    fn other_room(&self, room_id: Option<&str>) -> Option<Ignored> {
        match (room_id, &self.room_id) {
            (Some(id), Some(ours)) if id != ours.as_str() => Some(Ignored::OtherRoom),
            _ => None,
        }
    }

    /// Commits a change from an event naming `room_id`, which becomes the room's ID if it
    /// had none (and must be valid).
    fn commit_from(&mut self, change: Change<'_>, room_id: Option<&str>) -> Result<Applied> {
        if self.room_id.is_none() {
            if let Some(id) = room_id {
                self.room_id = Some(parse_room_id(id)?);
            }
        }
        let queue = self.commit(change);
        self.only_create = false;
        Ok(Applied {
            ignored: None,
            queue,
        })
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
            .map_or(MembershipState::Leave, Member::membership)
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
            .filter(move |(_, m)| m.membership() == *membership)
            .map(|(user, _)| &**user)
    }

    /// Pending knocks, oldest first (ties by user ID).
    pub fn knock_requests(&self) -> Vec<KnockRequest<'_>> {
        self.knockers
            .iter()
            .map(|(_, user)| self.knock_request_of(user))
            .collect()
    }

    /// How many knocks are pending.
    pub fn knock_count(&self) -> usize {
        self.knockers.len()
    }

    /// The pending knock at `index` in [`Self::knock_requests`].
    pub fn knock_request_at(&self, index: usize) -> Option<KnockRequest<'_>> {
        let (_, user) = self.knockers.get(index)?;
        Some(self.knock_request_of(user))
    }

    fn knock_request_of<'a>(&'a self, user: &'a str) -> KnockRequest<'a> {
        KnockRequest {
            user_id: user,
            details: self.members.get(user).and_then(|m| m.details.as_deref()),
        }
    }

    /// Number of member events held.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }
}

/// The state read so far while building a room in one pass. Member events do not depend on
/// the room version, so they are kept as they come; power levels wait for the create event,
/// which may come anywhere in the array.
#[derive(Default)]
struct Builder {
    room_id: Option<String>,
    /// The room as the last `m.room.create` event starts it (or why it cannot).
    create: Option<Result<RoomState>>,
    members: HashMap<Box<str>, Member>,
    /// Users seen knocking (some may have moved on since).
    knocks: Vec<String>,
    join_rules: Option<JoinRules>,
    power_levels: Vec<String>,
    state_keys: usize,
}

impl Builder {
    fn push(&mut self, index: usize, event: &RawEvent<'_>) -> Result<()> {
        let Some(state_key) = event.state_key.as_deref() else {
            return Err(Error::new(
                ErrorCode::InvalidEvent,
                format!(
                    "event {index} ({}) has no state_key: not a state event",
                    event.kind
                ),
            ));
        };
        if let Some(id) = event.room_id.as_deref() {
            match &self.room_id {
                Some(first) if first != id => {
                    return Err(Error::new(
                        ErrorCode::RoomIdMismatch,
                        format!("event {index} is for {id}, earlier events for {first}"),
                    ))
                }
                Some(_) => {}
                None => self.room_id = Some(id.to_owned()),
            }
        }
        match (event.kind.as_ref(), state_key) {
            ("m.room.create", "") => {
                self.create = Some(RoomState::from_create(event));
                return Ok(());
            }
            ("m.room.create", _) => return Ok(()),
            ("m.room.join_rules", "") => {
                self.join_rules = Some(JoinRules::parse(event.content));
            }
            ("m.room.power_levels", "") => self.power_levels.push(event.content.get().to_owned()),
            _ => {}
        }
        if event.kind == "m.room.member" {
            let user = check_user_id(state_key)?.as_str();
            let member = Member::from_event(&event.member_event()?);
            if member.is_knock() {
                self.knocks.push(user.to_owned());
            }
            self.members.insert(user.into(), member);
        }
        self.state_keys += 1;
        Ok(())
    }

    fn finish(self) -> Result<RoomState> {
        let mut state = self.create.ok_or_else(|| {
            Error::new(
                ErrorCode::MissingCreate,
                "the state has no m.room.create event",
            )
        })??;
        if let Some(id) = &self.room_id {
            state.room_id = Some(parse_room_id(id)?);
        }
        for content in &self.power_levels {
            state.power_levels = PowerLevels::parse(content, &state.version, &state.creators)?;
        }
        if let Some(rules) = self.join_rules {
            state.join_rules = rules;
        }
        let mut knockers: Vec<QueueKey> = self
            .knocks
            .into_iter()
            .filter_map(|user| {
                let member = self.members.get(user.as_str())?;
                member.is_knock().then(|| (member.origin_server_ts(), user))
            })
            .collect();
        knockers.sort_unstable();
        knockers.dedup();
        state.knockers = knockers;
        state.members = self.members;
        state.only_create = self.state_keys == 0;
        Ok(state)
    }
}

/// Where a knock with this key is in the queue (a binary search, not a scan).
fn queue_position(knockers: &[QueueKey], ts: Option<u64>, user: &str) -> Option<usize> {
    knockers
        .binary_search_by(|(t, u)| (*t, u.as_str()).cmp(&(ts, user)))
        .ok()
}

/// Parses a user ID (historical forms allowed, as servers accept them).
pub fn parse_user_id(user: &str) -> Result<OwnedUserId> {
    check_user_id(user).map(ToOwned::to_owned)
}

/// [`parse_user_id`] without the copy.
pub fn check_user_id(user: &str) -> Result<&UserId> {
    <&UserId>::try_from(user).map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn create(content: &str) -> Result<RoomState> {
        let text = format!(
            r#"{{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{content}}}"#
        );
        RoomState::from_create(&RawEvent::from_json(&text)?)
    }

    #[test]
    fn a_bad_state_key_is_reported_before_bad_member_content() {
        let event = r#"{"type":"m.room.member","state_key":"nope","sender":"@a:hs","content":{"membership":5}}"#;
        let event = RawEvent::from_json(event).unwrap();
        let mut room = create(r#"{"room_version":"10"}"#).unwrap();
        assert_eq!(
            room.apply_event(&event).unwrap_err().code,
            ErrorCode::InvalidUserId
        );
        let state = format!(
            r#"[{{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{{}}}},{}]"#,
            r#"{"type":"m.room.member","state_key":"nope","sender":"@a:hs","content":{"membership":5}}"#
        );
        assert_eq!(
            RoomState::from_json(&state).unwrap_err().code,
            ErrorCode::InvalidUserId
        );
    }

    #[test]
    fn a_member_updated_in_place_equals_one_built_afresh() {
        let create = r#"{"type":"m.room.create","state_key":"","sender":"@c:hs","content":{"room_version":"10"}}"#;
        let mut room = RoomState::from_json(&format!("[{create}]")).unwrap();
        let mut events = vec![create.to_owned()];
        let mut seed = 11u32;
        let mut pick = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as usize % n
        };
        let users = ["@a:hs", "@b:hs", "@c2:hs", "@d:hs"];
        let memberships = [
            "knock", "knock", "join", "leave", "invite", "ban", "x.custom", "y",
        ];
        let texts = [
            None,
            Some("x"),
            Some("a much longer reason than the one before it"),
        ];
        for i in 0..400 {
            let user = users[pick(users.len())];
            let membership = memberships[pick(memberships.len())];
            let mut content = format!(r#""membership":"{membership}""#);
            let [reason, displayname, avatar_url] = [(); 3].map(|()| texts[pick(texts.len())]);
            for (key, text) in [
                ("reason", reason),
                ("displayname", displayname),
                ("avatar_url", avatar_url),
            ] {
                if let Some(text) = text {
                    content.push_str(&format!(r#","{key}":"{text}""#));
                }
            }
            let sender = if pick(2) == 0 { user } else { "@c:hs" };
            let ts = Some(pick(3) as u64 * 10).filter(|&ts| ts > 0);
            let ts_field = ts.map_or(String::new(), |ts| format!(r#","origin_server_ts":{ts}"#));
            let event = format!(
                r#"{{"type":"m.room.member","state_key":"{user}","sender":"{sender}","event_id":"$e{i}"{ts_field},"content":{{{content}}}}}"#
            );
            room.apply_event(&RawEvent::from_json(&event).unwrap())
                .unwrap();
            events.push(event);
            let member = room.member(user).unwrap();
            assert_eq!(member.membership().as_str(), membership);
            assert_eq!(member.plain_self_event, sender == user && reason.is_none());
            if let Some(details) = member.details.as_deref() {
                let got = [
                    details.reason(),
                    details.displayname(),
                    details.avatar_url(),
                ];
                assert_eq!(got, [reason, displayname, avatar_url]);
                assert_eq!(details.sender(), sender);
                assert_eq!(details.origin_server_ts, ts);
                assert_eq!(details.event_id(), Some(format!("$e{i}").as_str()));
            } else {
                assert_eq!(membership, "join", "only a joined member has no details");
            }
            let fresh = RoomState::from_json(&format!("[{}]", events.join(","))).unwrap();
            for user in users {
                assert_eq!(
                    room.member(user),
                    fresh.member(user),
                    "{user} after event {i}"
                );
            }
            assert_eq!(
                room.knock_requests(),
                fresh.knock_requests(),
                "after event {i}"
            );
        }
    }

    #[test]
    fn create_content_is_read_field_by_field() {
        let room = create(r#"{"room_version":null,"other":[{}]}"#).unwrap();
        assert_eq!(
            room.version().number(),
            1,
            "null reads as absent: version 1"
        );
        let room = create(r#"{"room_version":"12","additional_creators":["@a:hs"]}"#).unwrap();
        assert_eq!(room.creators().len(), 2);
        let room = create(r#"{"room_version":"10","m.federate":false}"#).unwrap();
        assert!(!room.federate());
        assert!(create(r#"{"room_version":"10","m.federate":null}"#)
            .unwrap()
            .federate());
        for (content, code) in [
            (
                r#"{"room_version":"10","room_version":"10"}"#,
                ErrorCode::InvalidCreate,
            ),
            (r#"{"room_version":10}"#, ErrorCode::InvalidCreate),
            (
                r#"{"room_version":"12","additional_creators":["@a:hs",null]}"#,
                ErrorCode::InvalidCreate,
            ),
            (
                r#"{"room_version":"12","additional_creators":"@a:hs"}"#,
                ErrorCode::InvalidCreate,
            ),
            (
                r#"{"room_version":"12","additional_creators":["a"]}"#,
                ErrorCode::InvalidUserId,
            ),
            (
                r#"{"room_version":"99"}"#,
                ErrorCode::UnsupportedRoomVersion,
            ),
            ("[]", ErrorCode::InvalidCreate),
        ] {
            assert_eq!(
                create(content).map(|_| ()).unwrap_err().code,
                code,
                "{content}"
            );
        }
    }
}
