//! The JS `Room` class: one room's state and the decisions on it.

use std::cell::RefCell;

use js_sys::{Array, Object};
use ruma_events::room::member::MembershipState;
use wasm_bindgen::prelude::*;

use super::{
    decision::{decision_to_js, permitted_to_js},
    error::{optional_string_arg, string_arg, stringify_js, to_js as error_to_js, JsResult},
    input::{json_utf8, BytesSource, StringSource},
    member_event::Parts,
    queue::{self, Entry, Queue},
    types::{context_from_js, level_number, to_js},
};
use crate::core::{
    event::{utf8, RawEvent},
    event_stream::Source,
    room::{check_user_id, Ignored},
    Action, Context, RoomState,
};

/// A room's state as a client sees it, answering what each user may do.
///
/// Build it with {@link Room.fromStateEvents} or {@link Room.fromStateJson}; keep it current
/// with {@link Room.applyEvent}. Call `free()` when done (or rely on the FinalizationRegistry).
#[wasm_bindgen]
pub struct Room {
    inner: RoomState,
    /// The knock queue as JS objects, once asked for; `applyEvent` keeps it current.
    queue: RefCell<Option<Queue>>,
    /// Where `applyEvent` has an event object's fields written as UTF-8.
    scratch: Vec<u8>,
}

impl Room {
    fn new(inner: RoomState) -> Room {
        Room {
            inner,
            queue: RefCell::new(None),
            scratch: vec![0; 1024],
        }
    }

    fn from_source(source: impl Source) -> JsResult<Room> {
        RoomState::from_source(source)
            .map(Room::new)
            .map_err(error_to_js)
    }

    /// Runs `f` on the cached queue, listing it first if it was never asked for.
    fn with_queue<T>(&self, f: impl FnOnce(&mut Queue) -> T) -> T {
        let mut queue = self.queue.borrow_mut();
        let queue = match queue.as_mut() {
            Some(queue) => queue,
            None => queue.insert(Queue::list(&self.inner.knock_requests())),
        };
        f(queue)
    }
}

#[wasm_bindgen]
impl Room {
    /// Builds a room from an array of client-format state events, as returned by
    /// `GET /_matrix/client/v3/rooms/{roomId}/state` or a sync `state` block. The room version
    /// comes from `m.room.create`. Later events for the same state key win.
    ///
    /// @throws {Error} with a `code` (see `ErrorCode`) on bad input.
    #[wasm_bindgen(js_name = fromStateEvents)]
    pub fn from_state_events(
        #[wasm_bindgen(unchecked_param_type = "StateEvent[]")] events: JsValue,
    ) -> JsResult<Room> {
        if !js_sys::Array::is_array(&events) {
            return Err(super::error::invalid_input(
                "events must be an array of state events",
            ));
        }
        Self::from_source(StringSource::new(stringify_js(&events, "events")?))
    }

    /// The same as {@link Room.fromStateEvents}, from the JSON text of that array (no JS
    /// object walk: much faster).
    #[wasm_bindgen(js_name = fromStateJson)]
    pub fn from_state_json(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> JsResult<Room> {
        if !text.is_string() {
            return Err(super::error::invalid_input("fromStateJson takes JSON text"));
        }
        Self::from_source(StringSource::new(text.unchecked_into()))
    }

    /// The same from the UTF-8 bytes of that JSON (e.g. `new Uint8Array(await
    /// response.arrayBuffer())`): no string conversion at all, the fastest input.
    #[wasm_bindgen(js_name = fromStateBytes)]
    pub fn from_state_bytes(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> JsResult<Room> {
        let bytes = bytes
            .dyn_into::<js_sys::Uint8Array>()
            .map_err(|_| super::error::invalid_input("fromStateBytes takes a Uint8Array"))?;
        Self::from_source(BytesSource::new(bytes))
    }

    /// Applies one more state event (object or JSON text). Non-state events and events of
    /// other rooms are ignored, with the reason in the result. On error nothing changes.
    ///
    /// An `m.room.member` event object is read field by field, the fastest input: fields
    /// the rules do not read (`unsigned`, unknown keys outside `content`) are not looked at.
    /// Other objects are read as `JSON.stringify` writes them, as is any value in a read
    /// field that only it can tell how to write (a `toJSON`, a `BigInt`, a nested object).
    #[wasm_bindgen(js_name = applyEvent, unchecked_return_type = "ApplyResult")]
    pub fn apply_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "StateEvent | string")] event: JsValue,
    ) -> JsResult<JsValue> {
        let parts = Parts::read(&event, &mut self.scratch);
        let (applied, read) = match parts.as_ref().and_then(Parts::member_event) {
            Some(member) => (self.inner.apply_member(&member).map_err(error_to_js)?, true),
            None => {
                let bytes = json_utf8(&event, "event", "event must be an object or JSON text")?;
                let text = utf8(&bytes).map_err(error_to_js)?;
                let event = RawEvent::from_json(text).map_err(error_to_js)?;
                (self.inner.apply(&event).map_err(error_to_js)?, false)
            }
        };
        let moved = applied.queue;
        if moved.from.is_none() && moved.to.is_none() {
            return Ok(applied_result(applied.ignored));
        }
        // The entry's strings: the object's own, kept on the JS side, or the core's.
        let entry = moved.to.and_then(|index| {
            if read {
                Some(Entry::Read)
            } else {
                self.inner.knock_request_at(index).map(|r| Entry::of(&r))
            }
        });
        let queue = self.queue.get_mut();
        if moved.to.is_some() && entry.is_none() {
            *queue = None; // (cannot happen) listed afresh when next asked for
        }
        Ok(queue::change(queue.as_mut(), moved, entry))
    }

    /// Decides whether `actorId` may perform `action` on `targetId` (the actor for self
    /// actions when omitted), exactly as the homeserver will.
    ///
    /// @throws {Error} `UNKNOWN_ACTION`, `INVALID_USER_ID` or `INVALID_INPUT` on bad arguments.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn check(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Action")] action: JsValue,
        #[wasm_bindgen(js_name = actorId, unchecked_param_type = "string")] actor_id: JsValue,
        #[wasm_bindgen(js_name = targetId, unchecked_optional_param_type = "string")]
        target_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckContext")] context: JsValue,
    ) -> JsResult<JsValue> {
        let action = Action::parse(&string_arg(&action, "action")?).map_err(error_to_js)?;
        let actor_id = string_arg(&actor_id, "actorId")?;
        let target_id = optional_string_arg(&target_id, "targetId")?;
        if target_id.is_none() && !action.is_self_action() {
            return Err(super::error::invalid_input(format!(
                "{} needs a targetId",
                action.as_str()
            )));
        }
        let context = context_from_js(&context)?;
        let decision = self
            .inner
            .check(action, &actor_id, target_id.as_deref(), &context)
            .map_err(error_to_js)?;
        Ok(decision_to_js(&decision))
    }

    /// The moderator actions on a user at once: accept, decline, ban and unban.
    #[wasm_bindgen(js_name = permittedActions, unchecked_return_type = "PermittedActions")]
    pub fn permitted_actions(
        &self,
        #[wasm_bindgen(js_name = actorId, unchecked_param_type = "string")] actor_id: JsValue,
        #[wasm_bindgen(js_name = targetId, unchecked_param_type = "string")] target_id: JsValue,
    ) -> JsResult<JsValue> {
        let (actor_id, target_id) = (
            string_arg(&actor_id, "actorId")?,
            string_arg(&target_id, "targetId")?,
        );
        let (actor, target) = (
            check_user_id(&actor_id).map_err(error_to_js)?,
            check_user_id(&target_id).map_err(error_to_js)?,
        );
        let context = Context::default();
        let [accept, decline, ban, unban] =
            [Action::Accept, Action::Decline, Action::Ban, Action::Unban]
                .map(|action| self.inner.decide(action, actor, target, &context));
        Ok(permitted_to_js([&accept, &decline, &ban, &unban]))
    }

    /// A user's membership: `"join"`, `"invite"`, `"knock"`, `"ban"` or `"leave"` (also when
    /// the user has no member event).
    #[wasm_bindgen(
        unchecked_return_type = "\"join\" | \"invite\" | \"knock\" | \"ban\" | \"leave\" | string"
    )]
    pub fn membership(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
    ) -> JsResult<JsValue> {
        let user_id = string_arg(&user_id, "userId")?;
        check_user_id(&user_id).map_err(error_to_js)?;
        Ok(membership_js(&self.inner.membership(&user_id)))
    }

    /// A user's power level (`Infinity` for v12 creators).
    #[wasm_bindgen(js_name = powerLevel)]
    pub fn power_level(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
    ) -> JsResult<f64> {
        let user_id = string_arg(&user_id, "userId")?;
        let user = check_user_id(&user_id).map_err(error_to_js)?;
        Ok(level_number(&self.inner.power_level(user)))
    }

    /// The join rule, or `undefined` when the room has no usable `m.room.join_rules` event.
    #[wasm_bindgen(js_name = joinRule)]
    pub fn join_rule(&self) -> Option<String> {
        self.inner.join_rule().map(|r| r.as_str().to_owned())
    }

    /// The room version, e.g. `"10"`.
    #[wasm_bindgen(js_name = roomVersion)]
    pub fn room_version(&self) -> String {
        self.inner.version().as_str().to_owned()
    }

    /// The room ID, when the events carried one.
    #[wasm_bindgen(js_name = roomId)]
    pub fn room_id(&self) -> Option<String> {
        self.inner.room_id().map(|r| r.to_string())
    }

    /// Users with creator privileges (the create sender, plus `additional_creators` in v12).
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn creators(&self) -> JsResult<JsValue> {
        let creators: Vec<&str> = self.inner.creators().iter().map(|c| c.as_str()).collect();
        to_js(&creators)
    }

    /// Pending knocks, oldest first, with reason and profile. The array and its entries are
    /// frozen, and the same array is returned until the queue changes, so it can be compared
    /// by identity (e.g. as a React dependency). After a change the first call copies the
    /// queue (O(pending knocks)); to follow a long queue event by event, apply
    /// {@link ApplyResult.queue} to a list of your own instead.
    #[wasm_bindgen(js_name = knockRequests, unchecked_return_type = "readonly KnockRequest[]")]
    pub fn knock_requests(&self) -> Array {
        self.with_queue(Queue::array)
    }

    /// How many knocks are pending (the length of {@link Room.knockRequests}), in O(1).
    #[wasm_bindgen(js_name = knockRequestCount)]
    pub fn knock_request_count(&self) -> usize {
        self.inner.knock_count()
    }

    /// The pending knock at `index` of {@link Room.knockRequests} (the same frozen object), in
    /// O(1) and without copying the queue (the first call of either lists the queue once);
    /// `undefined` for an index that is not an integer in `0 .. knockRequestCount()`.
    ///
    /// @throws {Error} `INVALID_INPUT` when `index` is not a number.
    #[wasm_bindgen(js_name = knockRequestAt, unchecked_return_type = "KnockRequest | undefined")]
    pub fn knock_request_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    ) -> JsResult<JsValue> {
        let index = index
            .as_f64()
            .ok_or_else(|| super::error::invalid_input("knockRequestAt takes a number"))?;
        if !(index >= 0.0 && index < self.inner.knock_count() as f64 && index.fract() == 0.0) {
            return Ok(JsValue::UNDEFINED);
        }
        Ok(self.with_queue(|queue| queue.at(index as u32)))
    }

    /// Number of member events held.
    #[wasm_bindgen(js_name = memberCount)]
    pub fn member_count(&self) -> usize {
        self.inner.member_count()
    }
}

/// A membership as a JS string: the five of the spec made once, not decoded per call.
fn membership_js(membership: &MembershipState) -> JsValue {
    thread_local! {
        static KNOWN: [JsValue; 5] = ["join", "invite", "knock", "ban", "leave"].map(JsValue::from_str);
    }
    let index = match membership {
        MembershipState::Join => 0,
        MembershipState::Invite => 1,
        MembershipState::Knock => 2,
        MembershipState::Ban => 3,
        MembershipState::Leave => 4,
        other => return JsValue::from_str(other.as_str()),
    };
    KNOWN.with(|known| known[index].clone())
}

/// `applyEvent`'s result: one frozen object per outcome, made once.
fn applied_result(ignored: Option<Ignored>) -> JsValue {
    thread_local! {
        static RESULTS: RefCell<Vec<(Option<Ignored>, JsValue)>> = const { RefCell::new(Vec::new()) };
    }
    RESULTS.with_borrow_mut(|results| {
        if let Some((_, value)) = results.iter().find(|(i, _)| *i == ignored) {
            return value.clone();
        }
        let object = Object::new();
        let set = |key: &str, value: JsValue| js_sys::Reflect::set(&object, &key.into(), &value);
        let _ = set("applied", ignored.is_none().into());
        if let Some(ignored) = ignored {
            let _ = set("reason", ignored.as_str().into());
        }
        let value: JsValue = Object::freeze(&object).into();
        results.push((ignored, value.clone()));
        value
    })
}
