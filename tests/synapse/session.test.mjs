// End-to-end: the BUILT package's KnockSession and HttpClient against a real Synapse.
//
// Users are registered with client.mjs; every knock and moderation call after that is built
// by KnockSession (knock / accept / decline / declineAndBan / unban / rescind / join /
// request) and sent with HttpClient.send. Each user's session is fed HttpClient.sync with the
// next_batch token parsed here. Room creation and a "barrier" marker message (to know that a
// sync has caught up) go through client.mjs.
//
// Environment: SYNAPSE_URL (default http://127.0.0.1:8448). This test never starts Synapse.
// Output: target/synapse-session/equivalence.json (the table of scenario 10).

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as mk from "../../pkg/matrix_knock.js";
import { MatrixClient, ok } from "./client.mjs";

mk.initSync({ module: readFileSync(new URL("../../pkg/matrix_knock_bg.wasm", import.meta.url)) });
const { KnockSession, HttpClient } = mk;

const SYNAPSE_URL = process.env.SYNAPSE_URL || "http://127.0.0.1:8448";
const SERVER_NAME = "localhost";
const SYNC_LIMIT_MS = 10_000;
const OUT_DIR = fileURLToPath(new URL("../../target/synapse-session/", import.meta.url));
const V3 = "/_matrix/client/v3";
const T = { timeout: 60_000 }; // per scenario

{
  const host = new URL(SYNAPSE_URL).hostname;
  if (host !== "127.0.0.1" && host !== "localhost") {
    throw new Error(`refusing to test against a non-loopback homeserver: ${SYNAPSE_URL}`);
  }
}

/** The module's percent-encoding (everything but RFC 3986 unreserved characters). */
const encode = (s) => [...new TextEncoder().encode(s)]
  .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
  .join("");

const is2xx = (status) => status >= 200 && status < 300;
const localpart = (userId) => userId.slice(1, userId.indexOf(":"));

// ---------------------------------------------------------------------------------------------
// A cast member: a registered user, its KnockSession, its HttpClient and its sync position.

class Actor {
  constructor(name, user) {
    this.name = name;
    this.user = user; // client.mjs MatrixUser (registration, createRoom, barrier, GET state)
    this.id = user.userId;
    this.session = new KnockSession(user.userId);
    this.http = new HttpClient(SYNAPSE_URL, user.token);
    this.since = null;
    this.changes = [];
  }

  /** One /sync through HttpClient, fed to the session. Returns the text and the changes. */
  async sync(timeoutMs = 0) {
    const text = await this.http.sync(this.since, timeoutMs);
    const next = JSON.parse(text).next_batch;
    assert.equal(typeof next, "string", `${this.name}: /sync without next_batch`);
    const changes = this.session.ingestSync(text);
    this.since = next;
    this.changes.push(...changes);
    return { text, changes };
  }

  /** Syncs (short long-polls) until `pred(text)` holds; bounded by SYNC_LIMIT_MS. */
  async syncUntil(what, pred, limitMs = SYNC_LIMIT_MS) {
    const deadline = Date.now() + limitMs;
    if (pred("")) return;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${this.name}: no ${what} within ${limitMs} ms; last changes: ` +
          JSON.stringify(this.changes.slice(-8)) + `; myKnocks: ${JSON.stringify(this.session.myKnocks())}`);
      }
      const { text } = await this.sync(Math.min(1000, left));
      if (pred(text)) return;
    }
  }

  /** Waits for a change of `kind` in `roomId` after position `mark` of the change log. */
  async waitChange(mark, roomId, kind, match = {}) {
    const find = () => this.changes.slice(mark).find((c) => c.roomId === roomId && c.kind === kind &&
      Object.entries(match).every(([k, v]) => c[k] === v));
    await this.syncUntil(`${kind} ${JSON.stringify(match)} in ${roomId}`, () => find() !== undefined);
    return find();
  }

  /** The session's entry for one of its own knocks. */
  myKnock(roomId) {
    return this.session.myKnocks().find((k) => k.roomId === roomId);
  }

  async waitStatus(roomId, status) {
    await this.syncUntil(`own knock ${status} in ${roomId}`, () => this.myKnock(roomId)?.status === status);
    return this.myKnock(roomId);
  }

  queueEntry(roomId, userId) {
    return this.session.knockRequests(roomId)?.find((q) => q.userId === userId);
  }

  /** Sends a built request: { status, body } on 2xx, { status, error } for a MatrixError. */
  async send(request) {
    try {
      return { status: 200, body: await this.http.send(request) };
    } catch (e) {
      if (e?.name === "MatrixError") return { status: e.status, error: e };
      throw e;
    }
  }

  /** Sends a built request that must succeed. */
  async must(request, what = `${request.action} ${request.targetId ?? ""}`) {
    const res = await this.send(request);
    if (!is2xx(res.status)) {
      throw new Error(`${this.name} ${what} in ${request.room}: HTTP ${res.status} ${res.error?.errcode} ${res.error?.error}`);
    }
    return res.body;
  }

  /** The member event of `userId` in a room (null if none), read through client.mjs. */
  async memberEvent(roomId, userId) {
    const all = ok(await this.user.state(roomId), `GET state of ${roomId}`);
    return all.find((e) => e.type === "m.room.member" && e.state_key === userId) ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// The cast, shared by all scenarios (each scenario has its own rooms).

const cast = {};
let client;
let suffix;
let txn = 0;

before(async () => {
  client = new MatrixClient(SYNAPSE_URL);
  let versions;
  try {
    versions = await client.versions();
  } catch (e) {
    throw new Error(`Synapse is not reachable at ${SYNAPSE_URL} (start it with scripts/synapse start): ${e.message}`);
  }
  assert.equal(versions.status, 200, `GET /_matrix/client/versions at ${SYNAPSE_URL}`);
  suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  // @k knocker, @mod and @mod2 at 50, @admin at 100 (the creator), @u a plain member (PL 0).
  await Promise.all(["k", "mod", "mod2", "admin", "u"].map(async (name) => {
    cast[name] = new Actor(name, await client.register(`sess_${name}_${suffix}`));
    assert.equal(cast[name].id, `@sess_${name}_${suffix}:${SERVER_NAME}`);
  }));
  await Promise.all(Object.values(cast).map((a) => a.sync(0)));
});

/**
 * A message from @admin in the room (or each of several rooms); every actor given (all joined)
 * syncs until it has seen them all: its session is then current for everything before.
 */
async function barrier(roomIds, actors) {
  const { admin } = cast;
  const rooms = Array.isArray(roomIds) ? roomIds : [roomIds];
  const eventIds = await Promise.all(rooms.map(async (roomId) => {
    const res = await admin.user.req("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${Date.now()}-${txn++}`,
      { msgtype: "m.notice", body: "barrier" });
    return ok(res, "barrier message").event_id;
  }));
  await Promise.all(actors.map((a) => {
    const missing = new Set(eventIds);
    return a.syncUntil(`barrier ${eventIds}`, (text) => {
      for (const id of [...missing]) if (text.includes(id)) missing.delete(id);
      return missing.size === 0;
    });
  }));
}

/**
 * A room created by @admin: join rule `knock` unless given, @mod and @mod2 at 50 (and
 * `members` invited and joined through their sessions).
 */
async function makeRoom({ version = "10", joinRule = { join_rule: "knock" }, members = ["mod", "mod2"], alias, additionalCreators, name, sync = true } = {}) {
  const { admin } = cast;
  const pl = { users: { [cast.mod.id]: 50, [cast.mod2.id]: 50 } };
  if (Number(version) < 12) pl.users[admin.id] = 100;
  const body = {
    room_version: version,
    preset: "private_chat",
    name: name ?? `session test ${suffix}`,
    invite: members.map((m) => cast[m].id),
    initial_state: [{ type: "m.room.join_rules", state_key: "", content: joinRule }],
    power_level_content_override: pl,
  };
  if (alias) body.room_alias_name = alias;
  if (additionalCreators) body.creation_content = { additional_creators: additionalCreators };
  const roomId = ok(await admin.user.createRoom(body), `createRoom v${version}`).room_id;
  await Promise.all(members.map((m) => cast[m].must(cast[m].session.join(roomId), "join")));
  const joined = [admin, ...members.map((m) => cast[m])];
  if (sync) await checkRooms([roomId], joined);
  return roomId;
}

/** Syncs the actors to the rooms just made and checks their sessions hold them. */
async function checkRooms(roomIds, joined) {
  await barrier(roomIds, joined);
  for (const roomId of roomIds) for (const a of joined) {
    assert.ok(a.session.roomIds().includes(roomId), `${a.name}'s session holds the room`);
    assert.equal(a.myKnock(roomId), undefined, `${a.name} was invited, never knocked: no own knock`);
  }
}

/** @k knocks (through the session), and the moderators' sessions see the request. */
async function knockAndSee(roomId, reason, watchers = ["mod"]) {
  const { k } = cast;
  const marks = watchers.map((w) => cast[w].changes.length);
  const req = k.session.knock(roomId, reason === undefined ? undefined : { reason });
  const body = await k.must(req, "knock");
  assert.equal(body.room_id, roomId);
  assert.deepEqual(k.session.parseResponse(req, 200, body), { ok: true, roomId });
  const mine = await k.waitStatus(roomId, "pending");
  for (const [i, w] of watchers.entries()) await cast[w].waitChange(marks[i], roomId, "requestNew", { userId: k.id });
  return mine;
}

/** Builds a request through the session; returns { request } or { refused } (ActionRefusedError). */
function build(actor, action, roomId, target, options) {
  try {
    return { request: actor.session.request(action, roomId, target, options) };
  } catch (e) {
    if (e?.name !== "ActionRefusedError") throw e;
    return { refused: e };
  }
}

// ---------------------------------------------------------------------------------------------

test("1. knock with reason → queue entry → accept → accepted → join → joined", T, async (t) => {
  const { k, mod } = cast;
  const room = await makeRoom({ name: "Lobby one" });
  const modMark = mod.changes.length;
  const kMark = k.changes.length;
  const req = k.session.knock(room, { reason: "let me in" });
  assert.equal(req.url, `${V3}/knock/${encode(room)}`);
  assert.deepEqual(req.body, { reason: "let me in" });
  const body = await k.must(req);
  assert.deepEqual(k.session.parseResponse(req, 200, body), { ok: true, roomId: room });

  const mine = await k.waitStatus(room, "pending");
  assert.equal(mine.reason, "let me in");
  assert.equal(mine.preview.untrusted, true);
  assert.equal(mine.preview.name, "Lobby one");
  assert.equal(mine.preview.joinRule, "knock");
  assert.equal(mine.remote, false, "room and user on the same server");
  assert.equal(mine.mayNeverHearBack, false);
  assert.ok(mine.waitedMs >= 0);
  assert.deepEqual(k.changes.slice(kMark).filter((c) => c.roomId === room).map((c) => c.kind), ["knockSent"]);

  await mod.waitChange(modMark, room, "requestNew", { userId: k.id });
  const entry = mod.queueEntry(room, k.id);
  assert.ok(entry, "the moderator's queue lists the knock");
  assert.equal(entry.reason, "let me in");
  assert.equal(entry.displayName, localpart(k.id), "Synapse fills in the display name");
  assert.equal(entry.seen, false);
  assert.match(entry.eventId, /^\$/);
  for (const d of ["accept", "decline", "ban"]) {
    assert.equal(entry[d].allowed, true, `${d}: ${JSON.stringify(entry[d])}`);
    assert.equal(entry[d].code, "ALLOWED");
  }

  const modMark2 = mod.changes.length;
  const accept = mod.session.accept(room, k.id, { reason: "welcome" });
  assert.equal(accept.url, `${V3}/rooms/${encode(room)}/invite`);
  assert.deepEqual(await mod.must(accept), {});
  assert.deepEqual(mod.session.parseResponse(accept, 200, {}), { ok: true });

  const accepted = await k.waitStatus(room, "accepted");
  assert.equal(accepted.decidedBy, mod.id);
  assert.equal(accepted.decisionReason, "welcome");
  const decided = await mod.waitChange(modMark2, room, "requestDecided", { userId: k.id });
  assert.equal(decided.outcome, "accepted");
  assert.equal(decided.by, mod.id);
  assert.equal(decided.reason, "welcome");
  assert.equal(mod.queueEntry(room, k.id), undefined, "no longer pending");

  const modMark3 = mod.changes.length;
  const join = k.session.join(room);
  assert.equal(join.url, `${V3}/join/${encode(room)}`);
  assert.equal((await k.must(join)).room_id, room);
  const joined = await k.waitStatus(room, "joined");
  assert.equal(joined.decidedBy, mod.id);
  assert.ok(k.session.roomIds().includes(room), "the knocker's session now holds the room");
  await barrier(room, [mod, k]);
  const later = mod.changes.slice(modMark3).filter((c) => c.roomId === room);
  t.diagnostic(`moderator's changes on the knocker's join: ${JSON.stringify(later)}`);
  assert.deepEqual(later.filter((c) => c.kind.startsWith("request")), [], "a join after an accept is not a new decision");
  assert.deepEqual(k.changes.slice(kMark).filter((c) => c.roomId === room).map((c) => c.kind),
    ["knockSent", "knockAccepted", "knockJoined"]);
});

test("2. decline with a reason → declined with decidedBy and reason; knocking again works", T, async () => {
  const { k, mod } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "first try");
  const mark = mod.changes.length;
  const kMark = k.changes.length;
  const decline = mod.session.decline(room, k.id, { reason: "not now" });
  assert.equal(decline.url, `${V3}/rooms/${encode(room)}/kick`);
  assert.deepEqual(decline.body, { user_id: k.id, reason: "not now" });
  await mod.must(decline);

  const declined = await k.waitStatus(room, "declined");
  assert.equal(declined.decidedBy, mod.id);
  assert.equal(declined.decisionReason, "not now");
  const change = k.changes.slice(kMark).find((c) => c.roomId === room && c.kind === "knockDeclined");
  assert.deepEqual(change, { kind: "knockDeclined", roomId: room, by: mod.id, reason: "not now" });
  const decided = await mod.waitChange(mark, room, "requestDecided", { userId: k.id });
  assert.deepEqual([decided.outcome, decided.by, decided.reason], ["declined", mod.id, "not now"]);

  const again = await knockAndSee(room, "second try");
  assert.equal(again.reason, "second try");
  assert.equal(again.decidedBy, undefined, "a new knock has no decision yet");
  assert.equal(mod.queueEntry(room, k.id)?.reason, "second try");
});

test("3. declineAndBan → banned; knock refused with 403; duplicate ban; decline of a banned user refused by both", T, async (t) => {
  const { k, mod } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "hello");
  const mark = mod.changes.length;
  const ban = mod.session.declineAndBan(room, k.id, { reason: "spam" });
  assert.equal(ban.url, `${V3}/rooms/${encode(room)}/ban`);
  await mod.must(ban);
  const banned = await k.waitStatus(room, "banned");
  assert.deepEqual([banned.decidedBy, banned.decisionReason], [mod.id, "spam"]);
  const decided = await mod.waitChange(mark, room, "requestDecided", { userId: k.id });
  assert.deepEqual([decided.outcome, decided.by], ["banned", mod.id]);

  // The banned knocker knocks again: Synapse refuses with 403.
  const built = build(k, "knock", room, undefined, { reason: "sorry" });
  t.diagnostic(`knocker's session on a knock while banned: ${built.refused ? `refused ${built.refused.code}` : "built (it holds no state of the room)"}`);
  const knock = built.request ?? k.session.knock(room, { reason: "sorry", force: true });
  const res = await k.send(knock);
  assert.equal(res.status, 403, JSON.stringify(res));
  assert.equal(res.error.name, "MatrixError");
  assert.equal(res.error.code, "MATRIX_ERROR");
  t.diagnostic(`Synapse on a banned user's knock: ${res.status} ${res.error.errcode} ${JSON.stringify(res.error.error)} → meaning ${res.error.meaning}: ${res.error.description}`);
  // Synapse 1.163 answers a local banned knocker with M_BAD_STATE ("Cannot knock user who was
  // banned"), not the M_FORBIDDEN of the spec's example.
  assert.ok(["M_FORBIDDEN", "M_BAD_STATE"].includes(res.error.errcode), res.error.errcode);
  const meaning = res.error.meaning;
  assert.ok(["FORBIDDEN", "BAD_STATE"].includes(meaning), meaning);
  assert.match(res.error.description, /banned/);
  const parsed = k.session.parseResponse(knock, res.status, { errcode: res.error.errcode, error: res.error.error });
  assert.equal(parsed.ok, false);
  assert.deepEqual({ ...parsed.error }, { status: 403, errcode: res.error.errcode, error: res.error.error, meaning, description: res.error.description });

  // The same ban again by the same moderator with the same reason: a DUPLICATE; Synapse answers
  // 200 with the existing event (no new event).
  const before = await mod.memberEvent(room, k.id);
  const dup = mod.session.check(room, "ban", k.id, { reason: "spam" });
  assert.deepEqual([dup.allowed, dup.code], [true, "DUPLICATE"]);
  await mod.must(mod.session.declineAndBan(room, k.id, { reason: "spam" }));
  const after = await mod.memberEvent(room, k.id);
  assert.equal(after.event_id, before.event_id, "a duplicate ban creates no event");

  // Declining a banned user: the session refuses (not knocking), Synapse refuses the forced one.
  assert.throws(() => mod.session.decline(room, k.id), (e) => e.name === "ActionRefusedError" && e.code === "TARGET_NOT_KNOCKING");
  const forced = await mod.send(mod.session.decline(room, k.id, { force: true }));
  assert.equal(forced.status, 403, JSON.stringify(forced));
  assert.ok(["FORBIDDEN", "BAD_STATE"].includes(forced.error.meaning), forced.error.meaning);
  // The raw kick is refused by the session as well.
  const kick = mod.session.check(room, "kick", k.id);
  assert.equal(kick.allowed, false, JSON.stringify(kick));
  t.diagnostic(`kick of the banned knocker: ${kick.code}; Synapse: ${forced.status} ${forced.error.error}`);
  assert.equal(k.myKnock(room).status, "banned");
});

test("4. unban by the admin → unbanned → knock again → pending", T, async () => {
  const { k, mod, admin } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "hi");
  await mod.must(mod.session.declineAndBan(room, k.id));
  await k.waitStatus(room, "banned");
  await barrier(room, [admin]);
  assert.throws(() => admin.session.decline(room, k.id), (e) => e.code === "TARGET_NOT_KNOCKING");
  const kMark = k.changes.length;
  const unban = admin.session.unban(room, k.id, { reason: "second chance" });
  assert.equal(unban.url, `${V3}/rooms/${encode(room)}/unban`);
  await admin.must(unban);
  const unbanned = await k.waitStatus(room, "unbanned");
  assert.deepEqual([unbanned.decidedBy, unbanned.decisionReason], [admin.id, "second chance"]);
  assert.deepEqual(k.changes.slice(kMark).filter((c) => c.roomId === room),
    [{ kind: "knockUnbanned", roomId: room, by: admin.id, reason: "second chance" }]);
  const again = await knockAndSee(room, "I'll behave");
  assert.equal(again.status, "pending");
  assert.equal(mod.queueEntry(room, k.id)?.reason, "I'll behave");
});

test("5. rescind → rescinded; the moderator sees requestWithdrawn", T, async () => {
  const { k, mod } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "oops");
  const mark = mod.changes.length;
  const rescind = k.session.rescind(room);
  assert.equal(rescind.url, `${V3}/rooms/${encode(room)}/leave`);
  await k.must(rescind);
  const mine = await k.waitStatus(room, "rescinded");
  assert.equal(mine.decidedBy, undefined);
  const withdrawn = await mod.waitChange(mark, room, "requestWithdrawn", { userId: k.id });
  assert.equal(withdrawn.userId, k.id);
  assert.equal(mod.queueEntry(room, k.id), undefined);
  assert.ok(!mod.changes.slice(mark).some((c) => c.roomId === room && c.kind === "requestDecided"));
});

test("6. knock_restricted: knocking works; a member of the allowed room joins directly", T, async (t) => {
  const { k, mod, u, admin } = cast;
  const allowed = ok(await admin.user.createRoom({ room_version: "10", preset: "public_chat", name: "allowed" }), "create allowed room").room_id;
  await u.must(u.session.join(allowed), "join allowed room");
  const room = await makeRoom({
    joinRule: { join_rule: "knock_restricted", allow: [{ type: "m.room_membership", room_id: allowed }] },
  });
  const mine = await knockAndSee(room, "not in the allowed room");
  assert.equal(mine.preview.joinRule, "knock_restricted");

  // @u (in the allowed room, never in this one) joins directly.
  const mark = mod.changes.length;
  const uJoin = u.session.join(room, { via: [SERVER_NAME] });
  assert.equal(uJoin.url, `${V3}/join/${encode(room)}?via=${SERVER_NAME}`);
  assert.equal((await u.must(uJoin)).room_id, room);
  await barrier(room, [u, mod]);
  assert.ok(u.session.roomIds().includes(room));
  assert.equal(u.myKnock(room), undefined, "a restricted join is not a knock");
  assert.deepEqual(mod.changes.slice(mark).filter((c) => c.roomId === room), [], "no queue change for a direct join");
  assert.ok(mod.queueEntry(room, k.id), "the knock is still pending");

  // @k, knocking, cannot join while outside the allowed room; after joining it, it can: the
  // knock ends in a join without an invite.
  const early = await k.send(k.session.join(room));
  assert.equal(early.status, 403, JSON.stringify(early));
  assert.equal(early.error.meaning, "FORBIDDEN");
  await k.must(k.session.join(allowed), "join allowed room");
  const kMark = k.changes.length;
  const mark2 = mod.changes.length;
  await k.must(k.session.join(room), "join from knock");
  const joined = await k.waitStatus(room, "joined");
  assert.equal(joined.decidedBy, undefined);
  assert.deepEqual(k.changes.slice(kMark).filter((c) => c.roomId === room).map((c) => c.kind), ["knockJoined"]);
  const decided = await mod.waitChange(mark2, room, "requestDecided", { userId: k.id });
  t.diagnostic(`moderator sees the knocker's restricted join as ${JSON.stringify(decided)}`);
  assert.equal(decided.outcome, "joined");
  assert.equal(mod.queueEntry(room, k.id), undefined);
});

test("7. v12 additional creator knocks: accepted, but nobody can decline or ban them", T, async (t) => {
  const { k, mod, admin } = cast;
  const room = await makeRoom({ version: "12", additionalCreators: [k.id] });
  assert.doesNotMatch(room, /:/, "v12 room IDs have no server name");
  await knockAndSee(room, "I am a creator", ["mod"]);
  await barrier(room, [admin]);
  const mine = k.myKnock(room);
  t.diagnostic(`creator's own knock: remote=${mine.remote} preview=${JSON.stringify(mine.preview)}`);

  const entry = mod.queueEntry(room, k.id);
  assert.ok(entry);
  assert.equal(entry.accept.allowed, true, JSON.stringify(entry.accept));
  for (const d of [entry.decline, entry.ban]) {
    assert.deepEqual([d.allowed, d.code, d.targetLevel], [false, "TARGET_LEVEL_NOT_BELOW_ACTOR", Infinity], JSON.stringify(d));
  }
  const adminEntry = admin.queueEntry(room, k.id);
  for (const d of [adminEntry.decline, adminEntry.ban]) {
    assert.deepEqual([d.allowed, d.code, d.actorLevel, d.targetLevel], [false, "TARGET_LEVEL_NOT_BELOW_ACTOR", Infinity, Infinity], JSON.stringify(d));
  }
  for (const actor of [mod, admin]) {
    for (const [action, fn] of [["decline", "decline"], ["ban", "declineAndBan"]]) {
      assert.throws(() => actor.session[fn](room, k.id, { reason: "no" }),
        (e) => e.name === "ActionRefusedError" && e.code === "TARGET_LEVEL_NOT_BELOW_ACTOR", `${actor.name} ${action}`);
      const res = await actor.send(actor.session[fn](room, k.id, { reason: "no", force: true }));
      assert.equal(res.status, 403, `${actor.name} forced ${action}: ${JSON.stringify(res)}`);
      assert.equal(res.error.meaning, "FORBIDDEN");
    }
  }
  assert.equal((await mod.memberEvent(room, k.id)).content.membership, "knock", "still knocking");

  await mod.must(mod.session.accept(room, k.id));
  const accepted = await k.waitStatus(room, "accepted");
  assert.equal(accepted.decidedBy, mod.id);
  await k.must(k.session.join(room));
  await k.waitStatus(room, "joined");
});

test("8. knock by alias with via: encoded alias path, ?via=localhost, room ID linked", T, async () => {
  const { k, mod } = cast;
  const aliasLocal = `knock_${suffix}`;
  const room = await makeRoom({ alias: aliasLocal });
  const alias = `#${aliasLocal}:${SERVER_NAME}`;
  const mark = mod.changes.length;
  const req = k.session.knock(alias, { via: [SERVER_NAME], reason: "by alias" });
  assert.equal(req.path, `${V3}/knock/%23${aliasLocal}%3A${SERVER_NAME}`);
  assert.equal(req.url, `${req.path}?via=${SERVER_NAME}`);
  assert.deepEqual(req.query, { via: [SERVER_NAME] });
  assert.equal(req.room, alias);
  const body = await k.must(req);
  assert.equal(body.room_id, room);
  assert.deepEqual(k.session.parseResponse(req, 200, body), { ok: true, roomId: room });
  const mine = await k.waitStatus(room, "pending");
  assert.deepEqual(mine.via, [SERVER_NAME]);
  assert.equal(mine.reason, "by alias");
  assert.equal(mine.preview.canonicalAlias, alias);
  assert.equal(k.session.myKnocks().filter((x) => x.roomId === alias).length, 0, "no entry under the alias");
  await mod.waitChange(mark, room, "requestNew", { userId: k.id });
});

test("9. two moderators race: mod2 declines, mod's accept is refused, forced it becomes a plain invite", T, async (t) => {
  const { k, mod, mod2 } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "pick me", ["mod", "mod2"]);
  assert.ok(mod.queueEntry(room, k.id) && mod2.queueEntry(room, k.id));
  const mark = mod.changes.length;
  await mod2.must(mod2.session.decline(room, k.id, { reason: "mod2 says no" }));
  const decided = await mod.waitChange(mark, room, "requestDecided", { userId: k.id });
  assert.deepEqual([decided.outcome, decided.by, decided.reason], ["declined", mod2.id, "mod2 says no"]);
  assert.equal(mod.queueEntry(room, k.id), undefined, "mod's queue no longer lists it");
  const declined = await k.waitStatus(room, "declined");
  assert.equal(declined.decidedBy, mod2.id);

  let refusal;
  assert.throws(() => mod.session.accept(room, k.id), (e) => { refusal = e; return e.name === "ActionRefusedError" && e.code === "TARGET_NOT_KNOCKING"; });
  assert.match(refusal.decision.rule, /^knock:/, "refused by the knock-word rule, not by an auth rule");
  // Our understanding: the raw invite is legal (leave → invite), so Synapse performs it.
  const invite = mod.session.check(room, "invite", k.id);
  assert.deepEqual([invite.allowed, invite.code], [true, "ALLOWED"]);
  const kMark = k.changes.length;
  const modMark = mod.changes.length;
  const res = await mod.send(mod.session.accept(room, k.id, { force: true }));
  assert.equal(res.status, 200, JSON.stringify(res));
  const ev = await mod.memberEvent(room, k.id);
  assert.deepEqual([ev.content.membership, ev.sender], ["invite", mod.id]);
  await barrier(room, [mod]);
  // The knocker's session: an invite that does not follow a pending knock is not an acceptance.
  await k.syncUntil("the invite", (text) => text !== "" && JSON.parse(text).rooms?.invite?.[room] !== undefined);
  const kChanges = k.changes.slice(kMark).filter((c) => c.roomId === room);
  const modChanges = mod.changes.slice(modMark).filter((c) => c.roomId === room);
  t.diagnostic(`after the forced accept: knocker ${JSON.stringify(k.myKnock(room))} changes ${JSON.stringify(kChanges)}; mod changes ${JSON.stringify(modChanges)}`);
  assert.equal(k.myKnock(room).status, "declined", "the knock stays declined: the invite is a new, plain invite");
  assert.deepEqual(kChanges, []);
  assert.deepEqual(modChanges, [], "no queue change: the user was no longer knocking");
});

// ---------------------------------------------------------------------------------------------
// 10. Refused by the module ⇔ refused by Synapse.
//
// For a target in several states, every staff member (@admin 100, @mod and @mod2 50, @u 0; and
// the target itself when joined) builds invite / kick / ban / unban on it with session.request
// (a refusal is an ActionRefusedError whose code is the decision's code), and the forced version
// is sent whether refused or not: refused ⇔ non-2xx. A refused request changes nothing, so all
// go to @k; each allowed one goes to its own fresh target in the same state (a pool of users),
// so no state has to be rebuilt. The knock words accept / decline build the very same requests
// as invite / kick: while the target knocks they must be decided alike; otherwise they are
// refused with TARGET_NOT_KNOCKING (the "knock:" rule, stricter than the server on purpose:
// scenario 9 shows Synapse performing such an invite).

const EQ_STATES = ["none", "knock", "declined", "banned", "invited", "joined"];
const EQ_ACTORS = ["admin", "mod", "mod2", "u"];
const EQ_ACTIONS = ["invite", "kick", "ban", "unban"];
const KNOCK_WORDS = { accept: "invite", decline: "kick" };
const POOL_SIZE = 10;

test("10. every request the module refuses Synapse refuses too, and vice versa", { timeout: 150_000 }, async (t) => {
  const { k, admin } = cast;
  const staff = EQ_ACTORS.map((n) => cast[n]);
  const table = [];
  const mismatches = [];

  /**
   * Brings targets (never in the room) into a state, for several rooms at once: each item is
   * { room, targets, state }. Then syncs everyone concerned.
   */
  async function bring(items) {
    const force = { force: true }; // the targets' sessions are not synced here
    const each = (fn) => Promise.all(items.flatMap((it) => it.targets.map((x) => fn(it, x))));
    await each((it, x) => (it.state === "none" ? null : x.must(x.session.knock(it.room, force), "knock (setup)")));
    const decided = items.filter((it) => ["declined", "banned", "invited", "joined"].includes(it.state));
    if (decided.length > 0) {
      await barrier(decided.map((it) => it.room), [admin]);
      const decide = { declined: "decline", banned: "declineAndBan", invited: "accept", joined: "accept" };
      const requests = decided.flatMap((it) => it.targets.map((x) => admin.session[decide[it.state]](it.room, x.id)));
      await Promise.all(requests.map((r) => admin.must(r, `${r.action} (setup)`)));
    }
    await each((it, x) => (it.state === "joined" ? x.must(x.session.join(it.room, force), "join (setup)") : null));
    const joined = items.filter((it) => it.state === "joined");
    await Promise.all([
      barrier(items.map((it) => it.room), staff),
      joined.length > 0 ? barrier(joined.map((it) => it.room), [...new Set(joined.flatMap((it) => it.targets))]) : null,
    ]);
  }

  const record = (row, expectedAllowed) => {
    table.push(row);
    if (expectedAllowed !== is2xx(row.status)) mismatches.push(row);
  };
  const summary = (res) => ({ status: res.status, errcode: res.error?.errcode, error: res.error?.error });
  const actorOf = (name, target) => (name === "self" ? target : cast[name]);

  // One room per state, @k brought into it; meanwhile the pool of fresh targets registers.
  const [pool, rooms] = await Promise.all([
    Promise.all(Array.from({ length: POOL_SIZE }, async (_, i) => new Actor(`p${i}`, await client.register(`sess_p${i}_${suffix}`)))),
    Promise.all(EQ_STATES.map((state) => makeRoom({ members: ["mod", "mod2", "u"], name: `equivalence ${state}`, sync: false }))),
  ]);
  await checkRooms(rooms, staff);
  await bring(EQ_STATES.map((state, i) => ({ room: rooms[i], targets: [k], state })));

  // The sessions' decisions on @k.
  const plans = EQ_STATES.map((state, i) => {
    const room = rooms[i];
    const plan = [];
    const actorNames = [...EQ_ACTORS, ...(state === "joined" ? ["self"] : [])];
    for (const actorName of actorNames) {
      const actor = actorOf(actorName, k);
      for (const action of EQ_ACTIONS) {
        const built = build(actor, action, room, k.id);
        const decision = built.refused ? built.refused.decision : actor.session.check(room, action, k.id);
        assert.equal(decision.allowed, !built.refused, `request() and check() agree: ${actorName} ${action} in ${state}`);
        if (built.refused) assert.equal(built.refused.code, decision.code);
        plan.push({ actorName, action, decision });
      }
      for (const [word, raw] of Object.entries(KNOCK_WORDS)) {
        const built = build(actor, word, room, k.id);
        const rawDecision = plan.find((p) => p.actorName === actorName && p.action === raw).decision;
        const forcedWord = actor.session.request(word, room, k.id, { force: true });
        const forcedRaw = actor.session.request(raw, room, k.id, { force: true });
        assert.deepEqual([forcedWord.url, forcedWord.body], [forcedRaw.url, forcedRaw.body], `${word} is ${raw}`);
        const what = `${actorName} ${word} in ${state}: ${JSON.stringify(built.refused?.decision ?? "allowed")} vs ${raw} ${JSON.stringify(rawDecision)}`;
        if (state === "knock") {
          assert.equal(!built.refused, rawDecision.allowed, what);
          if (built.refused) assert.equal(built.refused.code, rawDecision.code, what);
        } else {
          assert.equal(built.refused?.code, "TARGET_NOT_KNOCKING", what);
          assert.match(built.refused.decision.rule, /^knock:/, what);
        }
      }
    }
    const allowed = plan.filter((p) => p.decision.allowed);
    t.diagnostic(`${state}: ${plan.length - allowed.length} refused, ${allowed.length} allowed`);
    assert.ok(allowed.length <= pool.length, `pool of ${pool.length} fresh targets too small for ${allowed.length} allowed requests in ${state}`);
    return { state, room, plan, allowed, fresh: pool.slice(0, allowed.length) };
  });

  // Fresh targets for the allowed requests, in the same states.
  await bring(plans.filter((p) => p.fresh.length > 0).map((p) => ({ room: p.room, targets: p.fresh, state: p.state })));

  await Promise.all(plans.map(async ({ state, room, plan, allowed, fresh }) => {
    // Refused: sent forced to @k, one by one (each must leave @k unchanged).
    let disturbed = false;
    for (const p of plan.filter((q) => !q.decision.allowed)) {
      const row = { state, actor: p.actorName, action: p.action, target: "k", predicted: p.decision.code, rule: p.decision.rule };
      if (disturbed) {
        table.push({ ...row, skipped: "an earlier refused request succeeded" });
        continue;
      }
      const actor = actorOf(p.actorName, k);
      const res = await actor.send(actor.session.request(p.action, room, k.id, { force: true }));
      record({ ...row, ...summary(res) }, false);
      if (is2xx(res.status)) disturbed = true;
    }
    // Allowed: each to its own fresh target, in parallel.
    await Promise.all(allowed.map(async (p, i) => {
      const target = fresh[i];
      const actor = actorOf(p.actorName, target);
      const decision = actor.session.check(room, p.action, target.id);
      assert.deepEqual([decision.allowed, decision.code], [true, p.decision.code], `same state, same decision: ${p.actorName} ${p.action} ${state}`);
      const res = await actor.send(actor.session.request(p.action, room, target.id, { force: true }));
      record({ state, actor: p.actorName, action: p.action, target: target.name, predicted: decision.code, rule: decision.rule, ...summary(res) }, true);
    }));
  }));

  table.sort((a, b) => EQ_STATES.indexOf(a.state) - EQ_STATES.indexOf(b.state));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(`${OUT_DIR}equivalence.json`, JSON.stringify({ table, mismatches }, null, 1));
  const count = (pred) => table.filter(pred).length;
  t.diagnostic(`${table.length} requests: ${count((r) => is2xx(r.status))} accepted by Synapse, ` +
    `${count((r) => r.status && !is2xx(r.status))} refused, ${count((r) => r.skipped)} skipped; ` +
    `${mismatches.length} mismatches (table in target/synapse-session/equivalence.json)`);
  for (const m of mismatches) t.diagnostic(`MISMATCH ${JSON.stringify(m)}`);
  assert.deepEqual(mismatches, [], "module refusal ⇔ Synapse refusal");
  assert.ok(count((r) => is2xx(r.status)) > 10 && count((r) => r.status && !is2xx(r.status)) > 10);
});

// ---------------------------------------------------------------------------------------------

test("11. gappy syncs: a knock, a decline and a new knock inside limited timelines", T, async () => {
  const { k, mod, mod2, u, admin } = cast;
  const room = await makeRoom();
  // More events than the default sync timeline limit (10) after each change.
  const chatter = (n) => Promise.all(Array.from({ length: n }, (_, i) => admin.user.req("PUT",
    `/rooms/${encodeURIComponent(room)}/send/m.room.message/c${Date.now()}-${txn++}-${i}`, { msgtype: "m.text", body: `chatter ${i}` })));
  const mark = mod.changes.length;
  await k.must(k.session.knock(room, { reason: "in the gap" }));
  await chatter(12);
  const first = JSON.parse((await mod.sync(0)).text).rooms?.join?.[room];
  assert.equal(first?.timeline?.limited, true, "the moderator's sync is gappy");
  const fresh = await mod.waitChange(mark, room, "requestNew", { userId: k.id });
  assert.equal(fresh.reason, "in the gap");
  await mod2.syncUntil("the knock", () => mod2.queueEntry(room, k.id) !== undefined);

  const mark2 = mod.changes.length;
  await mod2.must(mod2.session.decline(room, k.id, { reason: "gap decline" }));
  await u.must(u.session.knock(room, { reason: "me too" }));
  await chatter(12);
  const second = JSON.parse((await mod.sync(0)).text).rooms?.join?.[room];
  assert.equal(second?.timeline?.limited, true, "the moderator's sync is gappy");
  const decided = await mod.waitChange(mark2, room, "requestDecided", { userId: k.id });
  assert.deepEqual([decided.outcome, decided.by], ["declined", mod2.id]);
  await mod.waitChange(mark2, room, "requestNew", { userId: u.id });
  assert.deepEqual(mod.session.knockRequests(room).map((q) => q.userId), [u.id]);
  assert.equal((await k.waitStatus(room, "declined")).decidedBy, mod2.id);
});

test("12. an accepted knock: the invite rejected by the knocker is rescinded; revoked by a moderator, declined", T, async () => {
  const { k, mod } = cast;
  const room = await makeRoom();
  await knockAndSee(room, "first");
  await mod.must(mod.session.accept(room, k.id));
  await k.waitStatus(room, "accepted");
  await k.must(k.session.rescind(room), "reject the invite");
  const rejected = await k.waitStatus(room, "rescinded");
  assert.equal(rejected.decidedBy, undefined);
  await knockAndSee(room, "second");
  await mod.must(mod.session.accept(room, k.id));
  await k.waitStatus(room, "accepted");
  await barrier(room, [mod]);
  // Revoking the invite: `decline` is for knocks, so it is the raw kick.
  assert.throws(() => mod.session.decline(room, k.id), (e) => e.code === "TARGET_NOT_KNOCKING");
  const kMark = k.changes.length;
  await mod.must(mod.session.request("kick", room, k.id, { reason: "changed my mind" }));
  await k.syncUntil("the revoked invite", () => k.myKnock(room).status !== "accepted");
  const revoked = k.myKnock(room);
  const changes = k.changes.slice(kMark).filter((c) => c.roomId === room);
  const data = JSON.stringify({ revoked, changes });
  // KnockStatus: Declined = "a moderator set the membership to leave"; Rescinded = "the user
  // left while knocking (or rejected the invite that accepted the knock)".
  assert.deepEqual([revoked.status, revoked.decidedBy, revoked.decisionReason], ["declined", mod.id, "changed my mind"], data);
  assert.deepEqual(changes, [{ kind: "knockDeclined", roomId: room, by: mod.id, reason: "changed my mind" }], data);
});

test("13. memberships that never involved a knock are not knocks: plain invite revoked, ban and unban", T, async () => {
  const { k, admin } = cast;
  const room = await makeRoom({ members: [] });
  const kMark = k.changes.length;
  // The knocker's view of its own member event in the room, as a sync delivers it.
  const own = (section, membership) => (text) => {
    const r = text === "" ? undefined : JSON.parse(text).rooms?.[section]?.[room];
    const events = [...(r?.timeline?.events ?? []), ...(r?.state?.events ?? []), ...(r?.invite_state?.events ?? [])];
    return events.some((e) => e.type === "m.room.member" && e.state_key === k.id && e.content?.membership === membership);
  };
  await admin.must(admin.session.request("invite", room, k.id));
  await k.syncUntil("the plain invite", own("invite", "invite"));
  await barrier(room, [admin]);
  await admin.must(admin.session.request("kick", room, k.id));
  await k.syncUntil("the revoked invite", own("leave", "leave"));
  await barrier(room, [admin]);
  await admin.must(admin.session.request("ban", room, k.id));
  await k.syncUntil("the ban", own("leave", "ban"));
  await barrier(room, [admin]);
  await admin.must(admin.session.unban(room, k.id));
  await k.syncUntil("the unban", own("leave", "leave"));
  const data = JSON.stringify({ myKnock: k.myKnock(room), changes: k.changes.slice(kMark).filter((c) => c.roomId === room) });
  assert.equal(k.myKnock(room), undefined, `no own knock in a room never knocked on: ${data}`);
  assert.deepEqual(k.changes.slice(kMark).filter((c) => c.roomId === room), [], data);
});
