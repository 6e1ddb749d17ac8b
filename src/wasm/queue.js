// The JS side of a Room's cached knock queue (see queue.rs): one call per change.

/**
 * `applyEvent`'s result for an event that moved a knocker in the queue: the `QueueChange`,
 * with the entry that entered at `inserted` built from `text` and `spans` (see
 * `knockRequest`), and `items`, the Room's cached queue if it has one, patched to match. -1
 * for no `removed` or `inserted`. One call for all of it.
 */
export function queueChange(items, removed, inserted, text, spans) {
  const queue = {};
  if (removed >= 0) queue.removed = removed;
  if (inserted >= 0) {
    queue.inserted = inserted;
    queue.request = knockRequest(text, spans);
  }
  if (items !== undefined) patchQueue(items, removed, inserted, queue.request);
  return Object.freeze({ applied: true, queue: Object.freeze(queue) });
}

/**
 * Takes the entry at `remove` out of `items` and puts `entry` in at `insert` (an index in the
 * result); -1 skips either. In place: `items` is the Room's own array, never handed out, so
 * a change costs a move of the entries between the two indices, not a copy of the queue.
 */
function patchQueue(items, remove, insert, entry) {
  if (remove >= 0 && insert >= 0) {
    // A knocker who knocks again: shift only the entries between the two places.
    if (remove < insert) items.copyWithin(remove, remove + 1, insert + 1);
    else if (insert < remove) items.copyWithin(insert + 1, insert, remove);
    items[insert] = entry;
  } else if (remove >= 0) {
    items.splice(remove, 1);
  } else if (insert >= 0) {
    items.splice(insert, 0, entry);
  }
}

/** A frozen copy of `items`: what `knockRequests` hands out until the queue changes. */
export function frozenCopy(items) {
  return Object.freeze(items.slice());
}

/**
 * A frozen `KnockRequest` from strings in `text`: `spans` holds the start and the length in
 * UTF-16 units of userId, reason, displayName, avatarUrl and eventId (length -1 for an absent
 * one), then originServerTs (-1 for none). So one string crosses from wasm for an entry, or
 * none when `text` is the event object's fields. Keys in the order of the serialised form the
 * first listing uses.
 */
function knockRequest(text, spans) {
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
