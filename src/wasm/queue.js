// The JS side of a Room's cached knock queue (see queue.rs): one call per change.

/**
 * A frozen copy of `queue` without the entry at `remove` and with `entry` at `insert` (an
 * index in the result); -1 skips either. Copied by spreading: V8 copies a frozen array with
 * `slice` on a slow path (~100× slower), and a copy edited while young is far cheaper than
 * splicing a long-lived array in place.
 */
export function patchedQueue(queue, remove, insert, entry) {
  let next = [...queue];
  if (remove >= 0) next.splice(remove, 1);
  if (insert >= 0) {
    // After a removal the copy has room. Otherwise splice grows it, at twice the cost of the
    // copy toSpliced makes.
    if (remove < 0 && next.toSpliced) next = next.toSpliced(insert, 0, entry);
    else next.splice(insert, 0, entry);
  }
  return Object.freeze(next);
}

/**
 * A frozen `KnockRequest` from strings in `text`: `spans` holds the start and the length in
 * UTF-16 units of userId, reason, displayName, avatarUrl and eventId (length -1 for an absent
 * one), then originServerTs (-1 for none). So one string crosses from wasm for an entry, or
 * none when `text` is the event object's fields. Keys in the order of the serialised form the
 * first listing uses.
 */
export function knockRequest(text, spans) {
  const field = (i) => (spans[2 * i + 1] < 0 ? undefined : text.slice(spans[2 * i], spans[2 * i] + spans[2 * i + 1]));
  const entry = { userId: field(0) };
  const [reason, displayName, avatarUrl, eventId] = [field(1), field(2), field(3), field(4)];
  if (reason !== undefined) entry.reason = reason;
  if (displayName !== undefined) entry.displayName = displayName;
  if (avatarUrl !== undefined) entry.avatarUrl = avatarUrl;
  if (eventId !== undefined) entry.eventId = eventId;
  if (spans[10] >= 0) entry.originServerTs = spans[10];
  return Object.freeze(entry);
}
