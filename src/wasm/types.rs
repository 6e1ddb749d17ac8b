//! Plain JS objects returned by the bindings, and their TypeScript declarations.

use std::collections::HashMap;

use ruma_events::room::power_levels::UserPowerLevel;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::{invalid_input, JsResult};
use crate::core::{session::sorted_keys, Context};

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

/// A value as compact JSON text.
///
/// Our values always serialise (string keys, no I/O), so the error is never expected; it is
/// reported without serde_json's message, whose `Display` would link its whole error table.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> JsResult<String> {
    let mut json = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::new(&mut json);
    value
        .serialize(&mut serializer)
        .map_err(|_| invalid_input("a value could not be written as JSON"))?;
    String::from_utf8(json).map_err(|_| invalid_input("a value was written as non-UTF-8 JSON"))
}
