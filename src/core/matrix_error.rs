//! Responses of the knock-related endpoints: success values and Matrix errors with a
//! knock-aware meaning.

use std::borrow::Cow;

use super::{
    decision::Action,
    event::{loose_str, loose_u64},
    json,
};

/// What a failed request means for knocking, a stable code per case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// `M_FORBIDDEN`: the rules refused it (see the description for the action).
    Forbidden,
    /// `M_NOT_FOUND` / 404: unknown room or alias.
    NotFound,
    /// `M_LIMIT_EXCEEDED` / 429: retry after `retry_after_ms`.
    RateLimited,
    /// `M_BAD_STATE`: the target's membership does not fit (e.g. unban of a non-banned user).
    BadState,
    /// `M_INVITE_BLOCKED`: the knocker's server blocks invites, so accepting failed.
    InviteBlocked,
    /// `M_USER_SUSPENDED`: the account is suspended.
    UserSuspended,
    /// `M_UNSUPPORTED_ROOM_VERSION` / `M_INCOMPATIBLE_ROOM_VERSION`.
    UnsupportedRoomVersion,
    /// `M_UNKNOWN_TOKEN` / `M_MISSING_TOKEN`: log in again.
    Unauthorized,
    /// `M_BAD_JSON` / `M_NOT_JSON` / `M_INVALID_PARAM` / other 400s.
    BadRequest,
    /// 5xx.
    ServerError,
    /// Anything else.
    Unknown,
}

impl Meaning {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::RateLimited => "RATE_LIMITED",
            Self::BadState => "BAD_STATE",
            Self::InviteBlocked => "INVITE_BLOCKED",
            Self::UserSuspended => "USER_SUSPENDED",
            Self::UnsupportedRoomVersion => "UNSUPPORTED_ROOM_VERSION",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::BadRequest => "BAD_REQUEST",
            Self::ServerError => "SERVER_ERROR",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// A Matrix error response.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixError {
    /// HTTP status.
    pub status: u16,
    /// `errcode` (or `M_UNKNOWN` when the body had none).
    pub errcode: String,
    /// The server's `error` text.
    pub error: String,
    /// `retry_after_ms` from the body (or the `Retry-After` header, in ms).
    pub retry_after_ms: Option<u64>,
    /// What it means.
    pub meaning: Meaning,
    /// A plain-English, knock-aware explanation.
    pub description: String,
}

/// The fields of a Matrix error body, each lenient (a value of another type reads as absent).
#[derive(Default)]
struct ErrorBody {
    errcode: Option<String>,
    error: Option<String>,
    retry_after_ms: Option<u64>,
}

impl ErrorBody {
    /// Reads the body; anything but a JSON object without repeated fields reads as empty.
    fn read(body: &str) -> Self {
        let (mut errcode, mut error, mut retry_after_ms) = (None, None, None);
        let read = json::read_str(body, |de| {
            de.object("an error body (an object)", |de, key| match key {
                "errcode" => json::once(&mut errcode, "errcode", || loose_str(de)),
                "error" => json::once(&mut error, "error", || loose_str(de)),
                "retry_after_ms" => {
                    json::once(&mut retry_after_ms, "retry_after_ms", || loose_u64(de))
                }
                _ => de.skip(),
            })
        });
        if read.is_err() {
            return Self::default();
        }
        let owned = |field: Option<Option<Cow<'_, str>>>| field.flatten().map(Cow::into_owned);
        Self {
            errcode: owned(errcode),
            error: owned(error),
            retry_after_ms: retry_after_ms.flatten(),
        }
    }
}

/// The `room_id` of a successful response body (`/knock`, `/join`), if it has a string one.
pub fn response_room_id(body: &str) -> Option<String> {
    let mut room_id = None;
    json::read_str(body, |de| {
        de.object("a response body (an object)", |de, key| match key {
            "room_id" => json::once(&mut room_id, "room_id", || loose_str(de)),
            _ => de.skip(),
        })
    })
    .ok()?;
    room_id.flatten().map(Cow::into_owned)
}

/// Interprets an error response for an action. `body` may be any text (proxies send HTML).
pub fn parse_error(
    action: Option<Action>,
    status: u16,
    body: &str,
    retry_after_header_s: Option<u64>,
) -> MatrixError {
    let parsed = ErrorBody::read(body);
    let errcode = parsed.errcode.unwrap_or_else(|| "M_UNKNOWN".to_owned());
    let error = parsed.error.unwrap_or_default();
    let retry_after_ms = parsed
        .retry_after_ms
        .or_else(|| retry_after_header_s.map(|s| s.saturating_mul(1000)))
        .map(|ms| ms.min(super::event::MAX_SAFE_INTEGER));
    let meaning = match (errcode.as_str(), status) {
        ("M_LIMIT_EXCEEDED", _) | (_, 429) => Meaning::RateLimited,
        ("M_INVITE_BLOCKED", _) => Meaning::InviteBlocked,
        ("M_USER_SUSPENDED", _) => Meaning::UserSuspended,
        ("M_UNSUPPORTED_ROOM_VERSION" | "M_INCOMPATIBLE_ROOM_VERSION", _) => {
            Meaning::UnsupportedRoomVersion
        }
        ("M_BAD_STATE", _) => Meaning::BadState,
        ("M_NOT_FOUND", _) | (_, 404) => Meaning::NotFound,
        ("M_UNKNOWN_TOKEN" | "M_MISSING_TOKEN", _) | (_, 401) => Meaning::Unauthorized,
        ("M_FORBIDDEN", _) | (_, 403) => Meaning::Forbidden,
        (_, 500..=599) => Meaning::ServerError,
        (_, 400..=499) => Meaning::BadRequest,
        _ => Meaning::Unknown,
    };
    let description = describe(action, meaning, retry_after_ms);
    MatrixError {
        status,
        errcode,
        error,
        retry_after_ms,
        meaning,
        description,
    }
}

fn describe(action: Option<Action>, meaning: Meaning, retry_after_ms: Option<u64>) -> String {
    let knock = matches!(action, Some(Action::Knock));
    let accept = matches!(action, Some(Action::Accept | Action::Invite));
    match meaning {
        Meaning::Forbidden if knock => "The server refused the knock: the room does not allow knocking, or you are banned, invited or already in it, or your server is denied by the room's ACL.".to_owned(),
        Meaning::Forbidden if accept => "The server refused the invite: you lack the invite power level, are not in the room, or the user is banned or already joined.".to_owned(),
        Meaning::Forbidden => "The server refused: the auth rules or a server check do not allow this (power levels, membership).".to_owned(),
        Meaning::NotFound if knock => "The room or alias is unknown to the server and to the servers it was routed via; try other `via` servers.".to_owned(),
        Meaning::NotFound => "The room is unknown to the server.".to_owned(),
        Meaning::RateLimited => match retry_after_ms {
            Some(ms) => format!("Rate limited: retry after {ms} ms."),
            None => "Rate limited: retry later.".to_owned(),
        },
        Meaning::BadState if knock => "You are banned from this room: the server refuses any knock until a moderator unbans you.".to_owned(),
        Meaning::BadState => "The user's membership does not fit the action (e.g. unban of someone not banned, or acting on a banned user).".to_owned(),
        Meaning::InviteBlocked => "The knocker's server blocks invites for them, so the knock cannot be accepted by invite.".to_owned(),
        Meaning::UserSuspended => "The account is suspended: it cannot knock, join or invite.".to_owned(),
        Meaning::UnsupportedRoomVersion => "A server involved does not support this room version.".to_owned(),
        Meaning::Unauthorized => "The access token is missing or no longer valid: log in again.".to_owned(),
        Meaning::BadRequest => "The server rejected the request as malformed.".to_owned(),
        Meaning::ServerError => "The server failed; retrying later may work.".to_owned(),
        Meaning::Unknown => "The request failed.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_read_leniently() {
        let fields = |body: &str| {
            let e = parse_error(None, 400, body, Some(2));
            (e.errcode, e.error, e.retry_after_ms)
        };
        let none = ("M_UNKNOWN".to_owned(), String::new(), Some(2000));
        // Not JSON, not an object, a repeated field: nothing is read from the body.
        for body in ["<html>", "[]", r#"{"errcode":"M_A","errcode":"M_B"}"#, ""] {
            assert_eq!(fields(body), none, "{body}");
        }
        // Wrong types read as absent; the others are kept.
        assert_eq!(
            fields(r#"{"errcode":5,"error":"x","retry_after_ms":-1,"extra":[{}]}"#),
            none_but_error("x")
        );
        assert_eq!(
            fields(r#"{"errcode":"M_X","retry_after_ms":99}"#),
            ("M_X".to_owned(), String::new(), Some(99))
        );
        assert_eq!(
            response_room_id(r#"{"room_id":"!r:hs"}"#).as_deref(),
            Some("!r:hs")
        );
        for body in [
            r#"{"room_id":1}"#,
            "{}",
            "x",
            r#"{"room_id":"a","room_id":"b"}"#,
        ] {
            assert_eq!(response_room_id(body), None, "{body}");
        }
    }

    fn none_but_error(error: &str) -> (String, String, Option<u64>) {
        ("M_UNKNOWN".to_owned(), error.to_owned(), Some(2000))
    }

    #[test]
    fn errors_are_typed_with_knock_aware_meaning() {
        let e = parse_error(
            Some(Action::Knock),
            403,
            r#"{"errcode":"M_FORBIDDEN","error":"You are banned from this room"}"#,
            None,
        );
        assert_eq!(
            (e.meaning, e.errcode.as_str(), e.error.as_str()),
            (
                Meaning::Forbidden,
                "M_FORBIDDEN",
                "You are banned from this room"
            )
        );
        assert!(e.description.contains("knock"));
        let e = parse_error(
            None,
            429,
            r#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500}"#,
            None,
        );
        assert_eq!(
            (e.meaning, e.retry_after_ms),
            (Meaning::RateLimited, Some(1500))
        );
        let e = parse_error(None, 429, "<html>", Some(3));
        assert_eq!(
            (e.meaning, e.retry_after_ms, e.errcode.as_str()),
            (Meaning::RateLimited, Some(3000), "M_UNKNOWN")
        );
        assert_eq!(
            parse_error(None, 403, r#"{"errcode":"M_INVITE_BLOCKED"}"#, None).meaning,
            Meaning::InviteBlocked
        );
        assert_eq!(
            parse_error(None, 403, r#"{"errcode":"M_USER_SUSPENDED"}"#, None).meaning,
            Meaning::UserSuspended
        );
        assert_eq!(
            parse_error(None, 403, r#"{"errcode":"M_BAD_STATE"}"#, None).meaning,
            Meaning::BadState
        );
        assert_eq!(
            parse_error(
                None,
                400,
                r#"{"errcode":"M_UNSUPPORTED_ROOM_VERSION"}"#,
                None
            )
            .meaning,
            Meaning::UnsupportedRoomVersion
        );
        assert_eq!(
            parse_error(None, 404, "{}", None).meaning,
            Meaning::NotFound
        );
        assert_eq!(
            parse_error(None, 502, "", None).meaning,
            Meaning::ServerError
        );
        assert_eq!(
            parse_error(None, 403, r#"{"errcode":7,"error":[]}"#, None).errcode,
            "M_UNKNOWN"
        );
    }
}
