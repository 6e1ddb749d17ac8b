//! The structured differential target's generator and oracle, after `tests/differential.rs`:
//! a room (version 1–12, create event, join rules, power levels, member events for a pool of
//! users, duplicates and irrelevant state) and one incoming `m.room.member` event, drawn from
//! the fuzzer's bytes instead of a seeded RNG so that libFuzzer steers the choices.
//!
//! The same exclusions as the seeded test apply (see its module docs): no "only the create
//! event" first join, signatures taken as valid, no third-party invites, no floats (ruma
//! rejects them), no state a homeserver could never have accepted (invalid power levels, a
//! missing v1–10 `creator`, a non-boolean `m.federate`, v12 creators listed in `users`).
//! Compared to the seeded test it adds: levels up to ±(2^53−1), more string forms, duplicate
//! state events (later wins on both sides), `notifications` / `events` maps, member events with
//! extra keys, unknown memberships, a user on a fourth server, and both join-rule spellings.

use arbitrary::Unstructured;
use js_int::uint;
use matrix_knock::core::{Action, Decision, RoomState};
use ruma_common::{
    room_version_rules::AuthorizationRules, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId,
    RoomId, RoomVersionId, UserId,
};
use ruma_events::{room::member::MembershipState, StateEventType, TimelineEventType};
use ruma_state_res::{check_state_dependent_auth_rules, Event};
use serde_json::{json, value::RawValue, Value};

/// The users of every room (the seeded test's pool plus one on a fourth server).
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
const CREATOR: &str = "@c:hs1";

/// Choices drawn from the fuzzer's bytes; once they run out every choice is the first option.
pub struct Rng<'a, 'b>(pub &'b mut Unstructured<'a>);

impl Rng<'_, '_> {
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        self.0.int_in_range(0..=n - 1).unwrap_or(0)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn weighted<T: Copy>(&mut self, items: &[(u64, T)]) -> T {
        let total: u64 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.below(total);
        for &(w, item) in items {
            if roll < w {
                return item;
            }
            roll -= w;
        }
        items[0].1
    }

    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// One generated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub version: u8,
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
}

fn state_event(n: usize, kind: &str, key: &str, sender: &str, content: Value) -> Value {
    json!({
        "type": kind, "state_key": key, "sender": sender, "content": content,
        "event_id": format!("${n}/{kind}/{key}"), "origin_server_ts": 1000 + n,
    })
}

const MAX_LEVEL: i64 = 9_007_199_254_740_991;

fn level(rng: &mut Rng) -> i64 {
    match rng.below(10) {
        0..=4 => rng.pick(&[-10, 0, 0, 1, 49, 50, 50, 51, 75, 99, 100, 100, 110]),
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

fn level_value(rng: &mut Rng, version: u8, n: i64) -> Value {
    if version >= 10 || !rng.chance(25) {
        return json!(n);
    }
    let text = match rng.below(7) {
        0 => n.to_string(),
        1 => format!(" {n:03} "),
        2 if n >= 0 => format!("+{n}"),
        2 => format!("-0{}", n.unsigned_abs()),
        3 => format!("\t{n}\n"),
        4 if n >= 0 => format!("+00{n}"),
        4 => format!("-00{}", n.unsigned_abs()),
        5 => format!("\r\n {n}"),
        _ => format!("  {n}"),
    };
    json!(text)
}

pub fn generate(rng: &mut Rng) -> Case {
    let version = 1 + rng.below(12) as u8;
    let knocking = version >= 7;
    let membership = rng.weighted(&[
        (20, "join"),
        (20, "invite"),
        (20, "leave"),
        (20, "ban"),
        (20, "knock"),
        (2, "xyz.custom"),
    ]);
    let create_sender = if rng.chance(85) {
        CREATOR
    } else {
        rng.pick(&POOL)
    };
    let mut create = json!({ "room_version": version.to_string() });
    if version <= 10 {
        let creator = if rng.chance(90) {
            create_sender
        } else {
            rng.pick(&POOL)
        };
        create["creator"] = json!(creator);
    } else if rng.chance(15) {
        create["creator"] = json!(rng.pick(&POOL));
    }
    let mut creators = vec![create_sender];
    if version == 12 && rng.chance(35) {
        let mut extra = vec![];
        for _ in 0..1 + rng.below(3) {
            let user = if rng.chance(60) {
                "@c2:hs1"
            } else {
                rng.pick(&POOL)
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
    let mut state = vec![state_event(0, "m.room.create", "", create_sender, create)];
    let mut n = 1;
    let mut push = |state: &mut Vec<Value>, kind: &str, key: &str, sender: &str, c: Value| {
        state.push(state_event(n, kind, key, sender, c));
        n += 1;
    };

    // m.room.join_rules, sometimes twice (the later one wins).
    for _ in 0..1 + usize::from(rng.chance(15)) {
        let allow = |rng: &mut Rng| -> Option<Value> {
            match rng.below(9) {
                0 => None,
                1 => Some(json!([])),
                2 => Some(json!("not a list")),
                3 => Some(
                    json!([{"type": "m.room_membership", "room_id": "!space:hs1"},
                                 {"type": "org.example.custom", "x": 1}]),
                ),
                4 => Some(json!([{"type": "m.room_membership", "room_id": "!other:hs2"}])),
                _ => Some(json!([{"type": "m.room_membership", "room_id": "!space:hs1"}])),
            }
        };
        let knock_bias = if membership == "knock" { 20 } else { 0 };
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
                0 => Some(json!({})),
                1 => Some(json!({ "join_rule": 7 })),
                _ => None,
            },
            "unknown" => Some(json!({
                "join_rule": rng.pick(&["xyz.example.rule", "Knock", "knock ", "PUBLIC", ""])
            })),
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
            push(&mut state, "m.room.join_rules", "", CREATOR, content);
        }
    }

    // m.room.power_levels, sometimes twice.
    for _ in 0..usize::from(rng.chance(75)) + usize::from(rng.chance(10)) {
        let mut pl = json!({});
        for key in ["ban", "kick", "invite", "redact", "events_default"] {
            if rng.chance(55) {
                let n = level(rng);
                pl[key] = level_value(rng, version, n);
            }
        }
        if rng.chance(40) {
            let n = if rng.chance(50) { 0 } else { level(rng) };
            pl["users_default"] = level_value(rng, version, n);
        }
        if rng.chance(15) {
            let n = level(rng);
            pl["events"] = json!({ "m.room.member": level_value(rng, version, n) });
        }
        if rng.chance(10) {
            let n = level(rng);
            pl["notifications"] = json!({ "room": level_value(rng, version, n) });
        }
        if rng.chance(15) {
            let n = level(rng);
            pl["state_default"] = level_value(rng, version, n);
        }
        let mut users = serde_json::Map::new();
        for user in POOL {
            if version == 12 && creators.contains(&user) {
                continue;
            }
            if rng.chance(55) {
                let n = level(rng);
                users.insert(user.to_owned(), level_value(rng, version, n));
            }
        }
        if !users.is_empty() || rng.chance(50) {
            pl["users"] = Value::Object(users);
        }
        push(&mut state, "m.room.power_levels", "", CREATOR, pl);
    }

    // m.room.member for each pool user (or none), sometimes a second, later one.
    let mut joined = vec![];
    for user in POOL {
        let mut last = None;
        for _ in 0..1 + usize::from(rng.chance(10)) {
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
            let membership = rng.weighted(&options);
            if membership == "absent" {
                continue;
            }
            last = Some(membership);
            let sender = match membership {
                "invite" | "ban" => rng.pick(&POOL),
                "leave" if rng.chance(30) => rng.pick(&POOL),
                _ => user,
            };
            let mut content = json!({ "membership": membership });
            if rng.chance(10) {
                content["reason"] = json!("because");
                content["displayname"] = json!("Someone");
            }
            if rng.chance(5) {
                content["avatar_url"] = json!(7);
                content["org.example.key"] = json!({ "nested": [1, 2] });
            }
            push(&mut state, "m.room.member", user, sender, content);
        }
        if last == Some("join") {
            joined.push(user);
        }
    }

    if rng.chance(10) {
        push(
            &mut state,
            "m.room.topic",
            "",
            CREATOR,
            json!({ "topic": "t" }),
        );
    }
    if rng.chance(5) {
        // Non-member state keyed by a user ID must not look like a membership.
        push(
            &mut state,
            "org.example.state",
            "@k:hs2",
            CREATOR,
            json!({ "membership": "join" }),
        );
    }

    let has_rules_or_member = state
        .iter()
        .any(|e| e["type"] == "m.room.join_rules" || e["type"] == "m.room.member");
    if !has_rules_or_member {
        push(
            &mut state,
            "m.room.member",
            CREATOR,
            CREATOR,
            json!({ "membership": "join" }),
        );
    }

    let member_or_any = |rng: &mut Rng| {
        if !joined.is_empty() && rng.chance(60) {
            rng.pick(&joined)
        } else {
            rng.pick(&POOL)
        }
    };
    let sender = match membership {
        "invite" | "ban" | "leave" => member_or_any(rng),
        _ => rng.pick(&POOL),
    };
    let self_percent = match membership {
        "join" | "knock" => 75,
        "leave" => 50,
        _ => 20,
    };
    let target = if rng.chance(self_percent) {
        sender
    } else {
        rng.pick(&POOL)
    };
    let via = (membership == "join" && rng.chance(50)).then(|| member_or_any(rng));
    let extra = rng
        .chance(10)
        .then(|| json!({ "reason": "please", "displayname": "Me" }));
    Case {
        version,
        state,
        sender,
        target,
        membership,
        via,
        extra,
    }
}

/// The action our core names for the incoming event (as the seeded test maps it).
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

/// A minimal PDU for ruma-state-res.
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

/// Documented difference (see `tests/differential.rs`): with no `m.room.join_rules` event, or
/// one without `join_rule`, ruma rejects every join while Synapse (and so our core) reads the
/// rule as `invite`. Such states are compared with ruma on a twin holding an explicit `invite`.
pub fn synapse_view(state: &[Value]) -> Option<Vec<Value>> {
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
        99,
        "m.room.join_rules",
        "",
        CREATOR,
        json!({ "join_rule": "invite" }),
    ));
    Some(twin)
}

/// ruma-state-res over one room state (its PDUs built once, with the Synapse view applied).
pub struct Oracle {
    pdus: Vec<Pdu>,
    rules: AuthorizationRules,
}

impl Oracle {
    pub fn new(state: &[Value], version: u8) -> Self {
        let view = synapse_view(state);
        let state = view.as_deref().unwrap_or(state);
        Self {
            pdus: state.iter().map(Pdu::from_client_event).collect(),
            rules: rules_for(version),
        }
    }

    /// ruma's verdict on an incoming member event `sender` → `target` with `content`.
    pub fn check(&self, sender: &str, target: &str, content: &Value) -> Result<(), String> {
        let mut incoming = Pdu::new("$incoming", "m.room.member", target, sender, content);
        incoming.prev_events = vec![OwnedEventId::try_from("$previous").unwrap()];
        check_state_dependent_auth_rules(
            &self.rules,
            &incoming,
            |kind: &StateEventType, key: &str| {
                self.pdus
                    .iter()
                    .rev()
                    .find(|p| p.state_kind == *kind && p.state_key == key)
            },
        )
    }
}
