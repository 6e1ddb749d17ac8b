// applyEvent reads m.room.member event objects field by field (src/wasm/member_event.js)
// instead of through JSON.stringify. Differential test: for random events, with every odd
// value a JS object can hold in the fields the rules read, applying the object must end
// exactly as applying its JSON text: the same result or the same error (code and message),
// then the same queue, memberships and decisions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Room, knockRoom, memory } from "./load.mjs";

let seed = 2403;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
const pick = (values) => values[rand(values.length)];
const date = new Date(5);
const nullProto = (fields) => Object.assign(Object.create(null), fields);
class Content { constructor(membership) { this.membership = membership; } }

const users = ["@k:hs2", "@a:hs2", "@b:hs3", "@mod:hs1", "@u:hs1", "@🎉:hs2"];
const anyValue = [undefined, null, 5, -1, 1.5, true, "", "x", [], {}, ["a"], { a: 1 }, date, () => 1, Symbol("s"), NaN];
const text = ["hi", "Zoë 🙏 日本語", "𝔘".repeat(3), "\ud800 lone", "lone \udc00", "a\u0000b", "\"quoted\\\"", "x".repeat(300)];
const stringy = [...text, ...anyValue];
const membership = ["knock", "knock", "invite", "join", "leave", "leave", "ban", "ban", "custom", 5, null, undefined, ["knock"], {}];
const timestamps = [0, -0, 1, 1999, 2000, 2 ** 53 - 1, 2 ** 53, -5, 1.5, 1e21, NaN, Infinity, "3000", null, undefined, true, {}, date];

function content() {
  const c = {};
  if (rand(12)) c.membership = pick(membership);
  if (rand(3) === 0) c.reason = pick(stringy);
  if (rand(3) === 0) c.displayname = pick(stringy);
  if (rand(3) === 0) c.avatar_url = pick(["mxc://hs2/a", ...stringy]);
  // Another key makes the event no exact repeat of a request (unless JSON leaves it out).
  if (rand(3) === 0) c[pick(["is_direct", "join_authorised_via_users_server", "x"])] = pick([...anyValue, 5, "x", null, true]);
  switch (rand(25)) {
    case 0: return nullProto(c);
    case 1: return new Content(c.membership);
    case 2: return pick([null, "join", 5, [c], date]);
    case 3: return { ...c, toJSON: () => ({ membership: "ban" }) };
    default: return c;
  }
}

function unsigned() {
  switch (rand(4)) {
    case 0: return pick(anyValue);
    case 1: return { prev_content: pick(anyValue) };
    default: return { age: rand(100), prev_content: { membership: pick(membership) } };
  }
}

function event() {
  const stateKey = rand(12) ? pick(users) : pick(["nope", "", null, undefined, 5, "@\ud800:hs2", "@k:hs2 "]);
  const e = {
    type: rand(15) ? "m.room.member" : pick(["m.room.join_rules", "m.room.message", 5]),
    state_key: stateKey,
    // The member or a moderator mostly: then the next request may repeat the event exactly.
    sender: rand(10) ? pick([stateKey, "@mod:hs1", ...users]) : pick(["", null, 5, "not-a-user", "@c:hs1"]),
    content: content(),
  };
  if (rand(4)) e.event_id = rand(6) ? `$e${rand(1000)}` : pick(stringy);
  if (rand(5) === 0) e.room_id = pick(["!r:hs1", "!other:hs1", "not a room", ...anyValue]);
  if (rand(5)) e.origin_server_ts = rand(4) ? 1000 + rand(3000) : pick(timestamps);
  const u = unsigned();
  if (u !== undefined || rand(2)) e.unsigned = u;
  if (rand(8) === 0) e.age = pick(anyValue);
  if (rand(50) === 0) return pick([nullProto(e), Object.assign(new Content("knock"), e), [e]]);
  if (rand(50) === 0) return { ...e, toJSON: () => ({ ...e, state_key: "@b:hs3" }) };
  return e;
}

/** What a call did: its value, or its error's code and message. */
function outcome(f) {
  try {
    return { value: f() };
  } catch (e) {
    return { code: e.code, message: e.message };
  }
}

test("applyEvent(object) ends as applyEvent(JSON text) for random member events", () => {
  const base = knockRoom();
  const [byObject, byText] = [Room.fromStateEvents(base), Room.fromStateEvents(base)];
  byObject.knockRequests(); // both queues cached, so both are patched
  byText.knockRequests();
  const ended = { applied: 0, ignored: 0, failed: 0 };
  /** Applies `e` both ways and compares the outcome and what the rooms say afterwards. */
  const both = (e, label) => {
    let json;
    try {
      json = JSON.stringify(e);
    } catch {
      json = undefined; // a cycle or a BigInt: only the object way can be tried
    }
    const a = outcome(() => byObject.applyEvent(e));
    const b = json === undefined ? { code: "INVALID_INPUT", message: a.message } : outcome(() => byText.applyEvent(json));
    const where = `${label}: ${json}`;
    assert.deepEqual(a, b, where);
    ended[a.value ? (a.value.applied ? "applied" : "ignored") : "failed"]++;
    assert.deepEqual(byObject.knockRequests(), byText.knockRequests(), `queue after ${where}`);
    // Decisions read the member's whole event (an exact repeat of it is allowed, as Synapse
    // allows it).
    const user = typeof e.state_key === "string" ? e.state_key : "@k:hs2";
    const same = (f) => assert.deepEqual(outcome(() => f(byObject)), outcome(() => f(byText)), `after ${where}`);
    same((r) => r.membership(user));
    same((r) => r.permittedActions("@mod:hs1", user));
    for (const action of ["knock", "join", "leave", "rescind"]) same((r) => r.check(action, user));
    for (const action of ["invite", "ban", "kick", "unban"]) same((r) => r.check(action, "@mod:hs1", user, { reason: e.content?.reason }));
  };
  for (let i = 0; i < 6000; i++) both(event(), `event ${i}`);
  // Every way of ending was met many times.
  assert.ok(ended.applied > 1000 && ended.ignored > 200 && ended.failed > 2000, JSON.stringify(ended));
  // Each value an extra content key can hold, in a self leave and a ban: without the key, each
  // is an exact repeat of the next such request.
  for (const value of [...anyValue, 5n, new String("s"), { toJSON: () => undefined }]) {
    both({ type: "m.room.member", state_key: "@a:hs2", sender: "@a:hs2", content: { membership: "leave", extra: value } }, "leave");
    both({ type: "m.room.member", state_key: "@b:hs2", sender: "@mod:hs1", content: { membership: "ban", extra: value } }, "ban");
  }
  assert.equal(byObject.memberCount(), byText.memberCount());
  byObject.free();
  byText.free();
});

test("applyEvent(object) reads only the fields the rules read", () => {
  // JSON.stringify would throw on these; the object way never looks at them.
  const room = Room.fromStateEvents(knockRoom());
  const knock = { type: "m.room.member", state_key: "@n:hs2", sender: "@n:hs2", content: { membership: "knock" }, origin_server_ts: 7 };
  // Every field the rules read is present, so each must be read the object way: the JSON way
  // would throw on the cycle.
  const full = { membership: "knock", reason: "Zoë 🙏", displayname: "N", avatar_url: "mxc://hs2/n" };
  const cyclic = { ...knock, event_id: "$n", room_id: "!r:hs1", content: full, unsigned: { age: 1n, prev_content: { membership: "leave" } } };
  cyclic.unsigned.self = cyclic;
  const request = { userId: "@n:hs2", reason: "Zoë 🙏", displayName: "N", avatarUrl: "mxc://hs2/n", eventId: "$n", originServerTs: 7 };
  assert.deepEqual(room.applyEvent(cyclic), { applied: true, queue: { inserted: 0, request } });
  assert.deepEqual(room.knockRequests().find((k) => k.userId === "@n:hs2"), request);
  // In a field the rules read, the same values fail as JSON.stringify fails on them.
  assert.throws(() => room.applyEvent({ ...knock, origin_server_ts: 7n }), (e) => e.code === "INVALID_INPUT");
  const loop = { ...knock, content: { membership: "knock" } };
  loop.content.self = loop;
  assert.throws(() => room.applyEvent(loop), (e) => e.code === "INVALID_INPUT");
  // A getter that throws, in a read field: an error with a code, the room unchanged and usable.
  const before = room.knockRequests();
  const throwing = { ...knock, state_key: "@t:hs2", sender: "@t:hs2" };
  Object.defineProperty(throwing, "event_id", { enumerable: true, get() { throw new Error("boom"); } });
  assert.throws(() => room.applyEvent(throwing), (e) => e.code === "INVALID_INPUT");
  assert.equal(room.knockRequests(), before);
  assert.equal(room.membership("@t:hs2"), "leave");
  room.free();
});

test("applyEvent(object): a timestamp of -0 enters the queue as 0, as its JSON text does", () => {
  // The entry is made from the object's own values: -0 would show where JSON writes 0.
  const [byObject, byText] = [Room.fromStateEvents(knockRoom()), Room.fromStateEvents(knockRoom())];
  const knock = { type: "m.room.member", state_key: "@z:hs2", sender: "@z:hs2", content: { membership: "knock" }, origin_server_ts: -0 };
  assert.deepEqual(byObject.applyEvent(knock), byText.applyEvent(JSON.stringify(knock)));
  assert.deepEqual(byObject.knockRequests(), byText.knockRequests());
  byObject.free();
  byText.free();
});

test("applyEvent(object): a getter that makes the wasm memory grow changes nothing read", () => {
  // The fields are written into wasm memory through views of it, which its growth detaches:
  // a getter that grows it (here through another room) must not leave them written to an old
  // buffer, nor the event read as empty fields.
  const [room, other, plain] = [Room.fromStateEvents(knockRoom()), Room.fromStateEvents(knockRoom()), Room.fromStateEvents(knockRoom())];
  const knock = { type: "m.room.member", state_key: "@g:hs2", sender: "@g:hs2", event_id: "$g", origin_server_ts: 9 };
  const content = { membership: "knock", displayname: "Gee" };
  let grew = false;
  Object.defineProperty(content, "reason", {
    enumerable: true,
    get() {
      const buffer = memory.buffer;
      // Invalid JSON, copied into wasm memory as UTF-8 before it is read: ~3 bytes per unit.
      assert.throws(() => other.applyEvent("x".repeat(buffer.byteLength)), (e) => e.code === "INVALID_JSON");
      grew ||= memory.buffer !== buffer;
      return "let me in";
    },
  });
  const result = room.applyEvent({ ...knock, content });
  assert.ok(grew, "the getter made the memory grow");
  const expected = plain.applyEvent({ ...knock, content: { membership: "knock", displayname: "Gee", reason: "let me in" } });
  assert.deepEqual(result, expected);
  assert.deepEqual(room.knockRequests(), plain.knockRequests());
  for (const r of [room, other, plain]) r.free();
});

test("applyEvent(object) reads only a content's own keys, as JSON.stringify does", () => {
  // An enumerable key inherited from a polluted Object.prototype is not the content's: a
  // plain self leave stays plain, so a repeat of it is still allowed as an exact repeat.
  const [byObject, byText] = [Room.fromStateEvents(knockRoom()), Room.fromStateEvents(knockRoom())];
  const leave = { type: "m.room.member", state_key: "@a:hs2", sender: "@a:hs2", content: { membership: "leave" } };
  Object.defineProperty(Object.prototype, "polluted", { value: 1, enumerable: true, configurable: true });
  try {
    assert.deepEqual(byObject.applyEvent(leave), byText.applyEvent(JSON.stringify(leave)));
  } finally {
    delete Object.prototype.polluted;
  }
  for (const action of ["leave", "rescind", "join", "knock"]) {
    assert.deepEqual(byObject.check(action, "@a:hs2"), byText.check(action, "@a:hs2"), action);
  }
  byObject.free();
  byText.free();
});
