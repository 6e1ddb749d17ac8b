// KnockSession, request builders, parseError and HttpClient of the built package (no server).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import mk from "./load.mjs";

const { KnockSession, HttpClient, parseError } = mk;
const ROOM = "!room:hs1";
const ev = (type, key, sender, content, ts = 1) => ({ type, state_key: key, sender, content, event_id: `$${type}/${key}/${ts}`, origin_server_ts: ts });
const fullState = [
  ev("m.room.create", "", "@c:hs1", { room_version: "10", creator: "@c:hs1" }),
  ev("m.room.member", "@c:hs1", "@c:hs1", { membership: "join" }),
  ev("m.room.member", "@mod:hs1", "@mod:hs1", { membership: "join" }),
  ev("m.room.power_levels", "", "@c:hs1", { users: { "@c:hs1": 100, "@mod:hs1": 50, "@k:hs2": 50 } }),
  ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock" }),
  ev("m.room.member", "@k:hs2", "@k:hs2", { membership: "knock", reason: "hi", displayname: "Kay" }, 10),
  ev("m.room.member", "@j:hs3", "@j:hs3", { membership: "knock" }, 11),
];

test("the README session example runs", async () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = readme.split("<!-- example: session -->")[1]?.match(/```js\n([\s\S]*?)```/)?.[1];
  assert.ok(block, "README has the session example");
  const body = block.replace(/^import .*$/gm, "");
  const run = new Function("KnockSession", "console", `return (async () => {${body}})();`);
  const lines = [];
  await run(KnockSession, { log: (...a) => lines.push(a.join(" ")) });
  assert.deepEqual(lines, [
    "requestNew @k:example.org",
    "@k:example.org false true Kay",
    "POST /_matrix/client/v3/rooms/%21lobby%3Aexample.org/invite",
  ]);
});

test("a moderator's queue with decisions, seen marks, export and import", () => {
  const s = new KnockSession("@mod:hs1");
  assert.equal(s.userId, "@mod:hs1");
  const changes = s.ingestSync({ rooms: { join: { [ROOM]: { state: { events: fullState }, timeline: { events: [] } } } } });
  assert.deepEqual(changes.map((c) => [c.kind, c.userId]), [["requestNew", "@j:hs3"], ["requestNew", "@k:hs2"]]);
  assert.deepEqual(s.roomIds(), [ROOM]);
  const queue = s.knockRequests(ROOM);
  assert.deepEqual(queue.map((q) => q.userId), ["@k:hs2", "@j:hs3"]);
  const k = queue[0];
  assert.equal(k.displayName, "Kay");
  assert.equal(k.seen, false);
  assert.ok(k.ageMs > 0);
  assert.deepEqual([k.accept.allowed, k.decline.code, k.ban.code], [true, "TARGET_LEVEL_NOT_BELOW_ACTOR", "TARGET_LEVEL_NOT_BELOW_ACTOR"]);
  assert.equal(s.knockRequests("!unknown:hs1"), undefined);
  assert.equal(s.markSeen(ROOM, ["@k:hs2", "@nobody:hs1"]), 1);
  const exported = s.exportSeen();
  assert.deepEqual(JSON.parse(exported), { [ROOM]: { "$m.room.member/@k:hs2/10": "@k:hs2" } });
  const t = new KnockSession("@mod:hs1");
  t.ingestSync(JSON.stringify({ rooms: { join: { [ROOM]: { state: { events: fullState } } } } }));
  t.importSeen(exported);
  assert.equal(t.knockRequests(ROOM)[0].seen, true);
  assert.throws(() => t.importSeen("{"), (e) => e.code === "INVALID_JSON");
  assert.throws(() => t.importSeen("[1]"), (e) => e.code === "INVALID_INPUT");
  assert.equal(s.check(ROOM, "accept", "@k:hs2").allowed, true);
  assert.equal(s.check("!unknown:hs1", "accept", "@k:hs2"), undefined);
});

test("request builders: exact paths, decision refusals, force", () => {
  const s = new KnockSession("@mod:hs1");
  s.ingestSync({ rooms: { join: { [ROOM]: { state: { events: fullState } } } } });
  const accept = s.accept(ROOM, "@j:hs3", { reason: "welcome" });
  assert.deepEqual(accept, {
    action: "accept", method: "POST", path: "/_matrix/client/v3/rooms/%21room%3Ahs1/invite", query: {},
    url: "/_matrix/client/v3/rooms/%21room%3Ahs1/invite", body: { user_id: "@j:hs3", reason: "welcome" }, room: ROOM, targetId: "@j:hs3",
  });
  assert.equal(s.decline(ROOM, "@j:hs3").path, "/_matrix/client/v3/rooms/%21room%3Ahs1/kick");
  assert.equal(s.declineAndBan(ROOM, "@j:hs3").path, "/_matrix/client/v3/rooms/%21room%3Ahs1/ban");
  assert.throws(() => s.decline(ROOM, "@k:hs2"), (e) => e.name === "ActionRefusedError" && e.code === "TARGET_LEVEL_NOT_BELOW_ACTOR" && e.decision.rule === "v10 4.5.5");
  assert.equal(s.decline(ROOM, "@k:hs2", { force: true }).body.user_id, "@k:hs2");
  assert.throws(() => s.unban(ROOM, "@k:hs2"), (e) => e.code === "TARGET_NOT_BANNED");
  assert.throws(() => s.knock(ROOM), (e) => e.code === "ALREADY_JOINED");
  const k = new KnockSession("@k:hs2");
  const knock = k.knock("#lobby:hs1", { reason: "hi", via: ["hs1", "other.org:8448"] });
  assert.equal(knock.url, "/_matrix/client/v3/knock/%23lobby%3Ahs1?via=hs1&via=other.org%3A8448");
  assert.deepEqual(knock.query, { via: ["hs1", "other.org:8448"] });
  assert.deepEqual(knock.body, { reason: "hi" });
  assert.equal(k.rescind(ROOM).path, "/_matrix/client/v3/rooms/%21room%3Ahs1/leave");
  assert.equal(k.join("#lobby:hs1", { via: ["hs1"] }).url, "/_matrix/client/v3/join/%23lobby%3Ahs1?via=hs1");
  for (const [fn, code] of [
    [() => k.knock("lobby"), "INVALID_ROOM_ID"],
    [() => k.knock("#a:b", { via: ["bad/server"] }), "INVALID_INPUT"],
    [() => k.knock("#a:b", { via: "hs1" }), "INVALID_INPUT"],
    [() => k.knock("#a:b", { server: "hs1" }), "INVALID_INPUT"],
    [() => k.accept("#alias:hs1", "@a:b"), "INVALID_ROOM_ID"],
    [() => k.accept(ROOM, "nobody"), "INVALID_USER_ID"],
    [() => k.request("dance", ROOM), "UNKNOWN_ACTION"],
    [() => new KnockSession("nobody"), "INVALID_USER_ID"],
  ]) {
    assert.throws(fn, (e) => e.code === code, code);
  }
});

test("own knocks through knock, invite and leave sections", () => {
  const s = new KnockSession("@k:hs2");
  const knock = s.knock(ROOM, { reason: "hi", via: ["hs1"] });
  assert.deepEqual(s.parseResponse(knock, 200, '{"room_id":"!room:hs1"}'), { ok: true, roomId: ROOM });
  const c1 = s.ingestSync({ rooms: { knock: { [ROOM]: { knock_state: { events: [
    { type: "m.room.name", state_key: "", sender: "@c:hs1", content: { name: "Lobby" } },
    { type: "m.room.member", state_key: "@k:hs2", sender: "@k:hs2", content: { membership: "knock", reason: "hi" } },
  ] } } } } });
  assert.deepEqual(c1.map((c) => c.kind), ["knockSent"]);
  const [mine] = s.myKnocks();
  assert.equal(mine.status, "pending");
  assert.deepEqual(mine.via, ["hs1"]);
  assert.deepEqual(mine.preview, { untrusted: true, name: "Lobby", encrypted: false });
  assert.equal(mine.remote, true);
  assert.equal(mine.mayNeverHearBack, true);
  assert.ok(mine.waitedMs >= 0);
  const c2 = s.ingestSync({ rooms: { leave: { [ROOM]: { timeline: { events: [ev("m.room.member", "@k:hs2", "@mod:hs1", { membership: "leave", reason: "no" }, 99)] } } } } });
  assert.deepEqual(c2, [{ kind: "knockDeclined", roomId: ROOM, by: "@mod:hs1", reason: "no" }]);
  const [declined] = s.myKnocks();
  assert.deepEqual([declined.status, declined.decidedBy, declined.decisionReason, declined.since, declined.mayNeverHearBack], ["declined", "@mod:hs1", "no", 99, false]);
});

test("parseResponse and parseError give typed Matrix errors", () => {
  const s = new KnockSession("@k:hs2");
  const knock = s.knock("#a:hs1");
  const r = s.parseResponse(knock, 403, { errcode: "M_FORBIDDEN", error: "You are banned from this room" });
  assert.equal(r.ok, false);
  assert.deepEqual({ ...r.error, description: typeof r.error.description }, { status: 403, errcode: "M_FORBIDDEN", error: "You are banned from this room", meaning: "FORBIDDEN", description: "string" });
  assert.match(r.error.description, /knock/);
  assert.deepEqual(parseError(429, '{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000}').retryAfterMs, 2000);
  assert.equal(parseError(429, "<html>", undefined, 7).retryAfterMs, 7000);
  assert.equal(parseError(403, { errcode: "M_INVITE_BLOCKED" }, "accept").meaning, "INVITE_BLOCKED");
  assert.equal(parseError(403, { errcode: "M_USER_SUSPENDED" }).meaning, "USER_SUSPENDED");
  assert.equal(parseError(400, { errcode: "M_UNSUPPORTED_ROOM_VERSION" }).meaning, "UNSUPPORTED_ROOM_VERSION");
  assert.equal(parseError(403, { errcode: "M_BAD_STATE" }).meaning, "BAD_STATE");
  assert.equal(parseError(404, "").meaning, "NOT_FOUND");
  assert.throws(() => parseError(400, "", "dance"), (e) => e.code === "UNKNOWN_ACTION");
});

test("HttpClient sends built requests with fetch and throws MatrixError on failure", async () => {
  const seen = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (request) => {
    seen.push({ url: request.url, method: request.method, auth: request.headers.get("authorization"), body: await request.text() });
    if (request.url.includes("/ban")) return new Response('{"errcode":"M_FORBIDDEN","error":"nope"}', { status: 403 });
    if (request.url.includes("/sync")) return new Response('{"next_batch":"s1"}', { status: 200 });
    return new Response('{"room_id":"!room:hs1"}', { status: 200 });
  };
  try {
    const s = new KnockSession("@k:hs2");
    const client = new HttpClient("http://127.0.0.1:1/", "tok");
    assert.deepEqual(await client.send(s.knock("#a:hs1", { reason: "r", via: ["hs1"] })), { room_id: "!room:hs1" });
    assert.deepEqual(seen[0], { url: "http://127.0.0.1:1/_matrix/client/v3/knock/%23a%3Ahs1?via=hs1", method: "POST", auth: "Bearer tok", body: '{"reason":"r"}' });
    await assert.rejects(client.send(s.declineAndBan(ROOM, "@x:hs1")), (e) => e.name === "MatrixError" && e.code === "MATRIX_ERROR" && e.status === 403 && e.meaning === "FORBIDDEN" && e.error === "nope");
    assert.equal(await client.sync("s 0", 5), '{"next_batch":"s1"}');
    assert.equal(seen[2].url, "http://127.0.0.1:1/_matrix/client/v3/sync?timeout=5&since=s%200");
    assert.equal(seen[2].method, "GET");
    assert.throws(() => client.send({}), (e) => e.code === "INVALID_INPUT");
  } finally {
    globalThis.fetch = realFetch;
  }
});

test("ingestSync takes UTF-8 bytes too", () => {
  const s = new KnockSession("@mod:hs1");
  const body = new TextEncoder().encode(JSON.stringify({ rooms: { join: { [ROOM]: { state: { events: fullState } } } } }));
  assert.deepEqual(s.ingestSync(body).map((c) => c.kind), ["requestNew", "requestNew"]);
  assert.throws(() => s.ingestSync(new Uint8Array([0xc3])), (e) => e.code === "INVALID_JSON");
  assert.throws(() => s.ingestSync(5), (e) => e.code === "INVALID_INPUT");
});

test("queue entries and decisions keep every field, with multi-unit IDs and infinite levels", () => {
  // Entries and decisions are built in JS from one string and offsets into it: a v12 creator
  // (level Infinity) and a moderator decide on knockers whose IDs take one and two UTF-16
  // units per character, so a wrong offset garbles a field below.
  const state = [
    ev("m.room.create", "", "@c:hs1", { room_version: "12" }),
    ev("m.room.member", "@c:hs1", "@c:hs1", { membership: "join" }),
    ev("m.room.member", "@mod:hs1", "@mod:hs1", { membership: "join" }),
    ev("m.room.power_levels", "", "@c:hs1", { users: { "@mod:hs1": 50, "@jürgen:hs2": 60 } }),
    ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock" }),
    ev("m.room.member", "@jürgen:hs2", "@jürgen:hs2", { membership: "knock", displayname: "Jürgen" }, 10),
    ev("m.room.member", "@😀:hs2", "@😀:hs2", { membership: "knock", reason: "👋 hi" }, 11),
  ];
  const room = mk.Room.fromStateEvents(state);
  assert.deepEqual(room.knockRequests(), [
    { userId: "@jürgen:hs2", displayName: "Jürgen", eventId: "$m.room.member/@jürgen:hs2/10", originServerTs: 10 },
    { userId: "@😀:hs2", reason: "👋 hi", eventId: "$m.room.member/@😀:hs2/11", originServerTs: 11 },
  ]);
  const codes = { "@c:hs1": ["ALLOWED", "ALLOWED"], "@mod:hs1": ["TARGET_LEVEL_NOT_BELOW_ACTOR", "ALLOWED"] };
  for (const me of ["@c:hs1", "@mod:hs1"]) {
    const s = new KnockSession(me);
    s.ingestSync({ rooms: { join: { [ROOM]: { state: { events: state }, timeline: { events: [] } } } } });
    const queue = s.knockRequests(ROOM);
    assert.deepEqual(queue.map(({ accept, decline, ban, ageMs, seen, ...request }) => request), room.knockRequests());
    for (const entry of queue) {
      assert.ok(entry.ageMs > 0);
      assert.equal(entry.seen, false);
      const permitted = room.permittedActions(me, entry.userId);
      for (const action of ["accept", "decline", "ban", "unban"]) {
        const d = permitted[action];
        assert.equal(d.action, action);
        assert.match(d.code, /^[A-Z_]+$/);
        assert.ok(d.message.includes(entry.userId) && d.message.endsWith("."), d.message);
        assert.match(d.rule, /^(v12 [0-9.]+|server: .+|knock: .+)$/);
        if (action === "unban") continue;
        assert.deepEqual(entry[action], d, `${me} ${action} ${entry.userId}`);
        assert.deepEqual(s.check(ROOM, action, entry.userId), d);
      }
      assert.deepEqual([permitted.accept.code, permitted.unban.code], ["ALLOWED", "TARGET_NOT_BANNED"]);
    }
    assert.deepEqual(queue.map((e) => e.decline.code), codes[me]);
  }
  const levels = room.permittedActions("@c:hs1", "@jürgen:hs2").decline;
  assert.deepEqual([levels.actorLevel, levels.targetLevel, levels.requiredLevel], [Infinity, 60, 50]);
  assert.equal(levels.message, "@c:hs1 may kick @jürgen:hs2 (room version 12).");
});
