//! Differential fuzzing of `RoomState::authorize` against ruma-state-res 0.18.0: a random room
//! and incoming `m.room.member` event (see `tests/support/differential_cases.rs` for the
//! generator, shared with the seeded test, and `tests/differential.rs` for what it leaves out)
//! must get the same verdict from both. Also, on the same room:
//! * building it event by event with `apply_event` decides exactly like `from_json`;
//! * `check` (the Client-Server prediction) never allows what the auth rules refuse: an
//!   allowed, non-duplicate `check` implies ruma accepts the corresponding member event.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use matrix_knock::core::{event::RawEvent, Action, Code, Context, RoomState};
use matrix_knock_fuzz::{differential::*, snapshot};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let case = generate_from(&mut u);
    let text = serde_json::to_string(&case.state).unwrap();
    let room = RoomState::from_json(&text)
        .unwrap_or_else(|e| panic!("our core refused a valid state: {e}\n{text}"));
    let oracle = Oracle::new(&case, &case.state);

    // 1. The auth rules against the oracle.
    let decision = ours(&case, &room);
    let theirs = oracle.check_case(&case);
    assert_eq!(
        decision.allowed,
        theirs.is_ok(),
        "DISAGREEMENT\nours: {decision:?}\nruma: {theirs:?}\ncase: {case:#?}\nstate: {text}"
    );

    // 2. apply_event builds the same room as from_json.
    let texts: Vec<String> = case.state.iter().map(|e| e.to_string()).collect();
    let raws: Vec<RawEvent> = texts
        .iter()
        .map(|t| RawEvent::from_json(t).unwrap())
        .collect();
    let mut incremental = RoomState::from_create(&raws[0]).unwrap();
    for raw in &raws[1..] {
        incremental.apply_event(raw).unwrap();
    }
    let users: Vec<String> = [case.sender, case.target]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        snapshot(&room, &users),
        snapshot(&incremental, &users),
        "from_json and apply_event disagree\nstate: {text}"
    );

    // 3. check ⊆ auth rules: whatever check allows, ruma accepts as a member event.
    let contexts = [
        Context::default(),
        Context {
            joined_room_ids: Some(vec!["!space:hs1".to_owned()]),
            reason: None,
        },
    ];
    for action in Action::ALL {
        for context in &contexts {
            let d = room
                .check(action, case.sender, Some(case.target), context)
                .unwrap();
            if !d.allowed || d.code == Code::Duplicate {
                continue;
            }
            let membership = match action {
                Action::Knock => "knock",
                Action::Join => "join",
                Action::Invite | Action::Accept => "invite",
                Action::Ban => "ban",
                _ => "leave",
            };
            let content = json!({ "membership": membership });
            let mut accepted = oracle.check(case.sender, case.target, &content);
            if accepted.is_err() && action == Action::Join {
                // A restricted join: some joined member with invite power authorises it.
                for via in POOL {
                    let mut content = content.clone();
                    content["join_authorised_via_users_server"] = Value::from(via);
                    if oracle.check(case.sender, case.target, &content).is_ok() {
                        accepted = Ok(());
                        break;
                    }
                }
            }
            assert!(
                accepted.is_ok(),
                "check allowed {action:?} {} -> {} but ruma refuses: {accepted:?}\ndecision: {d:?}\nstate: {text}",
                case.sender,
                case.target
            );
        }
    }
});
