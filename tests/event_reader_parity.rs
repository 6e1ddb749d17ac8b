//! The hand-written readers of events, member content and `unsigned` (`core::event`) against
//! the serde-derived definitions they replaced (kept here as the reference), on random
//! event-like objects: repeated fields, `null`s, wrong types, escaped keys, unknown keys.
//! Both must accept the same objects, read the same fields, and fail with the same kind of
//! error (syntax or shape).
#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;

use matrix_knock::core::{
    event::{lenient_str, lenient_u64, MemberContent, RawEvent, Unsigned},
    json::{self, Raw},
    ErrorCode,
};
use serde::{de, Deserialize, Deserializer};

/// The event envelope as it was derived before the hand-written reader.
#[derive(Debug, Deserialize)]
struct OldEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    state_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sender: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    event_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    room_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "timestamp")]
    origin_server_ts: Option<u64>,
    #[serde(borrow)]
    content: Raw<'a>,
    #[serde(default = "Option::default", borrow)]
    unsigned: Option<Raw<'a>>,
}

fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(lenient_u64(d)?.filter(|ts| *ts < 1 << 53))
}

/// Member content as its serde visitor read it.
#[derive(Debug, PartialEq)]
struct OldContent {
    membership: String,
    reason: Option<String>,
    displayname: Option<String>,
    avatar_url: Option<String>,
    other_keys: bool,
}

impl<'de> Deserialize<'de> for OldContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = OldContent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("m.room.member content")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<OldContent, A::Error> {
                #[derive(Deserialize)]
                struct Lenient<'a>(
                    #[serde(borrow, deserialize_with = "lenient_str")] Option<Cow<'a, str>>,
                );
                let mut c = OldContent {
                    membership: String::new(),
                    reason: None,
                    displayname: None,
                    avatar_url: None,
                    other_keys: false,
                };
                let mut membership = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let lenient = |l: Lenient<'_>| l.0.map(Cow::into_owned);
                    match key.as_ref() {
                        "membership" => membership = Some(map.next_value::<String>()?),
                        "reason" => c.reason = lenient(map.next_value()?),
                        "displayname" => c.displayname = lenient(map.next_value()?),
                        "avatar_url" => c.avatar_url = lenient(map.next_value()?),
                        _ => {
                            c.other_keys = true;
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                c.membership = membership.ok_or_else(|| de::Error::missing_field("membership"))?;
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}

/// `unsigned` as it was derived.
#[derive(Debug, Default, Deserialize)]
struct OldUnsigned<'a> {
    #[serde(default, borrow)]
    prev_content: Option<OldPrev<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct OldPrev<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    membership: Option<Cow<'a, str>>,
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

const VALUES: &[&str] = &[
    r#""m.room.member""#,
    r#""@u:hs""#,
    r#""\u0040u:hs""#,
    r#""""#,
    r#""knock""#,
    r#""join""#,
    "null",
    "0",
    "17",
    "-1",
    "9007199254740991",
    "9007199254740992",
    "1.5",
    "true",
    "{}",
    r#"{"membership":"leave"}"#,
    r#"{"prev_content":{"membership":"knock"}}"#,
    r#"{"prev_content":null}"#,
    r#"{"prev_content":{"membership":1}}"#,
    r#"{"prev_content":[]}"#,
    r#"{"prev_content":{},"prev_content":{}}"#,
    r#"{"prev_content":{"membership":"a","membership":"b"}}"#,
    "[]",
    r#"["m.room.member"]"#,
    "tru",
    "",
];

/// An object: usually the `required` entries (in a random place), then random entries.
fn object(rng: &mut Rng, keys: &[&str], required: &[(&str, &str)]) -> String {
    let mut entries: Vec<String> = vec![];
    if rng.below(4) != 0 {
        entries.extend(required.iter().map(|(k, v)| format!("{k}:{v}")));
    }
    for _ in 0..rng.below(6) {
        let entry = format!("{}:{}", rng.pick(keys), rng.pick(VALUES));
        let at = rng.below(entries.len() + 1);
        entries.insert(at, entry);
    }
    format!("{{{}}}", entries.join(","))
}

fn kind(e: &json::Error) -> ErrorCode {
    match e.category() {
        json::Category::Data => ErrorCode::InvalidEvent,
        _ => ErrorCode::InvalidJson,
    }
}

#[test]
fn events_read_as_the_derived_reader_did() {
    let keys = [
        r#""type""#,
        r#""typ\u0065""#,
        r#""state_key""#,
        r#""sender""#,
        r#""event_id""#,
        r#""room_id""#,
        r#""origin_server_ts""#,
        r#""content""#,
        r#""unsigned""#,
        r#""other""#,
    ];
    let mut rng = Rng(7);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..60_000 {
        let text = if rng.below(20) == 0 {
            rng.pick(VALUES).to_owned()
        } else {
            let required = [
                (r#""type""#, r#""m.room.member""#),
                (r#""sender""#, r#""@u:hs""#),
                (r#""content""#, r#"{"membership":"knock"}"#),
            ];
            object(&mut rng, &keys, &required)
        };
        let old = json::from_str::<OldEvent<'_>>(&text);
        let new = RawEvent::from_json(&text);
        match (&old, &new) {
            (Ok(o), Ok(n)) => {
                accepted += 1;
                assert_eq!(
                    (
                        &o.kind,
                        &o.state_key,
                        &o.sender,
                        &o.event_id,
                        &o.room_id,
                        o.origin_server_ts,
                        o.content.get(),
                        o.unsigned.map(|u| u.get())
                    ),
                    (
                        &n.kind,
                        &n.state_key,
                        &n.sender,
                        &n.event_id,
                        &n.room_id,
                        n.origin_server_ts,
                        n.content.get(),
                        n.unsigned.map(|u| u.get())
                    ),
                    "case {case}: {text}"
                );
            }
            (Err(o), Err(n)) => {
                refused += 1;
                assert_eq!(kind(o), n.code, "case {case}: {text}\nold: {o}\nnew: {n:?}");
            }
            _ => panic!("case {case}: {text}\nold: {old:?}\nnew: {new:?}"),
        }
    }
    assert!(
        accepted > 5_000 && refused > 5_000,
        "{accepted} / {refused}"
    );
}

#[test]
fn member_content_and_unsigned_read_as_before() {
    let keys = [
        r#""membership""#,
        r#""membershi\u0070""#,
        r#""reason""#,
        r#""displayname""#,
        r#""avatar_url""#,
        r#""other""#,
        r#""prev_content""#,
    ];
    let mut rng = Rng(11);
    let mut accepted = 0;
    for case in 0..60_000 {
        let text = if rng.below(20) == 0 {
            rng.pick(VALUES).to_owned()
        } else {
            object(&mut rng, &keys, &[(r#""membership""#, r#""join""#)])
        };
        let old = json::from_str::<OldContent>(&text);
        let new = json::read_str(&text, MemberContent::read).map(|c| OldContent {
            membership: c.membership.into_owned(),
            reason: c.reason.map(Cow::into_owned),
            displayname: c.displayname.map(Cow::into_owned),
            avatar_url: c.avatar_url.map(Cow::into_owned),
            other_keys: c.other_keys,
        });
        match (&old, &new) {
            (Ok(o), Ok(n)) => {
                accepted += 1;
                assert_eq!(o, n, "case {case}: {text}");
            }
            (Err(o), Err(n)) => assert_eq!(kind(o), kind(n), "case {case}: {text}"),
            _ => panic!("case {case}: {text}\nold: {old:?}\nnew: {new:?}"),
        }
        // `unsigned` is lenient: whatever the old reader refused reads as no previous membership.
        let old = json::from_str::<OldUnsigned<'_>>(&text).unwrap_or_default();
        let old = old.prev_content.and_then(|p| p.membership);
        let raw = json::from_str::<Raw<'_>>(&text).ok();
        let new = Unsigned::parse(raw);
        assert_eq!(old.as_deref(), new.prev_membership(), "case {case}: {text}");
    }
    assert!(accepted > 5_000, "{accepted}");
}
