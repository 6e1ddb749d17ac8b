// The knock queue a Room keeps for JS: `knockRequests()` (a frozen array, the same one until
// the queue changes), `knockRequestCount()`, `knockRequestAt(i)`, and the `queue` change
// `applyEvent` reports, with the entry that entered. For random member events (knocks, knocks again, leaves, bans, joins,
// with and without timestamps, as objects and as JSON text), a client that only follows the
// reported changes must hold the queue a room built afresh from the same events lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Room, knockRoom } from "./load.mjs";

let seed = 7;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed >> 8) % n); // high bits: the low ones cycle
const pick = (values) => values[rand(values.length)];
const userIds = (n) => Array.from({ length: n }, (_, i) => `@u${i}:hs${1 + (i % 3)}`);
const mixed = ["knock", "knock", "knock", "leave", "invite", "ban", "join"];

function event(i, users, memberships = mixed) {
  const user = pick(users);
  const content = { membership: pick(memberships) };
  if (rand(2)) content.reason = pick(["let me in", "Zoë 🙏", ""]);
  if (rand(3) === 0) content.displayname = `User ${rand(5)}`;
  const e = { type: "m.room.member", state_key: user, sender: rand(2) ? user : "@mod:hs1", content, event_id: `$e${i}` };
  // Equal timestamps and none at all: the queue orders those by user ID.
  if (rand(6)) e.origin_server_ts = 1000 + rand(50);
  return e;
}

/**
 * Applies `count` events from `next(i)` to a room, following the changes, and compares with
 * `knockRequests()` now and then and with a room built afresh every `every` events.
 */
function follow(count, next, every) {
  const events = knockRoom();
  const room = Room.fromStateEvents(events);
  let followed = [...room.knockRequests()];
  let listed = room.knockRequests();
  let changed = false; // since `listed` was listed
  let longest = 0;
  const seen = { inserted: 0, removed: 0, moved: 0, unchanged: 0 };
  for (let i = 0; i < count; i++) {
    const e = next(i);
    events.push(e);
    const result = room.applyEvent(rand(2) ? e : JSON.stringify(e));
    const change = result.queue;
    if (change === undefined) {
      seen.unchanged++;
    } else {
      changed = true;
      assert.ok(Object.isFrozen(change), "the change is frozen");
      seen[change.removed !== undefined && change.inserted !== undefined ? "moved" : change.removed !== undefined ? "removed" : "inserted"]++;
      if (change.removed !== undefined) followed.splice(change.removed, 1);
      if (change.inserted !== undefined) {
        assert.ok(Object.isFrozen(change.request));
        assert.equal(change.request, room.knockRequestAt(change.inserted), "the entry the queue holds");
        followed.splice(change.inserted, 0, change.request);
      } else {
        assert.equal(change.request, undefined);
      }
    }
    assert.equal(room.knockRequestCount(), followed.length, `count after event ${i}`);
    longest = Math.max(longest, followed.length);
    // Sometimes the whole array is asked for, sometimes not for a while (then several
    // changes meet one copy).
    if (rand(3) === 0) {
      const now = room.knockRequests();
      assert.ok(Object.isFrozen(now));
      if (changed) assert.notEqual(now, listed, `a changed queue is a new array (event ${i})`);
      else assert.equal(now, listed, `an unchanged queue is the same array (event ${i})`);
      changed = false;
      // The same entry objects, in the same order.
      assert.equal(now.length, followed.length);
      now.forEach((entry, j) => assert.equal(entry, followed[j], `entry ${j} after event ${i}`));
      listed = now;
    }
    if (i % every === every - 1) {
      const fresh = Room.fromStateEvents(events);
      assert.deepEqual(followed, [...fresh.knockRequests()], `against a fresh room after event ${i}`);
      fresh.free();
    }
  }
  room.free();
  return { seen, longest };
}

test("following applyEvent's queue changes gives the queue a fresh room lists", () => {
  const users = userIds(40);
  const { seen } = follow(3000, (i) => event(i, users), 100);
  // Each kind of change was met many times.
  assert.ok(Object.values(seen).every((n) => n > 150), JSON.stringify(seen));
});

test("a long queue is followed as well: it grows past many chunks and shrinks again", () => {
  // The Room holds its queue in chunks of 64 to 128 entries (queue.js): these events first
  // grow it to hundreds of knocks, then mostly take knocks out, then mix.
  const users = userIds(900);
  const phase = (i) => (i < 1500 ? ["knock", "knock", "knock", "knock", "leave"] : i < 2600 ? ["leave", "ban", "invite", "join", "knock"] : mixed);
  const { seen, longest } = follow(3400, (i) => event(i, users, phase(i)), 400);
  assert.ok(longest > 500, `the queue reached ${longest}`);
  assert.ok(Object.values(seen).every((n) => n > 100), JSON.stringify(seen));
});

test("an unchanged queue keeps its array; knockRequestAt takes only indices of it", () => {
  const room = Room.fromStateEvents(knockRoom());
  const queue = room.knockRequests();
  assert.ok(queue.length > 0);
  assert.equal(room.applyEvent({ type: "m.room.member", state_key: "@x:hs1", sender: "@x:hs1", content: { membership: "join" } }).queue, undefined);
  assert.equal(room.knockRequests(), queue);
  assert.equal(room.knockRequestAt(0), queue[0]);
  for (const index of [-1, queue.length, 0.5, NaN, Infinity, -Infinity, 2 ** 32, 1e300]) {
    assert.equal(room.knockRequestAt(index), undefined, String(index));
  }
  for (const index of ["0", 0n, null, undefined, {}, [0]]) {
    assert.throws(() => room.knockRequestAt(index), (e) => e.code === "INVALID_INPUT", String(index));
  }
  // A room whose queue was never listed reports the change and its entry all the same.
  const unlisted = Room.fromStateEvents(knockRoom());
  const change = unlisted.applyEvent({ type: "m.room.member", state_key: "@new:hs2", sender: "@new:hs2", content: { membership: "knock", reason: "hi" }, origin_server_ts: 1 });
  assert.deepEqual(change.queue, { inserted: 0, request: { userId: "@new:hs2", reason: "hi", originServerTs: 1 } });
  assert.deepEqual(unlisted.knockRequests()[0], change.queue.request);
  unlisted.free();
  // Asked before the queue was ever listed, the entry is the one the listing then holds.
  const other = Room.fromStateEvents(knockRoom());
  const first = other.knockRequestAt(0);
  assert.equal(other.knockRequests()[0], first);
  other.free();
  room.free();
});
