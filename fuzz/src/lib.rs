//! Helpers shared by the fuzz targets: observable snapshots of a room (to prove a failed call
//! changed nothing), percent-decoding (to prove a request path stays in its endpoint), input
//! splitting, and the generator and oracle of the differential target.

pub mod differential;

use matrix_knock::core::{room::parse_user_id, Action, Context, RoomState};

/// Everything a client can observe of a room through the public API, in a deterministic order:
/// facts, every user's membership and level, the knock queue, and `check` for every action on
/// every (actor, target) pair of `users` (with and without a restricted-join context).
pub fn snapshot(room: &RoomState, users: &[String]) -> Vec<String> {
    let mut out = vec![
        format!("version {}", room.version().as_str()),
        format!("room_id {:?}", room.room_id()),
        format!("creators {:?}", room.creators()),
        format!("creator {} sender {}", room.creator(), room.create_sender()),
        format!(
            "federate {} only_create {}",
            room.federate(),
            room.only_create()
        ),
        format!("join_rule {:?}", room.join_rule()),
        format!("members {}", room.member_count()),
        format!(
            "levels invite {} kick {} ban {}",
            room.power_levels().invite(),
            room.power_levels().kick(),
            room.power_levels().ban()
        ),
        format!("knocks {:?}", room.knock_requests()),
    ];
    let contexts = [
        Context::default(),
        Context {
            joined_room_ids: Some(vec!["!space:hs1".to_owned()]),
            reason: Some("hi".to_owned()),
        },
    ];
    for user in users {
        out.push(format!("member {user} {:?}", room.member(user)));
        if let Ok(id) = parse_user_id(user) {
            out.push(format!("level {user} {:?}", room.power_level(&id)));
        }
    }
    for action in Action::ALL {
        // The context only matters for joins (restricted rooms) and duplicates (reason).
        let contexts = match action {
            Action::Join | Action::Knock => &contexts[..],
            _ => &contexts[..1],
        };
        for actor in users {
            for target in users {
                for context in contexts {
                    let decision = room.check(action, actor, Some(target), context);
                    out.push(format!("{action:?} {actor} {target} {decision:?}"));
                }
            }
        }
    }
    out
}

/// The pool plus up to `extra` valid user IDs taken from `candidates` (deduplicated).
pub fn users_with<'a>(candidates: impl IntoIterator<Item = &'a str>, extra: usize) -> Vec<String> {
    let mut users: Vec<String> = ["@c:hs1", "@mod:hs1", "@u:hs1", "@k:hs2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for candidate in candidates {
        if users.len() >= 4 + extra {
            break;
        }
        if parse_user_id(candidate).is_ok() && !users.iter().any(|u| u == candidate) {
            users.push(candidate.to_owned());
        }
    }
    users
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether `segment` is made only of RFC 3986 unreserved characters and `%XX` escapes.
pub fn is_encoded_segment(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let ok = bytes.len() >= i + 3
                    && bytes[i + 1].is_ascii_hexdigit()
                    && bytes[i + 2].is_ascii_hexdigit();
                if !ok {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => i += 1,
            _ => return false,
        }
    }
    true
}

/// Splits fuzz input on NUL bytes (which never appear raw in JSON text) into UTF-8 parts;
/// parts that are not UTF-8 are dropped.
pub fn split_nul(data: &[u8]) -> Vec<&str> {
    data.split(|b| *b == 0)
        .filter_map(|part| std::str::from_utf8(part).ok())
        .collect()
}

/// Fixed base rooms for the targets that start from a valid room, one per interesting shape
/// (v10 knock; v7 string levels with a knock_restricted rule it does not support; v12 with an
/// additional creator; v11 unfederated knock_restricted with a room ID; v1 float levels; v6
/// public). Shared with `tests/regressions.rs`, which replays the corpus natively.
pub const BASE_ROOMS: &str = include_str!("../base_rooms.json");

/// The JSON text of base room `which % 6`.
pub fn base_room_json(which: u8) -> String {
    use std::sync::OnceLock;
    static ROOMS: OnceLock<Vec<String>> = OnceLock::new();
    let rooms = ROOMS.get_or_init(|| {
        let raw: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(BASE_ROOMS).unwrap();
        raw.into_iter().map(|r| r.get().to_owned()).collect()
    });
    rooms[usize::from(which) % rooms.len()].clone()
}
