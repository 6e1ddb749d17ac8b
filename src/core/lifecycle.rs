//! The user's own knocks and the changes a sync can report.

use super::preview::RoomPreview;

/// Where one of the user's own knocks stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnockStatus {
    /// Knocked; waiting for a moderator.
    Pending,
    /// Invited after knocking: the knock was accepted (join to enter).
    Accepted,
    /// A moderator set the membership to `leave`: declined (knocking again is allowed).
    Declined,
    /// The user left while knocking (or rejected the invite that accepted the knock).
    Rescinded,
    /// Banned while knocking or after.
    Banned,
    /// Unbanned after a ban: knocking is possible again.
    Unbanned,
    /// Joined the room after knocking.
    Joined,
}

impl KnockStatus {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Rescinded => "rescinded",
            Self::Banned => "banned",
            Self::Unbanned => "unbanned",
            Self::Joined => "joined",
        }
    }
}

/// One of the user's own knocks.
#[derive(Clone, Debug, PartialEq)]
pub struct MyKnock {
    /// The room.
    pub room_id: String,
    /// Where it stands.
    pub status: KnockStatus,
    /// When it reached this status (ms; the event's timestamp where known, else when seen).
    pub since: u64,
    /// When the knock was first seen pending (ms).
    pub knocked_at: Option<u64>,
    /// The reason the user gave.
    pub reason: Option<String>,
    /// Who decided (inviter, decliner, banner), where known.
    pub decided_by: Option<String>,
    /// Their reason.
    pub decision_reason: Option<String>,
    /// Servers the knock was sent via (remembered from the request).
    pub via: Vec<String>,
    /// Display data from stripped state: untrusted, never used for a permission.
    pub preview: RoomPreview,
    /// The user's server is probably not in the room (`None`: cannot tell), so a decline may
    /// never arrive (the federation gap of MSC2403; MSC4233 would close it).
    pub remote: Option<bool>,
}

impl MyKnock {
    /// A knock record with nothing known but its room, status and time.
    pub fn new(room_id: &str, status: KnockStatus, since: u64) -> Self {
        Self {
            room_id: room_id.to_owned(),
            status,
            since,
            knocked_at: None,
            reason: None,
            decided_by: None,
            decision_reason: None,
            via: Vec::new(),
            preview: RoomPreview::default(),
            remote: None,
        }
    }
}

/// What a sync changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Own knock is pending (new, or again after a decision).
    KnockSent,
    /// Own knock accepted (invited).
    KnockAccepted,
    /// Own knock declined.
    KnockDeclined,
    /// Own knock rescinded.
    KnockRescinded,
    /// Banned while knocking (or after).
    KnockBanned,
    /// Unbanned: may knock again.
    KnockUnbanned,
    /// Joined after knocking.
    KnockJoined,
    /// A new pending knock in a room the user is in.
    RequestNew,
    /// A knocker rescinded their request.
    RequestWithdrawn,
    /// A request was accepted, declined, banned or joined (see `outcome` and `by`).
    RequestDecided,
    /// Events in the response could not be parsed and were skipped (see `count`).
    EventsSkipped,
    /// A joined room without `m.room.create` in its state: its rules cannot be decided yet.
    RoomIncomplete,
}

impl ChangeKind {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KnockSent => "knockSent",
            Self::KnockAccepted => "knockAccepted",
            Self::KnockDeclined => "knockDeclined",
            Self::KnockRescinded => "knockRescinded",
            Self::KnockBanned => "knockBanned",
            Self::KnockUnbanned => "knockUnbanned",
            Self::KnockJoined => "knockJoined",
            Self::RequestNew => "requestNew",
            Self::RequestWithdrawn => "requestWithdrawn",
            Self::RequestDecided => "requestDecided",
            Self::EventsSkipped => "eventsSkipped",
            Self::RoomIncomplete => "roomIncomplete",
        }
    }
}

/// One change caused by a sync.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The room.
    pub room_id: String,
    /// The knocker, for request changes.
    pub user_id: Option<String>,
    /// Who acted, where known.
    pub by: Option<String>,
    /// Their reason, where given.
    pub reason: Option<String>,
    /// For `RequestDecided`: `accepted`, `declined`, `banned` or `joined`.
    pub outcome: Option<&'static str>,
    /// For `EventsSkipped`: how many; for `RoomIncomplete`: 0.
    pub count: usize,
}

impl Change {
    /// A change with only kind and room.
    pub fn new(kind: ChangeKind, room_id: &str) -> Self {
        Self {
            kind,
            room_id: room_id.to_owned(),
            user_id: None,
            by: None,
            reason: None,
            outcome: None,
            count: 0,
        }
    }
}
