// Deterministic test data for the benchmark: the full state of a large knock room, single
// membership events to apply to it, and a large initial /sync response.
//
// Everything is derived from a seed, so every library in one run (and every run on every
// machine) sees the same events. The events look like what Synapse serves in client format:
// event IDs of room v4+ shape, `room_id` on /state events, `unsigned` with `age` and (for
// replaced state) `replaces_state`, `prev_content` and `prev_sender`, profiles on member
// events, reasons on knocks, bans and some kicks.

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  next.chance = (p) => next() < p;
  return next;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function chars(r, alphabet, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[r.int(alphabet.length)];
  return s;
}
/** A room v4+ event ID: `$` + 43 URL-safe base64 characters. */
export const eventId = (r) => "$" + chars(r, B64, 43);
const mxc = (r, server) => `mxc://${server}/${chars(r, ALNUM, 24)}`;

const FIRST = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy",
  "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoë",
  "Chloé", "Jürgen", "Søren", "Małgorzata", "Håkon", "Łukasz", "Ngozi", "Aarav", "Mei", "Yuki"];
const LAST = ["Smith", "Jones", "Müller", "García", "Rossi", "Nowak", "Kim", "Nguyen", "Silva",
  "Dubois", "Jensen", "Ivanova", "O'Brien", "Kowalski", "Tanaka", "Haddad", "Okafor", "Larsen"];
const DECOR = ["", "", "", "", " 🦀", " (she/her)", " (he/him)", " | Acme", " 🌻", " [away]",
  " 王", " — bridge"];
const SERVERS = ["matrix.org", "matrix.org", "matrix.org", "mozilla.org", "kde.org",
  "fosdem.org", "gnome.org", "tchncs.de", "envs.net", "nitro.chat", "example.com", "hs.local"];
const REASONS = [
  "Hi! I'd like to join the discussion about the release.",
  "Invited by a colleague, please let me in :)",
  "I maintain a downstream package and follow the changelog here.",
  "Saw the talk at FOSDEM, would love to help with translations.",
  "",
  "Hello, it's me from the mailing list — same handle there.",
];
const BAN_REASONS = ["spam", "Spam / advertising", "Harassment of other members",
  "ban evasion", "Repeated off-topic posting after warnings"];

/** A user ID for member number `i` (unique per i). */
export function userId(r, i) {
  const local = (r.pick(FIRST) + r.pick(["", "_", "."]) + r.pick(LAST))
    .toLowerCase().normalize("NFD").replace(/[^a-z0-9._]/g, "");
  return `@${local}${i}:${SERVERS[i % SERVERS.length]}`;
}

function profile(r) {
  // ~2 % share a plain first name, so display names collide now and then.
  const name = r.chance(0.02) ? r.pick(FIRST) : `${r.pick(FIRST)} ${r.pick(LAST)}${r.pick(DECOR)}`;
  const p = { displayname: name };
  if (r.chance(0.7)) p.avatar_url = mxc(r, r.pick(SERVERS));
  return p;
}

/** Counts of each membership in a room of `n` members, as the benchmark describes them. */
export function mix(n) {
  const knock = Math.max(1, Math.round(n * 0.01));
  const ban = Math.round(n * 0.005);
  const invite = Math.round(n * 0.01);
  const leave = Math.round(n * 0.05);
  return { knock, ban, invite, leave, join: n - knock - ban - invite - leave };
}

/**
 * The full state (`GET /rooms/{roomId}/state`) of a knock room with `n` member events:
 * 1 % knocking (reason and profile), 0.5 % banned, 1 % invited, 5 % left, the rest joined.
 * Returns `{ roomId, events, moderator, knockers, users, now }`; `moderator` is a joined user
 * at level 50 (may accept, decline and ban, but not act on the other moderators).
 */
export function roomState(n, { seed = 1, version = "10", roomId: given } = {}) {
  const r = rng(seed);
  const server = SERVERS[0];
  const roomId = given ?? `!${chars(r, ALNUM, 18)}:${server}`;
  const now = 1_760_000_000_000;
  let clock = now - 400 * 86_400_000;
  const ts = () => (clock += 1 + r.int(60_000));
  const ev = (type, stateKey, sender, content, unsigned = {}) => ({
    content,
    origin_server_ts: ts(),
    room_id: roomId,
    sender,
    state_key: stateKey,
    type,
    unsigned: { age: 1000 + r.int(1e9), ...unsigned },
    event_id: eventId(r),
  });
  const replaced = (prevContent, prevSender) => ({
    replaces_state: eventId(r),
    prev_content: prevContent,
    prev_sender: prevSender,
  });

  const m = mix(n);
  const users = Array.from({ length: n }, (_, i) => userId(r, i));
  const creator = users[0];
  const admins = users.slice(1, 4);
  const moderators = users.slice(4, 14);
  const moderator = moderators[0];
  const staff = [creator, ...admins, ...moderators];

  const levels = { [creator]: 100 };
  for (const u of admins) levels[u] = 100;
  for (const u of moderators) levels[u] = 50;
  // A few bots and bridges with custom levels.
  for (let i = 14; i < n && i < 14 + Math.ceil(n / 1000); i++) levels[users[i]] = r.pick([1, 10, 20]);

  const state = [
    ev("m.room.create", "", creator, { creator, room_version: version }),
    ev("m.room.power_levels", "", creator, {
      ban: 50, events: { "m.room.avatar": 50, "m.room.canonical_alias": 50, "m.room.encryption": 100,
        "m.room.history_visibility": 100, "m.room.name": 50, "m.room.power_levels": 100,
        "m.room.server_acl": 100, "m.room.tombstone": 100, "m.room.topic": 50,
        "m.reaction": 0, "m.room.redaction": 0, "im.vector.modular.widgets": 50 },
      events_default: 0, historical: 100, invite: 0, kick: 50, redact: 50, state_default: 50,
      users: levels, users_default: 0, notifications: { room: 50 },
    }, replaced({ users: { [creator]: 100 } }, creator)),
    ev("m.room.join_rules", "", creator, { join_rule: "knock" }, replaced({ join_rule: "invite" }, creator)),
    ev("m.room.history_visibility", "", creator, { history_visibility: "shared" }),
    ev("m.room.guest_access", "", creator, { guest_access: "forbidden" }),
    ev("m.room.name", "", admins[0], { name: "Project discussion" }),
    ev("m.room.topic", "", admins[0], { topic: "Release planning, support and chat. Be nice; knock to join." }),
    ev("m.room.canonical_alias", "", creator, { alias: `#project:${server}`, alt_aliases: [`#proj:${server}`] }),
    ev("m.room.avatar", "", admins[0], { url: mxc(r, server) }),
    ev("m.room.encryption", "", creator, { algorithm: "m.megolm.v1.aes-sha2", rotation_period_ms: 604800000, rotation_period_msgs: 100 }),
    ev("m.room.server_acl", "", creator, { allow: ["*"], deny: ["evil.example"], allow_ip_literals: false }),
  ];

  // Memberships: staff joined; the rest shuffled among knock / ban / invite / leave / join.
  const pool = [];
  for (const [kind, count] of [["knock", m.knock], ["ban", m.ban], ["invite", m.invite], ["leave", m.leave]]) {
    for (let i = 0; i < count; i++) pool.push(kind);
  }
  while (pool.length < n - staff.length) pool.push("join");
  for (let i = pool.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const membership = new Map(staff.map((u) => [u, "join"]));
  users.slice(staff.length).forEach((u, i) => membership.set(u, pool[i] ?? "join"));

  // One knocker is a former moderator still at level 50: the moderator may accept them but
  // not decline or ban them (the target's level is not below the actor's).
  const formerMod = users.slice(staff.length).find((u) => membership.get(u) === "knock");
  if (formerMod) levels[formerMod] = 50;

  const knockers = [];
  const members = [];
  for (const u of users) {
    const kind = membership.get(u);
    const p = profile(r);
    let e;
    switch (kind) {
      case "join":
        e = r.chance(0.1)
          ? ev("m.room.member", u, u, { membership: "join", ...p }, replaced({ membership: "join", ...profile(r) }, u))
          : ev("m.room.member", u, u, { membership: "join", ...p });
        break;
      case "knock": {
        const reason = r.pick(REASONS);
        e = ev("m.room.member", u, u, { membership: "knock", ...(reason && { reason }), ...p },
          r.chance(0.3) ? replaced({ membership: "leave" }, u) : {});
        knockers.push(u);
        break;
      }
      case "ban":
        e = ev("m.room.member", u, r.pick(moderators), { membership: "ban", reason: r.pick(BAN_REASONS) },
          replaced({ membership: "join", ...p }, u));
        break;
      case "invite":
        e = ev("m.room.member", u, r.pick(staff), { membership: "invite", ...p },
          r.chance(0.5) ? replaced({ membership: "knock", ...p }, u) : {});
        break;
      default: // leave: mostly own leaves, some kicks and declined knocks
        e = r.chance(0.8)
          ? ev("m.room.member", u, u, { membership: "leave" }, replaced({ membership: "join", ...p }, u))
          : ev("m.room.member", u, r.pick(moderators), { membership: "leave", reason: "Declined" },
            replaced({ membership: "knock", ...p }, u));
    }
    members.push(e);
  }
  // Synapse serves state in no particular order; keep create first only by chance.
  const events = [...state, ...members];
  for (let i = events.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [events[i], events[j]] = [events[j], events[i]];
  }
  return { roomId, events, moderator, knockers, users, membership, now, staff, formerMod };
}

/**
 * `count` single membership events for `room` (from roomState), each valid on the state the
 * previous ones left: new knocks, knocks accepted (invite), declined (kick), withdrawn,
 * invited users joining, profile changes of joined members, and bans.
 */
export function membershipEvents(room, count, { seed = 2 } = {}) {
  const r = rng(seed);
  const { roomId, staff } = room;
  const membership = new Map(room.membership);
  const knocking = [...room.knockers];
  const invited = [...membership].filter(([, m]) => m === "invite").map(([u]) => u);
  const joined = [...membership].filter(([, m]) => m === "join").map(([u]) => u);
  const mods = staff.slice(4);
  let clock = room.now;
  let fresh = room.users.length;
  const events = [];
  const ev = (stateKey, sender, content, prev) => ({
    content,
    origin_server_ts: (clock += 1 + r.int(5000)),
    room_id: roomId,
    sender,
    state_key: stateKey,
    type: "m.room.member",
    unsigned: { age: r.int(5000), ...(prev && { replaces_state: eventId(r), prev_content: prev, prev_sender: stateKey }) },
    event_id: eventId(r),
  });
  const take = (list) => list.splice(r.int(list.length), 1)[0];
  while (events.length < count) {
    const roll = r();
    if (roll < 0.35 || knocking.length === 0) {
      const u = userId(r, fresh++);
      events.push(ev(u, u, { membership: "knock", reason: r.pick(REASONS) || "hi", ...profile(r) }));
      knocking.push(u);
    } else if (roll < 0.5) {
      const u = take(knocking);
      events.push(ev(u, r.pick(mods), { membership: "invite" }, { membership: "knock" }));
      invited.push(u);
    } else if (roll < 0.62) {
      const u = take(knocking);
      events.push(ev(u, r.pick(mods), { membership: "leave", reason: "Declined" }, { membership: "knock" }));
    } else if (roll < 0.67) {
      const u = take(knocking);
      events.push(ev(u, u, { membership: "leave" }, { membership: "knock" }));
    } else if (roll < 0.8 && invited.length) {
      const u = take(invited);
      events.push(ev(u, u, { membership: "join", ...profile(r) }, { membership: "invite" }));
      joined.push(u);
    } else if (roll < 0.97 && joined.length > staff.length) {
      const u = joined[staff.length + r.int(joined.length - staff.length)];
      events.push(ev(u, u, { membership: "join", ...profile(r) }, { membership: "join" }));
    } else {
      const u = userId(r, fresh++);
      events.push(ev(u, r.pick(mods), { membership: "ban", reason: r.pick(BAN_REASONS) }));
    }
  }
  return events;
}

/**
 * An initial `/sync` response with `rooms` joined rooms (plus invites, knocks and left rooms),
 * about `targetBytes` of JSON when stringified: room sizes follow a long tail (most rooms have
 * a handful of members in `state`, a few have thousands, as with lazy-loading off), a timeline
 * of messages and state per room, account data and ephemeral events, as Synapse sends them.
 */
export function initialSync(rooms, { seed = 3, targetBytes = 50e6, userIdSelf } = {}) {
  const r = rng(seed);
  const me = userIdSelf ?? "@me:matrix.org";
  // Sizes: a Pareto-ish tail scaled so the whole response is about targetBytes
  // (a member event is ~370 bytes, a room's fixed part, timeline included, ~7 KB).
  const raw = Array.from({ length: rooms }, () => Math.floor(2 + 3 / Math.pow(1 - r() * 0.9999, 1.1)));
  const fixed = 7000;
  const budget = Math.max(0, targetBytes - rooms * fixed) / 366;
  const sum = raw.reduce((a, b) => a + b, 0);
  const sizes = raw.map((s) => Math.max(2, Math.round((s * budget) / sum)));
  const join = {};
  let knockRooms = 0;
  for (let k = 0; k < rooms; k++) {
    const roomId = `!${chars(r, ALNUM, 18)}:${r.pick(SERVERS)}`;
    const knock = r.chance(0.2);
    knockRooms += knock;
    const st = roomState(sizes[k], { seed: seed * 100_003 + k, roomId, version: r.pick(["9", "10", "10", "11"]) });
    // Put me in the room as a moderator: rename the moderator's events to me.
    const events = st.events.map((e) => {
      if (e.type !== "m.room.member" || e.state_key !== st.moderator) return e;
      return { ...e, state_key: me, sender: me };
    });
    for (const e of events) {
      delete e.room_id; // sync state blocks have no room_id
      if (e.type === "m.room.power_levels") e.content.users[me] = 50;
      if (!knock && e.type === "m.room.join_rules") e.content = { join_rule: r.pick(["invite", "public"]) };
    }
    const timeline = [];
    for (let i = 0, n = 3 + r.int(12); i < n; i++) {
      timeline.push({
        content: { body: `Message ${i}: ${r.pick(REASONS) || "ok"}`, msgtype: "m.text",
          "m.mentions": {} },
        origin_server_ts: st.now + i * 1000, sender: r.pick(st.staff), type: "m.room.message",
        unsigned: { age: r.int(1e6), membership: "join" }, event_id: eventId(r),
      });
    }
    if (knock && r.chance(0.5)) {
      const u = userId(r, 1_000_000 + k);
      timeline.push({ content: { membership: "knock", reason: "hello", displayname: "New Person" },
        origin_server_ts: st.now + 99_000, sender: u, state_key: u, type: "m.room.member",
        unsigned: { age: 10 }, event_id: eventId(r) });
    }
    join[roomId] = {
      account_data: { events: [{ type: "m.fully_read", content: { event_id: eventId(r) } }] },
      ephemeral: { events: [{ type: "m.receipt", content: { [eventId(r)]: { "m.read": { [me]: { ts: st.now } } } } }] },
      state: { events },
      summary: { "m.joined_member_count": sizes[k], "m.invited_member_count": 0 },
      timeline: { events: timeline, limited: r.chance(0.5), prev_batch: `t${k}-${r.int(1e6)}_0_0_0` },
      unread_notifications: { highlight_count: 0, notification_count: r.int(20) },
      unread_thread_notifications: {},
    };
  }
  const stripped = (roomId, membership) => [
    { type: "m.room.create", state_key: "", sender: "@host:kde.org", content: { room_version: "10", creator: "@host:kde.org" } },
    { type: "m.room.name", state_key: "", sender: "@host:kde.org", content: { name: `Room ${roomId}` } },
    { type: "m.room.join_rules", state_key: "", sender: "@host:kde.org", content: { join_rule: "knock" } },
    { type: "m.room.member", state_key: me, sender: membership === "invite" ? "@host:kde.org" : me, content: { membership } },
  ];
  const invite = {};
  const knock = {};
  for (let k = 0; k < 20; k++) {
    const a = `!inv${k}${chars(r, ALNUM, 12)}:kde.org`;
    invite[a] = { invite_state: { events: stripped(a, "invite") } };
    const b = `!kn${k}${chars(r, ALNUM, 12)}:kde.org`;
    knock[b] = { knock_state: { events: stripped(b, "knock") } };
  }
  return {
    next_batch: `s${r.int(1e9)}_1_2_3_4_5_6_7_8`,
    account_data: { events: [{ type: "m.push_rules", content: { global: { override: [], underride: [] } } }] },
    presence: { events: [] },
    device_one_time_keys_count: { signed_curve25519: 50 },
    rooms: { join, invite, knock, leave: {} },
    meta: { knockRooms },
  };
}
