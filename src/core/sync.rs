//! The parts of a `/sync` response that matter for knocking, borrowed from the input text.
//! Events stay raw here so one malformed event does not lose the rest of the response.

use std::borrow::Cow;

use super::{
    error::Result,
    event::{json_error, RawEvent},
    json::{self, once, Deserializer, Raw},
};

/// A `/sync` response body.
#[derive(Debug, Default)]
pub struct SyncResponse<'a> {
    /// The rooms sections.
    pub rooms: Rooms<'a>,
}

/// `rooms`: per-membership sections keyed by room ID (sorted, so ingestion is deterministic).
#[derive(Debug, Default)]
pub struct Rooms<'a> {
    /// Joined rooms.
    pub join: Keyed<'a, JoinedRoom<'a>>,
    /// Rooms knocked on.
    pub knock: Keyed<'a, KnockedRoom<'a>>,
    /// Rooms invited to.
    pub invite: Keyed<'a, InvitedRoom<'a>>,
    /// Rooms left or banned from.
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
#[derive(Debug, Default)]
pub struct Events<'a> {
    /// The events, unparsed.
    pub events: Vec<Raw<'a>>,
}

/// A timeline.
#[derive(Debug, Default)]
pub struct Timeline<'a> {
    /// The events, unparsed.
    pub events: Vec<Raw<'a>>,
    /// Whether events were left out (a gap).
    pub limited: bool,
}

/// `rooms.join.{id}`.
#[derive(Debug, Default)]
pub struct JoinedRoom<'a> {
    /// State before the timeline (or full state for a new room).
    pub state: Events<'a>,
    /// MSC4222 `state_after`: the state at the end of the timeline, replacing `state`.
    pub state_after: Option<Events<'a>>,
    /// The timeline.
    pub timeline: Timeline<'a>,
}

/// `rooms.knock.{id}`.
#[derive(Debug, Default)]
pub struct KnockedRoom<'a> {
    /// Stripped state (untrusted).
    pub knock_state: Events<'a>,
}

/// `rooms.invite.{id}`.
#[derive(Debug, Default)]
pub struct InvitedRoom<'a> {
    /// Stripped state (untrusted).
    pub invite_state: Events<'a>,
}

/// `rooms.leave.{id}`.
#[derive(Debug, Default)]
pub struct LeftRoom<'a> {
    /// State.
    pub state: Events<'a>,
    /// Timeline.
    pub timeline: Timeline<'a>,
}

impl<'a> SyncResponse<'a> {
    /// Parses a sync response; only the envelope must be well-formed. Unknown keys are
    /// skipped, a known key may appear once, and `null` is refused where an object or array
    /// is expected (except for `state_after`, where it means absent).
    pub fn from_json(text: &'a str) -> Result<Self> {
        json::read_str(text, |de| {
            let rooms = read_one(de, "a sync response (an object)", "rooms", read_rooms)?;
            Ok(Self {
                rooms: rooms.unwrap_or_default(),
            })
        })
        .map_err(|e| json_error(&e, "sync response"))
    }
}

fn read_rooms<'a>(de: &mut Deserializer<'a>) -> json::Result<Rooms<'a>> {
    let (mut join, mut knock, mut invite, mut leave) = (None, None, None, None);
    de.object("`rooms` (an object)", |de, key| match key {
        "join" => once(&mut join, "join", || read_keyed(de, read_joined)),
        "knock" => once(&mut knock, "knock", || {
            read_keyed(de, |de| {
                let knock_state = read_one(de, "a knocked room", "knock_state", read_events)?;
                Ok(KnockedRoom {
                    knock_state: knock_state.unwrap_or_default(),
                })
            })
        }),
        "invite" => once(&mut invite, "invite", || {
            read_keyed(de, |de| {
                let invite_state = read_one(de, "an invited room", "invite_state", read_events)?;
                Ok(InvitedRoom {
                    invite_state: invite_state.unwrap_or_default(),
                })
            })
        }),
        "leave" => once(&mut leave, "leave", || read_keyed(de, read_left)),
        _ => de.skip(),
    })?;
    Ok(Rooms {
        join: join.unwrap_or_default(),
        knock: knock.unwrap_or_default(),
        invite: invite.unwrap_or_default(),
        leave: leave.unwrap_or_default(),
    })
}

/// An object keyed by room ID, each value read by `read`; sorted, the last of a repeated key
/// winning.
fn read_keyed<'a, T>(
    de: &mut Deserializer<'a>,
    mut read: impl FnMut(&mut Deserializer<'a>) -> json::Result<T>,
) -> json::Result<Keyed<'a, T>> {
    let mut entries: Vec<(Cow<'a, str>, Option<T>)> = Vec::new();
    de.object("an object keyed by room ID", |de, key| {
        entries.push((Cow::Owned(key.to_owned()), Some(read(de)?)));
        Ok(())
    })?;
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

fn read_joined<'a>(de: &mut Deserializer<'a>) -> json::Result<JoinedRoom<'a>> {
    let (mut state, mut state_after, mut timeline) = (None, None, None);
    de.object("a joined room (an object)", |de, key| match key {
        "state" => once(&mut state, "state", || read_events(de)),
        // MSC4222's unstable name is an alias: both at once is a repeated field.
        "state_after" | "org.matrix.msc4222.state_after" => {
            once(&mut state_after, "state_after", || {
                if de.null()? {
                    Ok(None)
                } else {
                    read_events(de).map(Some)
                }
            })
        }
        "timeline" => once(&mut timeline, "timeline", || read_timeline(de)),
        _ => de.skip(),
    })?;
    Ok(JoinedRoom {
        state: state.unwrap_or_default(),
        state_after: state_after.flatten(),
        timeline: timeline.unwrap_or_default(),
    })
}

fn read_left<'a>(de: &mut Deserializer<'a>) -> json::Result<LeftRoom<'a>> {
    let (mut state, mut timeline) = (None, None);
    de.object("a left room (an object)", |de, key| match key {
        "state" => once(&mut state, "state", || read_events(de)),
        "timeline" => once(&mut timeline, "timeline", || read_timeline(de)),
        _ => de.skip(),
    })?;
    Ok(LeftRoom {
        state: state.unwrap_or_default(),
        timeline: timeline.unwrap_or_default(),
    })
}

/// An object (`what`) of which only the field `name` is read, by `read`; `None` without it.
fn read_one<'a, T>(
    de: &mut Deserializer<'a>,
    what: &str,
    name: &'static str,
    read: impl Fn(&mut Deserializer<'a>) -> json::Result<T>,
) -> json::Result<Option<T>> {
    let mut value = None;
    de.object(what, |de, key| {
        if key == name {
            once(&mut value, name, || read(de))
        } else {
            de.skip()
        }
    })?;
    Ok(value)
}

/// `{"events": [...]}`.
fn read_events<'a>(de: &mut Deserializer<'a>) -> json::Result<Events<'a>> {
    let events = read_one(de, "an object with `events`", "events", |de| {
        de.raw_array("an array of events")
    })?;
    Ok(Events {
        events: events.unwrap_or_default(),
    })
}

fn read_timeline<'a>(de: &mut Deserializer<'a>) -> json::Result<Timeline<'a>> {
    let (mut events, mut limited) = (None, None);
    de.object("a timeline (an object)", |de, key| match key {
        "events" => once(&mut events, "events", || de.raw_array("an array of events")),
        "limited" => once(&mut limited, "limited", || de.bool("`limited` (a boolean)")),
        _ => de.skip(),
    })?;
    Ok(Timeline {
        events: events.unwrap_or_default(),
        limited: limited.unwrap_or_default(),
    })
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
