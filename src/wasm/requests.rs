//! Request objects, response parsing and Matrix errors in JS form.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{
    error::{invalid_input, JsResult},
    types::to_js,
};
use crate::core::{
    matrix_error::{parse_error as parse_matrix_error, MatrixError},
    request::{Request, RequestBody, RequestOptions},
    Action,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_REQUESTS: &str = r#"
/** A Client-Server API call to make: `method` `url` with JSON `body` and the access token. */
export interface OutgoingRequest {
  action: Action;
  method: "POST";
  /** Percent-encoded path, e.g. "/_matrix/client/v3/knock/%23room%3Ahs". */
  path: string;
  /** Query parameters (unencoded); `via` for knock and join. */
  query: { via?: string[] };
  /** Path plus encoded query: append to the homeserver base URL. */
  url: string;
  body: { user_id?: string; reason?: string };
  /** The room ID or alias the request is for. */
  room: string;
  /** The target user of a moderation request. */
  targetId?: string;
}

/** Options of a request builder. */
export interface RequestOptions {
  reason?: string;
  /** Servers to route a knock or join through. */
  via?: string[];
  /** Build even when the session decided the action cannot succeed. */
  force?: boolean;
}

/** A Matrix error response with a knock-aware meaning. */
export interface MatrixErrorInfo {
  status: number;
  errcode: string;
  error: string;
  retryAfterMs?: number;
  meaning: "FORBIDDEN" | "NOT_FOUND" | "RATE_LIMITED" | "BAD_STATE" | "INVITE_BLOCKED" | "USER_SUSPENDED"
    | "UNSUPPORTED_ROOM_VERSION" | "UNAUTHORIZED" | "BAD_REQUEST" | "SERVER_ERROR" | "UNKNOWN";
  description: string;
}

/** The outcome of a request: its value, or a typed error. */
export type ParsedResponse =
  | { ok: true; roomId?: string }
  | { ok: false; error: MatrixErrorInfo };
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRequest<'a> {
    action: &'static str,
    method: &'static str,
    path: &'a str,
    query: Query<'a>,
    url: String,
    body: &'a RequestBody,
    room: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Query<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    via: Vec<&'a str>,
}

/// A core request as a JS `OutgoingRequest`.
pub fn request_to_js(r: &Request) -> JsResult<JsValue> {
    to_js(&JsRequest {
        action: r.action.as_str(),
        method: r.method,
        path: &r.path,
        query: Query {
            via: r.query.iter().map(|(_, v)| v.as_str()).collect(),
        },
        url: r.path_and_query(),
        body: &r.body,
        room: &r.room,
        target_id: r.target.as_deref(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsMatrixError<'a> {
    status: u16,
    errcode: &'a str,
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
    meaning: &'static str,
    description: &'a str,
}

/// A core Matrix error as a JS `MatrixErrorInfo`.
pub fn matrix_error_to_js(e: &MatrixError) -> JsResult<JsValue> {
    to_js(&JsMatrixError {
        status: e.status,
        errcode: &e.errcode,
        error: &e.error,
        retry_after_ms: e.retry_after_ms,
        meaning: e.meaning.as_str(),
        description: &e.description,
    })
}

/// Reads `RequestOptions` (reason, via, force) from JS.
pub fn options_from_js(
    value: &JsValue,
    target: Option<String>,
) -> JsResult<(RequestOptions, bool)> {
    let mut options = RequestOptions {
        target,
        ..RequestOptions::default()
    };
    let mut force = false;
    if value.is_undefined() || value.is_null() {
        return Ok((options, force));
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(invalid_input("options must be an object"));
    }
    let object = js_sys::Object::from(value.clone());
    for key in js_sys::Object::keys(&object).iter() {
        let field = js_sys::Reflect::get(&object, &key).unwrap_or(JsValue::UNDEFINED);
        if field.is_undefined() {
            continue;
        }
        match key.as_string().as_deref() {
            Some("reason") => {
                options.reason = Some(
                    field
                        .as_string()
                        .ok_or_else(|| invalid_input("options.reason must be a string"))?,
                );
            }
            Some("via") => {
                let via: Option<Vec<String>> = js_sys::Array::is_array(&field)
                    .then(|| {
                        js_sys::Array::from(&field)
                            .iter()
                            .map(|s| s.as_string())
                            .collect()
                    })
                    .flatten();
                options.via = via
                    .ok_or_else(|| invalid_input("options.via must be an array of server names"))?;
            }
            Some("force") => {
                force = field
                    .as_bool()
                    .ok_or_else(|| invalid_input("options.force must be a boolean"))?;
            }
            other => {
                return Err(invalid_input(format!(
                    "unknown option {:?}; expected reason, via or force",
                    other.unwrap_or_default()
                )))
            }
        }
    }
    Ok((options, force))
}

/// Interprets an error response: status and body (JSON text or object) → `MatrixErrorInfo`.
/// `action` makes the description knock-aware; `retryAfterSeconds` is the `Retry-After` header.
#[wasm_bindgen(js_name = parseError, unchecked_return_type = "MatrixErrorInfo")]
pub fn parse_error(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Action")] action: JsValue,
    #[wasm_bindgen(js_name = retryAfterSeconds, unchecked_optional_param_type = "number")]
    retry_after_seconds: JsValue,
) -> JsResult<JsValue> {
    let status = super::error::status_arg(&status)?;
    let action = super::error::optional_string_arg(&action, "action")?;
    let action = action
        .as_deref()
        .map(Action::parse)
        .transpose()
        .map_err(super::error::to_js)?;
    let retry_after_seconds = retry_after_seconds
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s.min(1e9) as u64);
    let text = body_text(&body);
    let error = parse_matrix_error(action, status, &text, retry_after_seconds);
    matrix_error_to_js(&error)
}

/// A response body as text (objects are stringified; anything else is empty).
pub fn body_text(body: &JsValue) -> String {
    body.as_string()
        .or_else(|| {
            body.is_object()
                .then(|| js_sys::JSON::stringify(body).ok())
                .flatten()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_default()
}
