//! `Session::ingest_sync` on arbitrary responses, one after another.
//!
//! Input: byte 0 picks the session's user; the rest, split on NUL bytes, are sync bodies.
//! Invariants: a refused sync changes nothing; the session holds state only for rooms that
//! some sync listed under `rooms.join`, and none for a room that this sync lists under
//! `invite`, `knock` or `leave` (stripped state never builds a room); every held room answers
//! its queue (whose decisions equal `check` on the held state), `check` and every request
//! builder without panicking.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use matrix_knock::core::{
    request::RequestOptions, session::Session, sync::SyncResponse, Action, Context,
};
use matrix_knock_fuzz::split_nul;

const USERS: [&str; 4] = ["@me:hs1", "@mod:hs1", "@k:hs2", "@c:hs1"];

/// Room IDs of a sync section, read with the crate's own envelope parser (the events inside
/// may be malformed JSON values, e.g. bad escapes: they are skipped, not refused).
fn section_keys<T>(section: &matrix_knock::core::sync::Keyed<'_, T>) -> Vec<String> {
    section.into_iter().map(|(k, _)| k.to_string()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let me = USERS[usize::from(which) % USERS.len()];
    let mut session = Session::new(me).unwrap();
    let mut ever_joined = BTreeSet::new();
    for (i, text) in split_nul(rest).into_iter().take(6).enumerate() {
        let before = format!("{session:?}");
        let now = 1_000 * i as u64 + u64::from(which);
        match session.ingest_sync(text, now) {
            Err(_) => {
                assert_eq!(
                    format!("{session:?}"),
                    before,
                    "a refused sync changed the session"
                );
                continue;
            }
            Ok(_changes) => {}
        }
        let sync = SyncResponse::from_json(text).expect("an accepted sync parses");
        ever_joined.extend(section_keys(&sync.rooms.join));
        let stripped: BTreeSet<String> = section_keys(&sync.rooms.invite)
            .into_iter()
            .chain(section_keys(&sync.rooms.knock))
            .chain(section_keys(&sync.rooms.leave))
            .collect();
        let held: Vec<String> = session.room_ids().map(str::to_owned).collect();
        for room_id in &held {
            assert!(ever_joined.contains(room_id), "room {room_id} never joined");
            assert!(
                !stripped.contains(room_id),
                "room {room_id} held from stripped state"
            );
            let room = session.room(room_id).unwrap().clone();
            let users: Vec<String> = {
                let queue = session
                    .knock_requests(room_id)
                    .expect("a held room has a queue");
                for entry in &queue {
                    let target = Some(entry.request.user_id);
                    let expected = room
                        .check(Action::Accept, me, target, &Context::default())
                        .unwrap();
                    assert_eq!(entry.accept, expected);
                }
                queue.iter().map(|e| e.request.user_id.to_owned()).collect()
            };
            session.mark_seen(room_id, &users);
            for action in Action::ALL {
                let options = RequestOptions {
                    target: users.first().cloned().or(Some("@k:hs2".to_owned())),
                    reason: Some("r".to_owned()),
                    via: vec!["hs2".to_owned()],
                };
                for force in [false, true] {
                    let _ = session.request(action, room_id, &options, force);
                }
            }
        }
        let _ = session.my_knocks().count();
        let exported = session.seen().clone();
        session.import_seen(exported);
    }
});
