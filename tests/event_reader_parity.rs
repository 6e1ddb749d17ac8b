//! The hand-written readers of events, member content, `unsigned` (`core::event`), the
//! `/sync` envelope (`core::sync`), join rules and the stripped-state preview against the
//! serde-derived definitions they replaced (kept here as the reference), on random objects:
//! repeated fields, `null`s, wrong types, escaped keys, unknown keys.
//! Both must accept the same objects, read the same fields, and fail with the same kind of
//! error (syntax or shape).
#![cfg(not(target_arch = "wasm32"))]

use std::{borrow::Cow, collections::BTreeMap};

use matrix_knock::core::{
    event::{MemberContent, RawEvent, Unsigned},
    join_rules::JoinRules,
    json::{self, Loose, Raw},
    preview::RoomPreview,
    sync::{Events, SyncResponse, Timeline},
    ErrorCode,
};
use serde::{de, Deserialize, Deserializer};

/// The derived readers' lenient fields (in the library until every reader was hand-written):
/// accepts any JSON value without buffering it (unlike an untagged enum).
struct LenientVisitor;

impl<'de> de::Visitor<'de> for LenientVisitor {
    type Value = Loose<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Loose::Other, Loose::UInt))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Loose::UInt(v))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
    fn visit_map<A: de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Loose::Other)
    }
}

/// A string field, or `None` when the value has another type.
fn lenient_str<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Cow<'de, str>>, D::Error> {
    Ok(match d.deserialize_any(LenientVisitor)? {
        Loose::Str(s) => Some(s),
        Loose::UInt(_) | Loose::Other => None,
    })
}

/// An owned string field, or `None` when the value has another type.
fn lenient_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(lenient_str(d)?.map(Cow::into_owned))
}

/// A non-negative integer field, or `None` when the value is anything else.
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match d.deserialize_any(LenientVisitor)? {
        Loose::UInt(n) => Some(n),
        Loose::Str(_) | Loose::Other => None,
    })
}

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
    r#""\ud800""#,
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

/// Member content as [`MemberContent::read`] gives it, comparable.
fn content_fields(c: MemberContent<'_>) -> OldContent {
    OldContent {
        membership: c.membership.into_owned(),
        reason: c.reason.map(Cow::into_owned),
        displayname: c.displayname.map(Cow::into_owned),
        avatar_url: c.avatar_url.map(Cow::into_owned),
        other_keys: c.other_keys,
    }
}

/// An event's content is read once, with the event: what that read keeps of member content
/// is what reading the content again gives, and the event reads as if content were skipped.
#[test]
fn member_content_read_with_the_event_is_the_content_read_again() {
    let keys = [
        r#""membership""#,
        r#""reason""#,
        r#""displayname""#,
        r#""avatar_url""#,
        r#""other""#,
    ];
    let mut rng = Rng(13);
    let (mut fast, mut again) = (0, 0);
    for case in 0..40_000 {
        let content = if rng.below(20) == 0 {
            rng.pick(VALUES).to_owned()
        } else {
            object(&mut rng, &keys, &[(r#""membership""#, r#""join""#)])
        };
        let text = format!(r#"{{"content":{content},"sender":"@u:hs","type":"m.room.member"}}"#);
        let old = json::from_str::<OldEvent<'_>>(&text);
        let new = RawEvent::from_json(&text);
        let event = match (&old, new) {
            (Ok(o), Ok(n)) => {
                assert_eq!(o.content.get(), n.content.get(), "case {case}: {text}");
                n
            }
            (Err(o), Err(n)) => {
                assert_eq!(kind(o), n.code, "case {case}: {text}");
                continue;
            }
            (old, new) => panic!("case {case}: {text}\nold: {old:?}\nnew: {new:?}"),
        };
        if event.member.is_some() {
            fast += 1;
        } else {
            again += 1;
        }
        let with_event = event.member_content().map(content_fields);
        let read_again = MemberContent::parse(event.content).map(content_fields);
        match (with_event, read_again) {
            (Ok(w), Ok(r)) => assert_eq!(w, r, "case {case}: {text}"),
            (Err(w), Err(r)) => assert_eq!(w.code, r.code, "case {case}: {text}"),
            (w, r) => panic!("case {case}: {text}\nwith the event: {w:?}\nagain: {r:?}"),
        }
    }
    assert!(fast > 5_000 && again > 2_000, "{fast} / {again}");
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
        let new = json::read_str(&text, MemberContent::read).map(content_fields);
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

/// The `/sync` envelope as it was derived before the hand-written reader (`Keyed` was a
/// sorted, last-wins map: a `BTreeMap` reads the same).
#[derive(Debug, Deserialize)]
struct OldSync<'a> {
    #[serde(default, borrow)]
    rooms: OldRooms<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct OldRooms<'a> {
    #[serde(default, borrow)]
    join: BTreeMap<String, OldJoined<'a>>,
    #[serde(default, borrow)]
    knock: BTreeMap<String, OldKnocked<'a>>,
    #[serde(default, borrow)]
    invite: BTreeMap<String, OldInvited<'a>>,
    #[serde(default, borrow)]
    leave: BTreeMap<String, OldLeft<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct OldEvents<'a> {
    #[serde(default, borrow)]
    events: Vec<Raw<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct OldTimeline<'a> {
    #[serde(default, borrow)]
    events: Vec<Raw<'a>>,
    #[serde(default)]
    limited: bool,
}

#[derive(Debug, Deserialize)]
struct OldJoined<'a> {
    #[serde(default, borrow)]
    state: OldEvents<'a>,
    #[serde(default, borrow, alias = "org.matrix.msc4222.state_after")]
    state_after: Option<OldEvents<'a>>,
    #[serde(default, borrow)]
    timeline: OldTimeline<'a>,
}

#[derive(Debug, Deserialize)]
struct OldKnocked<'a> {
    #[serde(default, borrow)]
    knock_state: OldEvents<'a>,
}

#[derive(Debug, Deserialize)]
struct OldInvited<'a> {
    #[serde(default, borrow)]
    invite_state: OldEvents<'a>,
}

#[derive(Debug, Deserialize)]
struct OldLeft<'a> {
    #[serde(default, borrow)]
    state: OldEvents<'a>,
    #[serde(default, borrow)]
    timeline: OldTimeline<'a>,
}

/// What a sync response holds, flattened to compare: per section, room ID then its lists.
type Summary = Vec<(&'static str, String, Vec<Option<Vec<String>>>, bool)>;

fn texts(raw: &[Raw<'_>]) -> Option<Vec<String>> {
    Some(raw.iter().map(|r| r.get().to_owned()).collect())
}

fn old_summary(s: &OldSync<'_>) -> Summary {
    let r = &s.rooms;
    let mut out: Summary = vec![];
    for (id, j) in &r.join {
        let after = j.state_after.as_ref().and_then(|e| texts(&e.events));
        let lists = vec![texts(&j.state.events), after, texts(&j.timeline.events)];
        out.push(("join", id.clone(), lists, j.timeline.limited));
    }
    for (id, k) in &r.knock {
        out.push((
            "knock",
            id.clone(),
            vec![texts(&k.knock_state.events)],
            false,
        ));
    }
    for (id, i) in &r.invite {
        out.push((
            "invite",
            id.clone(),
            vec![texts(&i.invite_state.events)],
            false,
        ));
    }
    for (id, l) in &r.leave {
        let lists = vec![texts(&l.state.events), texts(&l.timeline.events)];
        out.push(("leave", id.clone(), lists, l.timeline.limited));
    }
    out
}

fn new_summary(s: &SyncResponse<'_>) -> Summary {
    let r = &s.rooms;
    let events = |e: &Events<'_>| texts(&e.events);
    let timeline = |t: &Timeline<'_>| texts(&t.events);
    let mut out: Summary = vec![];
    for (id, j) in &r.join {
        let lists = vec![
            events(&j.state),
            j.state_after.as_ref().and_then(events),
            timeline(&j.timeline),
        ];
        out.push(("join", id.to_string(), lists, j.timeline.limited));
    }
    for (id, k) in &r.knock {
        out.push(("knock", id.to_string(), vec![events(&k.knock_state)], false));
    }
    for (id, i) in &r.invite {
        out.push((
            "invite",
            id.to_string(),
            vec![events(&i.invite_state)],
            false,
        ));
    }
    for (id, l) in &r.leave {
        let lists = vec![events(&l.state), timeline(&l.timeline)];
        out.push(("leave", id.to_string(), lists, l.timeline.limited));
    }
    out
}

/// A random value at a level of the sync envelope: usually the right shape (built by
/// `inner`), sometimes any value from `VALUES`.
fn sync_value(rng: &mut Rng, depth: usize) -> String {
    const ROOM_KEYS: &[&str] = &[
        r#""state""#,
        r#""state_after""#,
        r#""org.matrix.msc4222.state_after""#,
        r#""timeline""#,
        r#""knock_state""#,
        r#""invite_state""#,
        r#""stat\u0065""#,
        r#""other""#,
    ];
    if rng.below(25) == 0 {
        return rng.pick(VALUES).to_owned();
    }
    let entries = rng.below(4) + usize::from(depth < 3);
    let mut parts = vec![];
    for _ in 0..entries {
        let (key, value) = match depth {
            0 => ("\"rooms\"".to_owned(), sync_value(rng, 1)),
            1 => {
                let key = rng.pick(&[
                    r#""join""#,
                    r#""knock""#,
                    r#""invite""#,
                    r#""leave""#,
                    r#""x""#,
                ]);
                (key.to_owned(), sync_value(rng, 2))
            }
            2 => {
                let key = rng.pick(&[r#""!a:hs""#, r#""!b:hs""#, r#""!\u0061:hs""#, r#""""#]);
                (key.to_owned(), sync_value(rng, 3))
            }
            3 => (rng.pick(ROOM_KEYS).to_owned(), sync_value(rng, 4)),
            _ => {
                let key = rng.pick(&[r#""events""#, r#""limited""#, r#""prev_batch""#]);
                let value = match rng.below(8) {
                    0 => rng.pick(VALUES).to_owned(),
                    1..=3 => rng.pick(&["true", "false", "[]"]).to_owned(),
                    _ => {
                        let n = rng.below(3);
                        // Elements are any valid JSON (the last two of VALUES are not).
                        let valid = &VALUES[..VALUES.len() - 2];
                        let items: Vec<&str> = (0..n).map(|_| rng.pick(valid)).collect();
                        format!("[{}]", items.join(","))
                    }
                };
                (key.to_owned(), value)
            }
        };
        parts.push(format!("{key}:{value}"));
    }
    format!("{{{}}}", parts.join(","))
}

#[test]
fn sync_envelope_reads_as_the_derived_reader_did() {
    let mut rng = Rng(13);
    let (mut accepted, mut refused, mut rooms) = (0, 0, 0);
    for case in 0..60_000 {
        let text = sync_value(&mut rng, 0);
        let old = json::from_str::<OldSync<'_>>(&text);
        let new = SyncResponse::from_json(&text);
        match (&old, &new) {
            (Ok(o), Ok(n)) => {
                accepted += 1;
                let summary = old_summary(o);
                rooms += summary.len();
                assert_eq!(summary, new_summary(n), "case {case}: {text}");
            }
            (Err(o), Err(n)) => {
                refused += 1;
                assert_eq!(kind(o), n.code, "case {case}: {text}\nold: {o}\nnew: {n:?}");
            }
            _ => panic!("case {case}: {text}\nold: {old:?}\nnew: {new:?}"),
        }
    }
    assert!(
        accepted > 5_000 && refused > 5_000 && rooms > 5_000,
        "{accepted} / {refused} / {rooms}"
    );
}

/// Join rules content as derived before the hand-written reader.
#[derive(Deserialize)]
struct OldJoinRules<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    join_rule: Option<Option<Cow<'a, str>>>,
    #[serde(default, borrow)]
    allow: Option<Raw<'a>>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Cow<'de, str>>>, D::Error> {
    lenient_str(d).map(Some)
}

#[derive(Deserialize)]
struct OldAllowEntry<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "lenient_str")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    room_id: Option<Cow<'a, str>>,
}

/// What the derived reader made of join rules content, written as `JoinRules`' `Debug`.
fn old_join_rules(text: &str) -> String {
    let Ok(content) = json::from_str::<OldJoinRules<'_>>(text) else {
        return "Malformed".to_owned();
    };
    let rule = match content.join_rule {
        None => return "Absent".to_owned(),
        Some(None) => return "Malformed".to_owned(),
        Some(Some(rule)) => rule,
    };
    let allow = || {
        let entries: Vec<Raw<'_>> = content
            .allow
            .and_then(|a| json::from_str(a.get()).ok())
            .unwrap_or_default();
        let rooms: Vec<String> = entries
            .iter()
            .filter_map(|e| {
                let e = json::from_str::<OldAllowEntry<'_>>(e.get()).ok()?;
                (e.kind.as_deref() == Some("m.room_membership")).then_some(())?;
                let id = e.room_id?;
                ruma_common::RoomId::parse(id.as_ref()).ok()?;
                Some(format!("{:?}", id.as_ref()))
            })
            .collect();
        format!("[{}]", rooms.join(", "))
    };
    let rule = match rule.as_ref() {
        "public" => "Public".to_owned(),
        "invite" => "Invite".to_owned(),
        "knock" => "Knock".to_owned(),
        "private" => "Private".to_owned(),
        "restricted" => format!("Restricted({})", allow()),
        "knock_restricted" => format!("KnockRestricted({})", allow()),
        other => format!("Custom({other:?})"),
    };
    format!("Rule({rule})")
}

#[test]
fn join_rules_read_as_the_derived_reader_did() {
    const RULES: &[&str] = &[
        r#""restricted""#,
        r#""knock_restricted""#,
        r#""knock""#,
        r#""public""#,
        r#""odd""#,
        "null",
        "1",
    ];
    const ENTRIES: &[&str] = &[
        r#"{"type":"m.room_membership","room_id":"!a:hs"}"#,
        r#"{"room_id":"!b:hs","type":"m.room_membership"}"#,
        r#"{"type":"m.room_membership","room_id":"!a:hs","room_id":"!c:hs"}"#,
        r#"{"type":"m.room_membership","room_id":"not a room"}"#,
        r#"{"type":"m.room_membership","room_id":null}"#,
        r#"{"type":"other","room_id":"!d:hs"}"#,
        r#"{"typ\u0065":"m.room_membership","room_id":"!e:hs"}"#,
        r#"{"type":1,"room_id":"!f:hs"}"#,
        r#""!g:hs""#,
        "null",
        "[]",
    ];
    let mut rng = Rng(17);
    let mut kinds = std::collections::BTreeSet::new();
    for case in 0..40_000 {
        let mut entries: Vec<String> = vec![];
        for _ in 0..rng.below(4) {
            let entry = match rng.below(4) {
                0 => format!(r#""join_rule":{}"#, rng.pick(RULES)),
                1 => {
                    let list: Vec<&str> = (0..rng.below(4)).map(|_| rng.pick(ENTRIES)).collect();
                    format!(r#""allow":[{}]"#, list.join(","))
                }
                2 => format!(r#""allow":{}"#, rng.pick(VALUES)),
                _ => format!(r#""other":{}"#, rng.pick(VALUES)),
            };
            entries.push(entry);
        }
        let text = if rng.below(30) == 0 {
            rng.pick(VALUES).to_owned()
        } else {
            format!("{{{}}}", entries.join(","))
        };
        let Ok(raw) = json::from_str::<Raw<'_>>(&text) else {
            continue; // the event reader refuses content that is not JSON
        };
        let new = format!("{:?}", JoinRules::parse(raw));
        kinds.insert(new.split('(').next().map(str::to_owned));
        assert_eq!(old_join_rules(&text), new, "case {case}: {text}");
    }
    assert!(kinds.len() >= 3, "{kinds:?}");
}

/// Stripped-state content fields as derived before the hand-written reader.
#[derive(Deserialize)]
struct OldFields {
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    topic: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    join_rule: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    alias: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    room_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    room_version: Option<String>,
}

#[test]
fn preview_reads_as_the_derived_reader_did() {
    let keys = [
        r#""name""#,
        r#""url""#,
        r#""topic""#,
        r#""join_rule""#,
        r#""alias""#,
        r#""type""#,
        r#""room_version""#,
        r#""nam\u0065""#,
        r#""other""#,
    ];
    const KINDS: &[&str] = &[
        "m.room.name",
        "m.room.avatar",
        "m.room.topic",
        "m.room.join_rules",
        "m.room.canonical_alias",
        "m.room.encryption",
        "m.room.create",
    ];
    let mut rng = Rng(19);
    let mut filled = 0;
    for case in 0..40_000 {
        let kind = rng.pick(KINDS);
        let content = if rng.below(30) == 0 {
            rng.pick(VALUES).to_owned()
        } else {
            object(&mut rng, &keys, &[])
        };
        let Ok(content_raw) = json::from_str::<Raw<'_>>(&content) else {
            continue;
        };
        let event_text =
            format!(r#"{{"type":"{kind}","state_key":"","sender":"@c:hs","content":{content}}}"#);
        let Ok(event) = RawEvent::from_json(&event_text) else {
            panic!("case {case}: {event_text}");
        };
        let new = RoomPreview::from_stripped(&[event]);
        let mut old = RoomPreview::default();
        if let Ok(f) = json::from_str::<OldFields>(content_raw.get()) {
            match kind {
                "m.room.name" => old.name = f.name,
                "m.room.avatar" => old.avatar_url = f.url,
                "m.room.topic" => old.topic = f.topic,
                "m.room.join_rules" => old.join_rule = f.join_rule,
                "m.room.canonical_alias" => old.canonical_alias = f.alias,
                "m.room.encryption" => old.encrypted = true,
                _ => {
                    old.room_type = f.room_type;
                    old.room_version = f.room_version;
                    old.creator = Some("@c:hs".to_owned());
                }
            }
        }
        filled += usize::from(old != RoomPreview::default());
        assert_eq!(old, new, "case {case}: {kind} {content}");
    }
    assert!(filled > 5_000, "{filled}");
}
