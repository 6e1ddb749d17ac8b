// Issue 6: one million create/use/free cycles of a (tiny) Room keep the wasm memory flat, and so
// do KnockSession cycles and the calls that return objects. Memory is
// `memory.buffer.byteLength` of the instance (it only ever grows, so flat = no leak that
// outgrows the allocator's free lists). A warm-up first lets the allocator reach its steady
// state. MEMORY_CYCLES overrides the count (e.g. for a quick local run).
import { test } from "node:test";
import assert from "node:assert/strict";
import mk, { Room } from "./load.mjs";

const { KnockSession } = mk;
const wasm = mk.initSync(); // already initialised by load.mjs: returns the instance's exports
const bytes = () => wasm.memory.buffer.byteLength;
const CYCLES = Number(process.env.MEMORY_CYCLES ?? 1_000_000);

const TINY = JSON.stringify([
  { type: "m.room.create", state_key: "", sender: "@c:hs1", content: { room_version: "10", creator: "@c:hs1" } },
  { type: "m.room.join_rules", state_key: "", sender: "@c:hs1", content: { join_rule: "knock" } },
  { type: "m.room.member", state_key: "@k:hs2", sender: "@k:hs2", content: { membership: "knock", reason: "hi" }, origin_server_ts: 5 },
]);

/** Runs `cycle` `n` times after a warm-up; returns [bytes after warm-up, bytes at the end]. */
function measure(n, cycle) {
  for (let i = 0; i < Math.min(20_000, n); i++) cycle(i);
  const before = bytes();
  for (let i = 0; i < n; i++) cycle(i);
  return [before, bytes()];
}

test(`${CYCLES} Room create/use/free cycles keep wasm memory flat`, () => {
  const started = Date.now();
  const [before, after] = measure(CYCLES, () => {
    const room = Room.fromStateJson(TINY);
    if (room.check("knock", "@new:hs3").code !== "ALLOWED") throw new Error("wrong decision");
    room.free();
  });
  console.log(`rooms: ${CYCLES} cycles in ${Date.now() - started} ms; wasm memory ${before} -> ${after} bytes`);
  assert.equal(after, before);
});

test("Room cycles that also apply events and read the queue keep memory flat", () => {
  const n = Math.max(1, Math.floor(CYCLES / 10));
  const [before, after] = measure(n, (i) => {
    const room = Room.fromStateJson(TINY);
    room.applyEvent({ type: "m.room.member", state_key: `@u${i % 100}:hs1`, sender: "@c:hs1", content: { membership: "invite" } });
    if (room.knockRequests()[0].reason !== "hi") throw new Error("lost the reason");
    room.permittedActions("@c:hs1", "@k:hs2");
    try {
      room.check("kick", "not a user", "@k:hs2"); // an error path must not leak either
    } catch {}
    room.free();
  });
  console.log(`rooms with events and errors: ${n} cycles; wasm memory ${before} -> ${after} bytes`);
  assert.equal(after, before);
});

test("KnockSession create/ingest/free cycles keep memory flat", () => {
  const n = Math.max(1, Math.floor(CYCLES / 20));
  const sync = `{"rooms":{"join":{"!r:hs1":{"state":{"events":${TINY}}}}}}`;
  const [before, after] = measure(n, () => {
    const session = new KnockSession("@c:hs1");
    session.ingestSync(sync);
    if (session.knockRequests("!r:hs1").length !== 1) throw new Error("lost the knock");
    session.free();
  });
  console.log(`sessions: ${n} cycles; wasm memory ${before} -> ${after} bytes`);
  assert.equal(after, before);
});
