//! Fuzzing regressions (issue 6). Replays every seed and every crash input of the text-based
//! fuzz targets (`fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/`) through the public
//! core API with the targets' main invariants, so that a plain `cargo test` on stable keeps
//! them passing without nightly or cargo-fuzz. Input layouts are the targets' own (see
//! `fuzz/fuzz_targets/*.rs`): `room_from_json` is JSON text; `apply_event` is one byte picking
//! a base room from `fuzz/base_rooms.json`, then NUL-separated events and `?action actor
//! target` probes; `ingest_sync` is one byte picking the user, then NUL-separated sync bodies.
//! (`request_build` and `authorize_differential` inputs are `arbitrary` byte streams: they are
//! replayed by `scripts/fuzz-smoke`.)
//!
//! A crash the fuzzers find gets its input in `fuzz/artifacts/<target>/` (replayed here) and, when
//! it shows a bug worth naming, a test of its own below.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use matrix_knock::core::{
    event::{events_from_json, RawEvent},
    request::RequestOptions,
    session::Session,
    Action, Context, RoomState,
};

const BASE_ROOMS: &str = include_str!("../fuzz/base_rooms.json");
const USERS: [&str; 5] = ["@c:hs1", "@mod:hs1", "@u:hs1", "@k:hs2", "@me:hs1"];

/// Every input file of a target, seeds and artifacts, sorted.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = vec![];
    for dir in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                files.push((path, data));
            }
        }
    }
    files.sort();
    files
}

fn base_room(which: u8) -> RoomState {
    let rooms: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(BASE_ROOMS).unwrap();
    let text = rooms[usize::from(which) % rooms.len()].get();
    RoomState::from_json(text).unwrap()
}

fn split_nul(data: &[u8]) -> Vec<&str> {
    data.split(|b| *b == 0)
        .filter_map(|part| std::str::from_utf8(part).ok())
        .collect()
}

/// Every decision for every action on every pair of the fixed users.
fn decisions(room: &RoomState) -> Vec<String> {
    let mut out = vec![format!("{:?}", room.knock_requests())];
    for action in Action::ALL {
        for actor in USERS {
            for target in USERS {
                let d = room.check(action, actor, Some(target), &Context::default());
                out.push(format!("{action:?} {actor} {target} {d:?}"));
            }
        }
    }
    out
}

#[test]
fn base_rooms_all_load() {
    for which in 0..6 {
        let room = base_room(which);
        assert_eq!(room.member_count(), 6, "base room {which}");
    }
}

#[test]
fn room_from_json_inputs_replay() {
    let files = inputs("room_from_json");
    assert!(!files.is_empty(), "no seed corpus for room_from_json");
    for (path, data) in files {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(room) = RoomState::from_json(text) {
            // What the windowed reader accepts, the whole-text reader and serde_json accept.
            assert!(
                events_from_json(text).is_ok()
                    && serde_json::from_str::<Vec<serde_json::Value>>(text).is_ok(),
                "from_json accepted what is not a JSON array of events: {}",
                path.display()
            );
            let decisions = decisions(&room);
            assert!(decisions.len() > 1, "{}", path.display());
        }
    }
}

#[test]
fn apply_event_inputs_replay() {
    let files = inputs("apply_event");
    assert!(!files.is_empty(), "no seed corpus for apply_event");
    for (path, data) in files {
        let Some((&which, rest)) = data.split_first() else {
            continue;
        };
        let mut room = base_room(which);
        for part in split_nul(rest) {
            if let Some(probe) = part.strip_prefix('?') {
                let mut words = probe.splitn(3, ' ');
                let (action, actor, target) = (words.next(), words.next(), words.next());
                for action in Action::ALL
                    .into_iter()
                    .chain(Action::parse(action.unwrap_or("")).ok())
                {
                    let _ = room.check(action, actor.unwrap_or(""), target, &Context::default());
                }
                continue;
            }
            let Ok(event) = RawEvent::from_json(part) else {
                continue;
            };
            let (debug, before) = (format!("{room:?}"), decisions(&room));
            match room.apply_event(&event) {
                Ok(None) => {}
                outcome => {
                    assert_eq!(
                        format!("{room:?}"),
                        debug,
                        "{outcome:?} changed {}",
                        path.display()
                    );
                    assert_eq!(decisions(&room), before, "{}", path.display());
                }
            }
        }
    }
}

#[test]
fn ingest_sync_inputs_replay() {
    let files = inputs("ingest_sync");
    assert!(!files.is_empty(), "no seed corpus for ingest_sync");
    for (path, data) in files {
        let Some((&which, rest)) = data.split_first() else {
            continue;
        };
        let me = ["@me:hs1", "@mod:hs1", "@k:hs2", "@c:hs1"][usize::from(which) % 4];
        let mut session = Session::new(me).unwrap();
        for (i, text) in split_nul(rest).into_iter().enumerate() {
            let before = format!("{session:?}");
            if session.ingest_sync(text, 1000 * i as u64).is_err() {
                assert_eq!(format!("{session:?}"), before, "{}", path.display());
                continue;
            }
            let rooms: Vec<String> = session.room_ids().map(str::to_owned).collect();
            for room in rooms {
                assert!(
                    session.knock_requests(&room).is_some(),
                    "{}",
                    path.display()
                );
                for action in Action::ALL {
                    let options = RequestOptions {
                        target: Some("@k:hs2".to_owned()),
                        ..RequestOptions::default()
                    };
                    let _ = session.request(action, &room, &options, false);
                }
            }
            let _ = session.my_knocks().count();
        }
    }
}
