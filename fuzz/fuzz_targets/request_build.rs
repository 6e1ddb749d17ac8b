//! `request::build` (and `Session::request`) from arbitrary actions, room IDs or aliases,
//! targets, reasons and `via` servers. Whatever it builds stays in the endpoint: after the
//! fixed prefix, the room segment is percent-encoded (no `/`, `?`, `#`, nothing outside
//! RFC 3986 unreserved characters and `%XX`), decoding it gives back the input exactly, and
//! the path ends with the action's endpoint. The query decodes back to the `via` servers.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use matrix_knock::core::{
    request::{build, encode, Request, RequestOptions},
    session::Session,
    Action,
};
use matrix_knock_fuzz::{base_room_json, is_encoded_segment, percent_decode};

#[derive(Arbitrary, Debug)]
struct Input {
    action: u8,
    room: String,
    target: Option<String>,
    reason: Option<String>,
    via: Vec<String>,
    force: bool,
}

const PREFIX: &str = "/_matrix/client/v3/";

fn assert_contained(r: &Request, action: Action, room: &str, options: &RequestOptions) {
    let rest = r.path.strip_prefix(PREFIX).expect("fixed prefix");
    let (segment, tail) = match action {
        Action::Knock => (rest.strip_prefix("knock/").expect("knock endpoint"), ""),
        Action::Join => (rest.strip_prefix("join/").expect("join endpoint"), ""),
        _ => {
            let inner = rest.strip_prefix("rooms/").expect("rooms endpoint");
            let endpoint = match action {
                Action::Leave | Action::Rescind => "/leave",
                Action::Invite | Action::Accept => "/invite",
                Action::Kick | Action::Decline => "/kick",
                Action::Ban => "/ban",
                _ => "/unban",
            };
            (
                inner.strip_suffix(endpoint).expect("endpoint suffix"),
                endpoint,
            )
        }
    };
    assert!(!tail.is_empty() || !segment.contains('/'));
    assert!(
        !segment.contains(['/', '?', '#']) && is_encoded_segment(segment),
        "segment escapes: {:?}",
        r.path
    );
    assert!(!segment.is_empty());
    assert_eq!(
        percent_decode(segment).as_deref(),
        Some(room),
        "decode {:?}",
        r.path
    );
    assert_eq!(r.room, room);
    assert_eq!(r.method, "POST");
    // Path and query: the path is unchanged, every parameter is `via` and decodes back.
    let url = r.path_and_query();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    assert_eq!(path, r.path);
    let decoded: Vec<String> = query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let value = q.strip_prefix("via=").expect("only via parameters");
            assert!(is_encoded_segment(value), "query value escapes: {url:?}");
            percent_decode(value).expect("decodable")
        })
        .collect();
    if matches!(action, Action::Knock | Action::Join) {
        assert_eq!(decoded, options.via);
    } else {
        assert!(decoded.is_empty());
    }
    let body = serde_json::to_value(&r.body).unwrap();
    if let Some(target) = &r.target {
        assert_eq!(Some(target), options.target.as_ref());
        assert_eq!(body["user_id"], serde_json::Value::from(target.as_str()));
    }
    assert_eq!(
        body.get("reason").and_then(|v| v.as_str()),
        options.reason.as_deref()
    );
}

fuzz_target!(|input: Input| {
    let action = Action::ALL[usize::from(input.action) % Action::ALL.len()];
    let options = RequestOptions {
        target: input.target.clone(),
        reason: input.reason.clone(),
        via: input.via.clone(),
    };
    // encode is also used for HttpClient.roomState and the sync token.
    let encoded = encode(&input.room);
    assert!(is_encoded_segment(&encoded));
    assert_eq!(
        percent_decode(&encoded).as_deref(),
        Some(input.room.as_str())
    );

    if let Ok(r) = build(action, &input.room, &options) {
        assert_contained(&r, action, &input.room, &options);
    }
    // The same through a session that holds a room (decided first unless forced).
    let mut session = Session::new("@mod:hs1").unwrap();
    let state = base_room_json(input.action / 16);
    let sync = format!(
        r#"{{"rooms":{{"join":{{"!room:hs1":{{"state":{{"events":{state}}}}},{}:{{"state":{{"events":{state}}}}}}}}}}}"#,
        serde_json::Value::from(input.room.as_str())
    );
    let _ = session.ingest_sync(&sync, 5);
    if let Ok(Ok(r)) = session.request(action, &input.room, &options, input.force) {
        assert_contained(&r, action, &input.room, &options);
    }
});
