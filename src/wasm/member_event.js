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

/**
 * The fields the rules read from an `m.room.member` event object: state_key, sender,
 * event_id, room_id, and content's membership, reason, displayname and avatar_url,
 * concatenated, with their lengths in UTF-16 units in `out[0..8]` (-1 for none),
 * origin_server_ts in `out[8]` (-1 for none), whether content has other keys in `out[9]`, and
 * the bytes of their UTF-8 written to `utf8` in `out[10]` (-1 when it might not fit).
 * Returns undefined for any other event, and for any value whose reading only JSON.stringify
 * can tell: the caller then reads the event as JSON (as it does when the text holds a U+FFFD,
 * which may be a lone surrogate written by encodeInto). Other fields are not looked at.
 */
export function memberEventParts(e, out, utf8) {
  if (!plain(e) || e.type !== "m.room.member") return undefined;
  const c = e.content;
  if (!plain(c)) return undefined;
  let other = 0;
  for (const key in c) {
    if (key === "membership" || key === "reason" || key === "displayname" || key === "avatar_url") continue;
    if (!Object.hasOwn(c, key)) continue; // JSON.stringify writes own keys only
    const v = c[key];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue; // left out
    if (unsure(v)) return undefined;
    other = 1;
  }
  let ts = e.origin_server_ts;
  if (typeof ts === "number") {
    if (!(Number.isSafeInteger(ts) && ts >= 0)) return undefined;
  } else if (unsure(ts)) {
    return undefined;
  } else {
    ts = -1;
  }
  // The fields in order, each a string, or null for none (loose ones only), or UNSURE.
  const stateKey = required(e.state_key), sender = required(e.sender);
  const eventId = loose(e.event_id), roomId = loose(e.room_id), membership = required(c.membership);
  const reason = loose(c.reason), displayname = loose(c.displayname), avatarUrl = loose(c.avatar_url);
  if (stateKey === UNSURE || sender === UNSURE || eventId === UNSURE || roomId === UNSURE ||
      membership === UNSURE || reason === UNSURE || displayname === UNSURE || avatarUrl === UNSURE) {
    return undefined;
  }
  let text = stateKey + sender;
  out[0] = stateKey.length;
  out[1] = sender.length;
  out[2] = eventId === null ? -1 : ((text += eventId), eventId.length);
  out[3] = roomId === null ? -1 : ((text += roomId), roomId.length);
  text += membership;
  out[4] = membership.length;
  out[5] = reason === null ? -1 : ((text += reason), reason.length);
  out[6] = displayname === null ? -1 : ((text += displayname), displayname.length);
  out[7] = avatarUrl === null ? -1 : ((text += avatarUrl), avatarUrl.length);
  out[8] = ts;
  out[9] = other;
  out[10] = text.length * 3 <= utf8.length ? encoder.encodeInto(text, utf8).written : -1;
  return text;
}
