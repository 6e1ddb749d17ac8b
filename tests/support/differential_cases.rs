//! The case generator and the oracle of the differential checks of our `m.room.member` auth
//! rules ([`RoomState::authorize`]) against ruma-state-res 0.18.0, in one place for both users:
//! the seeded test `tests/differential.rs` (`#[path]` module `cases`) and the cargo-fuzz target
//! `authorize_differential` (`fuzz/src/differential.rs` includes this file by path).
//!
//! A case is a random room (version, create event, join rules, power levels, member events for
//! a pool of users) and one incoming `m.room.member` event. What is deliberately not generated,
//! and why, is in the module docs of `tests/differential.rs`.
//!
//! The randomness is a [`Choose`]: a seeded RNG in the test, the fuzzer's bytes in the target.
//! The [`Variant`] is the distribution. [`Variant::Seeded`] is the test's; [`Variant::Extended`]
//! is the fuzz target's, which adds levels up to ±(2^53−1), more string forms, duplicate state
//! events (later wins on both sides), `notifications` / `events` maps, member events with extra
//! keys, unknown memberships, a user on a fourth server and both join-rule spellings. Each
//! variant draws exactly as before the two copies were merged, so a seed or a corpus file still
//! stands for the same case.
// Each includer uses its own part (the test never builds `Extended` cases, and so on).
#![allow(dead_code)]

use std::ops::RangeInclusive;

use js_int::uint;
use matrix_knock::core::{Action, Decision, RoomState};
use ruma_common::{
    room_version_rules::AuthorizationRules, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId,
    RoomId, RoomVersionId, UserId,
};
use ruma_events::{room::member::MembershipState, StateEventType, TimelineEventType};
use ruma_state_res::{check_state_dependent_auth_rules, Event};
use serde_json::{json, value::RawValue, Value};

/// The users of every room: creator, a possible additional creator (v12), admin, moderator,
/// plain user, and users on other servers (for `m.federate: false`). [`Variant::Seeded`] uses
/// the first seven, [`Variant::Extended`] all eight.
pub const POOL: [&str; 8] = [
    "@c:hs1",
    "@c2:hs1",
    "@admin:hs1",
    "@mod:hs1",
    "@u:hs1",
    "@k:hs2",
    "@r:hs3",
    "@x:hs4",
];
pub const CREATOR: &str = "@c:hs1";
pub const MEMBERSHIPS: [&str; 5] = ["join", "invite", "leave", "ban", "knock"];

// ---------------------------------------------------------------------------------------------
// The source of randomness.

/// Where the generator's choices come from. Only [`Choose::below`] is the source's own; the
/// rest is built on it, so both sources turn a choice into the same number of draws.
pub trait Choose {
    /// A number in `0..n` (`n` ≥ 1).
    fn below(&mut self, n: u64) -> u64;

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn weighted<T: Copy>(&mut self, items: &[(u64, T)]) -> T {
        let total: u64 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.below(total);
        for &(w, item) in items {
            if roll < w {
                return item;
            }
            roll -= w;
        }
        unreachable!("below({total}) returned {total} or more")
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// Which distribution [`generate`] draws from (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The seeded test's.
    Seeded,
    /// The fuzz target's: wider, with duplicates and extra keys.
    Extended,
}

impl Variant {
    pub fn pool(self) -> &'static [&'static str] {
        match self {
            Variant::Seeded => &POOL[..7],
            Variant::Extended => &POOL,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Case generation.

/// One generated case: a room state and an incoming `m.room.member` event.
#[derive(Clone, Debug)]
pub struct Case {
    pub variant: Variant,
    pub version: u8,
    /// Client-format state events (the create event first).
    pub state: Vec<Value>,
    pub sender: &'static str,
    pub target: &'static str,
    pub membership: &'static str,
    pub via: Option<&'static str>,
    /// Extra keys of the incoming event's content (reason etc.).
    pub extra: Option<Value>,
}

impl Case {
    pub fn content(&self) -> Value {
        let mut content = json!({ "membership": self.membership });
        if let Some(via) = self.via {
            content["join_authorised_via_users_server"] = json!(via);
        }
        if let Some(Value::Object(extra)) = &self.extra {
            for (k, v) in extra {
                content[k] = v.clone();
            }
        }
        content
    }

    pub fn to_json(&self, seed: u64, case: u64) -> Value {
        json!({
            "seed": format!("{seed:#x}"),
            "case": case,
            "room_version": self.version.to_string(),
            "state": self.state,
            "event": {
                "type": "m.room.member",
                "sender": self.sender,
                "state_key": self.target,
                "content": self.content(),
            },
        })
    }
}

/// A client-format state event. `n`, the event's position, numbers its ID and timestamp
/// ([`Variant::Extended`], whose states may hold one type and key twice).
fn state_event(n: Option<usize>, kind: &str, key: &str, sender: &str, content: Value) -> Value {
    let (event_id, ts) = match n {
        Some(n) => (format!("${n}/{kind}/{key}"), 1000 + n),
        None => (format!("${kind}/{key}"), 1000),
    };
    json!({
        "type": kind, "state_key": key, "sender": sender, "content": content,
        "event_id": event_id, "origin_server_ts": ts,
    })
}

/// The state being generated.
struct Events {
    numbered: bool,
    list: Vec<Value>,
}

impl Events {
    fn push(&mut self, kind: &str, key: &str, sender: &str, content: Value) {
        let n = self.numbered.then_some(self.list.len());
        self.list.push(state_event(n, kind, key, sender, content));
    }
}

const MAX_LEVEL: i64 = 9_007_199_254_740_991;

/// A power level: often one of a few values around the usual thresholds, so ties and
/// orderings happen; otherwise anything in -10..=110 (extended: sometimes the extremes).
fn level(rng: &mut impl Choose, extended: bool) -> i64 {
    const USUAL: [i64; 13] = [-10, 0, 0, 1, 49, 50, 50, 51, 75, 99, 100, 100, 110];
    if !extended {
        return if rng.chance(50) {
            rng.pick(&USUAL)
        } else {
            rng.range(-10, 110)
        };
    }
    match rng.below(10) {
        0..=4 => rng.pick(&USUAL),
        5 => rng.pick(&[
            MAX_LEVEL,
            -MAX_LEVEL,
            MAX_LEVEL - 1,
            -MAX_LEVEL + 1,
            i64::from(i32::MAX),
        ]),
        _ => rng.range(-10, 110),
    }
}

/// A level as JSON: in v1–9 sometimes in the spec's string form (whitespace, sign, leading
/// zeros), which ruma and we must read as the integer.
fn level_value(rng: &mut impl Choose, extended: bool, version: u8, n: i64) -> Value {
    if version >= 10 || !rng.chance(25) {
        return json!(n);
    }
    let text = match rng.below(if extended { 7 } else { 6 }) {
        0 => n.to_string(),
        1 => format!(" {n:03} "),
        2 if n >= 0 => format!("+{n}"),
        2 => format!("-0{}", n.unsigned_abs()),
        3 => format!("\t{n}\n"),
        4 if n >= 0 => format!("+00{n}"),
        4 => format!("-00{}", n.unsigned_abs()),
        5 if extended => format!("\r\n {n}"),
        _ => format!("  {n}"),
    };
    json!(text)
}

/// A case in one of `versions`.
pub fn generate<R: Choose>(rng: &mut R, variant: Variant, versions: RangeInclusive<u8>) -> Case {
    let extended = variant == Variant::Extended;
    let pool = variant.pool();
    let (lo, hi) = (*versions.start(), *versions.end());
    let version = lo + rng.below(u64::from(hi - lo + 1)) as u8;
    let knocking = version >= 7;
    // The incoming event's membership, drawn first so that knocks can favour knockable rooms.
    let membership = if extended {
        rng.weighted(&[
            (20, "join"),
            (20, "invite"),
            (20, "leave"),
            (20, "ban"),
            (20, "knock"),
            (2, "xyz.custom"),
        ])
    } else {
        rng.pick(&MEMBERSHIPS)
    };

    // m.room.create: usually sent by @c:hs1, sometimes by another pool user (another server,
    // for `m.federate`). `creator` is required in v1–10: usually the sender, sometimes another
    // user, which the rules allow and which moves the creator's default level 100 (v1–11).
    let create_sender = if rng.chance(85) {
        CREATOR
    } else {
        rng.pick(pool)
    };
    let mut create = json!({ "room_version": version.to_string() });
    if version <= 10 {
        let creator = if rng.chance(90) {
            create_sender
        } else {
            rng.pick(pool)
        };
        create["creator"] = json!(creator);
    } else if rng.chance(15) {
        // Ignored from v11 on (the sender is the creator).
        create["creator"] = json!(rng.pick(pool));
    }
    let mut creators = vec![create_sender];
    if version == 12 && rng.chance(35) {
        let mut extra = vec![];
        for _ in 0..1 + rng.below(if extended { 3 } else { 2 }) {
            let user = if rng.chance(60) {
                "@c2:hs1"
            } else {
                rng.pick(pool)
            };
            extra.push(user);
            creators.push(user);
        }
        create["additional_creators"] = json!(extra);
    }
    match rng.below(100) {
        0..15 => create["m.federate"] = json!(false),
        15..25 => create["m.federate"] = json!(true),
        _ => {}
    }
    let mut state = Events {
        numbered: extended,
        list: vec![],
    };
    state.push("m.room.create", "", create_sender, create);

    // m.room.join_rules (extended: sometimes twice, the later one wins).
    let allow = |rng: &mut R| -> Option<Value> {
        match rng.below(if extended { 9 } else { 8 }) {
            0 => None,
            1 => Some(json!([])),
            2 => Some(json!("not a list")),
            3 => Some(
                json!([{"type": "m.room_membership", "room_id": "!space:hs1"},
                              {"type": "org.example.custom", "x": 1}]),
            ),
            4 if extended => Some(json!([{"type": "m.room_membership", "room_id": "!other:hs2"}])),
            _ => Some(json!([{"type": "m.room_membership", "room_id": "!space:hs1"}])),
        }
    };
    let unknown_rules: &[&str] = if extended {
        &["xyz.example.rule", "Knock", "knock ", "PUBLIC", ""]
    } else {
        &["xyz.example.rule", "Knock", "knock ", "PUBLIC"]
    };
    let knock_bias = if membership == "knock" { 20 } else { 0 };
    for _ in 0..1 + usize::from(extended && rng.chance(15)) {
        let rule = rng.weighted(&[
            (22 + knock_bias, "knock"),
            (14 + knock_bias, "knock_restricted"),
            (12, "restricted"),
            (12, "public"),
            (10, "invite"),
            (5, "private"),
            (5, "unknown"),
            (10, "absent"),
        ]);
        let join_rules = match rule {
            "absent" => match rng.below(6) {
                // No event or no `join_rule` (read as `invite`, see
                // `invite_when_join_rule_missing`), or not a string (ruma errors, we hold no
                // rule; both reject join and knock).
                0 => Some(json!({})),
                1 => Some(json!({ "join_rule": 7 })),
                _ => None,
            },
            "unknown" => Some(json!({ "join_rule": rng.pick(unknown_rules) })),
            "restricted" | "knock_restricted" => {
                let mut content = json!({ "join_rule": rule });
                if let Some(allow) = allow(rng) {
                    content["allow"] = allow;
                }
                Some(content)
            }
            _ => Some(json!({ "join_rule": rule })),
        };
        if let Some(content) = join_rules {
            state.push("m.room.join_rules", "", CREATOR, content);
        }
    }

    // m.room.power_levels (extended: sometimes twice).
    let (keys, key_percent): (&[&str], u64) = if extended {
        (&["ban", "kick", "invite", "redact", "events_default"], 55)
    } else {
        (&["ban", "kick", "invite"], 60)
    };
    for _ in 0..usize::from(rng.chance(75)) + usize::from(extended && rng.chance(10)) {
        let mut pl = json!({});
        for &key in keys {
            if rng.chance(key_percent) {
                let n = level(rng, extended);
                pl[key] = level_value(rng, extended, version, n);
            }
        }
        if rng.chance(40) {
            let n = if rng.chance(50) {
                0
            } else {
                level(rng, extended)
            };
            pl["users_default"] = level_value(rng, extended, version, n);
        }
        // Membership events never reach the required-power-level rule (spec §1).
        if rng.chance(15) {
            let n = level(rng, extended);
            pl["events"] = json!({ "m.room.member": level_value(rng, extended, version, n) });
        }
        if extended && rng.chance(10) {
            let n = level(rng, extended);
            pl["notifications"] = json!({ "room": level_value(rng, extended, version, n) });
        }
        if rng.chance(15) {
            let n = level(rng, extended);
            pl["state_default"] = level_value(rng, extended, version, n);
        }
        let mut users = serde_json::Map::new();
        for &user in pool {
            // v12: creators are never listed (spec §2.8, rule 10.4).
            if version == 12 && creators.contains(&user) {
                continue;
            }
            if rng.chance(55) {
                let n = level(rng, extended);
                users.insert(user.to_owned(), level_value(rng, extended, version, n));
            }
        }
        if !users.is_empty() || rng.chance(50) {
            pl["users"] = Value::Object(users);
        }
        state.push("m.room.power_levels", "", CREATOR, pl);
    }

    // m.room.member for each pool user (or none); extended: sometimes a second, later one.
    let mut joined = vec![];
    for &user in pool {
        let mut last = None;
        for _ in 0..1 + usize::from(extended && rng.chance(10)) {
            let mut options = vec![
                (30, "join"),
                (12, "invite"),
                (12, "leave"),
                (12, "ban"),
                (20, "absent"),
            ];
            if knocking {
                options.push((14, "knock"));
            }
            let current = rng.weighted(&options);
            if current == "absent" {
                continue;
            }
            last = Some(current);
            let sender = match current {
                "invite" | "ban" => rng.pick(pool),
                "leave" if rng.chance(30) => rng.pick(pool),
                _ => user,
            };
            let mut content = json!({ "membership": current });
            if rng.chance(10) {
                content["reason"] = json!("because");
                content["displayname"] = json!("Someone");
            }
            if extended && rng.chance(5) {
                content["avatar_url"] = json!(7);
                content["org.example.key"] = json!({ "nested": [1, 2] });
            }
            state.push("m.room.member", user, sender, content);
        }
        if last == Some("join") {
            joined.push(user);
        }
    }

    // Irrelevant state must change nothing.
    if rng.chance(10) {
        state.push("m.room.topic", "", CREATOR, json!({ "topic": "t" }));
    }
    if extended && rng.chance(5) {
        // Non-member state keyed by a user ID must not look like a membership.
        state.push(
            "org.example.state",
            "@k:hs2",
            CREATOR,
            json!({ "membership": "join" }),
        );
    }

    // Never only the create event (see the docs of `tests/differential.rs`).
    let has_rules_or_member = state
        .list
        .iter()
        .any(|e| e["type"] == "m.room.join_rules" || e["type"] == "m.room.member");
    if !has_rules_or_member {
        state.push(
            "m.room.member",
            CREATOR,
            CREATOR,
            json!({ "membership": "join" }),
        );
    }

    // The incoming event. Self-targeted most of the time for join/knock/leave, and sent (or
    // authorised) by a joined member more often than not, so that the allowed outcomes and the
    // power-level comparisons are well represented.
    let member_or_any = |rng: &mut R| {
        if !joined.is_empty() && rng.chance(60) {
            rng.pick(&joined)
        } else {
            rng.pick(pool)
        }
    };
    let sender = match membership {
        "invite" | "ban" | "leave" => member_or_any(rng),
        _ => rng.pick(pool),
    };
    let self_percent = match membership {
        "join" | "knock" => 75,
        "leave" => 50,
        _ => 20,
    };
    let target = if rng.chance(self_percent) {
        sender
    } else {
        rng.pick(pool)
    };
    let via = (membership == "join" && rng.chance(50)).then(|| member_or_any(rng));
    let extra =
        (extended && rng.chance(10)).then(|| json!({ "reason": "please", "displayname": "Me" }));
    Case {
        variant,
        version,
        state: state.list,
        sender,
        target,
        membership,
        via,
        extra,
    }
}

// ---------------------------------------------------------------------------------------------
// Our side.

/// The action our core names for the incoming event.
pub fn action_for(case: &Case, state: &RoomState) -> Action {
    let own = case.sender == case.target;
    match case.membership {
        "join" => Action::Join,
        "invite" => Action::Invite,
        "ban" => Action::Ban,
        "knock" => Action::Knock,
        _ => match (own, state.membership(case.target)) {
            (true, MembershipState::Knock) => Action::Rescind,
            (true, _) => Action::Leave,
            (false, MembershipState::Ban) => Action::Unban,
            (false, MembershipState::Knock) => Action::Decline,
            (false, _) => Action::Kick,
        },
    }
}

/// Our verdict for a case's incoming event on a room.
pub fn ours(case: &Case, room: &RoomState) -> Decision {
    let sender = UserId::parse(case.sender).unwrap();
    let target = UserId::parse(case.target).unwrap();
    let via = case.via.map(|v| UserId::parse(v).unwrap());
    let membership = MembershipState::from(case.membership);
    let action = action_for(case, room);
    room.authorize(action, &sender, &target, &membership, via.as_deref())
}

// ---------------------------------------------------------------------------------------------
// The oracle side: a minimal PDU for ruma-state-res.

pub struct Pdu {
    event_id: OwnedEventId,
    sender: OwnedUserId,
    kind: TimelineEventType,
    state_kind: StateEventType,
    state_key: String,
    content: Box<RawValue>,
    prev_events: Vec<OwnedEventId>,
}

impl Pdu {
    pub fn new(event_id: &str, kind: &str, key: &str, sender: &str, content: &Value) -> Self {
        Self {
            event_id: OwnedEventId::try_from(event_id).unwrap(),
            sender: OwnedUserId::try_from(sender).unwrap(),
            kind: TimelineEventType::from(kind),
            state_kind: StateEventType::from(kind),
            state_key: key.to_owned(),
            content: serde_json::value::to_raw_value(content).unwrap(),
            prev_events: vec![],
        }
    }

    fn from_client_event(event: &Value) -> Self {
        let s = |k: &str| event[k].as_str().unwrap();
        Self::new(
            s("event_id"),
            s("type"),
            s("state_key"),
            s("sender"),
            &event["content"],
        )
    }
}

impl Event for Pdu {
    type Id = OwnedEventId;

    fn event_id(&self) -> &OwnedEventId {
        &self.event_id
    }

    fn room_id(&self) -> Option<&RoomId> {
        None
    }

    fn sender(&self) -> &UserId {
        &self.sender
    }

    fn origin_server_ts(&self) -> MilliSecondsSinceUnixEpoch {
        MilliSecondsSinceUnixEpoch(uint!(1000))
    }

    fn event_type(&self) -> &TimelineEventType {
        &self.kind
    }

    fn content(&self) -> &RawValue {
        &self.content
    }

    fn state_key(&self) -> Option<&str> {
        Some(&self.state_key)
    }

    fn prev_events(&self) -> Box<dyn DoubleEndedIterator<Item = &OwnedEventId> + '_> {
        Box::new(self.prev_events.iter())
    }

    fn auth_events(&self) -> Box<dyn DoubleEndedIterator<Item = &OwnedEventId> + '_> {
        Box::new([].iter())
    }

    fn redacts(&self) -> Option<&OwnedEventId> {
        None
    }

    fn rejected(&self) -> bool {
        false
    }
}

pub fn rules_for(version: u8) -> AuthorizationRules {
    let id = RoomVersionId::try_from(version.to_string().as_str()).unwrap();
    id.rules().unwrap().authorization
}

/// Documented difference (spec §2.1 step 7): with no `m.room.join_rules` event, or one without
/// `join_rule`, the spec names no rule and ruma-state-res rejects every join, while Synapse reads
/// it as `invite` (`event_auth.py`: `content.get("join_rule", JoinRules.INVITE)`), so invited
/// and joined users may join. We predict the homeserver: such states are compared with ruma on a
/// twin holding an explicit `invite` rule (`None`: compare on `state` itself).
pub fn invite_when_join_rule_missing(state: &[Value], variant: Variant) -> Option<Vec<Value>> {
    let rules = state.iter().rposition(|e| e["type"] == "m.room.join_rules");
    if rules.is_some_and(|i| state[i]["content"].get("join_rule").is_some()) {
        return None;
    }
    let mut twin: Vec<Value> = state
        .iter()
        .filter(|e| e["type"] != "m.room.join_rules")
        .cloned()
        .collect();
    twin.push(state_event(
        (variant == Variant::Extended).then_some(99),
        "m.room.join_rules",
        "",
        CREATOR,
        json!({ "join_rule": "invite" }),
    ));
    Some(twin)
}

/// ruma-state-res over one room state (its PDUs built once, as the homeserver reads the state:
/// see [`invite_when_join_rule_missing`]).
pub struct Oracle {
    pdus: Vec<Pdu>,
    rules: AuthorizationRules,
}

impl Oracle {
    /// The oracle for `case`'s room version over `state`: usually `case.state`, or a twin of it.
    pub fn new(case: &Case, state: &[Value]) -> Self {
        let view = invite_when_join_rule_missing(state, case.variant);
        let state = view.as_deref().unwrap_or(state);
        Self {
            pdus: state.iter().map(Pdu::from_client_event).collect(),
            rules: rules_for(case.version),
        }
    }

    /// ruma's verdict on the case's incoming event.
    pub fn check_case(&self, case: &Case) -> Result<(), String> {
        self.check(case.sender, case.target, &case.content())
    }

    /// ruma's verdict on an incoming member event `sender` → `target` with `content`.
    pub fn check(&self, sender: &str, target: &str, content: &Value) -> Result<(), String> {
        let mut incoming = Pdu::new("$incoming", "m.room.member", target, sender, content);
        // Not the create event: the first-join rule never applies (see the docs of
        // `tests/differential.rs`).
        incoming.prev_events = vec![OwnedEventId::try_from("$previous").unwrap()];
        check_state_dependent_auth_rules(
            &self.rules,
            &incoming,
            |kind: &StateEventType, key: &str| {
                // Later events win, as in our `from_json`.
                self.pdus
                    .iter()
                    .rev()
                    .find(|p| p.state_kind == *kind && p.state_key == key)
            },
        )
    }
}
