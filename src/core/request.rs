//! The Client-Server API calls for knocking and moderating, as plain request descriptions.
//! Every path segment is validated as a Matrix identifier and percent-encoded, so no input
//! can leave the intended endpoint.

use ruma_common::{RoomId, RoomOrAliasId, ServerName};
use serde::Serialize;

use super::{
    decision::Action,
    error::{Error, ErrorCode, Result},
    room::parse_user_id,
};

const PREFIX: &str = "/_matrix/client/v3";

/// A request to send: `method` `path`?`query` with a JSON `body`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The action it performs.
    pub action: Action,
    /// HTTP method (always `POST`).
    pub method: &'static str,
    /// Percent-encoded path.
    pub path: String,
    /// Query parameters (`via` for knock and join), unencoded.
    pub query: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: RequestBody,
    /// The room ID or alias the request is for.
    pub room: String,
    /// The target user, for moderation requests.
    pub target: Option<String>,
}

/// The JSON body of a membership request: fields absent when not set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestBody {
    /// The target user (invite, kick, ban, unban).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The reason given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Request {
    /// Path and percent-encoded query string.
    pub fn path_and_query(&self) -> String {
        let mut url = self.path.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.push_str(&encode(value));
        }
        url
    }
}

/// Options of a request.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// The target user (moderation).
    pub target: Option<String>,
    /// Reason to put on the membership event.
    pub reason: Option<String>,
    /// Servers to route a knock or join through.
    pub via: Vec<String>,
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn invalid(code: ErrorCode, message: String) -> Error {
    Error::new(code, message)
}

/// Builds the request for an action on a room.
pub fn build(action: Action, room: &str, options: &RequestOptions) -> Result<Request> {
    let by_alias = matches!(action, Action::Knock | Action::Join);
    let room_segment = if by_alias {
        RoomOrAliasId::parse(room).map(|r| r.to_string())
    } else {
        RoomId::parse(room).map(|r| r.to_string())
    }
    .map_err(|e| {
        let wanted = if by_alias {
            "room ID or alias"
        } else {
            "room ID"
        };
        invalid(
            ErrorCode::InvalidRoomId,
            format!("{room:?} is not a valid {wanted}: {e}"),
        )
    })?;
    for server in &options.via {
        ServerName::parse(server).map_err(|e| {
            invalid(
                ErrorCode::InvalidInput,
                format!("via {server:?} is not a server name: {e}"),
            )
        })?;
    }
    let target = match action {
        Action::Invite
        | Action::Kick
        | Action::Ban
        | Action::Unban
        | Action::Accept
        | Action::Decline => {
            let target = options.target.as_deref().ok_or_else(|| {
                invalid(
                    ErrorCode::InvalidInput,
                    format!("{} needs a target user", action.as_str()),
                )
            })?;
            Some(parse_user_id(target)?.to_string())
        }
        _ => None,
    };
    let room_path = encode(&room_segment);
    let path = match action {
        Action::Knock => format!("{PREFIX}/knock/{room_path}"),
        Action::Join => format!("{PREFIX}/join/{room_path}"),
        Action::Leave | Action::Rescind => format!("{PREFIX}/rooms/{room_path}/leave"),
        Action::Invite | Action::Accept => format!("{PREFIX}/rooms/{room_path}/invite"),
        Action::Kick | Action::Decline => format!("{PREFIX}/rooms/{room_path}/kick"),
        Action::Ban => format!("{PREFIX}/rooms/{room_path}/ban"),
        Action::Unban => format!("{PREFIX}/rooms/{room_path}/unban"),
    };
    let query = if by_alias {
        options.via.iter().map(|s| ("via", s.clone())).collect()
    } else {
        Vec::new()
    };
    Ok(Request {
        action,
        method: "POST",
        path,
        query,
        body: RequestBody {
            user_id: target.clone(),
            reason: options.reason.clone(),
        },
        room: room_segment,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(target: Option<&str>, reason: Option<&str>, via: &[&str]) -> RequestOptions {
        RequestOptions {
            target: target.map(str::to_owned),
            reason: reason.map(str::to_owned),
            via: via.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn knock_by_alias_with_via_and_reason() {
        let r = build(
            Action::Knock,
            "#room:example.org",
            &opts(None, Some("hi"), &["a.org", "b.org:8448"]),
        )
        .unwrap();
        assert_eq!(r.path, "/_matrix/client/v3/knock/%23room%3Aexample.org");
        assert_eq!(
            r.path_and_query(),
            "/_matrix/client/v3/knock/%23room%3Aexample.org?via=a.org&via=b.org%3A8448"
        );
        assert_eq!(
            serde_json::to_value(&r.body).unwrap(),
            serde_json::json!({"reason": "hi"})
        );
    }

    #[test]
    fn moderation_paths_and_bodies() {
        let o = opts(Some("@k:hs2"), None, &[]);
        let cases = [
            (Action::Accept, "invite"),
            (Action::Decline, "kick"),
            (Action::Ban, "ban"),
            (Action::Unban, "unban"),
        ];
        for (action, endpoint) in cases {
            let r = build(action, "!abc:hs1", &o).unwrap();
            assert_eq!(
                r.path,
                format!("/_matrix/client/v3/rooms/%21abc%3Ahs1/{endpoint}")
            );
            assert_eq!(
                serde_json::to_value(&r.body).unwrap(),
                serde_json::json!({"user_id": "@k:hs2"})
            );
        }
        let leave = build(Action::Rescind, "!abc:hs1", &opts(None, Some("nvm"), &[])).unwrap();
        assert_eq!(leave.path, "/_matrix/client/v3/rooms/%21abc%3Ahs1/leave");
        assert_eq!(
            serde_json::to_value(&leave.body).unwrap(),
            serde_json::json!({"reason": "nvm"})
        );
    }

    #[test]
    fn hostile_ids_never_escape_the_endpoint() {
        for room in [
            "!a/../../admin:hs",
            "!a?x=1:hs",
            "!a#frag:hs",
            "!a%2F:hs",
            "!..:hs",
        ] {
            if let Ok(r) = build(Action::Knock, room, &RequestOptions::default()) {
                let segment = r.path.trim_start_matches("/_matrix/client/v3/knock/");
                assert!(
                    !segment.contains(['/', '?', '#']) && !r.path.contains("/../"),
                    "{}",
                    r.path
                );
            }
        }
        assert!(build(Action::Knock, "../admin", &RequestOptions::default()).is_err());
        assert!(build(Action::Kick, "#alias:hs", &opts(Some("@k:hs"), None, &[])).is_err());
        assert!(build(Action::Kick, "!r:hs", &opts(Some("k"), None, &[])).is_err());
        assert!(build(Action::Kick, "!r:hs", &RequestOptions::default()).is_err());
        assert!(build(Action::Knock, "!r:hs", &opts(None, None, &["bad server/"])).is_err());
    }
}
