//! Plain JS objects returned by the bindings, and their TypeScript declarations.

use std::collections::HashMap;

use ruma_events::room::power_levels::UserPowerLevel;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::{invalid_input, JsResult};
use crate::core::{session::sorted_keys, Context, Decision, KnockRequest};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A membership action. The knock words map to raw actions: accept = invite, decline = kick, rescind = leave. */
export type Action = "knock" | "join" | "leave" | "invite" | "kick" | "ban" | "unban" | "accept" | "decline" | "rescind";

/** Stable decision codes (see the README for each). */
export type DecisionCode =
  | "ALLOWED" | "DUPLICATE" | "KNOCKING_UNSUPPORTED" | "JOIN_RULE_FORBIDS_KNOCK" | "JOIN_RULE_FORBIDS_JOIN"
  | "NOT_INVITED" | "NOT_FOR_OTHERS" | "BANNED" | "ALREADY_JOINED" | "ALREADY_INVITED" | "ACTOR_NOT_JOINED"
  | "TARGET_BANNED" | "INSUFFICIENT_LEVEL" | "TARGET_LEVEL_NOT_BELOW_ACTOR" | "TARGET_NOT_IN_ROOM"
  | "TARGET_NOT_BANNED" | "TARGET_NOT_KNOCKING" | "NOT_KNOCKING" | "NOT_IN_ROOM" | "JOINED_ROOMS_UNKNOWN"
  | "NOT_IN_ALLOWED_ROOM" | "NO_AUTHORISING_USER" | "ROOM_NOT_FEDERATED";

/** Stable codes of thrown errors (`error.code`). */
export type ErrorCode =
  | "INVALID_JSON" | "INVALID_INPUT" | "INVALID_EVENT" | "MISSING_CREATE" | "INVALID_CREATE"
  | "UNSUPPORTED_ROOM_VERSION" | "INVALID_POWER_LEVELS" | "INVALID_USER_ID" | "INVALID_ROOM_ID"
  | "ROOM_ID_MISMATCH" | "UNKNOWN_ACTION";

/** Whether an action will succeed, why, and the levels compared. */
export interface Decision {
  action: Action;
  allowed: boolean;
  code: DecisionCode;
  /** Plain-English explanation. */
  message: string;
  /** The deciding rule as the room version numbers it (e.g. "v10 4.5.4"), "server: …" for a homeserver check outside the auth rules, or "knock: …" for the knock words' precondition (a pending knock). */
  rule: string;
  /** The acting user's level (`Infinity` for v12 creators), where compared. */
  actorLevel?: number;
  /** The target's level, where compared. */
  targetLevel?: number;
  /** The level the action needs, where compared. */
  requiredLevel?: number;
}

/** Facts the room state cannot tell. */
export interface CheckContext {
  /** Rooms the acting user is joined to; decides `join` in restricted rooms. */
  joinedRoomIds?: string[];
  /** The reason the request will carry (a request identical to the current event is a no-op). */
  reason?: string;
}

/** A pending knock in the moderator queue. */
export interface KnockRequest {
  userId: string;
  reason?: string;
  displayName?: string;
  avatarUrl?: string;
  eventId?: string;
  originServerTs?: number;
}

/** Decisions for the moderator actions on one user. */
export interface PermittedActions {
  accept: Decision;
  decline: Decision;
  ban: Decision;
  unban: Decision;
}

/** What `applyEvent` did. */
export interface ApplyResult {
  applied: boolean;
  /** Why it was ignored: "NOT_STATE_EVENT", "OTHER_ROOM" or "CREATE_EVENT". */
  reason?: string;
  /** How the knock queue changed, when it did. */
  queue?: QueueChange;
}

/**
 * A change of the knock queue by one event: the event's member left the queue at `removed`
 * (an index before the event), entered it at `inserted` (an index after it) as `request`, or
 * both (a knock again, e.g. with a new reason). Applied to the previous `knockRequests()` as
 * `splice(removed, 1)` then `splice(inserted, 0, request)`, it gives the new one, so a client
 * can follow the queue without copying it (like a `VectorDiff` of matrix-rust-sdk).
 */
export interface QueueChange {
  removed?: number;
  inserted?: number;
  /** The entry at `inserted`: the object `knockRequests()` then holds, once it was listed. */
  request?: KnockRequest;
}

/** A client-format state event, as the state API and /sync deliver it. */
export interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
  event_id?: string;
  room_id?: string;
  origin_server_ts?: number;
  unsigned?: Record<string, unknown>;
}
"#;

/// A level as a JS number (`Infinity` for creators with infinite power).
pub fn level_number(level: &UserPowerLevel) -> f64 {
    match level {
        UserPowerLevel::Int(i) => i64::from(*i) as f64,
        _ => f64::INFINITY,
    }
}

/// The length of a string in UTF-16 units, as JS counts it.
pub fn utf16_units(s: &str) -> f64 {
    let units = if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    };
    units as f64
}

/// A level in JSON: an integer, or `1e999` for infinite, which `JSON.parse` reads as `Infinity`.
pub struct JsLevel(Option<i64>);

impl From<&UserPowerLevel> for JsLevel {
    fn from(level: &UserPowerLevel) -> Self {
        match level {
            UserPowerLevel::Int(i) => Self(Some(i64::from(*i))),
            _ => Self(None),
        }
    }
}

/// What [`JsLevel`] serialises an infinite level as; [`JsFormatter`] writes it as `1e999`.
const INFINITE_LEVEL: i128 = i128::MAX;

impl Serialize for JsLevel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(level) => serializer.serialize_i64(level),
            None => serializer.serialize_i128(INFINITE_LEVEL),
        }
    }
}

/// serde_json's compact output, except that [`INFINITE_LEVEL`] is written as `1e999` (JSON has
/// no infinity; a non-finite float would be written as `null`).
struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_i128<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: i128,
    ) -> std::io::Result<()> {
        if value == INFINITE_LEVEL {
            writer.write_all(b"1e999")
        } else {
            serde_json::ser::CompactFormatter.write_i128(writer, value)
        }
    }
}

/// [`Decision`] as a JS object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsDecision<'a> {
    action: &'static str,
    allowed: bool,
    code: &'static str,
    message: &'a str,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_level: Option<JsLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_level: Option<JsLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_level: Option<i64>,
}

impl<'a> From<&'a Decision> for JsDecision<'a> {
    fn from(d: &'a Decision) -> Self {
        Self {
            action: d.action.as_str(),
            allowed: d.allowed,
            code: d.code.as_str(),
            message: &d.message,
            rule: &d.rule,
            actor_level: d.actor_level.as_ref().map(JsLevel::from),
            target_level: d.target_level.as_ref().map(JsLevel::from),
            required_level: d.required_level.map(i64::from),
        }
    }
}

/// [`KnockRequest`] as a JS object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsKnockRequest<'a> {
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_server_ts: Option<u64>,
}

impl<'a> From<&KnockRequest<'a>> for JsKnockRequest<'a> {
    fn from(r: &KnockRequest<'a>) -> Self {
        Self {
            user_id: r.user_id,
            reason: r.reason(),
            display_name: r.displayname(),
            avatar_url: r.avatar_url(),
            event_id: r.event_id(),
            origin_server_ts: r.origin_server_ts(),
        }
    }
}

/// Reads an optional `CheckContext` argument; unknown keys are refused (they are typos).
pub fn context_from_js(value: &JsValue) -> JsResult<Context> {
    if value.is_undefined() || value.is_null() {
        return Ok(Context::default());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(invalid_input("context must be an object"));
    }
    let object = js_sys::Object::from(value.clone());
    let mut context = Context::default();
    for key in js_sys::Object::keys(&object).iter() {
        let field = js_sys::Reflect::get(&object, &key).unwrap_or(JsValue::UNDEFINED);
        match key.as_string().as_deref() {
            Some("joinedRoomIds") if !field.is_undefined() => {
                let ids: Option<Vec<String>> = js_sys::Array::is_array(&field)
                    .then(|| {
                        js_sys::Array::from(&field)
                            .iter()
                            .map(|id| id.as_string())
                            .collect()
                    })
                    .flatten();
                let ids = ids.ok_or_else(|| {
                    invalid_input("context.joinedRoomIds must be an array of strings")
                })?;
                context.joined_room_ids = Some(ids);
            }
            Some("reason") if !field.is_undefined() && !field.is_null() => {
                let reason = field
                    .as_string()
                    .ok_or_else(|| invalid_input("context.reason must be a string"))?;
                context.reason = Some(reason);
            }
            Some("joinedRoomIds" | "reason") => {}
            other => {
                return Err(invalid_input(format!(
                    "unknown context key {:?}; expected joinedRoomIds or reason",
                    other.unwrap_or_default()
                )))
            }
        }
    }
    Ok(context)
}

/// Key/value pairs serialised as a JSON object in their order.
pub struct Pairs<'a, T>(pub Vec<(&'a str, T)>);

/// A hash map's entries ordered by key, so that output is deterministic.
pub fn in_order<V>(map: &HashMap<String, V>) -> Pairs<'_, &V> {
    let entries = sorted_keys(map).into_iter();
    Pairs(entries.filter_map(|k| Some((k, map.get(k)?))).collect())
}

impl<T: Serialize> Serialize for Pairs<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A value as a plain JS object: serialized to JSON in wasm and parsed once by `JSON.parse`,
/// which is far cheaper than building objects property by property across the boundary.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    js_sys::JSON::parse(&to_json(value)?)
}

/// A value as compact JSON text (infinite levels as `1e999`, see [`JsFormatter`]).
///
/// Our values always serialise (string keys, no I/O), so the error is never expected; it is
/// reported without serde_json's message, whose `Display` would link its whole error table.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> JsResult<String> {
    let mut json = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut json, JsFormatter);
    value
        .serialize(&mut serializer)
        .map_err(|_| invalid_input("a value could not be written as JSON"))?;
    String::from_utf8(json).map_err(|_| invalid_input("a value was written as non-UTF-8 JSON"))
}
