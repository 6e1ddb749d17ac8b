// Prepares the local Synapse (scripts/synapse) for the demo page's live mode: two users and a
// room with the `knock` join rule. Safe to run again: existing users log in, the room is reused.
//
//   node scripts/demo-synapse.mjs <synapse-url> <demo-page-url>
//
// Prints the credentials and a link that opens live mode with the homeserver filled in.
// Only talks to a loopback homeserver.

const [hsArg = "http://127.0.0.1:8448", pageArg = "http://127.0.0.1:8080/www/"] = process.argv.slice(2);
const hs = new URL(hsArg);
if (!["127.0.0.1", "localhost", "[::1]"].includes(hs.hostname)) {
  console.error(`refusing a non-loopback homeserver: ${hsArg}`);
  process.exit(2);
}
const BASE = hs.origin;
const V3 = "/_matrix/client/v3";
const USERS = {
  moderator: { localpart: "demo-moderator", password: "demo-moderator-pw" },
  knocker: { localpart: "demo-knocker", password: "demo-knocker-pw" },
};
const ALIAS_NAME = "knock-demo";

async function call(method, path, { token, body } = {}) {
  const res = await fetch(BASE + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

function must(res, what) {
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Registers the user (m.login.dummy), or logs in when it exists already. */
async function account({ localpart, password }) {
  const body = { username: localpart, password, initial_device_display_name: "scripts/demo --synapse" };
  let res = await call("POST", `${V3}/register`, { body });
  if (res.status === 401 && res.body.session) {
    res = await call("POST", `${V3}/register`, { body: { ...body, auth: { type: "m.login.dummy", session: res.body.session } } });
  }
  if (res.status === 400 && res.body.errcode === "M_USER_IN_USE") {
    res = await call("POST", `${V3}/login`, {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password },
    });
  }
  const done = must(res, `register or log in ${localpart}`);
  return { userId: done.user_id, token: done.access_token, ...{ localpart, password } };
}

const moderator = await account(USERS.moderator);
const knocker = await account(USERS.knocker);
const serverName = moderator.userId.split(":").slice(1).join(":");
const alias = `#${ALIAS_NAME}:${serverName}`;

let roomId;
const existing = await call("GET", `${V3}/directory/room/${encodeURIComponent(alias)}`);
if (existing.status === 200) {
  roomId = existing.body.room_id;
} else {
  roomId = must(
    await call("POST", `${V3}/createRoom`, {
      token: moderator.token,
      body: {
        name: "Knock demo",
        topic: "Join rule knock: ask to join, a moderator accepts or declines. Made by scripts/demo --synapse.",
        room_alias_name: ALIAS_NAME,
        room_version: "11",
        preset: "private_chat",
        initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
      },
    }),
    "create the knock room",
  ).room_id;
}

// A re-run starts the knocker outside the room again (a pending knock is kept).
const member = await call("GET", `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(knocker.userId)}`, {
  token: moderator.token,
});
const membership = member.status === 200 ? member.body.membership : "leave";
if (membership === "join" || membership === "invite") {
  must(await call("POST", `${V3}/rooms/${encodeURIComponent(roomId)}/leave`, { token: knocker.token, body: {} }), "knocker leaves");
} else if (membership === "ban") {
  must(
    await call("POST", `${V3}/rooms/${encodeURIComponent(roomId)}/unban`, { token: moderator.token, body: { user_id: knocker.userId } }),
    "unban the knocker",
  );
}

// Log the script's own sessions out again: the page logs in by itself.
await Promise.all([moderator, knocker].map((u) => call("POST", `${V3}/logout`, { token: u.token })));

const link = new URL(pageArg);
link.searchParams.set("hs", BASE);
link.hash = "live";
console.log(`
Live mode is ready on ${BASE} (server name ${serverName}).

  knock room   ${alias}  (${roomId}), join rule knock
  moderator    user ${moderator.localpart}   password ${moderator.password}   (${moderator.userId}, created the room)
  knocker      user ${knocker.localpart}     password ${knocker.password}     (${knocker.userId})

Open ${link.href}
in two browser tabs, sign in as each user (the page keeps each tab's session to itself), knock
on ${alias} as ${knocker.localpart}, and accept or decline it as ${moderator.localpart}.
`);
