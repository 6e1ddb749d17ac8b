//! The parts of a `/sync` response that matter for knocking, borrowed from the input text.
//! Events stay raw here so one malformed event does not lose the rest of the response.

use std::{borrow::Cow, collections::BTreeMap};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    error::Result,
    event::{json_error, RawEvent},
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
    pub join: BTreeMap<Cow<'a, str>, JoinedRoom<'a>>,
    /// Rooms knocked on.
    #[serde(default, borrow)]
    pub knock: BTreeMap<Cow<'a, str>, KnockedRoom<'a>>,
    /// Rooms invited to.
    #[serde(default, borrow)]
    pub invite: BTreeMap<Cow<'a, str>, InvitedRoom<'a>>,
    /// Rooms left or banned from.
    #[serde(default, borrow)]
    pub leave: BTreeMap<Cow<'a, str>, LeftRoom<'a>>,
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
        serde_json::from_str(text).map_err(|e| json_error(&e, "sync response"))
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
