//! `RoomState::from_json` on arbitrary text: an error or a room, never a panic. For a room:
//! every query answers, the knock queue is sorted, `check` answers every action for every
//! pair of users, and building the same room event by event with `apply_event` gives the same
//! answers (the two code paths must agree on what the state is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use matrix_knock::core::{event::events_from_json, Action, Context, RoomState};
use matrix_knock_fuzz::{snapshot, users_with};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(room) = RoomState::from_json(text) else {
        return;
    };
    let events = events_from_json(text).expect("from_json succeeded, so the array parses");

    // The queue is oldest first, ties by user ID.
    let queue = room.knock_requests();
    let keys: Vec<_> = queue
        .iter()
        .map(|r| (r.details.and_then(|d| d.origin_server_ts), r.user_id))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "unsorted queue {keys:?}"
    );

    // Users named by the state, then the same room rebuilt incrementally.
    let candidates: Vec<&str> = events
        .iter()
        .flat_map(|e| [e.sender.as_ref(), e.state_key.as_deref().unwrap_or("")])
        .collect();
    let users = users_with(candidates.iter().copied(), 3);
    for user in &users {
        for action in Action::ALL {
            room.check(action, user, None, &Context::default())
                .expect("valid user IDs always get a decision");
        }
    }
    let create = events
        .iter()
        .rev()
        .find(|e| e.kind == "m.room.create" && e.state_key.as_deref() == Some(""))
        .expect("from_json found a create event");
    let mut incremental = RoomState::from_create(create).expect("the create event was valid");
    for event in &events {
        incremental
            .apply_event(event)
            .expect("every event was valid in from_json");
    }
    assert_eq!(
        snapshot(&room, &users),
        snapshot(&incremental, &users),
        "from_json and apply_event disagree on {text}"
    );
});
