//! The parts of a `/sync` response that matter for knocking, borrowed from the input text.
//! Events stay raw here so one malformed event does not lose the rest of the response.

use std::{borrow::Cow, fmt, marker::PhantomData};

use serde::{de, Deserialize, Deserializer};

use super::{
    error::Result,
    event::{json_error, parse_json, RawEvent},
    json::Raw,
};

/// A `/sync` response body.
#[derive(Debug, Default, Deserialize)]
pub struct SyncResponse<'a> {
    /// The rooms sections.
    #[serde(default, borrow)]
    pub rooms: Rooms<'a>,
}

/// `rooms`: per-membership sections keyed by room ID (sorted, so ingestion is deterministic).
#[derive(Debug, Default, Deserialize)]
pub struct Rooms<'a> {
    /// Joined rooms.
    #[serde(default, borrow)]
    pub join: Keyed<'a, JoinedRoom<'a>>,
    /// Rooms knocked on.
    #[serde(default, borrow)]
    pub knock: Keyed<'a, KnockedRoom<'a>>,
    /// Rooms invited to.
    #[serde(default, borrow)]
    pub invite: Keyed<'a, InvitedRoom<'a>>,
    /// Rooms left or banned from.
    #[serde(default, borrow)]
    pub leave: Keyed<'a, LeftRoom<'a>>,
}

/// A JSON object's entries sorted by key, the last of a repeated key winning: what a
/// `BTreeMap` gives, without compiling a B-tree per value type.
#[derive(Debug)]
pub struct Keyed<'a, T>(Vec<(Cow<'a, str>, T)>);

impl<T> Default for Keyed<'_, T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'k, 'a, T> IntoIterator for &'k Keyed<'a, T> {
    type Item = &'k (Cow<'a, str>, T);
    type IntoIter = std::slice::Iter<'k, (Cow<'a, str>, T)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Keyed<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> de::Visitor<'de> for Visitor<'a, T> {
            type Value = Keyed<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object keyed by room ID")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut entries: Vec<(Cow<'a, str>, Option<T>)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<Cow<'de, str>, T>()? {
                    entries.push((key, Some(value)));
                }
                let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
                let order = sorted_last_of_each(&keys);
                let mut sorted = Vec::with_capacity(order.len());
                for index in order {
                    if let Some((key, value)) = entries.get_mut(index) {
                        if let Some(value) = value.take() {
                            sorted.push((std::mem::take(key), value));
                        }
                    }
                }
                Ok(Keyed(sorted))
            }
        }
        d.deserialize_map(Visitor(PhantomData))
    }
}

/// Indices of `keys` in key order, keeping only the last index of each repeated key.
fn sorted_last_of_each(keys: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // Equal keys keep their document order (the index breaks ties), so the last is the last
    // written. (Unstable sorts only: one sort algorithm in the wasm.)
    order.sort_unstable_by_key(|&i| (keys.get(i).copied(), i));
    let mut unique: Vec<usize> = Vec::with_capacity(order.len());
    for index in order {
        match unique.last_mut() {
            Some(last) if keys.get(*last) == keys.get(index) => *last = index,
            _ => unique.push(index),
        }
    }
    unique
}

/// A list of raw events.
#[derive(Debug, Default, Deserialize)]
pub struct Events<'a> {
    /// The events, unparsed.
    #[serde(default, borrow)]
    pub events: Vec<Raw<'a>>,
}

/// A timeline.
#[derive(Debug, Default, Deserialize)]
pub struct Timeline<'a> {
    /// The events, unparsed.
    #[serde(default, borrow)]
    pub events: Vec<Raw<'a>>,
    /// Whether events were left out (a gap).
    #[serde(default)]
    pub limited: bool,
}

/// `rooms.join.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct JoinedRoom<'a> {
    /// State before the timeline (or full state for a new room).
    #[serde(default, borrow)]
    pub state: Events<'a>,
    /// MSC4222 `state_after`: the state at the end of the timeline, replacing `state`.
    #[serde(default, borrow, alias = "org.matrix.msc4222.state_after")]
    pub state_after: Option<Events<'a>>,
    /// The timeline.
    #[serde(default, borrow)]
    pub timeline: Timeline<'a>,
}

/// `rooms.knock.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct KnockedRoom<'a> {
    /// Stripped state (untrusted).
    #[serde(default, borrow)]
    pub knock_state: Events<'a>,
}

/// `rooms.invite.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct InvitedRoom<'a> {
    /// Stripped state (untrusted).
    #[serde(default, borrow)]
    pub invite_state: Events<'a>,
}

/// `rooms.leave.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct LeftRoom<'a> {
    /// State.
    #[serde(default, borrow)]
    pub state: Events<'a>,
    /// Timeline.
    #[serde(default, borrow)]
    pub timeline: Timeline<'a>,
}

impl<'a> SyncResponse<'a> {
    /// Parses a sync response; only the envelope must be well-formed.
    pub fn from_json(text: &'a str) -> Result<Self> {
        parse_json::<Self>(text).map_err(|e| json_error(&e, "sync response"))
    }
}

/// Parses raw events, keeping the ones that parse and counting the others.
pub fn parse_events<'a>(raw: &[Raw<'a>], skipped: &mut usize) -> Vec<RawEvent<'a>> {
    raw.iter()
        .filter_map(|r| {
            let event = RawEvent::from_json(r.get()).ok();
            *skipped += usize::from(event.is_none());
            event
        })
        .collect()
}
