//! `apply_event` on arbitrary events over fixed rooms, and `check` on arbitrary strings.
//!
//! Input: byte 0 picks a base room (see `base_room_json`); the rest, split on NUL bytes, are
//! events applied in order, except parts starting with `?`, which are probes
//! `?action actor target` (space-separated; any strings) for `check`.
//! Invariants: a failed or ignored `apply_event` changes nothing (neither the state nor any
//! `check` answer); an applied member event sets exactly that membership; `check` never panics
//! and answers every valid action with valid IDs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matrix_knock::core::{event::MemberContent, event::RawEvent, Action, Context, RoomState};
use matrix_knock_fuzz::{base_room_json, snapshot, split_nul, users_with};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut room = RoomState::from_json(&base_room_json(which)).unwrap();
    for part in split_nul(rest).into_iter().take(8) {
        if let Some(probe) = part.strip_prefix('?') {
            let mut words = probe.splitn(3, ' ');
            let (action, actor, target) = (words.next(), words.next(), words.next());
            let actor = actor.unwrap_or("");
            let context = Context {
                joined_room_ids: Some(vec![probe.to_owned(), "!space:hs1".to_owned()]),
                reason: target.map(str::to_owned),
            };
            if let Ok(action) = Action::parse(action.unwrap_or("")) {
                let _ = room.check(action, actor, target, &context);
            }
            for action in Action::ALL {
                let _ = room.check(action, actor, target, &Context::default());
                let _ = room.check(action, actor, None, &context);
            }
            continue;
        }
        let Ok(event) = RawEvent::from_json(part) else {
            continue;
        };
        let users = users_with(
            [
                event.sender.as_ref(),
                event.state_key.as_deref().unwrap_or(""),
            ],
            2,
        );
        let before_debug = format!("{room:?}");
        let before = snapshot(&room, &users);
        let kept = room.clone();
        match room.apply_event(&event) {
            Ok(None) => {
                if event.kind == "m.room.member" {
                    let user = event.state_key.as_deref().unwrap();
                    let content = MemberContent::parse(event.content).unwrap();
                    assert_eq!(room.membership(user), content.membership(), "{part}");
                }
            }
            outcome => {
                // Ignored or refused: nothing may change.
                assert_eq!(
                    format!("{room:?}"),
                    before_debug,
                    "{outcome:?} changed the state: {part}"
                );
                assert_eq!(
                    snapshot(&room, &users),
                    before,
                    "{outcome:?} changed a decision: {part}"
                );
                let _ = kept;
            }
        }
    }
});
