//! A room member as the room keeps it: the membership in a byte, and what a non-joined
//! member's event says in one buffer.

use ruma_events::room::member::MembershipState;

use super::event::MemberEvent;

/// A member's current `m.room.member` event, reduced to what the rules and views need: 8
/// bytes (on wasm32) for a joined member, so the member map of a large room stays small.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Current membership (a custom one's name is in `details`).
    kind: Kind,
    /// The event was sent by the member, with no reason and no keys beyond the profile.
    pub plain_self_event: bool,
    /// Details for every membership but `join` (kept small for large rooms).
    pub details: Option<Box<MemberDetails>>,
}

/// A membership in one byte: ruma's [`MembershipState`] without a custom membership's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ban,
    Invite,
    Join,
    Knock,
    Leave,
    Custom,
}

/// What a non-joined member's event says besides the membership. Its strings share one
/// buffer, rewritten in place by the member's next event: an update touches two allocations,
/// not one per string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberDetails {
    /// The [`Field`]s present, one after another.
    text: String,
    /// Where each field ends in `text` (where the one before it ends, when absent).
    ends: [usize; FIELDS],
    /// Bit `i` is set when field `i` is present.
    present: u8,
    /// Timestamp in ms.
    pub origin_server_ts: Option<u64>,
    /// Content has keys beyond membership, reason, displayname and avatar_url.
    pub other_keys: bool,
}

/// The strings of [`MemberDetails`], in the order they are kept.
#[derive(Clone, Copy)]
enum Field {
    Sender,
    EventId,
    Reason,
    Displayname,
    AvatarUrl,
    CustomMembership,
}
const FIELDS: usize = 6;

impl MemberDetails {
    /// Who sent the event (the inviter, kicker, banner, or the member).
    pub fn sender(&self) -> &str {
        self.field(Field::Sender).unwrap_or_default()
    }

    /// The event's ID.
    pub fn event_id(&self) -> Option<&str> {
        self.field(Field::EventId)
    }

    /// The reason given.
    pub fn reason(&self) -> Option<&str> {
        self.field(Field::Reason)
    }

    /// The display name.
    pub fn displayname(&self) -> Option<&str> {
        self.field(Field::Displayname)
    }

    /// The avatar URL.
    pub fn avatar_url(&self) -> Option<&str> {
        self.field(Field::AvatarUrl)
    }

    /// The membership, when it is none the spec defines.
    pub fn custom_membership(&self) -> Option<&str> {
        self.field(Field::CustomMembership)
    }

    fn field(&self, field: Field) -> Option<&str> {
        let i = field as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = i
            .checked_sub(1)
            .map_or(Some(0), |j| self.ends.get(j).copied());
        self.text.get(start?..*self.ends.get(i)?)
    }

    /// Holds `event`'s fields (and `custom`, a custom membership), in the buffer's memory
    /// when it is large enough.
    fn set(&mut self, event: &MemberEvent<'_>, custom: Option<&str>) {
        let content = &event.content;
        let fields = [
            Some(event.sender),
            event.event_id,
            content.reason.as_deref(),
            content.displayname.as_deref(),
            content.avatar_url.as_deref(),
            custom,
        ];
        self.text.clear();
        self.text
            .reserve_exact(fields.iter().flatten().map(|f| f.len()).sum());
        self.present = 0;
        for (i, (field, end)) in fields.into_iter().zip(&mut self.ends).enumerate() {
            if let Some(field) = field {
                self.text.push_str(field);
                self.present |= 1 << i;
            }
            *end = self.text.len();
        }
        self.origin_server_ts = event.origin_server_ts;
        self.other_keys = content.other_keys;
    }
}

impl Member {
    /// The member an event sets.
    pub fn from_event(event: &MemberEvent<'_>) -> Member {
        let mut member = Member {
            kind: Kind::Leave,
            plain_self_event: false,
            details: None,
        };
        member.update(event);
        member
    }

    /// The current membership.
    pub fn membership(&self) -> MembershipState {
        match self.kind {
            Kind::Ban => MembershipState::Ban,
            Kind::Invite => MembershipState::Invite,
            Kind::Join => MembershipState::Join,
            Kind::Knock => MembershipState::Knock,
            Kind::Leave => MembershipState::Leave,
            Kind::Custom => MembershipState::from(
                self.details
                    .as_ref()
                    .and_then(|d| d.custom_membership())
                    .unwrap_or_default(),
            ),
        }
    }

    /// Whether the membership is `knock`.
    pub fn is_knock(&self) -> bool {
        self.kind == Kind::Knock
    }

    /// When the knock (or other event) was sent: the queue's sort key.
    pub fn origin_server_ts(&self) -> Option<u64> {
        self.details.as_ref().and_then(|d| d.origin_server_ts)
    }

    /// The event's ID (a joined member's is not kept).
    pub fn event_id(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.event_id())
    }

    /// The reason given (a joined member's is not kept).
    pub fn reason(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.reason())
    }

    /// Becomes the member `event` sets, reusing the memory of the details it held.
    pub(crate) fn update(&mut self, event: &MemberEvent<'_>) {
        let content = &event.content;
        self.kind = match content.membership() {
            MembershipState::Ban => Kind::Ban,
            MembershipState::Invite => Kind::Invite,
            MembershipState::Join => Kind::Join,
            MembershipState::Knock => Kind::Knock,
            MembershipState::Leave => Kind::Leave,
            _ => Kind::Custom,
        };
        self.plain_self_event =
            event.state_key == event.sender && content.reason.is_none() && !content.other_keys;
        if self.kind == Kind::Join {
            self.details = None;
            return;
        }
        let custom = (self.kind == Kind::Custom).then_some(&*content.membership);
        self.details
            .get_or_insert_with(Default::default)
            .set(event, custom);
    }
}
