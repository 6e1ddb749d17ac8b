//! The JS `KnockSession` class: a user's knocks and moderator queues, fed by `/sync`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{
    decision::decision_to_js,
    error::{optional_string_arg, string_arg, strings_arg, to_js as error_to_js, JsResult},
    layout::Layout,
    requests::{body_text, matrix_error_to_js, options_from_js, request_to_js},
    types::{context_from_js, in_order, to_js, to_json, Pairs},
};
use crate::core::{
    lifecycle::{Change, KnockStatus},
    matrix_error::{parse_error, response_room_id},
    session::{parse_seen, Session},
    Action,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION: &str = r#"
/** Where one of the user's own knocks stands. */
export type KnockStatus = "pending" | "accepted" | "declined" | "rescinded" | "banned" | "unbanned" | "joined";

/** Display data from stripped state. Untrusted: never decides a permission. */
export interface RoomPreview {
  untrusted: true;
  name?: string; avatarUrl?: string; topic?: string; joinRule?: string; canonicalAlias?: string;
  encrypted: boolean; roomType?: string; creator?: string; roomVersion?: string;
}

/** One of the user's own knocks. */
export interface MyKnock {
  roomId: string;
  status: KnockStatus;
  /** When it reached this status (ms since the epoch). */
  since: number;
  knockedAt?: number;
  reason?: string;
  decidedBy?: string;
  decisionReason?: string;
  via: string[];
  preview: RoomPreview;
  /** The user's server is probably not in the room (undefined: cannot tell). */
  remote?: boolean;
  /** Pending on a room the user's server may not be in: a decline may never arrive (MSC2403's federation gap). */
  mayNeverHearBack: boolean;
  /** For pending knocks: how long it has waited (ms). */
  waitedMs?: number;
}

/** A pending knock as this user (a moderator) sees it. */
export interface QueueEntry extends KnockRequest {
  seen: boolean;
  /** Age of the knock (ms), when its timestamp is known. */
  ageMs?: number;
  accept: Decision;
  decline: Decision;
  ban: Decision;
}

/** What a sync changed. */
export interface SyncChange {
  kind: "knockSent" | "knockAccepted" | "knockDeclined" | "knockRescinded" | "knockBanned" | "knockUnbanned"
    | "knockJoined" | "requestNew" | "requestWithdrawn" | "requestDecided" | "eventsSkipped" | "roomIncomplete";
  roomId: string;
  userId?: string;
  by?: string;
  reason?: string;
  outcome?: "accepted" | "declined" | "banned" | "joined";
  count?: number;
}
"#;

/// A logged-in user's knocking: own knocks, the moderator queue of every joined room, and the
/// requests to act on them. Feed it every `/sync` response.
#[wasm_bindgen]
pub struct KnockSession {
    inner: Session,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsPreview<'a> {
    untrusted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_alias: Option<&'a str>,
    encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    room_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room_version: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsMyKnock<'a> {
    room_id: &'a str,
    status: &'static str,
    since: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    knocked_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_reason: Option<&'a str>,
    via: &'a [String],
    preview: JsPreview<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<bool>,
    may_never_hear_back: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    waited_ms: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsChange<'a> {
    kind: &'static str,
    room_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "is_zero")]
    count: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl<'a> From<&'a Change> for JsChange<'a> {
    fn from(c: &'a Change) -> Self {
        Self {
            kind: c.kind.as_str(),
            room_id: &c.room_id,
            user_id: c.user_id.as_deref(),
            by: c.by.as_deref(),
            reason: c.reason.as_deref(),
            outcome: c.outcome,
            count: c.count,
        }
    }
}

fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

impl KnockSession {
    fn build(
        &mut self,
        action: Action,
        room: &str,
        target: Option<String>,
        options: &JsValue,
    ) -> JsResult<JsValue> {
        let (options, force) = options_from_js(options, target)?;
        match self
            .inner
            .request(action, room, &options, force)
            .map_err(error_to_js)?
        {
            Ok(request) => request_to_js(&request),
            Err(decision) => Err(refusal(&decision)),
        }
    }
}

/// A refused request: an Error whose `code` is the decision's code, with the `decision`.
fn refusal(decision: &crate::core::Decision) -> JsValue {
    let error = js_sys::Error::new(&decision.message);
    error.set_name("ActionRefusedError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &decision.code.as_str().into());
    let _ = js_sys::Reflect::set(&error, &"decision".into(), &decision_to_js(decision));
    error.into()
}

#[wasm_bindgen]
impl KnockSession {
    /// A session for the logged-in user.
    ///
    /// @throws {Error} `INVALID_USER_ID`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
    ) -> JsResult<KnockSession> {
        Session::new(&string_arg(&user_id, "userId")?)
            .map(|inner| KnockSession { inner })
            .map_err(error_to_js)
    }

    /// The user.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> String {
        self.inner.user_id().to_owned()
    }

    /// Ingests a `/sync` response (its UTF-8 bytes, fastest; JSON text; or the parsed object)
    /// and returns the changes it caused. A malformed response throws and changes nothing; malformed events
    /// inside are skipped and reported as an `eventsSkipped` change.
    #[wasm_bindgen(js_name = ingestSync, unchecked_return_type = "SyncChange[]")]
    pub fn ingest_sync(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | object")] body: JsValue,
    ) -> JsResult<JsValue> {
        let bytes = if body.is_instance_of::<js_sys::Uint8Array>() {
            js_sys::Uint8Array::from(body).to_vec()
        } else {
            super::input::json_utf8(
                &body,
                "sync response",
                "the sync response must be JSON text, UTF-8 bytes or an object",
            )?
        };
        let text = crate::core::event::utf8(&bytes).map_err(error_to_js)?;
        let changes = self
            .inner
            .ingest_sync(text, now_ms())
            .map_err(error_to_js)?;
        let changes: Vec<JsChange<'_>> = changes.iter().map(JsChange::from).collect();
        to_js(&changes)
    }

    /// The user's own knocks: pending, accepted, declined, rescinded, banned, unbanned, joined.
    #[wasm_bindgen(js_name = myKnocks, unchecked_return_type = "MyKnock[]")]
    pub fn my_knocks(&self) -> JsResult<JsValue> {
        let now = now_ms();
        let knocks: Vec<JsMyKnock<'_>> = self
            .inner
            .my_knocks()
            .map(|k| {
                let p = &k.preview;
                let pending = k.status == KnockStatus::Pending;
                JsMyKnock {
                    room_id: &k.room_id,
                    status: k.status.as_str(),
                    since: k.since,
                    knocked_at: k.knocked_at,
                    reason: k.reason.as_deref(),
                    decided_by: k.decided_by.as_deref(),
                    decision_reason: k.decision_reason.as_deref(),
                    via: &k.via,
                    preview: JsPreview {
                        untrusted: true,
                        name: p.name.as_deref(),
                        avatar_url: p.avatar_url.as_deref(),
                        topic: p.topic.as_deref(),
                        join_rule: p.join_rule.as_deref(),
                        canonical_alias: p.canonical_alias.as_deref(),
                        encrypted: p.encrypted,
                        room_type: p.room_type.as_deref(),
                        creator: p.creator.as_deref(),
                        room_version: p.room_version.as_deref(),
                    },
                    remote: k.remote,
                    may_never_hear_back: pending && k.remote != Some(false),
                    waited_ms: pending.then(|| now.saturating_sub(k.knocked_at.unwrap_or(k.since))),
                }
            })
            .collect();
        to_js(&knocks)
    }

    /// The pending knocks of a joined room, with this user's accept / decline / ban decisions
    /// and seen marks; `undefined` when the session holds no state for that room.
    #[wasm_bindgen(js_name = knockRequests, unchecked_return_type = "QueueEntry[] | undefined")]
    pub fn knock_requests(
        &self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
    ) -> JsResult<JsValue> {
        let room_id = string_arg(&room_id, "roomId")?;
        let Some(entries) = self.inner.knock_requests(&room_id) else {
            return Ok(JsValue::UNDEFINED);
        };
        let now = now_ms();
        let mut layout = Layout::default();
        for e in &entries {
            layout.request(&e.request);
            let age = e
                .request
                .origin_server_ts()
                .map(|ts| now.saturating_sub(ts));
            layout.number(age.map_or(-1.0, |age| age as f64));
            layout.number(f64::from(u8::from(e.seen)));
            for decision in [&e.accept, &e.decline, &e.ban] {
                layout.decision(decision);
            }
        }
        Ok(queue_entries_from(&layout.text, &layout.numbers))
    }

    /// Decides an action by this user in a joined room; `undefined` for a room without state.
    #[wasm_bindgen(unchecked_return_type = "Decision | undefined")]
    pub fn check(
        &self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Action")] action: JsValue,
        #[wasm_bindgen(js_name = targetId, unchecked_optional_param_type = "string")]
        target_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckContext")] context: JsValue,
    ) -> JsResult<JsValue> {
        let room_id = string_arg(&room_id, "roomId")?;
        let action = Action::parse(&string_arg(&action, "action")?).map_err(error_to_js)?;
        let target_id = optional_string_arg(&target_id, "targetId")?;
        let context = context_from_js(&context)?;
        let Some(room) = self.inner.room(&room_id) else {
            return Ok(JsValue::UNDEFINED);
        };
        let decision = room
            .check(action, self.inner.user_id(), target_id.as_deref(), &context)
            .map_err(error_to_js)?;
        Ok(decision_to_js(&decision))
    }

    /// Joined rooms the session holds state for.
    #[wasm_bindgen(js_name = roomIds, unchecked_return_type = "string[]")]
    pub fn room_ids(&self) -> JsResult<JsValue> {
        to_js(&self.inner.room_ids().collect::<Vec<_>>())
    }

    /// Marks the current knocks of these users as seen (a later re-knock is unseen again).
    /// Returns how many were marked.
    #[wasm_bindgen(js_name = markSeen)]
    pub fn mark_seen(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(js_name = userIds, unchecked_param_type = "string[]")] user_ids: JsValue,
    ) -> JsResult<usize> {
        let (room_id, user_ids) = (
            string_arg(&room_id, "roomId")?,
            strings_arg(&user_ids, "userIds")?,
        );
        Ok(self.inner.mark_seen(&room_id, &user_ids))
    }

    /// The seen marks as JSON text, for the client to persist.
    #[wasm_bindgen(js_name = exportSeen)]
    pub fn export_seen(&self) -> JsResult<String> {
        let rooms = in_order(self.inner.seen()).0.into_iter();
        to_json(&Pairs(
            rooms
                .map(|(room, events)| (room, in_order(events)))
                .collect(),
        ))
    }

    /// Restores seen marks exported earlier (merged).
    ///
    /// @throws {Error} `INVALID_JSON` or `INVALID_INPUT`.
    #[wasm_bindgen(js_name = importSeen)]
    pub fn import_seen(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] json: JsValue,
    ) -> JsResult<()> {
        let json = string_arg(&json, "json")?;
        let marks = parse_seen(&json).map_err(error_to_js)?;
        self.inner.import_seen(marks);
        Ok(())
    }

    /// Builds the request for an action by this user. When the session holds the room, the
    /// action is decided first: a refusal throws an `ActionRefusedError` whose `code` is the
    /// decision's code (with `error.decision`), unless `options.force`.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn request(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Action")] action: JsValue,
        #[wasm_bindgen(js_name = roomIdOrAlias, unchecked_param_type = "string")] room: JsValue,
        #[wasm_bindgen(js_name = targetId, unchecked_optional_param_type = "string")]
        target_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let action = Action::parse(&string_arg(&action, "action")?).map_err(error_to_js)?;
        let room = string_arg(&room, "roomIdOrAlias")?;
        let target_id = optional_string_arg(&target_id, "targetId")?;
        self.build(action, &room, target_id, &options)
    }

    /// `POST /knock/{roomIdOrAlias}?via=…` with an optional reason.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn knock(
        &mut self,
        #[wasm_bindgen(js_name = roomIdOrAlias, unchecked_param_type = "string")] room: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let room = string_arg(&room, "roomId")?;
        self.build(Action::Knock, &room, None, &options)
    }

    /// Accept a knock: `POST /rooms/{roomId}/invite`.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn accept(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let (room, user) = (
            string_arg(&room_id, "roomId")?,
            string_arg(&user_id, "userId")?,
        );
        self.build(Action::Accept, &room, Some(user), &options)
    }

    /// Decline a knock: `POST /rooms/{roomId}/kick`.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn decline(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let (room, user) = (
            string_arg(&room_id, "roomId")?,
            string_arg(&user_id, "userId")?,
        );
        self.build(Action::Decline, &room, Some(user), &options)
    }

    /// Decline and ban: `POST /rooms/{roomId}/ban`.
    #[wasm_bindgen(js_name = declineAndBan, unchecked_return_type = "OutgoingRequest")]
    pub fn decline_and_ban(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let (room, user) = (
            string_arg(&room_id, "roomId")?,
            string_arg(&user_id, "userId")?,
        );
        self.build(Action::Ban, &room, Some(user), &options)
    }

    /// `POST /rooms/{roomId}/unban`.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn unban(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let (room, user) = (
            string_arg(&room_id, "roomId")?,
            string_arg(&user_id, "userId")?,
        );
        self.build(Action::Unban, &room, Some(user), &options)
    }

    /// Rescind the user's knock: `POST /rooms/{roomId}/leave`.
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn rescind(
        &mut self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let room = string_arg(&room_id, "roomId")?;
        self.build(Action::Rescind, &room, None, &options)
    }

    /// `POST /join/{roomIdOrAlias}?via=…` (e.g. after a knock was accepted).
    #[wasm_bindgen(unchecked_return_type = "OutgoingRequest")]
    pub fn join(
        &mut self,
        #[wasm_bindgen(js_name = roomIdOrAlias, unchecked_param_type = "string")] room: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let room = string_arg(&room, "roomId")?;
        self.build(Action::Join, &room, None, &options)
    }

    /// Interprets the response to a request built here: `{ ok: true, roomId? }` or
    /// `{ ok: false, error }`. A successful knock by alias links the room ID to its `via`.
    #[wasm_bindgen(js_name = parseResponse, unchecked_return_type = "ParsedResponse")]
    pub fn parse_response(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OutgoingRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
    ) -> JsResult<JsValue> {
        let status = super::error::status_arg(&status)?;
        let field = |name: &str| {
            js_sys::Reflect::get(&request, &name.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        let action = field("action")
            .as_deref()
            .map(Action::parse)
            .transpose()
            .map_err(error_to_js)?;
        let text = body_text(&body);
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Ok<'a> {
            ok: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            room_id: Option<&'a str>,
        }
        if (200..300).contains(&status) {
            let room_id = response_room_id(&text);
            if let (Some(Action::Knock), Some(room), Some(id)) =
                (action, field("room"), room_id.as_deref())
            {
                self.inner.knock_resolved(&room, id);
            }
            return to_js(&Ok {
                ok: true,
                room_id: room_id.as_deref(),
            });
        }
        let error = parse_error(action, status, &text, None);
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &"ok".into(), &false.into());
        let _ = js_sys::Reflect::set(&object, &"error".into(), &matrix_error_to_js(&error)?);
        Ok(object.into())
    }
}

#[wasm_bindgen(module = "/src/wasm/session.js")]
extern "C" {
    #[wasm_bindgen(js_name = queueEntriesFrom)]
    fn queue_entries_from(text: &str, numbers: &[f64]) -> JsValue;
}
