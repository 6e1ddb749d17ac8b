//! The pure-Rust core: room state, power levels, the knock rules and decisions.
//! Nothing here knows about JavaScript; the `wasm` module wraps it.

pub mod decision;
pub mod error;
pub mod event;
pub mod event_stream;
pub mod join_rules;
pub mod json;
pub mod lifecycle;
pub mod matrix_error;
pub mod member;
pub mod messages;
pub mod power_levels;
pub mod preview;
pub mod request;
pub mod room;
pub mod rules;
pub mod session;
pub mod sync;
pub mod version;

pub use decision::{Action, Code, Decision};
pub use error::{Error, ErrorCode, Result};
pub use member::{Member, MemberDetails};
pub use room::{Ignored, KnockRequest, RoomState};
pub use rules::Context;
pub use version::RoomVersion;
