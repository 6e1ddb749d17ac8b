// m.room.member event objects read field by field for Room.applyEvent (see member_event.rs):
// no JSON.stringify of the whole event, which cost more than the rest of an update.

const OBJECT = Object.prototype;
const encoder = new TextEncoder();
/** A value only JSON.stringify can say how to write. */
const UNSURE = Symbol("unsure");

/** An object JSON.stringify writes as its own enumerable fields. */
function plain(v) {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === OBJECT || proto === null) && typeof v.toJSON !== "function";
}

/** An object or a BigInt: JSON.stringify may call methods on it, or throw. */
function unsure(v) {
  return typeof v === "bigint" || (typeof v === "object" && v !== null);
}

/** A lenient string field as the JSON reader takes it: the string, or null for none. */
function loose(v) {
  if (typeof v === "string") return v;
  return unsure(v) ? UNSURE : null; // null, undefined, a number, a boolean, a function, a symbol
}

/** A string the event must have, or UNSURE (then the JSON reader reports the error). */
function required(v) {
  return typeof v === "string" ? v : UNSURE;
}

// The wasm memory, and views over it made again only after it grows (wasm-bindgen's `&mut [T]`
// arguments make two new views per call: ~0.1–0.3 µs of an update).
let memory = null;
let bytes = null;
let numbers = null;
/** The view `encodeInto` writes to: the caller's scratch buffer, while it stays the same. */
let scratch = null;
let scratchAt = -1;

/** Gives this module the wasm memory, before its first read. */
export function useMemory(m) {
  memory = m;
  bytes = null;
}

/** The scratch buffer of `length` bytes at `at`, as a view (made again when either changes). */
function scratchView(at, length) {
  if (bytes === null || bytes.byteLength === 0) {
    bytes = new Uint8Array(memory.buffer);
    numbers = new Float64Array(memory.buffer);
    scratch = null;
  }
  if (scratch === null || scratchAt !== at || scratch.length !== length) {
    scratch = bytes.subarray(at, at + length);
    scratchAt = at;
  }
  return scratch;
}

/** The last event's fields read, when they did not fit the scratch buffer. */
let text = "";

/**
 * The fields of the last event read that a queue entry shows (`queueChangeOfRead` in
 * queue.js makes the entry once the event made its user knock): null for none, ts -1.
 */
export const last = { userId: "", reason: null, displayName: null, avatarUrl: null, eventId: null, ts: -1 };

/**
 * The fields the rules read from an `m.room.member` event object: state_key, sender,
 * event_id, room_id, and content's membership, reason, displayname and avatar_url,
 * concatenated, with their lengths in UTF-16 units in the 11 numbers at byte `slotsAt` of the
 * wasm memory: `[0..8]` (-1 for none), origin_server_ts in `[8]` (-1 for none), whether
 * content has other keys in `[9]`, and the bytes of their UTF-8 written to the `length` bytes
 * at `utf8At` in `[10]` (-1 when it might not fit: then `lastText` has them).
 * Returns false for any other event, and for any value whose reading only JSON.stringify can
 * tell, or whose reading threw: the caller then reads the event as JSON (as it does when the
 * text holds a U+FFFD, which may be a lone surrogate written by encodeInto), which reports any
 * error. Other fields are not looked at.
 */
export function memberEventParts(e, slotsAt, utf8At, length) {
  try {
    return read(e, slotsAt >>> 3, utf8At, length);
  } catch {
    return false; // a getter that threw: the JSON way reports it
  }
}

function read(e, at, utf8At, length) {
  if (!plain(e) || e.type !== "m.room.member") return false;
  const c = e.content;
  if (!plain(c)) return false;
  let other = 0;
  for (const key in c) {
    if (key === "membership" || key === "reason" || key === "displayname" || key === "avatar_url") continue;
    if (!Object.hasOwn(c, key)) continue; // JSON.stringify writes own keys only
    const v = c[key];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue; // left out
    if (unsure(v)) return false;
    other = 1;
  }
  let time = e.origin_server_ts;
  if (typeof time === "number") {
    if (!(Number.isSafeInteger(time) && time >= 0)) return false;
    time ||= 0; // -0, which JSON writes as 0
  } else if (unsure(time)) {
    return false;
  } else {
    time = -1;
  }
  // The fields in order, each a string, or null for none (loose ones only), or UNSURE.
  const stateKey = required(e.state_key), sender = required(e.sender);
  const id = loose(e.event_id), roomId = loose(e.room_id), membership = required(c.membership);
  const why = loose(c.reason), name = loose(c.displayname), avatar = loose(c.avatar_url);
  if (stateKey === UNSURE || sender === UNSURE || id === UNSURE || roomId === UNSURE ||
      membership === UNSURE || why === UNSURE || name === UNSURE || avatar === UNSURE) {
    return false;
  }
  // The views only now: a getter above may have made the memory grow (detaching older ones).
  const utf8 = scratchView(utf8At, length), out = numbers;
  let all = stateKey + sender;
  out[at] = stateKey.length;
  out[at + 1] = sender.length;
  out[at + 2] = id === null ? -1 : ((all += id), id.length);
  out[at + 3] = roomId === null ? -1 : ((all += roomId), roomId.length);
  all += membership;
  out[at + 4] = membership.length;
  out[at + 5] = why === null ? -1 : ((all += why), why.length);
  out[at + 6] = name === null ? -1 : ((all += name), name.length);
  out[at + 7] = avatar === null ? -1 : ((all += avatar), avatar.length);
  out[at + 8] = time;
  out[at + 9] = other;
  out[at + 10] = all.length * 3 <= utf8.length ? encoder.encodeInto(all, utf8).written : -1;
  text = all;
  last.userId = stateKey;
  last.reason = why;
  last.displayName = name;
  last.avatarUrl = avatar;
  last.eventId = id;
  last.ts = time;
  return true;
}

/** The last event's fields read (see `memberEventParts`). */
export function lastText() {
  return text;
}
