// The JS side of a Room's cached knock queue (see queue.rs): one call per change.

import { last } from "./member_event.js";

/**
 * `applyEvent`'s result for an event that moved a knocker in the queue: the `QueueChange`,
 * with the entry that entered at `inserted` built from `text` and `spans` (see
 * `request`), and `chunks`, the Room's cached queue if it has one, patched to match. -1
 * for no `removed` or `inserted`. One call for all of it.
 */
export function queueChange(chunks, removed, inserted, text, spans) {
  return change(chunks, removed, inserted, inserted >= 0 ? knockRequest(text, spans, 0) : undefined);
}

/**
 * `queueChange` for an entry made by the last member event object read (`last` in
 * member_event.js), in the object's own strings: nothing crosses from wasm but the indices.
 */
export function queueChangeOfRead(chunks, removed, inserted) {
  if (inserted < 0) return change(chunks, removed, inserted, undefined);
  const { userId, reason, displayName, avatarUrl, eventId, ts } = last;
  const request = requestOf(userId, reason, displayName, avatarUrl, eventId, ts);
  return change(chunks, removed, inserted, Object.freeze(request));
}

function change(chunks, removed, inserted, request) {
  const queue = {};
  if (removed >= 0) queue.removed = removed;
  if (request !== undefined) {
    queue.inserted = inserted;
    queue.request = request;
  }
  if (chunks !== undefined) patch(chunks, removed, inserted, request);
  return Object.freeze({ applied: true, queue: Object.freeze(queue) });
}

// The Room's own copy of the queue is a list of chunks of at most 2 × CHUNK entries, so a
// change moves at most that many. V8 moves the entries of a long-lived array one by one,
// each with a write barrier: splicing a 1 000-entry queue cost several µs in a large heap
// (copyWithin is slower still), against well under 1 µs for a chunk.
const CHUNK = 64;

/** The entries (an array from the first listing) as chunks. */
export function chunked(entries) {
  const chunks = [];
  for (let i = 0; i < entries.length; i += CHUNK) chunks.push(entries.slice(i, i + CHUNK));
  if (chunks.length === 0) chunks.push([]);
  return chunks;
}

/** Where `locate` found an index: the index within the chunk it returns. */
let within = 0;

/** The chunk holding index `i` (the last one for the end), setting `within`. */
function locate(chunks, i) {
  let k = 0;
  while (k < chunks.length - 1 && i >= chunks[k].length) {
    i -= chunks[k].length;
    k++;
  }
  within = i;
  return k;
}

/** Takes out the entry at `removed`, then puts `entry` in at `inserted`; -1 skips either. */
function patch(chunks, removed, inserted, entry) {
  if (removed >= 0) {
    const k = locate(chunks, removed);
    chunks[k].splice(within, 1);
    if (chunks[k].length === 0 && chunks.length > 1) chunks.splice(k, 1);
  }
  if (inserted >= 0) {
    const k = locate(chunks, inserted);
    const chunk = chunks[k];
    chunk.splice(within, 0, entry);
    if (chunk.length > 2 * CHUNK) chunks.splice(k + 1, 0, chunk.splice(CHUNK));
  }
}

/** The entry at index `i` (within the queue). */
export function queueAt(chunks, i) {
  return chunks[locate(chunks, i)][within];
}

/**
 * A frozen array of all entries: what `knockRequests` hands out until the queue changes.
 * (`concat` copies packed arrays fast; `flat` was ~100× slower. In batches, so no call has
 * more arguments than an engine takes.)
 */
export function frozenCopy(chunks) {
  let all = [];
  for (let i = 0; i < chunks.length; i += 8192) all = all.concat(...chunks.slice(i, i + 8192));
  return Object.freeze(all);
}

/** How many numbers a request takes (see `request`). */
export const REQUEST = 11;

/** The queue's first listing: the frozen `KnockRequest`s laid out in `text` and `numbers`. */
export function requestsFrom(text, numbers) {
  const entries = new Array(numbers.length / REQUEST);
  for (let i = 0; i < entries.length; i++) entries[i] = knockRequest(text, numbers, i * REQUEST);
  return entries;
}

/** A frozen `KnockRequest` (see `request`). */
function knockRequest(text, spans, k) {
  return Object.freeze(request(text, spans, k));
}

/**
 * A `KnockRequest` from strings in `text`: `spans` holds, from `k`, the start and the length
 * in UTF-16 units of userId, reason, displayName, avatarUrl and eventId (length -1 for an
 * absent one), then originServerTs (-1 for none). So one string crosses from wasm for one or
 * many entries.
 */
export function request(text, spans, k) {
  const present = (i) => (spans[k + i + 1] >= 0 ? field(text, spans, k + i) : null);
  return requestOf(field(text, spans, k), present(2), present(4), present(6), present(8), spans[k + 10]);
}

/**
 * A `KnockRequest` from its fields (null for none, ts -1). Every entry is made here, so all
 * have the same few shapes (see SHAPES). Keys in the order of the serialised form.
 */
function requestOf(userId, reason, displayName, avatarUrl, eventId, ts) {
  const entry = { userId };
  if (reason !== null) entry.reason = reason;
  if (displayName !== null) entry.displayName = displayName;
  if (avatarUrl !== null) entry.avatarUrl = avatarUrl;
  if (eventId !== null) entry.eventId = eventId;
  if (ts >= 0) entry.originServerTs = ts;
  return entry;
}

/** The string whose start and length are at `spans[k]` and `spans[k + 1]`. */
export function field(text, spans, k) {
  return text.slice(spans[k], spans[k] + spans[k + 1]);
}

// One object of every shape this module makes, kept for the module's life. V8's optimized code
// for the functions above depends on these shapes (maps), and a garbage collection that finds
// no object of a shape left (e.g. after a room is freed) throws that code away: the next events
// then run in slower code while it is compiled again (in the benchmark, each timed run after a
// collection spent 2–3 µs per event on that).
const SHAPES = [];
for (let present = 0; present < 32; present++) {
  // Which of reason, displayName, avatarUrl, eventId and originServerTs (a timestamp of today,
  // a double as real ones are) the entry has.
  const length = (bit) => (present & (1 << bit) ? 0 : -1);
  const spans = [0, 0, 0, length(0), 0, length(1), 0, length(2), 0, length(3), present & 16 ? 1.7e12 : -1];
  SHAPES.push(queueChange(undefined, -1, 0, "", spans), queueChange(undefined, 0, 0, "", spans));
}
SHAPES.push(queueChange(undefined, 0, -1, "", []));
