// Bugs found by issue 6's bad-input work, fixed in src/ and kept as regression tests; each names
// the expected behaviour. (The passing catalogue is bad-input.test.mjs. The bugs it found first
// — wrong-typed arguments that trapped the instance or crashed Node with SIGSEGV, lone
// surrogates answered as another ID, HttpClient sending the token to another host, numbers above
// 2^53−1 that poisoned the queue, myKnocks() and parseError() — are fixed in src/ and kept there
// as regression tests.)
//
// F1  JSON arrays are read as structs, positionally (serde's derived Deserialize accepts a
//     sequence for a struct): an event given as an 8-element array is applied; an
//     m.room.create content ["12", null, ["@x:hs1"]] makes a v12 room in which @x:hs1 is a
//     creator with infinite power; m.room.join_rules content ["knock"] is the knock rule; a sync
//     body [] or { rooms: [...] } is read. A homeserver never holds such events (content must be
//     an object; the auth rules read `content.join_rule`, `content.room_version`, …), so a state
//     that contains one was not produced by a server: refuse it (INVALID_EVENT /
//     INVALID_CREATE) or treat the content as empty, never as a rule or a creator.
import { test } from "node:test";
import assert from "node:assert/strict";
import mk, { Room, ev, knockRoom } from "./load.mjs";

const { KnockSession } = mk;

const codeOf = (fn) => {
  try {
    fn();
    return "returned";
  } catch (e) {
    return e.code ?? `${e.name} without code`;
  }
};

test("F1: an event that is a JSON array is refused, not read positionally", () => {
  const room = Room.fromStateEvents(knockRoom());
  const asArray = JSON.stringify(["m.room.member", "@k:hs2", "@mod:hs1", null, null, null, { membership: "ban" }, null]);
  assert.equal(codeOf(() => room.applyEvent(asArray)), "INVALID_EVENT");
  assert.equal(room.membership("@k:hs2"), "knock");
});

test("F1: m.room.create content that is an array makes no room and no creator", () => {
  const code = codeOf(() => Room.fromStateEvents([ev("m.room.create", "", "@c:hs1", ["12", null, ["@x:hs1"]])]).creators());
  assert.equal(code, "INVALID_CREATE");
});

test("F1: m.room.join_rules content that is an array names no join rule", () => {
  const room = Room.fromStateEvents([...knockRoom().filter((e) => e.type !== "m.room.join_rules"), ev("m.room.join_rules", "", "@c:hs1", ["public"])]);
  assert.notEqual(room.joinRule(), "public");
  assert.notEqual(room.check("join", "@new:hs3").code, "ALLOWED");
});

test("F1: a sync body that is not an object is refused", () => {
  const session = new KnockSession("@me:hs1");
  for (const body of ["[]", '{"rooms":[]}', '{"rooms":{"join":{"!a:hs1":[]}}}']) {
    assert.ok(["INVALID_EVENT", "INVALID_INPUT"].includes(codeOf(() => session.ingestSync(body))), body);
  }
});
