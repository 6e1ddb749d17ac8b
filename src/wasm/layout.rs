//! Values laid out for the JS builders (`queue.js`, `decision.js`, `session.js`): their
//! strings in one text, which crosses to JS as one string, and per value a few numbers, so JS
//! builds the objects without parsing JSON text.

use super::types::level_number;
use crate::core::{Decision, KnockRequest};

/// The text and numbers of some values, in the order the JS builder reads them.
#[derive(Default)]
pub struct Layout {
    /// Every string, one after another.
    pub text: String,
    /// Per value, its numbers (see [`Layout::request`] and [`Layout::decision`]).
    pub numbers: Vec<f64>,
    /// The length of `text` in UTF-16 units.
    units: f64,
}

impl Layout {
    /// A string's start and length, or -1 and -1 for none.
    pub fn string(&mut self, s: Option<&str>) {
        let Some(s) = s else {
            self.numbers.extend([-1.0, -1.0]);
            return;
        };
        let units = utf16_units(s);
        self.text.push_str(s);
        self.numbers.extend([self.units, units]);
        self.units += units;
    }

    /// A number (integers up to 2^53 are exact).
    pub fn number(&mut self, n: f64) {
        self.numbers.push(n);
    }

    /// A knock request, in 11 numbers (`REQUEST` in `queue.js`): start and length in UTF-16
    /// units of userId, reason, displayName, avatarUrl and eventId (-1 and -1 for an absent
    /// one), then originServerTs (-1 for none).
    pub fn request(&mut self, r: &KnockRequest<'_>) {
        self.string(Some(r.user_id));
        self.string(r.reason());
        self.string(r.displayname());
        self.string(r.avatar_url());
        self.string(r.event_id());
        self.number(r.origin_server_ts().map_or(-1.0, |ts| ts as f64));
    }

    /// The layout of `decisions`, its buffers allocated once.
    pub fn decisions(decisions: &[&Decision]) -> Self {
        let text = decisions.iter().map(|d| d.text_len()).sum();
        let mut layout = Layout {
            text: String::with_capacity(text),
            numbers: Vec::with_capacity(decisions.len() * DECISION),
            units: 0.0,
        };
        for d in decisions {
            layout.decision(d);
        }
        layout
    }

    /// A decision: allowed (1 or 0); its action, code, message and rule; then its actor,
    /// target and required levels (NaN for none, Infinity for a v12 creator).
    pub fn decision(&mut self, d: &Decision) {
        self.number(f64::from(u8::from(d.allowed)));
        for part in d.strings() {
            self.string(Some(part));
        }
        let level = |l: &Option<_>| l.as_ref().map_or(f64::NAN, level_number);
        self.number(level(&d.actor_level));
        self.number(level(&d.target_level));
        self.number(d.required_level.map_or(f64::NAN, |l| i64::from(l) as f64));
    }
}

/// How many numbers [`Layout::decision`] writes (`DECISION` in `decision.js`).
const DECISION: usize = 12;

/// The length of a string in UTF-16 units, as JS counts it.
pub fn utf16_units(s: &str) -> f64 {
    let units = if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    };
    units as f64
}
