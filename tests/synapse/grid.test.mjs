// Grid test: our predictions (Room.check) against a REAL Synapse on 127.0.0.1.
//
// For a grid of room versions × join rules × power-level presets × prior
// memberships, it builds rooms on the homeserver, then runs short random
// sequences (6–14) of knock-related actions; then a fixed list of scripted edge
// cases (SCRIPTED). Before each action it fetches the room state, asks the
// predictor, performs the real Client-Server call and requires
//     prediction.allowed  <=>  HTTP 2xx.
// Knock words (accept/decline/rescind) whose subject is not knocking are not
// sent to the server; there the prediction must be a refusal with a
// *_NOT_KNOCKING code.
//
// Environment:
//   SYNAPSE_URL         base URL of the (already running) homeserver; default http://127.0.0.1:8448
//   GRID_SEED           PRNG seed (integer or any string); default 20403
//   GRID_MIN_SCENARIOS  minimum number of scenarios (default 1000)
//   GRID_CONCURRENCY    rooms driven in parallel (default 4)
//   GRID_RECORD_ONLY=1  do not load pkg/ and do not predict: only record what Synapse answers
//
// Output: target/synapse-grid/report.json (every scenario) and
//         target/synapse-grid/mismatches.json (every misprediction, with the state events).
//
// This test never starts Synapse itself.

import test from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MatrixClient, ok } from "./client.mjs";

const SYNAPSE_URL = process.env.SYNAPSE_URL || "http://127.0.0.1:8448";
const RECORD_ONLY = process.env.GRID_RECORD_ONLY === "1";
const SEED_TEXT = process.env.GRID_SEED || "20403";
const MIN_SCENARIOS = Number(process.env.GRID_MIN_SCENARIOS || 1000);
const CONCURRENCY = Math.max(1, Number(process.env.GRID_CONCURRENCY || 4));
const OUT_DIR = fileURLToPath(new URL("../../target/synapse-grid/", import.meta.url));
const PKG_JS = new URL("../../pkg/matrix_knock.js", import.meta.url);
const PKG_WASM = new URL("../../pkg/matrix_knock_bg.wasm", import.meta.url);

const VERSIONS = [6, 7, 9, 10, 11, 12];
const JOIN_RULES = ["public", "invite", "knock", "restricted", "knock_restricted", "private"];
const ACTIONS = ["knock", "join", "leave", "invite", "kick", "ban", "unban", "accept", "decline", "rescind"];
const KNOCK_WORDS = new Set(["accept", "decline", "rescind"]);

// Power-level presets: applied to the power_level_content_override of createRoom
// (on top of users {@admin: 100, @mod: 50} and, before v12, {@c: 100}).
const PL_PRESETS = {
  default: () => {},
  invite50: (pl) => { pl.invite = 50; },
  kick75: (pl) => { pl.kick = 75; },
  ban75: (pl) => { pl.ban = 75; },
  target50: (pl, ids) => { pl.users[ids.k] = 50; },
  usersDefault50: (pl) => { pl.users_default = 50; },
  ban100: (pl) => { pl.ban = 100; },
  kick0: (pl) => { pl.kick = 0; },
  u50: (pl, ids) => { pl.users[ids.u] = 50; },
  invite100: (pl) => { pl.invite = 100; },
};

// Prior memberships of a target (@k / @k2). "knock*" ones need knocking (v7+).
const TARGET_PRIORS = [
  "none", "knock", "invite", "join", "left", "kicked", "banned",
  "knock_declined", "knock_rescinded", "invite_rejected", "unbanned",
];

// Scripted rooms: edge cases where a homeserver may differ from the bare auth
// rules, or that the random walk reaches only rarely. Each runs like a random
// room (same setup, then `setup` steps, all of which must succeed), then its
// `actions`, each one a scenario compared with the prediction.
//   step: { actor, action, target?, reason? } | { setJoinRule } | { setPreset }
const P0 = { k: "none", k2: "none", c: "join", c2: "join", mod: "join", u: "join" };
const act = (actor, action, target = null, reason) => ({ actor, action, target, reason });
const SCRIPTED = [
  { name: "kick of a user who never was in the room", version: 10, joinRule: "knock", actions: [act("mod", "kick", "k")] },
  { name: "kick of a user who left", version: 10, joinRule: "knock", priors: { k: "left" }, actions: [act("mod", "kick", "k")] },
  { name: "kick via PUT leave of a user who never was in the room", version: 10, joinRule: "knock", actions: [act("mod", "leave", "k"), act("mod", "leave", "k")] },
  { name: "unban of a user who never was in the room", version: 10, joinRule: "knock", actions: [act("admin", "unban", "k")] },
  { name: "unban of a user who left / knocks / is invited", version: 10, joinRule: "knock", priors: { k: "left", k2: "knock" },
    actions: [act("admin", "unban", "k"), act("admin", "unban", "k2"), act("admin", "invite", "k"), act("admin", "unban", "k")] },
  { name: "repeated self-leave", version: 10, joinRule: "knock", priors: { k: "left", k2: "knock_rescinded" },
    actions: [act("k", "leave"), act("k", "leave"), act("k2", "leave")] },
  { name: "repeated self-leave after being kicked", version: 10, joinRule: "knock", priors: { k: "kicked" }, actions: [act("k", "leave")] },
  { name: "repeated ban by the same sender after it left", version: 10, joinRule: "knock",
    setup: [act("mod", "ban", "k"), act("mod", "leave")], actions: [act("mod", "ban", "k"), act("u", "ban", "k")] },
  { name: "repeated ban by the same sender after ban was raised to 75", version: 10, joinRule: "knock",
    setup: [act("mod", "ban", "k"), { setPreset: "ban75" }], actions: [act("mod", "ban", "k"), act("mod", "unban", "k")] },
  { name: "repeated kick by the same sender", version: 10, joinRule: "knock", priors: { k: "join" },
    setup: [act("mod", "kick", "k")], actions: [act("mod", "kick", "k"), act("mod", "leave", "k"), act("admin", "leave", "k")] },
  { name: "repeated PUT-leave kick by the same sender after it left", version: 10, joinRule: "knock", priors: { k: "join" },
    setup: [act("mod", "leave", "k"), act("mod", "leave")], actions: [act("mod", "leave", "k"), act("u", "leave", "k")] },
  { name: "knock in v6 (join rule knock / invite)", version: 6, joinRule: "knock", actions: [act("k", "knock"), act("k", "knock", null, "please")] },
  { name: "knock in v6, public room", version: 6, joinRule: "public", actions: [act("k", "knock")] },
  { name: "knock while invited", version: 10, joinRule: "knock", priors: { k: "invite" }, actions: [act("k", "knock"), act("k", "knock", null, "please")] },
  { name: "knock while invited, v7", version: 7, joinRule: "knock", priors: { k: "invite" }, actions: [act("k", "knock")] },
  { name: "knock while joined / banned", version: 10, joinRule: "knock", priors: { k: "join", k2: "banned" }, actions: [act("k", "knock"), act("k2", "knock")] },
  { name: "invite of a banned user", version: 10, joinRule: "knock", priors: { k: "banned" }, actions: [act("mod", "invite", "k"), act("mod", "accept", "k")] },
  { name: "join from knock, knock_restricted, in an allowed room", version: 10, joinRule: "knock_restricted", allow: ["A"],
    priors: { k: "knock", k2: "knock" }, actions: [act("k2", "join"), act("k", "join")] },
  { name: "join from knock, knock_restricted v12, in an allowed room", version: 12, joinRule: "knock_restricted", allow: ["B"],
    priors: { k: "knock", k2: "knock" }, actions: [act("k", "join"), act("k2", "join")] },
  { name: "join from knock, knock_restricted with empty allow", version: 11, joinRule: "knock_restricted", allow: [],
    priors: { k: "knock" }, actions: [act("k", "join")] },
  { name: "join from knock, knock_restricted in v9 (unsupported)", version: 9, joinRule: "knock_restricted", allow: ["A"],
    priors: { k: "knock" }, actions: [act("k", "join"), act("k", "knock")] },
  { name: "join, restricted in v7 (unsupported)", version: 7, joinRule: "restricted", allow: ["A"], actions: [act("k", "join")] },
  { name: "restricted join when no joined user can invite", version: 10, joinRule: "restricted", allow: ["A"], preset: "invite100",
    priors: { c: "left", u: "left" }, setup: [act("admin", "leave")], actions: [act("k", "join"), act("mod", "invite", "k"), act("k", "join")] },
  { name: "restricted join via an allowed room (never in the room)", version: 10, joinRule: "restricted", allow: ["A"], actions: [act("k", "join"), act("k2", "join")] },
  { name: "join from knock after the rule became public", version: 10, joinRule: "public", priors: { k: "knock" }, actions: [act("k", "join")] },
  { name: "join from knock, knock rule", version: 10, joinRule: "knock", priors: { k: "knock" }, actions: [act("k", "join"), act("mod", "accept", "k"), act("k", "join")] },
  { name: "leave when not in the room", version: 10, joinRule: "knock", priors: { k2: "banned" }, actions: [act("k", "leave"), act("k2", "leave"), act("k", "rescind")] },
  { name: "re-knock with identical content after the rule changed", version: 10, joinRule: "invite", priors: { k: "knock" },
    actions: [act("k", "knock"), act("k", "knock", null, "please"), act("k", "rescind"), act("k", "knock")] },
  { name: "re-knock (knock -> knock)", version: 10, joinRule: "knock", priors: { k: "knock" }, actions: [act("k", "knock"), act("k", "knock", null, "again"), act("k", "knock", null, "again")] },
  { name: "join while joined in a private room", version: 10, joinRule: "private", priors: { k: "join" }, actions: [act("k", "join"), act("mod", "join")] },
  { name: "join while joined after a restricted join, private room", version: 10, joinRule: "restricted", allow: ["A"],
    setup: [act("k", "join"), { setJoinRule: "private" }], actions: [act("k", "join")] },
  { name: "repeated invite by the same sender after it left", version: 10, joinRule: "knock", priors: { k: "knock" },
    setup: [act("mod", "invite", "k"), act("mod", "leave")], actions: [act("mod", "invite", "k"), act("mod", "accept", "k"), act("u", "invite", "k")] },
  { name: "repeated invite by the same sender after invite was raised", version: 10, joinRule: "knock",
    setup: [act("u", "invite", "k"), { setPreset: "invite50" }], actions: [act("u", "invite", "k"), act("u", "invite", "k2")] },
  { name: "v12 knocking creator: decline, ban, accept, join", version: 12, joinRule: "knock", priors: { c: "knock" },
    actions: [act("admin", "decline", "c"), act("c2", "ban", "c"), act("c2", "kick", "c"), act("mod", "accept", "c"), act("c", "join")] },
  { name: "v12 creator left, rejoin / knock", version: 12, joinRule: "knock", priors: { c: "left" },
    actions: [act("c", "join"), act("c", "knock"), act("c", "rescind")] },
  { name: "v12 additional creator bans / kicks creator", version: 12, joinRule: "invite", actions: [act("c2", "ban", "c"), act("c", "kick", "c2"), act("admin", "ban", "c2")] },
  { name: "v11 creator knocks, admin declines", version: 11, joinRule: "knock", priors: { c: "knock" }, actions: [act("admin", "decline", "c"), act("mod", "decline", "c")] },
  { name: "self-targeted moderation", version: 10, joinRule: "knock", priors: { k: "invite" },
    actions: [act("mod", "invite", "mod"), act("mod", "ban", "mod"), act("u", "unban", "u"), act("k", "kick", "k"), act("u", "kick", "u")] },
  { name: "kick / ban of a knocker at equal level", version: 10, joinRule: "knock", preset: "target50", priors: { k: "knock" },
    actions: [act("mod", "decline", "k"), act("mod", "ban", "k"), act("admin", "decline", "k")] },
  { name: "unban needs ban and kick levels", version: 10, joinRule: "knock", preset: "kick75", priors: { k: "banned", k2: "banned" },
    actions: [act("mod", "unban", "k"), act("mod", "leave", "k"), act("admin", "unban", "k2")] },
  { name: "kick of a banned user", version: 10, joinRule: "knock", priors: { k: "banned" }, actions: [act("admin", "kick", "k"), act("admin", "decline", "k"), act("admin", "leave", "k")] },
  { name: "revoke an invite", version: 10, joinRule: "knock", priors: { k: "invite" }, actions: [act("u", "kick", "k"), act("mod", "kick", "k")] },
  { name: "knock after unban / after decline", version: 10, joinRule: "knock", priors: { k: "unbanned", k2: "knock_declined" }, actions: [act("k", "knock"), act("k2", "knock")] },
  { name: "knock on knock_restricted from outside the allowed rooms", version: 10, joinRule: "knock_restricted", allow: ["B"],
    actions: [act("k", "knock"), act("k", "join"), act("mod", "decline", "k"), act("mod", "decline", "k")] },
  { name: "v12 additional creator who never joined: join / knock", version: 12, joinRule: "knock", priors: { c2: "none" },
    actions: [act("c2", "join"), act("c2", "knock"), act("admin", "decline", "c2"), act("mod", "accept", "c2"), act("c2", "join")] },
  { name: "ban / unban of users with no member event", version: 10, joinRule: "knock",
    actions: [act("u", "ban", "k"), act("mod", "ban", "k"), act("mod", "unban", "k"), act("mod", "unban", "k2")] },
  { name: "accept / decline / rescind when nobody knocks", version: 10, joinRule: "knock", priors: { k: "invite" },
    actions: [act("mod", "accept", "k2"), act("mod", "decline", "k"), act("k", "rescind")] },
];

// ---------------------------------------------------------------------------
// Deterministic PRNG (sfc32 seeded through a string hash).

function hashSeed(text) {
  let h1 = 0x9e3779b9, h2 = 0x243f6a88, h3 = 0xb7e15162, h4 = 0xdeadbeef;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x85ebca6b); h2 = Math.imul(h2 ^ c, 0xc2b2ae35);
    h3 = Math.imul(h3 ^ c, 0x27d4eb2f); h4 = Math.imul(h4 ^ c, 0x165667b1);
  }
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function makeRng(text) {
  let [a, b, c, d] = hashSeed(text);
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    weighted: (obj) => {
      const entries = Object.entries(obj).filter(([, w]) => w > 0);
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [k, w] of entries) { if ((x -= w) < 0) return k; }
      return entries[entries.length - 1][0];
    },
  };
  return rng;
}

// ---------------------------------------------------------------------------
// Plans: fully decided up front from the seed, so a run is reproducible.

function planRooms(seedText) {
  const plans = [];
  let total = 0;
  for (let i = 0; total < MIN_SCENARIOS; i++) {
    const rng = makeRng(`${seedText}/room/${i}`);
    const version = VERSIONS[i % VERSIONS.length];
    const joinRule = JOIN_RULES[Math.floor(i / VERSIONS.length) % JOIN_RULES.length];
    // Every version × action pair is forced as the first action within 60 rooms.
    const forcedAction = ACTIONS[Math.floor(i / VERSIONS.length) % ACTIONS.length];
    const canKnock = version >= 7;
    const targetPriors = canKnock ? TARGET_PRIORS : TARGET_PRIORS.filter((p) => !p.startsWith("knock"));
    const plan = {
      index: i,
      version,
      joinRule,
      allow: rng.pick([["A"], ["B"], ["A", "B"], []]),
      preset: rng.pick(Object.keys(PL_PRESETS)),
      setupActor: rng.chance(0.3) ? "c" : "admin",
      priors: {
        k: rng.pick(targetPriors),
        k2: rng.pick(targetPriors),
        c: rng.weighted({ join: 7, left: 1.5, knock: canKnock ? 1.5 : 0 }),
        c2: version >= 12 ? rng.weighted({ join: 8, none: 2 }) : "n/a",
        mod: rng.weighted({ join: 7, left: 1.5, invite: 1.5 }),
        u: rng.weighted({ join: 8, left: 2 }),
      },
      forcedAction,
      steps: rng.int(6, 14),
    };
    total += plan.steps;
    plans.push(plan);
  }
  for (const sc of SCRIPTED) {
    plans.push({
      index: plans.length,
      name: sc.name,
      version: sc.version,
      joinRule: sc.joinRule,
      allow: sc.allow ?? ["A"],
      preset: sc.preset ?? "default",
      setupActor: "admin",
      priors: { ...P0, ...(sc.priors ?? {}), c2: sc.version >= 12 ? (sc.priors?.c2 ?? "join") : "n/a" },
      setup: sc.setup ?? [],
      script: sc.actions,
      steps: sc.actions.length,
    });
  }
  return plans;
}

// ---------------------------------------------------------------------------
// Helpers over GET /state output.

function stateIndex(events) {
  const byKey = new Map();
  for (const e of events) byKey.set(`${e.type}\u0000${e.state_key}`, e);
  return {
    get: (type, key = "") => byKey.get(`${type}\u0000${key}`),
    membership(userId) {
      return byKey.get(`m.room.member\u0000${userId}`)?.content?.membership ?? "none";
    },
  };
}

function levelOf(st, version, userId) {
  const create = st.get("m.room.create");
  if (version >= 12) {
    const creators = [create.sender, ...(create.content.additional_creators ?? [])];
    if (creators.includes(userId)) return "inf";
  }
  const pl = st.get("m.room.power_levels")?.content;
  if (!pl) return userId === create.sender ? 100 : 0;
  return pl.users?.[userId] ?? pl.users_default ?? 0;
}

const is2xx = (status) => status >= 200 && status < 300;

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

// The content Synapse gives the member event of a call (users have no avatar and
// their display name is their localpart). Only used to label duplicates in the report.
function expectedContent({ action, target, reason }, targetId) {
  const displayname = targetId.slice(1, targetId.indexOf(":"));
  switch (action) {
    case "knock": return reason === undefined ? { displayname, membership: "knock" } : { displayname, membership: "knock", reason };
    case "join": return { displayname, membership: "join" };
    case "invite": case "accept": return { displayname, membership: "invite" };
    case "ban": return { membership: "ban" };
    default: return { membership: "leave" };
  }
}

// Replaces user and room IDs in a server message by short placeholders.
function normaliseMessage(msg, nameOf) {
  if (typeof msg !== "string") return msg;
  const strip = (id) => (id.endsWith(".") ? [id.slice(0, -1), "."] : [id, ""]);
  return msg
    .replace(/@[a-z0-9._=\-\/]+:[A-Za-z0-9.\-]+/g, (m) => {
      const [id, dot] = strip(m);
      return (nameOf[id] ? `@${nameOf[id]}` : "@user") + dot;
    })
    .replace(/![A-Za-z0-9_\-]+(:[A-Za-z0-9.\-]+)?/g, (m) => `!room${strip(m)[1]}`);
}

// ---------------------------------------------------------------------------
// Loading the predictor.

async function loadPredictor() {
  if (!existsSync(PKG_JS) || !existsSync(PKG_WASM)) {
    throw new Error(
      "pkg/matrix_knock.js or pkg/matrix_knock_bg.wasm is missing: build the package first " +
        "(scripts/build), or set GRID_RECORD_ONLY=1 to only record Synapse's answers",
    );
  }
  const mod = await import(PKG_JS.href);
  mod.initSync({ module: readFileSync(PKG_WASM) });
  return mod;
}

// ---------------------------------------------------------------------------

test("Synapse grid: Room.check predicts the homeserver's answer", { timeout: 20 * 60 * 1000 }, async (t) => {
  const started = Date.now();
  const log = (msg) => console.log(`# ${msg}`);
  log(`GRID_SEED=${SEED_TEXT} SYNAPSE_URL=${SYNAPSE_URL} GRID_MIN_SCENARIOS=${MIN_SCENARIOS} ` +
    `GRID_CONCURRENCY=${CONCURRENCY}${RECORD_ONLY ? " GRID_RECORD_ONLY=1" : ""}`);

  const client = new MatrixClient(SYNAPSE_URL);
  let versions;
  try {
    versions = await client.versions();
  } catch (e) {
    throw new Error(`Synapse is not reachable at ${SYNAPSE_URL} (start it with scripts/synapse start): ${e.message}`);
  }
  assert.equal(versions.status, 200, `GET /_matrix/client/versions at ${SYNAPSE_URL}`);

  const predictor = RECORD_ONLY ? null : await loadPredictor();

  // --- users -------------------------------------------------------------
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const NAMES = ["c", "c2", "admin", "mod", "u", "k", "k2", "obs"];
  const users = {};
  for (const name of NAMES) users[name] = await client.register(`grid_${name}_${suffix}`);
  const ids = Object.fromEntries(NAMES.map((n) => [n, users[n].userId]));
  const nameOf = Object.fromEntries(NAMES.map((n) => [ids[n], n]));
  log(`registered users with suffix ${suffix}`);

  // --- the two rooms used in restricted `allow` conditions -----------------
  // A: @k, @mod, @u joined.  B: @k2 joined.  (@c created both.)
  const spaces = {};
  for (const [name, members] of [["A", ["k", "mod", "u"]], ["B", ["k2"]]]) {
    const r = ok(await users.c.createRoom({ room_version: "10", preset: "public_chat", name: `grid-${name}` }), `create room ${name}`);
    spaces[name] = r.room_id;
    for (const m of members) ok(await users[m].join(r.room_id), `${m} joins ${name}`);
  }

  const plans = planRooms(SEED_TEXT);
  log(`${plans.length} rooms planned, ${plans.reduce((s, p) => s + p.steps, 0)} scenarios`);

  const scenarios = [];
  const mismatches = [];
  const setupFailures = [];

  // --- room setup -------------------------------------------------------------
  // The room starts `public` so the staff can simply join; the join rule becomes
  // `knock` while knock-based priors are set up, and finally the planned rule.
  // The power-level preset is part of createRoom (the setup actors @c and @admin
  // are never limited by any preset).
  async function setupRoom(plan) {
    const { version } = plan;
    const S = users[plan.setupActor];
    const pl = { users: { [ids.admin]: 100, [ids.mod]: 50 } };
    if (version < 12) pl.users[ids.c] = 100;
    PL_PRESETS[plan.preset](pl, ids);
    const body = {
      room_version: String(version),
      preset: "private_chat",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "public" } }],
      power_level_content_override: pl,
    };
    if (version >= 12) body.creation_content = { additional_creators: [ids.c2] };
    const roomId = ok(await users.c.createRoom(body), `createRoom v${version}`).room_id;
    const must = async (p, what) => ok(await p, `${what} (room ${plan.index}, v${version})`);
    const setJoinRule = (content) => must(users.admin.putState(roomId, "m.room.join_rules", "", content), `set join rule ${content.join_rule}`);

    // Staff (the room is public at this point).
    const joiners = ["admin", "obs", "u"];
    if (plan.priors.c2 === "join") joiners.push("c2");
    if (plan.priors.mod === "join" || plan.priors.mod === "left") joiners.push("mod");
    for (const n of joiners) await must(users[n].join(roomId), `${n} joins`);
    if (plan.priors.mod === "invite") await must(users.c.invite(roomId, ids.mod), "invite mod");

    let currentRule = "public";
    const needsKnock = [plan.priors.k, plan.priors.k2, plan.priors.c].some((p) => p.startsWith("knock"));
    if (needsKnock) {
      await setJoinRule({ join_rule: "knock" });
      currentRule = "knock";
    }

    // Target priors.
    for (const tn of ["k", "k2"]) {
      const T = users[tn];
      const tid = ids[tn];
      switch (plan.priors[tn]) {
        case "none": break;
        case "knock": await must(T.knock(roomId), `${tn} knocks`); break;
        case "invite": await must(S.invite(roomId, tid), `invite ${tn}`); break;
        case "join":
          await must(S.invite(roomId, tid), `invite ${tn}`);
          await must(T.join(roomId), `${tn} joins`);
          break;
        case "left":
          await must(S.invite(roomId, tid), `invite ${tn}`);
          await must(T.join(roomId), `${tn} joins`);
          await must(T.leave(roomId), `${tn} leaves`);
          break;
        case "kicked":
          await must(S.invite(roomId, tid), `invite ${tn}`);
          await must(T.join(roomId), `${tn} joins`);
          await must(S.kick(roomId, tid), `kick ${tn}`);
          break;
        case "banned": await must(S.ban(roomId, tid), `ban ${tn}`); break;
        case "knock_declined":
          await must(T.knock(roomId), `${tn} knocks`);
          await must(S.kick(roomId, tid), `decline ${tn}`);
          break;
        case "knock_rescinded":
          await must(T.knock(roomId), `${tn} knocks`);
          await must(T.leave(roomId), `${tn} rescinds`);
          break;
        case "invite_rejected":
          await must(S.invite(roomId, tid), `invite ${tn}`);
          await must(T.leave(roomId), `${tn} rejects invite`);
          break;
        case "unbanned":
          await must(S.ban(roomId, tid), `ban ${tn}`);
          await must(S.unban(roomId, tid), `unban ${tn}`);
          break;
        default: throw new Error(`unknown prior ${plan.priors[tn]}`);
      }
    }

    // Staff that left.
    if (plan.priors.mod === "left") await must(users.mod.leave(roomId), "mod leaves");
    if (plan.priors.u === "left") await must(users.u.leave(roomId), "u leaves");
    if (plan.priors.c === "left" || plan.priors.c === "knock") await must(users.c.leave(roomId), "c leaves");
    if (plan.priors.c === "knock") await must(users.c.knock(roomId), "c knocks");

    // Final join rule (sent by @admin).
    const jrContent = { join_rule: plan.joinRule };
    if (plan.joinRule === "restricted" || plan.joinRule === "knock_restricted") {
      jrContent.allow = plan.allow.map((n) => ({ type: "m.room_membership", room_id: spaces[n] }));
    }
    if (currentRule !== plan.joinRule || jrContent.allow) await setJoinRule(jrContent);

    // Extra steps of scripted rooms.
    for (const st of plan.setup ?? []) {
      if (st.setJoinRule) {
        await setJoinRule({ join_rule: st.setJoinRule });
      } else if (st.setPreset) {
        const pl = await must(users.admin.getState(roomId, "m.room.power_levels"), "get PL");
        PL_PRESETS[st.setPreset](pl, ids);
        await must(users.admin.putState(roomId, "m.room.power_levels", "", pl), `set PL ${st.setPreset}`);
      } else {
        await must(perform(roomId, st), `${st.actor} ${st.action} ${st.target ?? ""}`);
      }
    }
    return roomId;
  }

  // --- choosing an action from the current state ----------------------------
  function chooseAction(plan, rng, st, forced, previous) {
    const P = ["c", "admin", "mod", "u", "k", "k2"];
    if (plan.version >= 12) P.push("c2");
    const mem = Object.fromEntries(P.map((n) => [n, st.membership(ids[n])]));
    const knockers = P.filter((n) => mem[n] === "knock");
    const banned = P.filter((n) => mem[n] === "ban");
    const staff = P.filter((n) => ["c", "c2", "admin", "mod", "u"].includes(n));

    if (!forced && previous && rng.chance(0.12)) return { ...previous, repeat: true };

    const action = forced ?? rng.weighted({
      knock: plan.version >= 7 ? 2 : 0.8,
      join: 1.5,
      leave: 1.5,
      invite: 1.2,
      kick: 1.2,
      ban: 0.8,
      unban: banned.length ? 1.2 : 0.4,
      accept: knockers.length ? 1.5 : 0.1,
      decline: knockers.length ? 1.5 : 0.1,
      rescind: knockers.length ? 1.2 : 0.1,
    });
    const selfActor = (pKT) => (rng.chance(pKT) ? rng.pick(["k", "k2"]) : rng.pick(P));
    const modActor = () => (rng.chance(0.8) ? rng.pick(staff) : rng.pick(P));
    const anyTarget = (actor) => {
      const x = rng.next();
      if (x < 0.05) return actor;
      if (x < 0.72) return rng.pick(["k", "k2"]);
      return rng.pick(P.filter((n) => n !== actor));
    };
    switch (action) {
      case "knock": {
        const actor = selfActor(0.7);
        return { action, actor, target: null, reason: rng.chance(0.2) ? "let me in" : undefined };
      }
      case "join": {
        // Joining from `knock` is the interesting case (public / restricted rules).
        const actor = knockers.length && rng.chance(0.4) ? rng.pick(knockers) : selfActor(0.6);
        return { action, actor, target: null };
      }
      case "rescind": {
        const actor = knockers.length && rng.chance(0.9) ? rng.pick(knockers) : selfActor(0.5);
        return { action, actor, target: null };
      }
      case "leave": {
        if (rng.chance(0.55)) return { action, actor: selfActor(0.5), target: null };
        const actor = modActor();
        const target = anyTarget(actor);
        return { action, actor, target: target === actor ? null : target };
      }
      case "accept":
      case "decline": {
        const actor = modActor();
        const target = knockers.length && rng.chance(0.9) ? rng.pick(knockers) : anyTarget(actor);
        return { action, actor, target };
      }
      case "unban": {
        const actor = modActor();
        const target = banned.length && rng.chance(0.7) ? rng.pick(banned) : anyTarget(actor);
        return { action, actor, target };
      }
      default: {
        const actor = modActor();
        return { action, actor, target: anyTarget(actor) };
      }
    }
  }

  async function perform(roomId, { action, actor, target, reason }) {
    const A = users[actor];
    const tid = target ? ids[target] : null;
    switch (action) {
      case "knock": return A.knock(roomId, reason);
      case "join": return A.join(roomId);
      case "rescind": return A.leave(roomId);
      case "leave": return tid ? A.setMembership(roomId, tid, "leave") : A.leave(roomId);
      case "invite": case "accept": return A.invite(roomId, tid);
      case "kick": case "decline": return A.kick(roomId, tid);
      case "ban": return A.ban(roomId, tid);
      case "unban": return A.unban(roomId, tid);
      default: throw new Error(`unknown action ${action}`);
    }
  }

  // --- one room ---------------------------------------------------------------
  async function runRoom(plan) {
    let roomId;
    try {
      roomId = await setupRoom(plan);
    } catch (e) {
      setupFailures.push({ room: plan.index, plan, error: e.message });
      return;
    }
    const rng = makeRng(`${SEED_TEXT}/steps/${plan.index}`);
    let previous = null;
    for (let step = 0; step < plan.steps; step++) {
      const stateRes = await users.obs.state(roomId);
      ok(stateRes, `GET state (room ${plan.index})`);
      const events = stateRes.body;
      const st = stateIndex(events);
      const choice = plan.script
        ? plan.script[step]
        : chooseAction(plan, rng, st, step === 0 ? plan.forcedAction : null, previous);
      previous = { action: choice.action, actor: choice.actor, target: choice.target, reason: choice.reason };
      const { action, actor, target } = choice;
      const actorId = ids[actor];
      const targetId = target ? ids[target] : undefined;
      const effectiveTarget = targetId ?? actorId;
      const targetMember = st.get("m.room.member", effectiveTarget);
      const jrEvent = st.get("m.room.join_rules");

      const rec = {
        id: `${plan.index}.${step}`,
        room: plan.index,
        case: plan.name,
        roomId,
        step,
        version: plan.version,
        joinRule: jrEvent?.content?.join_rule ?? null,
        allow: plan.joinRule.includes("restricted") ? plan.allow : undefined,
        preset: plan.preset,
        priors: plan.priors,
        action,
        actor,
        target: target ?? null,
        repeat: choice.repeat || undefined,
        reason: choice.reason,
        actorMembership: st.membership(actorId),
        targetMembership: st.membership(effectiveTarget),
        targetMemberSender: targetMember ? nameOf[targetMember.sender] ?? targetMember.sender : null,
        targetMemberContent: targetMember?.content,
        // Synapse silently returns the existing event when the new member event has
        // the same sender and the same content (see Synapse's deduplicate_state_event).
        identicalToCurrent: targetMember
          ? targetMember.sender === actorId &&
            canonical(targetMember.content) === canonical(expectedContent(choice, effectiveTarget))
          : false,
        actorLevel: levelOf(st, plan.version, actorId),
        targetLevel: levelOf(st, plan.version, effectiveTarget),
      };

      let opts;
      if (action === "join") {
        const jr = ok(await users[actor].joinedRooms(), "joined_rooms");
        opts = { joinedRoomIds: jr.joined_rooms };
        rec.actorInAllowedRoom = (plan.allow ?? []).some((n) => jr.joined_rooms.includes(spaces[n]));
      } else if (action === "knock" && choice.reason !== undefined) {
        opts = { reason: choice.reason };
      }

      // Prediction (from the state fetched right before the call).
      let d = null;
      if (predictor) {
        let room;
        try {
          room = predictor.Room.fromStateEvents(events);
          const raw = room.check(action, actorId, targetId, opts);
          d = raw && typeof raw === "object" ? { ...raw } : raw;
        } catch (e) {
          d = { error: String(e?.message ?? e) };
        } finally {
          try { room?.free?.(); } catch { /* ignore */ }
        }
        rec.prediction = d;
      }

      // Knock words where the target (or actor, for rescind) is not knocking:
      // we predict a refusal with a *_NOT_KNOCKING code and do not call the server.
      const subjectMembership = action === "rescind" ? rec.actorMembership : rec.targetMembership;
      if (KNOCK_WORDS.has(action) && subjectMembership !== "knock") {
        rec.kind = "code-only";
        if (predictor) {
          rec.match = !!d && d.allowed === false && /NOT_KNOCKING/.test(String(d.code));
        }
      } else {
        rec.kind = "server";
        const res = await perform(roomId, choice);
        rec.status = res.status;
        if (!is2xx(res.status)) {
          rec.errcode = res.body?.errcode;
          rec.error = res.body?.error;
        } else if (res.body?.event_id) {
          rec.eventId = res.body.event_id;
        }
        if (predictor) rec.match = !!d && d.error === undefined && d.allowed === is2xx(res.status);
      }
      scenarios.push(rec);
      if (predictor && !rec.match) mismatches.push({ ...rec, stateEvents: events });
    }
  }

  // --- run with bounded concurrency --------------------------------------------
  let nextPlan = 0;
  let done = 0;
  const worker = async () => {
    while (nextPlan < plans.length) {
      const plan = plans[nextPlan++];
      await runRoom(plan);
      done++;
      if (done % 25 === 0) console.log(`# ${done}/${plans.length} rooms, ${scenarios.length} scenarios, ${((Date.now() - started) / 1000).toFixed(0)}s`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  scenarios.sort((a, b) => a.room - b.room || a.step - b.step);
  mismatches.sort((a, b) => a.room - b.room || a.step - b.step);
  const durationMs = Date.now() - started;

  // --- summaries ------------------------------------------------------------------
  const behaviour = {};
  for (const s of scenarios) {
    if (s.kind !== "server") continue;
    const key = [s.action, `actor:${s.actorMembership}`, `target:${s.targetMembership}`, s.identicalToCurrent ? "identical" : "",
      s.status, s.errcode ?? "", normaliseMessage(s.error, nameOf) ?? ""].join(" | ");
    behaviour[key] = (behaviour[key] ?? 0) + 1;
  }
  const mismatchGroups = {};
  for (const m of mismatches) {
    const key = `${m.action} / ${m.prediction?.code ?? m.prediction?.error ?? "?"} / ${m.kind === "server" ? m.status : "code-only"}`;
    mismatchGroups[key] = (mismatchGroups[key] ?? 0) + 1;
  }
  const coverage = {};
  for (const s of scenarios) {
    coverage[`v${s.version}`] ??= {};
    coverage[`v${s.version}`][s.action] = (coverage[`v${s.version}`][s.action] ?? 0) + 1;
  }

  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(`${OUT_DIR}report.json`, JSON.stringify({
    seed: SEED_TEXT,
    synapseUrl: SYNAPSE_URL,
    recordOnly: RECORD_ONLY,
    startedAt: new Date(started).toISOString(),
    durationMs,
    requests: client.requests,
    retries429: client.retries429,
    rooms: plans.length,
    scenarioCount: scenarios.length,
    mismatchCount: mismatches.length,
    setupFailures,
    coverage,
    mismatchGroups,
    behaviour,
    scenarios,
  }, null, 1));
  writeFileSync(`${OUT_DIR}mismatches.json`, JSON.stringify(mismatches, null, 1));

  const summaryLine = `seed ${SEED_TEXT}: ${scenarios.length} scenarios in ${plans.length} rooms, ${client.requests} requests, ` +
    `${(durationMs / 1000).toFixed(1)}s; ${RECORD_ONLY ? "record only" : `${mismatches.length} mispredictions`}; report in ${OUT_DIR}`;
  log(summaryLine);
  t.diagnostic(summaryLine);

  // --- assertions ----------------------------------------------------------------
  // All problems are reported together, mispredictions first.
  const problems = [];
  if (!RECORD_ONLY && mismatches.length) {
    const lines = [
      `${mismatches.length} mispredictions out of ${scenarios.length} scenarios (seed ${SEED_TEXT}).`,
      "By (action / predicted code / HTTP status):",
    ];
    for (const [k, n] of Object.entries(mismatchGroups).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(4)}  ${k}`);
    lines.push(`First ${Math.min(20, mismatches.length)}:`);
    for (const m of mismatches.slice(0, 20)) {
      const p = m.prediction ?? {};
      const server = m.kind === "server"
        ? `${m.status} ${m.errcode ?? ""} ${normaliseMessage(m.error, nameOf) ?? ""}`.trim()
        : "not called (code-only)";
      lines.push(
        `  [${m.id}]${m.case ? ` "${m.case}"` : ""} v${m.version} jr=${m.joinRule} pl=${m.preset}: ` +
          `${m.action} by ${m.actor}(${m.actorMembership}, ${m.actorLevel})` +
          `${m.target ? ` on ${m.target}(${m.targetMembership}, ${m.targetLevel}, event by ${m.targetMemberSender})` : ""}` +
          `${m.reason !== undefined ? " with reason" : ""}${m.repeat ? " [repeat]" : ""}${m.identicalToCurrent ? " [identical to current]" : ""}` +
          `\n      predicted ${p.error ? `ERROR ${p.error}` : `allowed=${p.allowed} ${p.code} (${p.rule})`}; server ${server}`,
      );
    }
    lines.push(`Details with the state events: ${OUT_DIR}mismatches.json`);
    problems.push(lines.join("\n"));
  }
  if (setupFailures.length) {
    problems.push(`room setup failed:\n${setupFailures.map((f) => `  room ${f.room}: ${f.error}`).join("\n")}`);
  }
  if (scenarios.length < MIN_SCENARIOS) problems.push(`only ${scenarios.length} scenarios ran (need ≥ ${MIN_SCENARIOS})`);
  const missing = [];
  for (const v of VERSIONS) for (const a of ACTIONS) if (!coverage[`v${v}`]?.[a]) missing.push(`v${v}×${a}`);
  if (missing.length) problems.push(`version × action pairs never exercised: ${missing.join(", ")}`);
  if (problems.length) assert.fail(problems.join("\n\n"));
});
