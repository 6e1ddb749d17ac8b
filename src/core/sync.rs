//! The parts of a `/sync` response that matter for knocking, borrowed from the input text.
//! Events stay raw here so one malformed event does not lose the rest of the response.

use std::{borrow::Cow, collections::BTreeMap};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    error::Result,
    event::{json_error, map_only, parse_json, Obj, RawEvent},
};

/// A `/sync` response body.
#[derive(Debug, Default, Deserialize)]
pub struct SyncResponse<'a> {
    /// The rooms sections.
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub rooms: Rooms<'a>,
}

/// `rooms`: per-membership sections keyed by room ID (sorted, so ingestion is deterministic).
#[derive(Debug, Default, Deserialize)]
pub struct Rooms<'a> {
    /// Joined rooms.
    #[serde(default, borrow)]
    pub join: BTreeMap<Cow<'a, str>, Obj<JoinedRoom<'a>>>,
    /// Rooms knocked on.
    #[serde(default, borrow)]
    pub knock: BTreeMap<Cow<'a, str>, Obj<KnockedRoom<'a>>>,
    /// Rooms invited to.
    #[serde(default, borrow)]
    pub invite: BTreeMap<Cow<'a, str>, Obj<InvitedRoom<'a>>>,
    /// Rooms left or banned from.
    #[serde(default, borrow)]
    pub leave: BTreeMap<Cow<'a, str>, Obj<LeftRoom<'a>>>,
}

/// A list of raw events.
#[derive(Debug, Default, Deserialize)]
pub struct Events<'a> {
    /// The events, unparsed.
    #[serde(default, borrow)]
    pub events: Vec<&'a RawValue>,
}

/// A timeline.
#[derive(Debug, Default, Deserialize)]
pub struct Timeline<'a> {
    /// The events, unparsed.
    #[serde(default, borrow)]
    pub events: Vec<&'a RawValue>,
    /// Whether events were left out (a gap).
    #[serde(default)]
    pub limited: bool,
}

/// `rooms.join.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct JoinedRoom<'a> {
    /// State before the timeline (or full state for a new room).
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub state: Events<'a>,
    /// MSC4222 `state_after`: the state at the end of the timeline, replacing `state`.
    #[serde(default, borrow, alias = "org.matrix.msc4222.state_after")]
    pub state_after: Option<Obj<Events<'a>>>,
    /// The timeline.
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub timeline: Timeline<'a>,
}

/// `rooms.knock.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct KnockedRoom<'a> {
    /// Stripped state (untrusted).
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub knock_state: Events<'a>,
}

/// `rooms.invite.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct InvitedRoom<'a> {
    /// Stripped state (untrusted).
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub invite_state: Events<'a>,
}

/// `rooms.leave.{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct LeftRoom<'a> {
    /// State.
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub state: Events<'a>,
    /// Timeline.
    #[serde(default, borrow, deserialize_with = "map_only")]
    pub timeline: Timeline<'a>,
}

impl<'a> SyncResponse<'a> {
    /// Parses a sync response; only the envelope must be well-formed.
    pub fn from_json(text: &'a str) -> Result<Self> {
        parse_json::<Obj<Self>>(text)
            .map(|o| o.0)
            .map_err(|e| json_error(&e, "sync response"))
    }
}

/// Parses raw events, keeping the ones that parse and counting the others.
pub fn parse_events<'a>(raw: &[&'a RawValue], skipped: &mut usize) -> Vec<RawEvent<'a>> {
    raw.iter()
        .filter_map(|r| {
            let event = RawEvent::from_json(r.get()).ok();
            *skipped += usize::from(event.is_none());
            event
        })
        .collect()
}
