//! Errors for bad input. Each has a stable [`ErrorCode`] that the JS layer exposes as `code`.

use std::fmt;

/// Stable machine-readable error codes (the `code` property of thrown JS errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The input is not valid JSON (or not JSON-serialisable).
    InvalidJson,
    /// The input has the wrong shape (e.g. not an array of events).
    InvalidInput,
    /// An event is malformed (missing or mistyped `type`, `state_key`, `sender`, `content`).
    InvalidEvent,
    /// The state has no `m.room.create` event.
    MissingCreate,
    /// The `m.room.create` event is malformed.
    InvalidCreate,
    /// The room version is unknown or not supported (only stable versions 1–12 are).
    UnsupportedRoomVersion,
    /// `m.room.power_levels` content is not valid for the room version.
    InvalidPowerLevels,
    /// A user ID is not a valid Matrix user ID.
    InvalidUserId,
    /// A room ID or alias is not valid.
    InvalidRoomId,
    /// Events for different rooms were mixed.
    RoomIdMismatch,
    /// The action name is unknown.
    UnknownAction,
}

impl ErrorCode {
    /// The stable string form, e.g. `"INVALID_JSON"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "INVALID_JSON",
            Self::InvalidInput => "INVALID_INPUT",
            Self::InvalidEvent => "INVALID_EVENT",
            Self::MissingCreate => "MISSING_CREATE",
            Self::InvalidCreate => "INVALID_CREATE",
            Self::UnsupportedRoomVersion => "UNSUPPORTED_ROOM_VERSION",
            Self::InvalidPowerLevels => "INVALID_POWER_LEVELS",
            Self::InvalidUserId => "INVALID_USER_ID",
            Self::InvalidRoomId => "INVALID_ROOM_ID",
            Self::RoomIdMismatch => "ROOM_ID_MISMATCH",
            Self::UnknownAction => "UNKNOWN_ACTION",
        }
    }
}

/// A bad-input error: a stable code and a human message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of input was wrong.
    pub code: ErrorCode,
    /// What exactly was wrong, in plain English.
    pub message: String,
}

impl Error {
    /// Creates an error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
