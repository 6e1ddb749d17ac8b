//! Randomized differential test of our `m.room.member` auth rules ([`RoomState::authorize`])
//! against the oracle `ruma-state-res` 0.18.0 (`check_state_dependent_auth_rules`).
//!
//! Each case is a random room (version 1–12, create event, join rules, power levels, member
//! events for a pool of users) and one incoming `m.room.member` event. Both sides see the same
//! state: ours as the JSON text of client-format state events, ruma's as [`Pdu`]s built from the
//! same JSON values. The verdicts (`decision.allowed` vs `Ok`/`Err`) must agree.
//!
//! Environment: `DIFF_SEED` (default below) and `DIFF_CASES` (default 100 000); `DIFF_CASE=n`
//! replays case `n` alone (every case has its own RNG stream derived from seed and number).
//! Run it in release: `cargo test --release --test differential -- --nocapture` also prints the
//! outcome counts.
//!
//! What is deliberately NOT generated, because our client-side core does not model it (or
//! models it differently on purpose):
//! * The "only previous event is the create event" first-join rule (spec §2.1 step 1). Ruma
//!   decides it from the event's `prev_events`, we from "the state holds only the create
//!   event". Every generated state holds at least the join rules or one member event, and the
//!   incoming event's `prev_events` never name the create event, so the rule never fires.
//! * Signatures. The `join_authorised_via_users_server` signature check (spec §2.0, v8+) is not
//!   done by `check_state_dependent_auth_rules`: its docs say it assumes
//!   `ruma_signatures::verify_event()` already passed, and `room_member.rs` only leaves a comment
//!   where the rule is. Our `authorize` likewise takes the authorising user as given (signed).
//!   So joins carry the key (naming a pool user) and both sides treat it as validly signed.
//! * Third-party invites (signatures over `signed`, not modelled by us).
//! * Floats in power levels: legal and truncated in v1–5 (spec §1 notes,
//!   `v1-floaty-power-levels`), but ruma rejects them (`deserialize_v1_powerlevel` has no float
//!   visitor). The main loop generates none; [`float_power_levels_truncate_in_v1_to_v5`] checks
//!   OUR truncation against integer-valued twins and documents ruma's rejection.
//! * State a homeserver could never have accepted: invalid power levels (our core refuses the
//!   whole state as input error, ruma errors only when it reads the bad field), a missing
//!   `creator` in v1–10 or a non-boolean `m.federate` (we fall back to the sender / to
//!   federating, ruma rejects every membership event), creators listed in v12 `users`.
//!   Only the join rules are generated malformed too (no `join_rule`, a non-string, a bad
//!   `allow`), because a join rules event's content is not checked by the auth rules.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use js_int::uint;
use matrix_knock::core::{Action, Decision, RoomState};
use ruma_common::{
    room_version_rules::AuthorizationRules, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId,
    RoomId, RoomVersionId, UserId,
};
use ruma_events::{room::member::MembershipState, StateEventType, TimelineEventType};
use ruma_state_res::{check_state_dependent_auth_rules, Event};
use serde_json::{json, value::RawValue, Value};

const DEFAULT_SEED: u64 = 0x6b6e_6f63_6b21_2026;
const DEFAULT_CASES: u64 = 100_000;

/// The users of every room: creator, a possible additional creator (v12), admin, moderator,
/// plain user, and two users on other servers (for `m.federate: false`).
const POOL: [&str; 7] = [
    "@c:hs1",
    "@c2:hs1",
    "@admin:hs1",
    "@mod:hs1",
    "@u:hs1",
    "@k:hs2",
    "@r:hs3",
];
const CREATOR: &str = "@c:hs1";
const MEMBERSHIPS: [&str; 5] = ["join", "invite", "leave", "ban", "knock"];

// ---------------------------------------------------------------------------------------------
// A tiny seeded RNG (splitmix64), so cases replay exactly without extra dependencies.

struct Rng(u64);

impl Rng {
    fn for_case(seed: u64, case: u64) -> Self {
        let mut rng = Rng(seed ^ case.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

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
        unreachable!()
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

// ---------------------------------------------------------------------------------------------
// Case generation.

/// One generated case: a room state and an incoming `m.room.member` event.
#[derive(Clone)]
struct Case {
    version: u8,
    /// Client-format state events (the create event first).
    state: Vec<Value>,
    sender: &'static str,
    target: &'static str,
    membership: &'static str,
    via: Option<&'static str>,
}

impl Case {
    fn content(&self) -> Value {
        let mut content = json!({ "membership": self.membership });
        if let Some(via) = self.via {
            content["join_authorised_via_users_server"] = json!(via);
        }
        content
    }

    fn to_json(&self, seed: u64, case: u64) -> Value {
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

fn state_event(kind: &str, key: &str, sender: &str, content: Value) -> Value {
    json!({
        "type": kind, "state_key": key, "sender": sender, "content": content,
        "event_id": format!("${kind}/{key}"), "origin_server_ts": 1000,
    })
}

/// A power level: often one of a few values around the usual thresholds, so ties and
/// orderings happen; otherwise anything in -10..=110.
fn level(rng: &mut Rng) -> i64 {
    if rng.chance(50) {
        rng.pick(&[-10, 0, 0, 1, 49, 50, 50, 51, 75, 99, 100, 100, 110])
    } else {
        rng.range(-10, 110)
    }
}

/// A level as JSON: in v1–9 sometimes in the spec's string form (whitespace, sign, leading
/// zeros), which ruma and we must read as the integer.
fn level_value(rng: &mut Rng, version: u8, n: i64) -> Value {
    if version >= 10 || !rng.chance(25) {
        return json!(n);
    }
    let text = match rng.below(6) {
        0 => n.to_string(),
        1 => format!(" {n:03} "),
        2 if n >= 0 => format!("+{n}"),
        2 => format!("-0{}", -n),
        3 => format!("\t{n}\n"),
        4 if n >= 0 => format!("+00{n}"),
        4 => format!("-00{}", -n),
        _ => format!("  {n}"),
    };
    json!(text)
}

fn generate(rng: &mut Rng, versions: std::ops::RangeInclusive<u8>) -> Case {
    let (lo, hi) = (*versions.start(), *versions.end());
    let version = lo + rng.below(u64::from(hi - lo + 1)) as u8;
    let knocking = version >= 7;
    // The incoming event's membership, drawn first so that knocks can favour knockable rooms.
    let membership = rng.pick(&MEMBERSHIPS);

    // m.room.create: usually sent by @c:hs1, sometimes by another pool user (another server,
    // for `m.federate`). `creator` is required in v1–10: usually the sender, sometimes another
    // user, which the rules allow and which moves the creator's default level 100 (v1–11).
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
        // Ignored from v11 on (the sender is the creator).
        create["creator"] = json!(rng.pick(&POOL));
    }
    let mut creators = vec![create_sender];
    if version == 12 && rng.chance(35) {
        let mut extra = vec![];
        for _ in 0..1 + rng.below(2) {
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
    let mut state = vec![state_event("m.room.create", "", create_sender, create)];

    // m.room.join_rules.
    let allow = |rng: &mut Rng| -> Option<Value> {
        match rng.below(8) {
            0 => None,
            1 => Some(json!([])),
            2 => Some(json!("not a list")),
            3 => Some(
                json!([{"type": "m.room_membership", "room_id": "!space:hs1"},
                              {"type": "org.example.custom", "x": 1}]),
            ),
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
            // No event or no `join_rule` (read as `invite`, see `invite_when_join_rule_missing`),
            // or not a string (ruma errors, we hold no rule; both reject join and knock).
            0 => Some(json!({})),
            1 => Some(json!({ "join_rule": 7 })),
            _ => None,
        },
        "unknown" => Some(json!({
            "join_rule": rng.pick(&["xyz.example.rule", "Knock", "knock ", "PUBLIC"])
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
        state.push(state_event("m.room.join_rules", "", CREATOR, content));
    }

    // m.room.power_levels.
    if rng.chance(75) {
        let mut pl = json!({});
        for key in ["ban", "kick", "invite"] {
            if rng.chance(60) {
                let n = level(rng);
                pl[key] = level_value(rng, version, n);
            }
        }
        if rng.chance(40) {
            let n = if rng.chance(50) { 0 } else { level(rng) };
            pl["users_default"] = level_value(rng, version, n);
        }
        // Membership events never reach the required-power-level rule (spec §1).
        if rng.chance(15) {
            let n = level(rng);
            pl["events"] = json!({ "m.room.member": level_value(rng, version, n) });
        }
        if rng.chance(15) {
            let n = level(rng);
            pl["state_default"] = level_value(rng, version, n);
        }
        let mut users = serde_json::Map::new();
        for user in POOL {
            // v12: creators are never listed (spec §2.8, rule 10.4).
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
        state.push(state_event("m.room.power_levels", "", CREATOR, pl));
    }

    // m.room.member for each pool user (or none).
    let mut joined = vec![];
    for user in POOL {
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
        if membership == "join" {
            joined.push(user);
        }
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
        state.push(state_event("m.room.member", user, sender, content));
    }

    // Irrelevant state must change nothing.
    if rng.chance(10) {
        state.push(state_event(
            "m.room.topic",
            "",
            CREATOR,
            json!({ "topic": "t" }),
        ));
    }

    // Never only the create event (see the module docs).
    let has_rules_or_member = state
        .iter()
        .any(|e| e["type"] == "m.room.join_rules" || e["type"] == "m.room.member");
    if !has_rules_or_member {
        state.push(state_event(
            "m.room.member",
            CREATOR,
            CREATOR,
            json!({ "membership": "join" }),
        ));
    }

    // The incoming event. Self-targeted most of the time for join/knock/leave, and sent (or
    // authorised) by a joined member more often than not, so that the allowed outcomes and the
    // power-level comparisons are well represented.
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
    Case {
        version,
        state,
        sender,
        target,
        membership,
        via,
    }
}

// ---------------------------------------------------------------------------------------------
// Our side.

fn action_for(case: &Case, state: &RoomState) -> Action {
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

fn ours(case: &Case, text: &str) -> Result<Decision, String> {
    let room = RoomState::from_json(text).map_err(|e| format!("from_json: {e}"))?;
    let sender = UserId::parse(case.sender).unwrap();
    let target = UserId::parse(case.target).unwrap();
    let via = case.via.map(|v| UserId::parse(v).unwrap());
    let membership = MembershipState::from(case.membership);
    let action = action_for(case, &room);
    Ok(room.authorize(action, &sender, &target, &membership, via.as_deref()))
}

// ---------------------------------------------------------------------------------------------
// The oracle side: a minimal PDU for ruma-state-res.

struct Pdu {
    event_id: OwnedEventId,
    sender: OwnedUserId,
    kind: TimelineEventType,
    state_kind: StateEventType,
    state_key: String,
    content: Box<RawValue>,
    prev_events: Vec<OwnedEventId>,
}

impl Pdu {
    fn new(event_id: &str, kind: &str, key: &str, sender: &str, content: &Value) -> Self {
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

fn rules_for(version: u8) -> AuthorizationRules {
    let id = RoomVersionId::try_from(version.to_string().as_str()).unwrap();
    id.rules().unwrap().authorization
}

fn oracle(case: &Case, state: &[Value], rules: &AuthorizationRules) -> Result<(), String> {
    let pdus: Vec<Pdu> = state.iter().map(Pdu::from_client_event).collect();
    let mut incoming = Pdu::new(
        "$incoming",
        "m.room.member",
        case.target,
        case.sender,
        &case.content(),
    );
    // Not the create event: the first-join rule never applies (see the module docs).
    incoming.prev_events = vec![OwnedEventId::try_from("$previous").unwrap()];
    check_state_dependent_auth_rules(rules, &incoming, |kind: &StateEventType, key: &str| {
        // Later events win, as in our `from_json`.
        pdus.iter()
            .rev()
            .find(|p| p.state_kind == *kind && p.state_key == key)
    })
}

// ---------------------------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={text:?}: {e}")))
}

#[test]
fn differential_against_ruma_state_res() {
    let seed = env_u64("DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_u64("DIFF_CASES").unwrap_or(DEFAULT_CASES);
    let only = env_u64("DIFF_CASE");
    let all_rules: Vec<AuthorizationRules> = (1..=12).map(rules_for).collect();
    let started = std::time::Instant::now();

    let mut classes: BTreeMap<(&str, bool), u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<(String, &str), u64> = BTreeMap::new();
    let mut disagreements = vec![];
    let range = match only {
        Some(n) => n..n + 1,
        None => 0..cases,
    };
    for n in range.clone() {
        let mut rng = Rng::for_case(seed, n);
        let case = generate(&mut rng, 1..=12);
        let text = serde_json::to_string(&case.state).unwrap();
        let ours = match ours(&case, &text) {
            Ok(decision) => decision,
            Err(e) => panic!(
                "seed {seed:#x} case {n}: our core refused the state: {e}\n{}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap()
            ),
        };
        let synapse_view = invite_when_join_rule_missing(&case.state);
        let theirs = oracle(
            &case,
            synapse_view.as_ref().unwrap_or(&case.state),
            &all_rules[usize::from(case.version) - 1],
        );
        *classes.entry((case.membership, ours.allowed)).or_default() += 1;
        *by_rule
            .entry((ours.rule.clone(), ours.code.as_str()))
            .or_default() += 1;
        if only.is_some() {
            eprintln!(
                "{}\nours: allowed={} code={} rule={} ({})\nruma: {theirs:?}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap(),
                ours.allowed,
                ours.code.as_str(),
                ours.rule,
                ours.message,
            );
        }
        if ours.allowed != theirs.is_ok() {
            disagreements.push((n, case, ours, theirs));
        }
    }
    let elapsed = started.elapsed();

    eprintln!(
        "differential: seed {seed:#x}, {} cases in {elapsed:.2?}",
        range.end - range.start
    );
    eprintln!("  outcome classes (incoming membership, allowed by both):");
    for ((membership, allowed), count) in &classes {
        let verdict = if *allowed { "allowed" } else { "denied" };
        eprintln!("    {membership:7} {verdict:8} {count:7}");
    }
    eprintln!("  deciding rule (ours):");
    for ((rule, code), count) in &by_rule {
        eprintln!("    {rule:14} {code:30} {count:7}");
    }

    if !disagreements.is_empty() {
        for (n, case, ours, theirs) in disagreements.iter().take(10) {
            eprintln!(
                "\nDISAGREEMENT seed {seed:#x} case {n} (replay: DIFF_SEED={seed:#x} DIFF_CASE={n})\n\
                 ours: allowed={} code={} rule={} ({})\nruma: {theirs:?}\n{}",
                ours.allowed,
                ours.code.as_str(),
                ours.rule,
                ours.message,
                serde_json::to_string_pretty(&case.to_json(seed, *n)).unwrap(),
            );
        }
        panic!(
            "{} of {} cases disagree with ruma-state-res (seed {seed:#x}); first ten printed above",
            disagreements.len(),
            range.end - range.start
        );
    }

    // The test must not degrade into trivial cases: every membership is allowed and denied
    // many times.
    if only.is_none() {
        let minimum = cases / 200;
        for membership in MEMBERSHIPS {
            for allowed in [true, false] {
                let count = classes.get(&(membership, allowed)).copied().unwrap_or(0);
                assert!(
                    count >= minimum,
                    "only {count} cases of {membership} allowed={allowed} (want ≥ {minimum})"
                );
            }
        }
    }
}

/// Documented difference (spec §2.1 step 7): with no `m.room.join_rules` event, or one without
/// `join_rule`, the spec names no rule and ruma-state-res rejects every join, while Synapse reads
/// it as `invite` (`event_auth.py`: `content.get("join_rule", JoinRules.INVITE)`), so invited
/// and joined users may join. We predict the homeserver: such cases are compared with ruma on a
/// twin state holding an explicit `invite` rule.
fn invite_when_join_rule_missing(state: &[Value]) -> Option<Vec<Value>> {
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
        "m.room.join_rules",
        "",
        CREATOR,
        json!({ "join_rule": "invite" }),
    ));
    Some(twin)
}

// ---------------------------------------------------------------------------------------------
// Floats (v1–5): not compared with ruma, see the module docs.

/// A float literal that truncates to `n`: `49.9`, `49.0`, `499e-1`, `4.99e1`, `-0.5`, …
fn float_text(rng: &mut Rng, n: i64) -> String {
    let d = 1 + rng.below(9);
    let sign = if n < 0 || (n == 0 && rng.chance(50)) {
        "-"
    } else {
        ""
    };
    let digits = n.unsigned_abs().to_string();
    match rng.below(4) {
        0 => format!("{sign}{digits}.{d}"),
        1 => format!("{sign}{digits}.0"),
        2 if n == 0 => format!("{sign}{d}e-1"),
        2 => format!("{sign}{digits}{d}e-1"),
        _ if n == 0 => format!("{sign}0.{d}e0"),
        _ => format!(
            "{sign}{}.{}{d}e{}",
            &digits[..1],
            &digits[1..],
            digits.len() - 1
        ),
    }
}

/// Spec §1 (notes, fragment `v1-floaty-power-levels`): in room versions 1–5 a power level may be
/// a float, truncated towards zero after expanding the exponent. ruma-state-res 0.18.0 rejects
/// floats in every version (`deserialize_v1_powerlevel` accepts integers and integer strings
/// only): a documented spec-vs-ruma difference. So this test checks OUR truncation: a room whose
/// power levels hold floats must decide exactly like its twin holding the truncated integers
/// (and the twin is checked against ruma). Where ruma's verdict on the float room differs, its
/// error must be the power-levels format error and nothing else.
#[test]
fn float_power_levels_truncate_in_v1_to_v5() {
    let seed = env_u64("DIFF_SEED").unwrap_or(DEFAULT_SEED) ^ 0xf10a_7f10_a7f1_0a7f;
    let cases = (env_u64("DIFF_CASES").unwrap_or(DEFAULT_CASES) / 20).max(500);
    let all_rules: Vec<AuthorizationRules> = (1..=12).map(rules_for).collect();
    let (mut compared, mut ruma_rejects_float) = (0u64, 0u64);
    for n in 0..cases {
        let mut rng = Rng::for_case(seed, n);
        let case = generate(&mut rng, 1..=5);
        let Some(pl_index) = case
            .state
            .iter()
            .position(|e| e["type"] == "m.room.power_levels")
        else {
            continue;
        };
        // Replace integer levels by placeholders, then by float literals in the JSON text.
        let mut floaty = case.state.clone();
        let mut literals = vec![];
        let mut floatify = |value: &mut Value, rng: &mut Rng| {
            if let Some(i) = value.as_i64() {
                if rng.chance(60) {
                    *value = json!(format!("@@float{}@@", literals.len()));
                    literals.push(float_text(rng, i));
                }
            }
        };
        let content = floaty[pl_index]["content"].as_object_mut().unwrap();
        for (_, value) in content.iter_mut() {
            match value {
                Value::Object(map) => map.values_mut().for_each(|v| floatify(v, &mut rng)),
                value => floatify(value, &mut rng),
            }
        }
        if literals.is_empty() {
            continue;
        }
        let mut float_json = serde_json::to_string(&floaty).unwrap();
        for (i, literal) in literals.iter().enumerate() {
            float_json = float_json.replace(&format!("\"@@float{i}@@\""), literal);
        }
        let int_json = serde_json::to_string(&case.state).unwrap();
        let context = || {
            format!(
                "float seed {seed:#x} case {n}\nfloat state: {float_json}\n{}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap()
            )
        };
        let with_floats = ours(&case, &float_json).unwrap_or_else(|e| panic!("{e}\n{}", context()));
        let with_ints = ours(&case, &int_json).unwrap_or_else(|e| panic!("{e}\n{}", context()));
        assert_eq!(with_floats, with_ints, "{}", context());

        let rules = &all_rules[usize::from(case.version) - 1];
        let synapse_view = invite_when_join_rule_missing(&case.state);
        let ruma_ints = oracle(&case, synapse_view.as_ref().unwrap_or(&case.state), rules);
        assert_eq!(
            with_ints.allowed,
            ruma_ints.is_ok(),
            "{ruma_ints:?}\n{}",
            context()
        );
        let float_state: Vec<Value> = serde_json::from_str(&float_json).unwrap();
        let float_view = invite_when_join_rule_missing(&float_state);
        let ruma_floats = oracle(&case, float_view.as_ref().unwrap_or(&float_state), rules);
        if ruma_floats.is_ok() != with_floats.allowed {
            let error = ruma_floats.unwrap_err();
            assert!(
                error.contains("of `m.room.power_levels` event"),
                "ruma differs for another reason than floats: {error}\n{}",
                context()
            );
            ruma_rejects_float += 1;
        }
        compared += 1;
    }
    eprintln!(
        "floats: {compared} v1–5 rooms with float levels decided like their integer twins; \
         ruma rejected the floats in {ruma_rejects_float} of them"
    );
    assert!(compared >= cases / 2, "only {compared} float cases");
    assert!(ruma_rejects_float > 0, "the float levels were never read");
}
