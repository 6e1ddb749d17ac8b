#![allow(clippy::too_many_arguments)] // one row of the vector table per call
//! The test vectors of the spec digest (§11), numbered as there. Each asserts the outcome,
//! the deciding rule as that room version numbers it, and the code.

mod common;

use common::{p1, setup, Setup};
use matrix_knock::core::{Action, Context, Decision, RoomState};
use ruma_common::UserId;
use ruma_events::room::member::MembershipState;
use serde_json::json;

const C: &str = "@c:hs1";
const C2: &str = "@c2:hs1";
const ADMIN: &str = "@admin:hs1";
const MOD: &str = "@mod:hs1";
const U: &str = "@u:hs1";
const K: &str = "@k:hs2";

fn check(
    room: &RoomState,
    action: &str,
    actor: &str,
    target: Option<&str>,
    ctx: &Context,
) -> Decision {
    room.check(Action::parse(action).unwrap(), actor, target, ctx)
        .unwrap()
}

#[track_caller]
fn expect(id: u32, d: Decision, allowed: bool, rule: &str, code: &str) {
    assert_eq!(
        (d.allowed, d.rule.as_str(), d.code.as_str()),
        (allowed, rule, code),
        "vector {id}: {}",
        d.message
    );
}

#[track_caller]
fn t(
    id: u32,
    s: Setup,
    action: &str,
    actor: &str,
    target: Option<&str>,
    allowed: bool,
    rule: &str,
    code: &str,
) {
    let d = check(&s.build(), action, actor, target, &Context::default());
    expect(id, d, allowed, rule, code);
}

/// The auth rules alone, for events a client cannot send through the plain API.
#[track_caller]
fn auth(
    id: u32,
    s: Setup,
    sender: &str,
    target: &str,
    m: MembershipState,
    via: Option<&str>,
    allowed: bool,
    rule: &str,
    code: &str,
) {
    let room = s.build();
    let (sender, target) = (
        UserId::parse(sender).unwrap(),
        UserId::parse(target).unwrap(),
    );
    let via = via.map(|v| UserId::parse(v).unwrap());
    let d = room.authorize(Action::Join, &sender, &target, &m, via.as_deref());
    expect(id, d, allowed, rule, code);
}

fn reason(r: &str) -> Context {
    Context {
        reason: Some(r.to_owned()),
        ..Context::default()
    }
}

#[test]
fn knock_membership_rule_per_version() {
    t(1, setup("7"), "knock", K, None, true, "v7 4.6.3", "ALLOWED");
    t(
        2,
        setup("6"),
        "knock",
        K,
        None,
        false,
        "v6 4.6",
        "KNOCKING_UNSUPPORTED",
    );
    t(
        3,
        setup("1").rule("invite"),
        "knock",
        K,
        None,
        false,
        "v1 5.6",
        "KNOCKING_UNSUPPORTED",
    );
    t(
        4,
        setup("7").rule("public"),
        "knock",
        K,
        None,
        false,
        "v7 4.6.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    t(
        5,
        setup("7").rule("invite"),
        "knock",
        K,
        None,
        false,
        "v7 4.6.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    let restricted = json!({"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": "!other:hs1"}]});
    t(
        6,
        setup("8").join_rules(Some(restricted)),
        "knock",
        K,
        None,
        false,
        "v8 4.7.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    t(
        7,
        setup("9").rule("knock_restricted"),
        "knock",
        K,
        None,
        false,
        "v9 4.7.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    t(
        8,
        setup("10").rule("knock_restricted"),
        "knock",
        K,
        None,
        true,
        "v10 4.7.3",
        "ALLOWED",
    );
    t(
        9,
        setup("12").rule("knock_restricted"),
        "knock",
        K,
        None,
        true,
        "v12 5.7.3",
        "ALLOWED",
    );
    t(
        10,
        setup("10").join_rules(None),
        "knock",
        K,
        None,
        false,
        "v10 4.7.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
}

#[test]
fn knock_membership_rule_step_3_prior_memberships() {
    t(
        11,
        setup("10").member(K, "ban", MOD),
        "knock",
        K,
        None,
        false,
        "v10 4.7.4",
        "BANNED",
    );
    t(
        12,
        setup("10").member(K, "invite", MOD),
        "knock",
        K,
        None,
        false,
        "v10 4.7.4",
        "ALREADY_INVITED",
    );
    t(
        13,
        setup("10").me(K, "join"),
        "knock",
        K,
        None,
        false,
        "v10 4.7.4",
        "ALREADY_JOINED",
    );
    let room = setup("10").me(K, "knock").build();
    expect(
        14,
        check(&room, "knock", K, None, &reason("new reason")),
        true,
        "v10 4.7.3",
        "ALLOWED",
    );
    t(
        15,
        setup("10").me(K, "leave"),
        "knock",
        K,
        None,
        true,
        "v10 4.7.3",
        "ALLOWED",
    );
    t(
        16,
        setup("10").member(K, "leave", MOD),
        "knock",
        K,
        None,
        true,
        "v10 4.7.3",
        "ALLOWED",
    );
    t(
        17,
        setup("10"),
        "knock",
        MOD,
        Some(K),
        false,
        "v10 4.7.2",
        "NOT_FOR_OTHERS",
    );
    t(
        18,
        setup("10").create(json!({"m.federate": false})),
        "knock",
        K,
        None,
        false,
        "v10 3",
        "ROOM_NOT_FEDERATED",
    );
    let pl = setup("10").pl_with(json!({"events": {"m.room.member": 100}, "users_default": -10}));
    t(19, pl, "knock", K, None, true, "v10 4.7.3", "ALLOWED");
    let room = setup("10").rule("invite").me(K, "knock").build();
    expect(
        21,
        check(&room, "knock", K, None, &reason("again")),
        false,
        "v10 4.7.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    t(
        22,
        setup("12").me(C, "leave"),
        "knock",
        C,
        None,
        true,
        "v12 5.7.3",
        "ALLOWED",
    );
    t(
        23,
        setup("11").pl_with(json!({"users": {K: 100}})),
        "knock",
        K,
        None,
        true,
        "v11 4.7.3",
        "ALLOWED",
    );
}

#[test]
fn invite_rule_accepting_a_knock() {
    let knocking = || setup("10").me(K, "knock");
    t(
        24,
        knocking(),
        "accept",
        MOD,
        Some(K),
        true,
        "v10 4.4.4",
        "ALLOWED",
    );
    t(
        25,
        knocking(),
        "accept",
        U,
        Some(K),
        true,
        "v10 4.4.4",
        "ALLOWED",
    );
    t(
        26,
        knocking().pl_with(json!({"invite": 50})),
        "accept",
        U,
        Some(K),
        false,
        "v10 4.4.5",
        "INSUFFICIENT_LEVEL",
    );
    t(
        27,
        knocking().me(MOD, "leave"),
        "accept",
        MOD,
        Some(K),
        false,
        "v10 4.4.2",
        "ACTOR_NOT_JOINED",
    );
    t(
        28,
        setup("10").member(K, "ban", ADMIN),
        "invite",
        MOD,
        Some(K),
        false,
        "v10 4.4.3",
        "TARGET_BANNED",
    );
    // 29/30: a redacted P2 keeps `invite` only from v11 on.
    t(
        29,
        knocking().pl(Some(p1("10"))),
        "accept",
        U,
        Some(K),
        true,
        "v10 4.4.4",
        "ALLOWED",
    );
    let v11 = setup("11").me(K, "knock").pl_with(json!({"invite": 50}));
    t(
        30,
        v11,
        "accept",
        U,
        Some(K),
        false,
        "v11 4.4.5",
        "INSUFFICIENT_LEVEL",
    );
    t(
        31,
        setup("12").me(K, "knock").pl(None),
        "accept",
        C,
        Some(K),
        true,
        "v12 5.4.4",
        "ALLOWED",
    );
    t(
        32,
        setup("12").me(C, "knock"),
        "accept",
        MOD,
        Some(C),
        true,
        "v12 5.4.4",
        "ALLOWED",
    );
}

#[test]
fn leave_rule_declining_a_knock() {
    let knocking = |v: &str| setup(v).me(K, "knock");
    t(
        33,
        knocking("10"),
        "decline",
        MOD,
        Some(K),
        true,
        "v10 4.5.4",
        "ALLOWED",
    );
    t(
        34,
        knocking("10").pl_with(json!({"kick": 0})),
        "decline",
        U,
        Some(K),
        false,
        "v10 4.5.5",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
    t(
        35,
        knocking("10").pl_with(json!({"users": {K: 50}})),
        "decline",
        MOD,
        Some(K),
        false,
        "v10 4.5.5",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
    t(
        36,
        knocking("10").pl_with(json!({"kick": 75})),
        "decline",
        MOD,
        Some(K),
        false,
        "v10 4.5.5",
        "INSUFFICIENT_LEVEL",
    );
    t(
        37,
        knocking("10").member(MOD, "invite", C),
        "decline",
        MOD,
        Some(K),
        false,
        "v10 4.5.2",
        "ACTOR_NOT_JOINED",
    );
    t(
        38,
        knocking("10").pl_with(json!({"users_default": 50})),
        "decline",
        MOD,
        Some(K),
        false,
        "v10 4.5.5",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
    t(
        39,
        knocking("11").pl(None),
        "decline",
        C,
        Some(K),
        true,
        "v11 4.5.4",
        "ALLOWED",
    );
    t(
        40,
        knocking("11").pl(None),
        "decline",
        U,
        Some(K),
        false,
        "v11 4.5.5",
        "INSUFFICIENT_LEVEL",
    );
    t(
        41,
        knocking("10").pl(None),
        "decline",
        C,
        Some(K),
        true,
        "v10 4.5.4",
        "ALLOWED",
    );
    t(
        42,
        setup("12").me(C, "knock"),
        "decline",
        ADMIN,
        Some(C),
        false,
        "v12 5.5.5",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
    let two = setup("12")
        .create(json!({"additional_creators": [C2]}))
        .me(C2, "join")
        .me(C, "knock");
    t(
        43,
        two,
        "decline",
        C2,
        Some(C),
        false,
        "v12 5.5.5",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
}

#[test]
fn ban_and_unban_rules_for_knockers() {
    let knocking = |v: &str| setup(v).me(K, "knock");
    t(
        44,
        knocking("10"),
        "ban",
        MOD,
        Some(K),
        true,
        "v10 4.6.2",
        "ALLOWED",
    );
    t(
        45,
        knocking("10").pl_with(json!({"ban": 100})),
        "ban",
        MOD,
        Some(K),
        false,
        "v10 4.6.3",
        "INSUFFICIENT_LEVEL",
    );
    t(
        46,
        knocking("10").me(MOD, "leave"),
        "ban",
        MOD,
        Some(K),
        false,
        "v10 4.6.1",
        "ACTOR_NOT_JOINED",
    );
    t(
        47,
        setup("12").me(C, "knock"),
        "ban",
        ADMIN,
        Some(C),
        false,
        "v12 5.6.3",
        "TARGET_LEVEL_NOT_BELOW_ACTOR",
    );
    let banned = || setup("10").member(K, "ban", MOD);
    t(
        48,
        banned(),
        "unban",
        ADMIN,
        Some(K),
        true,
        "v10 4.5.4",
        "ALLOWED",
    );
    t(
        49,
        banned().pl_with(json!({"kick": 75})),
        "unban",
        MOD,
        Some(K),
        false,
        "v10 4.5.5",
        "INSUFFICIENT_LEVEL",
    );
    t(
        50,
        banned().pl_with(json!({"ban": 75})),
        "unban",
        MOD,
        Some(K),
        false,
        "v10 4.5.3",
        "INSUFFICIENT_LEVEL",
    );
    t(
        51,
        setup("10").member(K, "leave", ADMIN),
        "knock",
        K,
        None,
        true,
        "v10 4.7.3",
        "ALLOWED",
    );
    t(
        52,
        banned(),
        "leave",
        K,
        None,
        false,
        "v10 4.5.1",
        "NOT_IN_ROOM",
    );
}

#[test]
fn rescind_and_join_from_knock() {
    t(
        53,
        setup("7").me(K, "knock"),
        "rescind",
        K,
        None,
        true,
        "v7 4.4.1",
        "ALLOWED",
    );
    // 54 as the auth rules see it (a kicked user cannot leave again) ...
    t(
        54,
        setup("10").member(K, "leave", MOD),
        "leave",
        K,
        None,
        false,
        "v10 4.5.1",
        "NOT_IN_ROOM",
    );
    // ... while a user's own identical leave is answered with the existing event.
    t(
        54,
        setup("10").me(K, "leave"),
        "leave",
        K,
        None,
        true,
        "server: Client-Server API check before the auth rules",
        "DUPLICATE",
    );
    t(
        55,
        setup("12").me(C, "knock"),
        "rescind",
        C,
        None,
        true,
        "v12 5.5.1",
        "ALLOWED",
    );
    t(
        56,
        setup("10").me(K, "knock"),
        "join",
        K,
        None,
        false,
        "v10 4.3.7",
        "NOT_INVITED",
    );
    let kr = |pl: serde_json::Value| {
        setup("10")
            .join_rules(Some(json!({"join_rule": "knock_restricted", "allow": [{"type": "m.room_membership", "room_id": "!other:hs1"}]})))
            .pl_with(pl)
            .me(K, "knock")
    };
    let in_other = Context {
        joined_room_ids: Some(vec!["!other:hs1".to_owned()]),
        reason: None,
    };
    expect(
        57,
        check(&kr(json!({})).build(), "join", K, None, &in_other),
        true,
        "v10 4.3.5.3",
        "ALLOWED",
    );
    auth(
        57,
        kr(json!({})),
        K,
        K,
        MembershipState::Join,
        Some(MOD),
        true,
        "v10 4.3.5.3",
        "ALLOWED",
    );
    auth(
        58,
        kr(json!({"invite": 50})),
        K,
        K,
        MembershipState::Join,
        Some(U),
        false,
        "v10 4.3.5.2",
        "NO_AUTHORISING_USER",
    );
    auth(
        59,
        kr(json!({})),
        K,
        K,
        MembershipState::Join,
        None,
        false,
        "v10 4.3.5.2",
        "NOT_IN_ALLOWED_ROOM",
    );
    auth(
        60,
        kr(json!({})).me(MOD, "leave"),
        K,
        K,
        MembershipState::Join,
        Some(MOD),
        false,
        "v10 4.3.5.2",
        "NO_AUTHORISING_USER",
    );
    let room = kr(json!({})).build();
    expect(
        57,
        check(&room, "join", K, None, &Context::default()),
        false,
        "v10 4.3.5.2",
        "JOINED_ROOMS_UNKNOWN",
    );
    expect(
        57,
        check(
            &room,
            "join",
            K,
            None,
            &Context {
                joined_room_ids: Some(vec![]),
                reason: None,
            },
        ),
        false,
        "v10 4.3.5.2",
        "NOT_IN_ALLOWED_ROOM",
    );
    let v9 = setup("9").join_rules(Some(json!({"join_rule": "knock_restricted", "allow": [{"type": "m.room_membership", "room_id": "!other:hs1"}]})));
    expect(
        61,
        check(&v9.build(), "join", K, None, &in_other),
        false,
        "v9 4.3.7",
        "JOIN_RULE_FORBIDS_JOIN",
    );
    t(
        62,
        setup("10").rule("public").me(K, "knock"),
        "join",
        K,
        None,
        true,
        "v10 4.3.6",
        "ALLOWED",
    );
    t(
        63,
        setup("10").member(K, "invite", MOD),
        "join",
        K,
        None,
        true,
        "v10 4.3.4",
        "ALLOWED",
    );
    t(
        64,
        setup("10").member(K, "ban", MOD),
        "join",
        K,
        None,
        false,
        "v10 4.3.3",
        "BANNED",
    );
    t(
        65,
        setup("6").member(K, "invite", MOD),
        "join",
        K,
        None,
        false,
        "v6 4.2.6",
        "JOIN_RULE_FORBIDS_JOIN",
    );
    t(
        66,
        setup("12").me(C, "leave"),
        "join",
        C,
        None,
        false,
        "v12 5.3.7",
        "NOT_INVITED",
    );
}

#[test]
fn stringy_power_levels_decide_like_integers() {
    let pl = json!({"kick": " 050 ", "users": {"@mod:hs1": "+50"}});
    t(
        67,
        setup("9").pl(Some(pl)).me(K, "knock"),
        "decline",
        MOD,
        Some(K),
        true,
        "v9 4.5.4",
        "ALLOWED",
    );
}

#[test]
fn creators_are_infinite_only_in_v12() {
    let room = setup("12")
        .create(json!({"additional_creators": [C2]}))
        .build();
    let level = |u: &str| room.power_level(&UserId::parse(u).unwrap());
    assert_eq!(
        level(C),
        ruma_events::room::power_levels::UserPowerLevel::Infinite
    );
    assert_eq!(
        level(C2),
        ruma_events::room::power_levels::UserPowerLevel::Infinite
    );
    let v11 = setup("11").pl(None).build();
    assert_eq!(
        v11.power_level(&UserId::parse(C).unwrap()),
        js_int::Int::from(100)
    );
}

#[test]
fn server_checks_come_in_synapse_order() {
    // A second identical kick is refused as "not in the room", before any duplicate check.
    let kicked = setup("10").member(K, "leave", MOD);
    t(
        0,
        kicked,
        "kick",
        MOD,
        Some(K),
        false,
        "server: Client-Server API check before the auth rules",
        "TARGET_NOT_IN_ROOM",
    );
    // A repeated ban by the same sender is answered with the existing event.
    t(
        0,
        setup("10").member(K, "ban", MOD),
        "ban",
        MOD,
        Some(K),
        true,
        "server: Client-Server API check before the auth rules",
        "DUPLICATE",
    );
    // Unban of a user who is not banned names that, not a level mismatch.
    t(
        0,
        setup("10")
            .pl_with(json!({"users": {K: 50}}))
            .me(K, "knock"),
        "unban",
        MOD,
        Some(K),
        false,
        "server: Client-Server API check before the auth rules",
        "TARGET_NOT_BANNED",
    );
    // A banned user's knock is refused by both; the auth rule labels it.
    t(
        0,
        setup("10").member(K, "ban", MOD),
        "knock",
        K,
        None,
        false,
        "v10 4.7.4",
        "BANNED",
    );
}

#[test]
fn a_missing_join_rule_reads_as_invite_like_synapse() {
    let none = || setup("10").join_rules(None);
    t(
        10,
        none(),
        "knock",
        K,
        None,
        false,
        "v10 4.7.1",
        "JOIN_RULE_FORBIDS_KNOCK",
    );
    t(
        0,
        none().member(K, "invite", MOD),
        "join",
        K,
        None,
        true,
        "v10 4.3.4",
        "ALLOWED",
    );
    t(
        0,
        none(),
        "join",
        K,
        None,
        false,
        "v10 4.3.7",
        "NOT_INVITED",
    );
    let no_key = setup("10")
        .join_rules(Some(json!({"allow": []})))
        .member(K, "invite", MOD);
    t(0, no_key, "join", K, None, true, "v10 4.3.4", "ALLOWED");
    let not_a_string = setup("10")
        .join_rules(Some(json!({"join_rule": 7})))
        .member(K, "invite", MOD);
    t(
        0,
        not_a_string,
        "join",
        K,
        None,
        false,
        "v10 4.3.7",
        "JOIN_RULE_FORBIDS_JOIN",
    );
}

#[test]
fn timestamps_beyond_json_integers_are_dropped_not_fatal() {
    let mut events = setup("10").events();
    let mut knock = common::state("m.room.member", K, K, json!({"membership": "knock"}));
    knock["origin_server_ts"] = json!(9_007_199_254_740_993_u64);
    events.push(knock);
    let room = RoomState::from_json(&serde_json::to_string(&events).unwrap()).unwrap();
    let requests = room.knock_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].details.and_then(|d| d.origin_server_ts), None);
}
