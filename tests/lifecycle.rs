//! The knock lifecycle on generated `/sync` bodies: own knocks and the moderator queue.

use matrix_knock::core::{
    lifecycle::{ChangeKind, KnockStatus},
    request::RequestOptions,
    session::Session,
    Action,
};
use serde_json::{json, Value};

const ME: &str = "@k:hs2";
const MOD: &str = "@mod:hs1";
const MOD2: &str = "@mod2:hs1";
const ROOM: &str = "!room:hs1";

fn ev(kind: &str, key: &str, sender: &str, content: Value, ts: u64) -> Value {
    json!({"type": kind, "state_key": key, "sender": sender, "content": content,
           "event_id": format!("${kind}/{key}/{ts}"), "origin_server_ts": ts})
}
fn member(user: &str, sender: &str, membership: &str, ts: u64) -> Value {
    ev(
        "m.room.member",
        user,
        sender,
        json!({"membership": membership}),
        ts,
    )
}
fn full_state() -> Vec<Value> {
    vec![
        ev(
            "m.room.create",
            "",
            "@c:hs1",
            json!({"room_version": "10", "creator": "@c:hs1"}),
            1,
        ),
        member("@c:hs1", "@c:hs1", "join", 2),
        member(MOD, MOD, "join", 3),
        member(MOD2, MOD2, "join", 4),
        ev(
            "m.room.power_levels",
            "",
            "@c:hs1",
            json!({"users": {"@c:hs1": 100, MOD: 50, MOD2: 50}}),
            5,
        ),
        ev(
            "m.room.join_rules",
            "",
            "@c:hs1",
            json!({"join_rule": "knock"}),
            6,
        ),
    ]
}
fn joined(state: Vec<Value>, timeline: Vec<Value>, limited: bool) -> Value {
    json!({"rooms": {"join": {ROOM: {"state": {"events": state}, "timeline": {"events": timeline, "limited": limited}}}}})
}
fn kinds(changes: &[matrix_knock::core::lifecycle::Change]) -> Vec<&'static str> {
    changes.iter().map(|c| c.kind.as_str()).collect()
}
fn ingest(s: &mut Session, body: Value, now: u64) -> Vec<matrix_knock::core::lifecycle::Change> {
    s.ingest_sync(&body.to_string(), now).unwrap()
}
fn status(s: &Session) -> KnockStatus {
    s.my_knocks().find(|k| k.room_id == ROOM).unwrap().status
}

/// A sync whose `rooms.leave` holds the user's own member event (sent by `sender`).
fn own_leave(sender: &str, membership: &str, reason: Option<&str>, prev: Option<&str>) -> Value {
    let mut e = ev(
        "m.room.member",
        ME,
        sender,
        json!({"membership": membership}),
        77,
    );
    if let Some(r) = reason {
        e["content"]["reason"] = json!(r);
    }
    if let Some(p) = prev {
        e["unsigned"] = json!({"prev_content": {"membership": p}});
    }
    json!({"rooms": {"leave": {ROOM: {"timeline": {"events": [e]}}}}})
}

fn knocked_sync(reason: &str) -> Value {
    json!({"rooms": {"knock": {ROOM: {"knock_state": {"events": [
        {"type": "m.room.name", "state_key": "", "sender": "@c:hs1", "content": {"name": "Lobby"}},
        {"type": "m.room.join_rules", "state_key": "", "sender": "@c:hs1", "content": {"join_rule": "knock"}},
        {"type": "m.room.member", "state_key": ME, "sender": ME, "content": {"membership": "knock", "reason": reason}}
    ]}}}}})
}

#[test]
fn knock_seen_only_in_rooms_knock_is_pending_with_preview() {
    let mut s = Session::new(ME).unwrap();
    let req = s
        .request(
            Action::Knock,
            "#lobby:hs1",
            &RequestOptions {
                via: vec!["hs1".into()],
                ..Default::default()
            },
            false,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/_matrix/client/v3/knock/%23lobby%3Ahs1?via=hs1"
    );
    s.knock_resolved("#lobby:hs1", ROOM);
    let changes = ingest(&mut s, knocked_sync("please"), 100);
    assert_eq!(kinds(&changes), ["knockSent"]);
    let k = s.my_knocks().next().unwrap();
    assert_eq!(
        (k.status, k.reason.as_deref(), k.preview.name.as_deref()),
        (KnockStatus::Pending, Some("please"), Some("Lobby"))
    );
    assert_eq!(k.via, ["hs1"]);
    assert_eq!(k.remote, Some(true), "room on hs1, user on hs2");
    // The same knock in the next sync changes nothing.
    assert!(ingest(&mut s, knocked_sync("please"), 200).is_empty());
    assert_eq!(s.my_knocks().next().unwrap().since, 100);
}

#[test]
fn accept_then_auto_join() {
    let mut s = Session::new(ME).unwrap();
    ingest(&mut s, knocked_sync("hi"), 100);
    let invite = json!({"rooms": {"invite": {ROOM: {"invite_state": {"events": [
        {"type": "m.room.member", "state_key": ME, "sender": MOD, "content": {"membership": "invite", "reason": "welcome"}}
    ]}}}}});
    let changes = ingest(&mut s, invite, 200);
    assert_eq!(kinds(&changes), ["knockAccepted"]);
    assert_eq!(changes[0].by.as_deref(), Some(MOD));
    let k = s.my_knocks().next().unwrap();
    assert_eq!(
        (
            k.status,
            k.decided_by.as_deref(),
            k.decision_reason.as_deref()
        ),
        (KnockStatus::Accepted, Some(MOD), Some("welcome"))
    );
    let mut state = full_state();
    state.push(member(ME, ME, "join", 50));
    let changes = ingest(&mut s, joined(state, vec![], false), 300);
    assert!(kinds(&changes).contains(&"knockJoined"));
    assert_eq!(status(&s), KnockStatus::Joined);
}

#[test]
fn server_auto_join_without_invite_is_joined() {
    let mut s = Session::new(ME).unwrap();
    ingest(&mut s, knocked_sync("hi"), 100);
    let mut state = full_state();
    state.push(member(ME, ME, "join", 50));
    assert!(kinds(&ingest(&mut s, joined(state, vec![], false), 300)).contains(&"knockJoined"));
}

#[test]
fn decline_rescind_ban_and_unban_are_told_apart() {
    let leave = own_leave;
    let mut s = Session::new(ME).unwrap();
    ingest(&mut s, knocked_sync("hi"), 100);
    let changes = ingest(&mut s, leave(MOD, "leave", Some("not now"), None), 200);
    assert_eq!(kinds(&changes), ["knockDeclined"]);
    let k = s.my_knocks().next().unwrap();
    assert_eq!(
        (
            k.decided_by.as_deref(),
            k.decision_reason.as_deref(),
            k.since
        ),
        (Some(MOD), Some("not now"), 77)
    );
    // Knock again, then rescind.
    assert_eq!(
        kinds(&ingest(&mut s, knocked_sync("again"), 300)),
        ["knockSent"]
    );
    assert_eq!(
        kinds(&ingest(&mut s, leave(ME, "leave", None, None), 400)),
        ["knockRescinded"]
    );
    // Knock again, then banned; then unbanned; then knock again.
    ingest(&mut s, knocked_sync("third"), 500);
    assert_eq!(
        kinds(&ingest(&mut s, leave(MOD, "ban", Some("spam"), None), 600)),
        ["knockBanned"]
    );
    assert_eq!(
        kinds(&ingest(&mut s, leave(MOD, "leave", None, Some("ban")), 700)),
        ["knockUnbanned"]
    );
    assert_eq!(
        kinds(&ingest(&mut s, knocked_sync("fourth"), 800)),
        ["knockSent"]
    );
    assert_eq!(status(&s), KnockStatus::Pending);
}

#[test]
fn decline_while_offline_is_recovered_from_prev_content() {
    // A fresh session (e.g. after reload) sees only the leave, with prev_content.
    let mut s = Session::new(ME).unwrap();
    let mut e = member(ME, MOD, "leave", 90);
    e["unsigned"] = json!({"prev_content": {"membership": "knock"}});
    let body =
        json!({"rooms": {"leave": {ROOM: {"state": {"events": []}, "timeline": {"events": [e]}}}}});
    assert_eq!(kinds(&ingest(&mut s, body, 1000)), ["knockDeclined"]);
    assert_eq!(status(&s), KnockStatus::Declined);
    // A leave unrelated to knocking is not a knock.
    let mut s = Session::new(ME).unwrap();
    let body =
        json!({"rooms": {"leave": {ROOM: {"timeline": {"events": [member(ME, ME, "leave", 5)]}}}}});
    assert!(ingest(&mut s, body, 1000).is_empty());
    assert_eq!(s.my_knocks().count(), 0);
}

#[test]
fn moderator_queue_new_decided_withdrawn_and_racing() {
    let mut s = Session::new(MOD).unwrap();
    let mut state = full_state();
    state.push(ev(
        "m.room.member",
        "@a:hs3",
        "@a:hs3",
        json!({"membership": "knock", "reason": "a", "displayname": "A"}),
        10,
    ));
    let changes = ingest(&mut s, joined(state, vec![], false), 100);
    assert_eq!(kinds(&changes), ["requestNew"]);
    let queue = s.knock_requests(ROOM).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        (
            queue[0].request.user_id,
            queue[0].request.reason(),
            queue[0].seen
        ),
        ("@a:hs3", Some("a"), false)
    );
    assert!(queue[0].accept.allowed && queue[0].decline.allowed && queue[0].ban.allowed);
    assert_eq!(s.mark_seen(ROOM, &["@a:hs3".to_owned()]), 1);
    assert!(s.knock_requests(ROOM).unwrap()[0].seen);

    // Timeline: @b knocks; @a re-knocks (a new event: unseen again).
    let timeline = vec![
        ev(
            "m.room.member",
            "@b:hs3",
            "@b:hs3",
            json!({"membership": "knock"}),
            20,
        ),
        ev(
            "m.room.member",
            "@a:hs3",
            "@a:hs3",
            json!({"membership": "knock", "reason": "a2"}),
            21,
        ),
    ];
    let changes = ingest(&mut s, joined(vec![], timeline, false), 200);
    assert_eq!(kinds(&changes), ["requestNew", "requestNew"]);
    assert!(s.knock_requests(ROOM).unwrap().iter().all(|q| !q.seen));

    // Two moderators race: MOD2 declines @a first, MOD's accept then fails on the server,
    // and MOD's session sees the decision by someone else. @b withdraws.
    let timeline = vec![
        ev(
            "m.room.member",
            "@a:hs3",
            MOD2,
            json!({"membership": "leave", "reason": "no"}),
            30,
        ),
        member("@b:hs3", "@b:hs3", "leave", 31),
    ];
    let changes = ingest(&mut s, joined(vec![], timeline, false), 300);
    assert_eq!(kinds(&changes), ["requestDecided", "requestWithdrawn"]);
    assert_eq!(
        (
            changes[0].outcome,
            changes[0].by.as_deref(),
            changes[0].reason.as_deref()
        ),
        (Some("declined"), Some(MOD2), Some("no"))
    );
    assert!(s.knock_requests(ROOM).unwrap().is_empty());
    let refused = s
        .request(
            Action::Accept,
            ROOM,
            &RequestOptions {
                target: Some("@a:hs3".into()),
                ..Default::default()
            },
            false,
        )
        .unwrap();
    assert_eq!(refused.unwrap_err().code.as_str(), "TARGET_NOT_KNOCKING");
    assert!(s
        .request(
            Action::Accept,
            ROOM,
            &RequestOptions {
                target: Some("@a:hs3".into()),
                ..Default::default()
            },
            true
        )
        .unwrap()
        .is_ok());
}

#[test]
fn gappy_sync_applies_state_then_timeline_and_state_after_replaces_both() {
    let mut s = Session::new(MOD).unwrap();
    let mut state = full_state();
    state.push(member("@a:hs3", "@a:hs3", "knock", 10));
    ingest(&mut s, joined(state, vec![], false), 100);
    // Limited timeline: the state block is the state at the start of the timeline.
    let gap_state = vec![ev(
        "m.room.member",
        "@a:hs3",
        MOD2,
        json!({"membership": "ban"}),
        40,
    )];
    let timeline = vec![
        member("@a:hs3", MOD2, "leave", 41),
        member("@z:hs3", "@z:hs3", "knock", 42),
    ];
    let changes = ingest(&mut s, joined(gap_state, timeline, true), 200);
    assert_eq!(kinds(&changes), ["requestDecided", "requestNew"]);
    assert_eq!(changes[0].outcome, Some("declined"));
    // MSC4222 state_after: the timeline's state events are not applied again.
    let body = json!({"rooms": {"join": {ROOM: {
        "state_after": {"events": [member("@z:hs3", MOD, "invite", 50)]},
        "timeline": {"events": [member("@z:hs3", "@z:hs3", "knock", 49)]}}}}});
    let changes = ingest(&mut s, body, 300);
    assert_eq!(kinds(&changes), ["requestDecided"]);
    assert_eq!(changes[0].outcome, Some("accepted"));
}

#[test]
fn a_malformed_sync_changes_nothing_and_bad_events_are_skipped() {
    let mut s = Session::new(MOD).unwrap();
    ingest(&mut s, joined(full_state(), vec![], false), 100);
    assert!(s.ingest_sync("{\"rooms\": ", 1).is_err());
    assert!(s.ingest_sync("{\"rooms\": {\"join\": 5}}", 1).is_err());
    let timeline = vec![
        json!({"type": 5}),
        member("@a:hs3", "@a:hs3", "knock", 10),
        member("not-a-user", "x", "knock", 11),
    ];
    let changes = ingest(&mut s, joined(vec![], timeline, false), 200);
    assert_eq!(kinds(&changes), ["requestNew", "eventsSkipped"]);
    assert_eq!(changes[1].count, 2);
    // A joined room without a create event cannot be decided.
    let body = json!({"rooms": {"join": {"!other:hs1": {"state": {"events": [member(MOD, MOD, "join", 1)]}}}}});
    let changes = ingest(&mut s, body, 300);
    assert_eq!(changes[0].kind, ChangeKind::RoomIncomplete);
    assert!(s.knock_requests("!other:hs1").is_none());
}

#[test]
fn stripped_state_never_grants_a_permission() {
    // Invite state claiming the user is an admin with a public join rule changes nothing.
    let mut s = Session::new(ME).unwrap();
    let body = json!({"rooms": {"invite": {ROOM: {"invite_state": {"events": [
        {"type": "m.room.create", "state_key": "", "sender": ME, "content": {"room_version": "10"}},
        {"type": "m.room.power_levels", "state_key": "", "sender": ME, "content": {"users": {ME: 100}}},
        {"type": "m.room.member", "state_key": ME, "sender": MOD, "content": {"membership": "invite"}}
    ]}}}}});
    ingest(&mut s, body, 1);
    assert!(
        s.room(ROOM).is_none(),
        "no room state is built from stripped state"
    );
    assert!(s.knock_requests(ROOM).is_none());
}

#[test]
fn seen_marks_export_and_import() {
    let mut s = Session::new(MOD).unwrap();
    let mut state = full_state();
    state.push(member("@a:hs3", "@a:hs3", "knock", 10));
    ingest(&mut s, joined(state.clone(), vec![], false), 100);
    s.mark_seen(ROOM, &["@a:hs3".to_owned()]);
    let exported = s.seen().clone();
    let mut fresh = Session::new(MOD).unwrap();
    ingest(&mut fresh, joined(state, vec![], false), 100);
    fresh.import_seen(exported);
    assert!(fresh.knock_requests(ROOM).unwrap()[0].seen);
}

#[test]
fn seen_marks_are_read_from_exported_json() {
    use matrix_knock::core::{session::parse_seen, ErrorCode};
    let marks = parse_seen(r#"{"!r:hs1": {"$a": "@x:hs", "$a": "@y:hs"}, "!s:hs1": {}}"#).unwrap();
    assert_eq!(marks.len(), 2);
    assert_eq!(
        marks["!r:hs1"]["$a"], "@y:hs",
        "a repeated key keeps its last value"
    );
    assert!(marks["!s:hs1"].is_empty());
    for (text, code) in [
        ("{", ErrorCode::InvalidJson),
        ("{\"!r\": {\"$a\": 1}}", ErrorCode::InvalidInput),
        ("[]", ErrorCode::InvalidInput),
        ("{} x", ErrorCode::InvalidJson),
    ] {
        assert_eq!(parse_seen(text).unwrap_err().code, code, "{text}");
    }
}

#[test]
fn a_revoked_invite_after_a_knock_is_declined_and_a_plain_unban_is_no_knock() {
    let leave = |sender: &str, membership: &str, prev: Option<&str>| {
        own_leave(sender, membership, None, prev)
    };
    let invite = json!({"rooms": {"invite": {ROOM: {"invite_state": {"events": [
        {"type": "m.room.member", "state_key": ME, "sender": MOD, "content": {"membership": "invite"}}
    ]}}}}});
    let mut s = Session::new(ME).unwrap();
    ingest(&mut s, knocked_sync("hi"), 100);
    ingest(&mut s, invite.clone(), 200);
    assert_eq!(
        kinds(&ingest(&mut s, leave(MOD, "leave", Some("invite")), 300)),
        ["knockDeclined"]
    );
    let mut s = Session::new(ME).unwrap();
    ingest(&mut s, knocked_sync("hi"), 100);
    ingest(&mut s, invite, 200);
    assert_eq!(
        kinds(&ingest(&mut s, leave(ME, "leave", Some("invite")), 300)),
        ["knockRescinded"]
    );
    // An unban of a user who never knocked here is not a knock.
    let mut s = Session::new(ME).unwrap();
    assert!(ingest(&mut s, leave(MOD, "leave", Some("ban")), 300).is_empty());
    assert_eq!(s.my_knocks().count(), 0);
}
