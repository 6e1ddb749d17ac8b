// Every exported function of the built package, including thrown errors and their codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Room, ev, knockRoom } from "./load.mjs";

test("fromStateEvents and fromStateJson build the same room", () => {
  const events = knockRoom();
  const a = Room.fromStateEvents(events);
  const b = Room.fromStateJson(JSON.stringify(events));
  for (const room of [a, b]) {
    assert.equal(room.roomVersion(), "10");
    assert.equal(room.joinRule(), "knock");
    assert.equal(room.memberCount(), 4);
    assert.equal(room.roomId(), undefined);
  }
  assert.deepEqual(a.check("decline", "@mod:hs1", "@k:hs2"), b.check("decline", "@mod:hs1", "@k:hs2"));
});

test("check returns a full Decision with rule and levels", () => {
  const room = Room.fromStateEvents(knockRoom("10", { pl: { users: { "@mod:hs1": 50, "@k:hs2": 50 } } }));
  const d = room.check("kick", "@mod:hs1", "@k:hs2");
  assert.deepEqual(
    { ...d, message: typeof d.message },
    { action: "kick", allowed: false, code: "TARGET_LEVEL_NOT_BELOW_ACTOR", message: "string", rule: "v10 4.5.5", actorLevel: 50, targetLevel: 50, requiredLevel: 50 },
  );
  assert.match(d.message, /@k:hs2 has power level 50/);
  const ok = room.check("accept", "@u:hs1", "@k:hs2");
  assert.equal(ok.allowed, true);
  assert.equal(ok.rule, "v10 4.4.4");
  assert.equal(ok.requiredLevel, 0);
});

test("self actions default the target to the actor; others require one", () => {
  const room = Room.fromStateEvents(knockRoom());
  assert.equal(room.check("rescind", "@k:hs2").code, "ALLOWED");
  assert.equal(room.check("knock", "@new:hs3").rule, "v10 4.7.3");
  assert.equal(room.check("join", "@k:hs2").code, "NOT_INVITED");
  assert.throws(() => room.check("kick", "@mod:hs1"), (e) => e.code === "INVALID_INPUT");
});

test("check context: joinedRoomIds for restricted joins, reason for duplicates", () => {
  const events = knockRoom();
  events[6] = ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock_restricted", allow: [{ type: "m.room_membership", room_id: "!space:hs1" }] });
  const room = Room.fromStateEvents(events);
  assert.equal(room.check("join", "@k:hs2").code, "JOINED_ROOMS_UNKNOWN");
  assert.equal(room.check("join", "@k:hs2", undefined, { joinedRoomIds: [] }).code, "NOT_IN_ALLOWED_ROOM");
  assert.equal(room.check("join", "@k:hs2", undefined, { joinedRoomIds: ["!space:hs1"] }).rule, "v10 4.3.5.3");
  assert.equal(room.check("knock", "@k:hs2", undefined, { reason: "hi" }).code, "DUPLICATE");
  assert.equal(room.check("knock", "@k:hs2", undefined, { reason: "new" }).code, "ALLOWED");
  assert.throws(() => room.check("join", "@k:hs2", undefined, { joinedRooms: [] }), (e) => e.code === "INVALID_INPUT");
  assert.throws(() => room.check("join", "@k:hs2", undefined, { joinedRoomIds: "!x:hs" }), (e) => e.code === "INVALID_INPUT");
});

test("permittedActions gives accept, decline, ban and unban at once", () => {
  const room = Room.fromStateEvents(knockRoom());
  const p = room.permittedActions("@mod:hs1", "@k:hs2");
  assert.deepEqual(Object.keys(p), ["accept", "decline", "ban", "unban"]);
  assert.deepEqual([p.accept.allowed, p.decline.allowed, p.ban.allowed, p.unban.allowed], [true, true, true, false]);
  assert.equal(p.unban.code, "TARGET_NOT_BANNED");
  const u = room.permittedActions("@u:hs1", "@k:hs2");
  assert.deepEqual([u.accept.allowed, u.decline.code, u.ban.code], [true, "INSUFFICIENT_LEVEL", "INSUFFICIENT_LEVEL"]);
});

test("membership, powerLevel, creators and v12 infinite creators", () => {
  const events = [
    ev("m.room.create", "", "@c:hs1", { room_version: "12", additional_creators: ["@c2:hs1"] }),
    ev("m.room.member", "@c:hs1", "@c:hs1", { membership: "join" }),
    ev("m.room.member", "@c2:hs1", "@c2:hs1", { membership: "knock" }),
    ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock" }),
  ];
  const room = Room.fromStateEvents(events);
  assert.equal(room.powerLevel("@c:hs1"), Infinity);
  assert.equal(room.powerLevel("@c2:hs1"), Infinity);
  assert.equal(room.powerLevel("@x:hs1"), 0);
  assert.deepEqual(room.creators(), ["@c:hs1", "@c2:hs1"]);
  assert.equal(room.membership("@c2:hs1"), "knock");
  assert.equal(room.membership("@nobody:hs1"), "leave");
  const d = room.check("decline", "@c:hs1", "@c2:hs1");
  assert.equal(d.code, "TARGET_LEVEL_NOT_BELOW_ACTOR");
  assert.equal(d.actorLevel, Infinity);
  assert.equal(d.targetLevel, Infinity);
  assert.throws(() => room.powerLevel("nobody"), (e) => e.code === "INVALID_USER_ID");
  assert.throws(() => room.membership(""), (e) => e.code === "INVALID_USER_ID");
  // Every membership reads back as its string, the spec's five (made once) and any other.
  for (const m of ["join", "invite", "knock", "ban", "leave", "org.example.custom"]) {
    room.applyEvent(ev("m.room.member", "@m:hs2", "@m:hs2", { membership: m }));
    assert.equal(room.membership("@m:hs2"), m);
  }
});

test("knockRequests lists pending knocks oldest first with profile", () => {
  const events = knockRoom();
  events.push(ev("m.room.member", "@early:hs3", "@early:hs3", { membership: "knock" }, { origin_server_ts: 10 }));
  const room = Room.fromStateEvents(events);
  assert.deepEqual(room.knockRequests(), [
    { userId: "@early:hs3", eventId: "$m.room.member/@early:hs3", originServerTs: 10 },
    { userId: "@k:hs2", reason: "hi", displayName: "Kay", avatarUrl: "mxc://hs2/a", eventId: "$m.room.member/@k:hs2", originServerTs: 2000 },
  ]);
});

test("applyEvent updates, ignores with a reason, and leaves the room unchanged on error", () => {
  const room = Room.fromStateEvents(knockRoom().map((e) => ({ ...e, room_id: "!r:hs1" })));
  assert.equal(room.roomId(), "!r:hs1");
  assert.deepEqual(room.applyEvent(ev("m.room.member", "@k:hs2", "@mod:hs1", { membership: "invite" })), { applied: true, queue: { removed: 0 } });
  assert.equal(room.membership("@k:hs2"), "invite");
  assert.equal(room.knockRequests().length, 0);
  assert.deepEqual(room.applyEvent(JSON.stringify(ev("m.room.member", "@k:hs2", "@k:hs2", { membership: "join" }))), { applied: true });
  assert.equal(room.membership("@k:hs2"), "join");
  assert.deepEqual(room.applyEvent({ type: "m.room.message", sender: "@u:hs1", content: { body: "x" } }), { applied: false, reason: "NOT_STATE_EVENT" });
  assert.deepEqual(room.applyEvent({ ...ev("m.room.member", "@k:hs2", "@k:hs2", { membership: "leave" }), room_id: "!other:hs1" }), { applied: false, reason: "OTHER_ROOM" });
  assert.deepEqual(room.applyEvent(ev("m.room.create", "", "@x:hs1", { room_version: "1" })), { applied: false, reason: "CREATE_EVENT" });
  const before = room.check("ban", "@mod:hs1", "@k:hs2");
  assert.throws(() => room.applyEvent(ev("m.room.power_levels", "", "@c:hs1", { ban: "50" })), (e) => e.code === "INVALID_POWER_LEVELS");
  assert.throws(() => room.applyEvent("{"), (e) => e.code === "INVALID_JSON");
  assert.throws(() => room.applyEvent(42), (e) => e.code === "INVALID_INPUT");
  assert.throws(() => room.applyEvent(ev("m.room.member", "not-a-user", "@k:hs2", { membership: "join" })), (e) => e.code === "INVALID_USER_ID");
  assert.deepEqual(room.check("ban", "@mod:hs1", "@k:hs2"), before);
  assert.deepEqual(room.applyEvent(ev("m.room.power_levels", "", "@c:hs1", { ban: 100 })), { applied: true });
  assert.equal(room.check("ban", "@mod:hs1", "@k:hs2").code, "INSUFFICIENT_LEVEL");
});

test("bad input throws Errors with stable codes and the module keeps working", () => {
  const cases = [
    [() => Room.fromStateJson("not json"), "INVALID_JSON"],
    [() => Room.fromStateJson("[]"), "MISSING_CREATE"],
    [() => Room.fromStateEvents({}), "INVALID_INPUT"],
    [() => Room.fromStateEvents([{ type: 1 }]), "INVALID_EVENT"],
    [() => { const a = []; a.push(a); Room.fromStateEvents(a); }, "INVALID_INPUT"],
    [() => Room.fromStateEvents([ev("m.room.create", "", "@c:hs1", { room_version: "13" })]), "UNSUPPORTED_ROOM_VERSION"],
    [() => Room.fromStateEvents([ev("m.room.create", "", "@c:hs1", { room_version: 10 })]), "INVALID_CREATE"],
    [() => Room.fromStateEvents([ev("m.room.create", "", "@c:hs1", { room_version: "12", additional_creators: [1] })]), "INVALID_CREATE"],
    [() => Room.fromStateEvents([...knockRoom("10", { pl: { kick: 1.5 } })]), "INVALID_POWER_LEVELS"],
    [() => Room.fromStateEvents([...knockRoom("10", { pl: { users: { "@a:b": 2 ** 53 } } })]), "INVALID_POWER_LEVELS"],
    [() => Room.fromStateEvents([...knockRoom(), { ...ev("m.room.name", "", "@c:hs1", {}), room_id: "!a:b" }, { ...ev("m.room.topic", "", "@c:hs1", {}), room_id: "!c:d" }]), "ROOM_ID_MISMATCH"],
    [() => Room.fromStateEvents([...knockRoom(), { ...ev("m.room.name", "", "@c:hs1", {}), room_id: "not a room" }]), "INVALID_ROOM_ID"],
    [() => Room.fromStateEvents([...knockRoom(), ev("m.room.member", "@x:hs1", "@x:hs1", {})]), "INVALID_EVENT"],
    [() => Room.fromStateEvents(knockRoom()).check("dance", "@a:b"), "UNKNOWN_ACTION"],
    [() => Room.fromStateEvents(knockRoom()).check("knock", "@@"), "INVALID_USER_ID"],
  ];
  for (const [fn, code] of cases) {
    assert.throws(fn, (e) => e instanceof Error && e.name === "MatrixKnockError" && e.code === code && e.message.length > 0, code);
    // After every failure the module still answers correctly.
    assert.equal(Room.fromStateEvents(knockRoom()).check("decline", "@mod:hs1", "@k:hs2").allowed, true);
  }
});

test("free() releases a room", () => {
  const room = Room.fromStateEvents(knockRoom());
  room.free();
  assert.throws(() => room.joinRule());
});

test("fromStateBytes reads UTF-8 bytes and refuses invalid UTF-8", () => {
  const events = knockRoom();
  events[4].content.displayname = "Kåy ☃";
  const room = Room.fromStateBytes(new TextEncoder().encode(JSON.stringify(events)));
  assert.equal(room.knockRequests()[0].displayName, "Kåy ☃");
  assert.throws(() => Room.fromStateBytes(new Uint8Array([0x5b, 0xff, 0x5d])), (e) => e.code === "INVALID_JSON");
  // Also inside a string of a field nobody reads (the room would otherwise be valid).
  events.push(ev("x.custom", "", "@c:hs1", { note: "@@" }));
  const bytes = new TextEncoder().encode(JSON.stringify(events));
  bytes[bytes.lastIndexOf(0x40)] = 0xff;
  assert.throws(() => Room.fromStateBytes(bytes), (e) => e.code === "INVALID_JSON" && /UTF-8/.test(e.message));
});

test("knockRequests is cached until the queue changes and patched to match a rebuild", () => {
  const base = knockRoom();
  const room = Room.fromStateEvents(base);
  const first = room.knockRequests();
  assert.ok(Object.isFrozen(first) && first.every(Object.isFrozen));
  assert.equal(room.knockRequests(), first, "same array while nothing changed");
  room.applyEvent(ev("m.room.member", "@u:hs1", "@u:hs1", { membership: "join", displayname: "U" }));
  assert.equal(room.knockRequests(), first, "a non-knocker's event keeps the array");
  room.applyEvent(ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock" }));
  assert.equal(room.knockRequests(), first);
  // Random member events (knocks with random timestamps, re-knocks, accepts, declines, bans,
  // joins) over 12 users: after each, the patched array equals a room rebuilt from scratch.
  let seed = 20403;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const users = Array.from({ length: 12 }, (_, i) => `@u${i}:hs${i % 3}`);
  const memberships = ["knock", "knock", "knock", "invite", "leave", "ban", "join"];
  const events = [...base];
  const seen = [first];
  for (let i = 0; i < 400; i++) {
    const user = users[rand(users.length)];
    const membership = memberships[rand(memberships.length)];
    const sender = membership === "knock" || membership === "join" ? user : "@mod:hs1";
    const content = { membership, ...(rand(2) ? { reason: `r${i}` } : {}), ...(rand(2) ? { displayname: `N${i}` } : {}) };
    const event = ev("m.room.member", user, sender, content, { origin_server_ts: rand(5) * 1000, event_id: `$e${i}` });
    const before = room.knockRequests();
    room.applyEvent(i % 2 ? event : JSON.stringify(event));
    events.push(event);
    const after = room.knockRequests();
    assert.equal(room.knockRequests(), after, "cached between calls");
    assert.deepEqual(after, Room.fromStateEvents(events).knockRequests(), `after event ${i}`);
    if (after !== before) seen.push(after);
    assert.ok(Object.isFrozen(after) && after.every(Object.isFrozen));
  }
  assert.ok(seen.length > 100, "the queue changed along the way");
  assert.throws(() => { first.push({}); }, TypeError);
  room.free();
});

test("applyEvent reads text and objects alike: multi-byte text, lone surrogates, both sides of the direct-encoding limit", () => {
  // Texts up to 65 536 UTF-16 units are encoded straight into wasm memory, longer ones through
  // a JS buffer: reasons just below and above that length, in ASCII and with surrogate pairs.
  const reasons = ["Zoë 🙏 日本語", "a".repeat(65_400), "🎉".repeat(32_700), "b".repeat(70_000), "𝔘é".repeat(40_000)];
  reasons.forEach((reason, i) => {
    const event = ev("m.room.member", `@k${i}:hs2`, `@k${i}:hs2`, { membership: "knock", reason, displayname: `Ł${i} 😀` }, { origin_server_ts: 9000 + i });
    const text = JSON.stringify(event);
    const [byText, byObject] = [Room.fromStateEvents(knockRoom()), Room.fromStateEvents(knockRoom())];
    assert.deepEqual(byText.applyEvent(text), byObject.applyEvent(event));
    const entry = (room) => room.knockRequests().find((k) => k.userId === `@k${i}:hs2`);
    assert.equal(entry(byText).reason, reason);
    assert.equal(entry(byText).displayName, `Ł${i} 😀`);
    assert.deepEqual(entry(byText), entry(byObject));
    byText.free();
    byObject.free();
  });
  // Raw text (not from JSON.stringify) with a lone surrogate: read as U+FFFD, as the string
  // conversion of every other argument does.
  const room = Room.fromStateEvents(knockRoom());
  room.applyEvent('{"type":"m.room.member","state_key":"@s:hs2","sender":"@s:hs2","content":{"membership":"knock","reason":"a\uD800b"}}');
  assert.equal(room.knockRequests().find((k) => k.userId === "@s:hs2").reason, "a\uFFFDb");
  room.free();
});

test("large state text is read through the window intact: surrogate pairs and multi-byte text at every cut", () => {
  // ~1.5 MB of JSON: several refills of the 256 KiB window, with emoji (surrogate pairs in
  // UTF-16, 4 bytes in UTF-8) and 2-3 byte characters spread so that chunk ends land inside them.
  const events = knockRoom();
  // Mostly emoji, so about half of all UTF-16 positions are the first half of a pair.
  const names = ["😀".repeat(30) + " Zoë", "Łukasz 𝔘" + "🎉".repeat(25), "日本語テキスト", "🙂".repeat(41)];
  for (let i = 0; i < 8000; i++) {
    const name = names[i % names.length] + " ".repeat(i % 7) + "é".repeat(i % 5);
    events.push(ev("m.room.member", `@user${i}:hs${i % 9}`, `@user${i}:hs${i % 9}`,
      { membership: i % 10 === 0 ? "knock" : "join", displayname: name, reason: i % 10 === 0 ? `${name} 🙏 ${i}` : undefined },
      { origin_server_ts: 5000 + i }));
  }
  const text = JSON.stringify(events);
  assert.ok(text.length > 1_000_000);
  const fromText = Room.fromStateJson(text);
  const fromBytes = Room.fromStateBytes(new TextEncoder().encode(text));
  const fromObjects = Room.fromStateEvents(events);
  const expected = events
    .filter((e) => e.type === "m.room.member" && e.content.membership === "knock")
    .sort((a, b) => a.origin_server_ts - b.origin_server_ts)
    .map((e) => [e.state_key, e.content.displayname, e.content.reason]);
  for (const room of [fromText, fromBytes, fromObjects]) {
    assert.equal(room.memberCount(), 8004);
    assert.deepEqual(room.knockRequests().map((k) => [k.userId, k.displayName, k.reason]), expected);
    room.free();
  }
  // A cut-off text is bad JSON, whichever window it ends in.
  for (const cut of [100, 300_000, text.length - 1]) {
    assert.throws(() => Room.fromStateJson(text.slice(0, cut)), (e) => e.code === "INVALID_JSON" || e.code === "INVALID_EVENT");
  }
});
