//! A logged-in user's view of knocking, fed by `/sync`: own knocks on one side of the door,
//! the moderator queue of every joined room on the other. Sans-IO: time comes in as `now_ms`.

use std::{borrow::Cow, collections::HashMap};

use ruma_common::OwnedUserId;
use ruma_events::room::member::MembershipState;

use super::{
    decision::{Action, Decision},
    error::{Error, ErrorCode, Result},
    event::{MemberContent, RawEvent, Unsigned},
    json,
    lifecycle::{Change, ChangeKind, KnockStatus, MyKnock},
    member::Member,
    preview::RoomPreview,
    request::{self, Request, RequestOptions},
    room::{check_user_id, parse_room_id, parse_user_id, KnockRequest, RoomState},
    rules::Context,
    sync::{parse_events, SyncResponse},
};

/// A pending knock in a joined room, as one moderator sees it.
#[derive(Clone, Debug)]
pub struct QueueEntry<'a> {
    /// The knock.
    pub request: KnockRequest<'a>,
    /// Whether this user marked this very knock event as seen.
    pub seen: bool,
    /// May this user accept, decline, ban?
    pub accept: Decision,
    /// See `accept`.
    pub decline: Decision,
    /// See `accept`.
    pub ban: Decision,
}

/// The user's knocking state across rooms.
#[derive(Clone, Debug)]
pub struct Session {
    user_id: OwnedUserId,
    rooms: HashMap<String, RoomState>,
    /// By room ID. Hash maps rather than B-trees here: each B-tree key/value type compiles its
    /// own copy of the tree code (~5 kB of gzipped wasm for these two); order is applied when
    /// listing ([`sorted_keys`]).
    knocks: HashMap<String, MyKnock>,
    seen: SeenMarks,
    /// Servers knocked via, by room ID or alias, from the requests this session built.
    via: HashMap<String, Vec<String>>,
}

/// Seen marks: room ID → (knock event ID → knocker), so a re-knock (new event) is unseen again.
pub type SeenMarks = HashMap<String, HashMap<String, String>>;

/// Reads seen marks exported as JSON text (`{room ID: {event ID: user ID}}`); as in any JSON
/// object, a repeated key keeps its last value.
pub fn parse_seen(text: &str) -> Result<SeenMarks> {
    let marks = json::read_str(text, |de| {
        let mut marks = SeenMarks::new();
        de.object("seen marks by room ID (an object)", |de, room_id| {
            let mut events = HashMap::new();
            de.object("seen marks by event ID (an object)", |de, event_id| {
                let user_id = de.str("a user ID (a string)")?;
                events.insert(event_id.to_owned(), user_id.into_owned());
                Ok(())
            })?;
            marks.insert(room_id.to_owned(), events);
            Ok(())
        })?;
        Ok(marks)
    });
    marks.map_err(|e| {
        let code = if e.is_data() {
            ErrorCode::InvalidInput
        } else {
            ErrorCode::InvalidJson
        };
        Error::new(code, format!("not exported seen marks: {e}"))
    })
}

/// A map's keys in order: the one string sort the crate compiles (listings, exports).
pub fn sorted_keys<V>(map: &HashMap<String, V>) -> Vec<&str> {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// A knocker's event in a queue snapshot.
type QueueSnapshot = HashMap<String, Option<String>>;

impl Session {
    /// A session for a user.
    pub fn new(user_id: &str) -> Result<Self> {
        Ok(Self {
            user_id: parse_user_id(user_id)?,
            rooms: HashMap::new(),
            knocks: HashMap::new(),
            seen: HashMap::new(),
            via: HashMap::new(),
        })
    }

    /// The user.
    pub fn user_id(&self) -> &str {
        self.user_id.as_str()
    }

    /// Ingests a `/sync` response (JSON text). Only a malformed envelope is an error, and then
    /// nothing changes; malformed events inside are skipped and reported.
    pub fn ingest_sync(&mut self, text: &str, now_ms: u64) -> Result<Vec<Change>> {
        let sync = SyncResponse::from_json(text)?;
        let mut changes = Vec::new();
        for (room_id, joined) in &sync.rooms.join {
            let mut skipped = 0;
            let state = joined.state_after.as_ref().unwrap_or(&joined.state);
            let mut events = parse_events(&state.events, &mut skipped);
            if joined.state_after.is_none() {
                let timeline = parse_events(&joined.timeline.events, &mut skipped);
                events.extend(timeline.into_iter().filter(|e| e.state_key.is_some()));
            }
            self.ingest_joined(room_id, &events, &mut skipped, now_ms, &mut changes);
            if skipped > 0 {
                changes.push(Change {
                    count: skipped,
                    ..Change::new(ChangeKind::EventsSkipped, room_id)
                });
            }
        }
        for (room_id, invited) in &sync.rooms.invite {
            let events = parse_events(&invited.invite_state.events, &mut 0);
            self.ingest_invite(room_id, &events, now_ms, &mut changes);
        }
        for (room_id, knocked) in &sync.rooms.knock {
            let events = parse_events(&knocked.knock_state.events, &mut 0);
            self.ingest_knock(room_id, &events, now_ms, &mut changes);
        }
        for (room_id, left) in &sync.rooms.leave {
            let mut skipped = 0;
            let mut events = parse_events(&left.state.events, &mut skipped);
            events.extend(parse_events(&left.timeline.events, &mut skipped));
            self.ingest_leave(room_id, &events, now_ms, &mut changes);
        }
        Ok(changes)
    }

    fn ingest_joined(
        &mut self,
        room_id: &str,
        events: &[RawEvent<'_>],
        skipped: &mut usize,
        now_ms: u64,
        changes: &mut Vec<Change>,
    ) {
        let before = self
            .rooms
            .get(room_id)
            .map(queue_snapshot)
            .unwrap_or_default();
        if !self.rooms.contains_key(room_id) {
            let Some(room) = new_room(room_id, events) else {
                changes.push(Change::new(ChangeKind::RoomIncomplete, room_id));
                return;
            };
            self.rooms.insert(room_id.to_owned(), room);
        }
        let Some(room) = self.rooms.get_mut(room_id) else {
            return;
        };
        for event in events.iter().filter(|e| e.kind != "m.room.create") {
            match room.apply_event(event) {
                Ok(None) => {}
                Ok(Some(_)) | Err(_) => *skipped += 1,
            }
        }
        diff_queue(room_id, room, &before, changes);
        let seen = self.seen.entry(room_id.to_owned()).or_default();
        seen.retain(|event_id, user| {
            room.member(user)
                .is_some_and(|m| m.is_knock() && m.event_id() == Some(event_id))
        });
        if matches!(
            room.membership(self.user_id.as_str()),
            MembershipState::Join
        ) {
            if let Some(knock) = self.knocks.get_mut(room_id) {
                if matches!(knock.status, KnockStatus::Pending | KnockStatus::Accepted) {
                    knock.status = KnockStatus::Joined;
                    knock.since = now_ms;
                    changes.push(Change::new(ChangeKind::KnockJoined, room_id));
                }
            }
        }
    }

    fn ingest_invite(
        &mut self,
        room_id: &str,
        events: &[RawEvent<'_>],
        now_ms: u64,
        changes: &mut Vec<Change>,
    ) {
        self.rooms.remove(room_id);
        let Some(knock) = self.knocks.get_mut(room_id) else {
            return;
        };
        if knock.status != KnockStatus::Pending {
            return;
        }
        let own = own_member_event(events, self.user_id.as_str());
        knock.status = KnockStatus::Accepted;
        knock.since = now_ms;
        knock.decided_by = own.as_ref().map(|(e, _)| e.sender.clone().into_owned());
        knock.decision_reason = own.and_then(|(_, c)| c.reason).map(Cow::into_owned);
        let preview = RoomPreview::from_stripped(events);
        if preview != RoomPreview::default() {
            knock.preview = preview;
        }
        changes.push(Change {
            by: knock.decided_by.clone(),
            reason: knock.decision_reason.clone(),
            ..Change::new(ChangeKind::KnockAccepted, room_id)
        });
    }

    fn ingest_knock(
        &mut self,
        room_id: &str,
        events: &[RawEvent<'_>],
        now_ms: u64,
        changes: &mut Vec<Change>,
    ) {
        self.rooms.remove(room_id);
        let reason = own_member_event(events, self.user_id.as_str()).and_then(|(_, c)| c.reason);
        let preview = RoomPreview::from_stripped(events);
        let remote = self.is_remote(room_id, &preview);
        let via = self.via.get(room_id).cloned().unwrap_or_default();
        let knock = self
            .knocks
            .entry(room_id.to_owned())
            .or_insert_with(|| MyKnock::new(room_id, KnockStatus::Declined, now_ms));
        let newly = knock.status != KnockStatus::Pending;
        if newly {
            *knock = MyKnock {
                status: KnockStatus::Pending,
                since: now_ms,
                knocked_at: Some(now_ms),
                decided_by: None,
                decision_reason: None,
                ..knock.clone()
            };
        }
        knock.reason = reason.map(Cow::into_owned);
        knock.preview = preview;
        knock.remote = remote;
        if !via.is_empty() {
            knock.via = via;
        }
        if newly {
            changes.push(Change {
                reason: knock.reason.clone(),
                ..Change::new(ChangeKind::KnockSent, room_id)
            });
        }
    }

    fn ingest_leave(
        &mut self,
        room_id: &str,
        events: &[RawEvent<'_>],
        now_ms: u64,
        changes: &mut Vec<Change>,
    ) {
        self.rooms.remove(room_id);
        self.seen.remove(room_id);
        let me = self.user_id.as_str();
        let Some((event, content)) = own_member_event(events, me) else {
            return;
        };
        let unsigned = Unsigned::parse(event.unsigned);
        let prev = unsigned.prev_membership();
        let record = self.knocks.get(room_id).map(|k| k.status);
        let was = |status: KnockStatus, membership: &str| {
            record == Some(status) || prev == Some(membership)
        };
        let by_me = event.sender == me;
        let status = match content.membership() {
            MembershipState::Leave if was(KnockStatus::Pending, "knock") => {
                if by_me {
                    KnockStatus::Rescinded
                } else {
                    KnockStatus::Declined
                }
            }
            // The invite that accepted the knock: rejected by the user, or revoked.
            MembershipState::Leave if record == Some(KnockStatus::Accepted) => {
                if by_me {
                    KnockStatus::Rescinded
                } else {
                    KnockStatus::Declined
                }
            }
            // Only a ban this session saw as part of a knock makes an unban a knock matter.
            MembershipState::Leave if !by_me && record == Some(KnockStatus::Banned) => {
                KnockStatus::Unbanned
            }
            MembershipState::Ban if record.is_some() || prev == Some("knock") => {
                KnockStatus::Banned
            }
            _ => return,
        };
        if record == Some(status) {
            return;
        }
        let kind = match status {
            KnockStatus::Rescinded => ChangeKind::KnockRescinded,
            KnockStatus::Declined => ChangeKind::KnockDeclined,
            KnockStatus::Unbanned => ChangeKind::KnockUnbanned,
            _ => ChangeKind::KnockBanned,
        };
        let since = event.origin_server_ts.unwrap_or(now_ms);
        let decided_by = (!by_me).then(|| event.sender.clone().into_owned());
        let knock = self
            .knocks
            .entry(room_id.to_owned())
            .or_insert_with(|| MyKnock::new(room_id, status, since));
        knock.status = status;
        knock.since = since;
        knock.decided_by = decided_by.clone();
        let reason = content.reason.map(Cow::into_owned);
        knock.decision_reason = reason.clone();
        changes.push(Change {
            by: decided_by,
            reason,
            ..Change::new(kind, room_id)
        });
    }

    /// Whether the user's server is probably not in the room: the room ID's server (v1–11) or
    /// the create sender's server (v12, from stripped state) differs from the user's.
    fn is_remote(&self, room_id: &str, preview: &RoomPreview) -> Option<bool> {
        let ours = self.user_id.server_name().as_str();
        let theirs = match room_id.split_once(':') {
            Some((_, server)) => Some(server.to_owned()),
            None => preview
                .creator
                .as_deref()
                .and_then(|c| c.split_once(':'))
                .map(|(_, s)| s.to_owned()),
        };
        theirs.map(|server| server != ours)
    }

    /// The user's own knocks, ordered by room ID.
    pub fn my_knocks(&self) -> impl Iterator<Item = &MyKnock> {
        sorted_keys(&self.knocks)
            .into_iter()
            .filter_map(|room_id| self.knocks.get(room_id))
    }

    /// A joined room's state.
    pub fn room(&self, room_id: &str) -> Option<&RoomState> {
        self.rooms.get(room_id)
    }

    /// IDs of the joined rooms held, in order.
    pub fn room_ids(&self) -> impl Iterator<Item = &str> {
        sorted_keys(&self.rooms).into_iter()
    }

    /// The moderator queue of a joined room with this user's decisions; `None` for an unknown room.
    pub fn knock_requests(&self, room_id: &str) -> Option<Vec<QueueEntry<'_>>> {
        let room = self.rooms.get(room_id)?;
        let seen = self.seen.get(room_id);
        let context = Context::default();
        room.knock_requests()
            .into_iter()
            .map(|request| {
                let seen = request
                    .event_id()
                    .is_some_and(|id| seen.is_some_and(|s| s.contains_key(id)));
                let target = check_user_id(request.user_id)?;
                let decide = |action| room.decide(action, &self.user_id, target, &context);
                Ok(QueueEntry {
                    accept: decide(Action::Accept),
                    decline: decide(Action::Decline),
                    ban: decide(Action::Ban),
                    request,
                    seen,
                })
            })
            .collect::<Result<Vec<_>>>()
            .ok()
    }

    /// Marks the current knocks of these users in a room as seen; returns how many were marked.
    pub fn mark_seen(&mut self, room_id: &str, user_ids: &[String]) -> usize {
        let Some(room) = self.rooms.get(room_id) else {
            return 0;
        };
        let seen = self.seen.entry(room_id.to_owned()).or_default();
        let mut marked = 0;
        for user in user_ids {
            let knock = room.member(user).filter(|m| m.is_knock());
            if let Some(event_id) = knock.and_then(Member::event_id).map(str::to_owned) {
                seen.insert(event_id, user.clone());
                marked += 1;
            }
        }
        marked
    }

    /// Seen marks, for a client to persist: room ID → knock event ID → user ID.
    pub fn seen(&self) -> &SeenMarks {
        &self.seen
    }

    /// Restores seen marks (merged into the current ones).
    pub fn import_seen(&mut self, marks: SeenMarks) {
        for (room, events) in marks {
            self.seen.entry(room).or_default().extend(events);
        }
    }

    /// Builds the request for an action by this user. When the session holds the room's state,
    /// the action is decided first and a refusal is returned unless `force` is set; for a room
    /// the user is not in (knock, join) there is no trusted state to decide on.
    pub fn request(
        &mut self,
        action: Action,
        room: &str,
        options: &RequestOptions,
        force: bool,
    ) -> Result<std::result::Result<Request, Decision>> {
        let request = request::build(action, room, options)?;
        if let Some(state) = self.rooms.get(&request.room).filter(|_| !force) {
            let context = Context {
                joined_room_ids: None,
                reason: options.reason.clone(),
            };
            let decision = state.check(
                action,
                self.user_id.as_str(),
                request.target.as_deref(),
                &context,
            )?;
            if !decision.allowed {
                return Ok(Err(decision));
            }
        }
        if matches!(action, Action::Knock | Action::Join) {
            self.remember_via(&request.room, &options.via);
        }
        Ok(Ok(request))
    }

    /// Remembers the servers a knock was sent via.
    pub fn remember_via(&mut self, room_id_or_alias: &str, via: &[String]) {
        if !via.is_empty() {
            self.via.insert(room_id_or_alias.to_owned(), via.to_vec());
        }
    }

    /// Links a knock sent by alias to the room ID the server answered with.
    pub fn knock_resolved(&mut self, room_id_or_alias: &str, room_id: &str) {
        if let Some(via) = self.via.get(room_id_or_alias).cloned() {
            if let Some(knock) = self.knocks.get_mut(room_id) {
                knock.via.clone_from(&via);
            }
            self.via.insert(room_id.to_owned(), via);
        }
    }

    /// What the session knows of the user's standing in a room it is not joined to, from real
    /// (not stripped) events: a ban seen in `rooms.leave`.
    pub fn known_status(&self, room_id: &str) -> Option<KnockStatus> {
        self.knocks.get(room_id).map(|k| k.status)
    }
}

/// Starts a room from the create event among the sync events, named by its sync key.
fn new_room(room_id: &str, events: &[RawEvent<'_>]) -> Option<RoomState> {
    let create = events
        .iter()
        .rev()
        .find(|e| e.kind == "m.room.create" && e.state_key.as_deref() == Some(""))?;
    let mut room = RoomState::from_create(create).ok()?;
    room.set_room_id(parse_room_id(room_id).ok()?);
    Some(room)
}

fn queue_snapshot(room: &RoomState) -> QueueSnapshot {
    room.knock_requests()
        .into_iter()
        .map(|r| (r.user_id.to_owned(), r.event_id().map(str::to_owned)))
        .collect()
}

/// Reports how the moderator queue changed between `before` and the room now.
fn diff_queue(room_id: &str, room: &RoomState, before: &QueueSnapshot, changes: &mut Vec<Change>) {
    let after = queue_snapshot(room);
    for user in sorted_keys(before) {
        if after.get(user) == before.get(user) {
            continue;
        }
        let Some(member) = room.member(user) else {
            continue;
        };
        let by = member
            .details
            .as_ref()
            .map_or(user, |d| d.sender())
            .to_owned();
        let reason = member.reason().map(str::to_owned);
        let outcome = match member.membership() {
            MembershipState::Knock => continue, // a re-knock: reported as new below
            MembershipState::Invite => Some("accepted"),
            MembershipState::Ban => Some("banned"),
            MembershipState::Join => Some("joined"),
            MembershipState::Leave if by == user => None,
            _ => Some("declined"),
        };
        let kind = if outcome.is_some() {
            ChangeKind::RequestDecided
        } else {
            ChangeKind::RequestWithdrawn
        };
        changes.push(Change {
            user_id: Some(user.to_owned()),
            by: Some(by),
            reason,
            outcome,
            ..Change::new(kind, room_id)
        });
    }
    // New knocks, and re-knocks (a new event from a knocker already queued).
    for user in sorted_keys(&after) {
        if before.get(user) == after.get(user) {
            continue;
        }
        let reason = room
            .member(user)
            .and_then(Member::reason)
            .map(str::to_owned);
        changes.push(Change {
            user_id: Some(user.to_owned()),
            by: Some(user.to_owned()),
            reason,
            ..Change::new(ChangeKind::RequestNew, room_id)
        });
    }
}

/// The user's own member event in a list (the last one), with its content.
fn own_member_event<'e, 'a>(
    events: &'e [RawEvent<'a>],
    me: &str,
) -> Option<(&'e RawEvent<'a>, MemberContent<'e>)> {
    events
        .iter()
        .rev()
        .filter(|e| e.kind == "m.room.member" && e.state_key.as_deref() == Some(me))
        .find_map(|e| e.member_content().ok().map(|c| (e, c)))
}
