// The demo page (www/) in Debian's Chromium: built-in mode decisions against Room.check in Node,
// clicking through accept / decline / ban / unban / join, the wasm failing to load, and live mode
// against the local Synapse (SYNAPSE_URL) with two browser contexts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DESKTOP, Homeserver, PHONE, mk, onlyTalkedTo, openPage, screenshot, start } from "./harness.mjs";

const { Room } = mk;
const VIEWERS = {
  kay: "@kay:example.org",
  mo: "@mo:example.org",
  ada: "@ada:example.org",
  cy: "@cy:example.org",
  bo: "@bo:example.org",
};

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.close();
});

// ---------------------------------------------------------------- built-in mode helpers

/** Sets the built-in form: viewer, version, join rule, power levels, reason, allowed-room box. */
async function setUp(page, { viewer, version, joinRule, pl = {}, reason = "", inAllowedRoom = false }) {
  if (viewer) await page.check(`#builtin input[name=viewer][value=${viewer}]`);
  if (version) await page.selectOption("#room-version", String(version));
  if (joinRule) await page.selectOption("#join-rule", joinRule);
  for (const [name, value] of Object.entries(pl)) await page.fill(`#builtin-controls input[name=${name}]`, String(value));
  await page.fill("#action-reason", reason);
  await page.setChecked("#in-allowed-room", inAllowedRoom);
}

/** What the page shows: its state events and every decision, read from the DOM. */
function readBuiltin(page) {
  return page.evaluate(() => ({
    ready: document.getElementById("builtin").dataset.ready,
    state: JSON.parse(document.getElementById("state-json").textContent),
    queue: [...document.querySelectorAll("#knock-queue .request")].map((li) => li.dataset.user),
    banned: [...document.querySelectorAll("#banned-list .request")].map((li) => li.dataset.user),
    facts: Object.fromEntries([...document.querySelectorAll("#room-facts dd")].map((dd) => [dd.dataset.fact, dd.textContent])),
    decisions: [...document.querySelectorAll("#builtin .decision")].map((li) => ({
      section: li.closest(".card").querySelector("h3").id,
      action: li.dataset.action,
      actor: li.dataset.actor,
      target: li.dataset.target,
      context: li.dataset.context ? JSON.parse(li.dataset.context) : undefined,
      code: li.dataset.code,
      allowed: li.dataset.allowed === "true",
      shownCode: li.querySelector(".code").textContent,
      verdict: li.querySelector(".verdict").textContent,
      rule: li.querySelector(".rule-id").textContent,
      message: li.querySelector(".message").textContent,
      levels: li.querySelector(".levels")?.textContent ?? null,
      disabled: li.querySelector("button").disabled,
      title: li.querySelector("button").title,
    })),
  }));
}

const lvl = (n) => (n === Infinity ? "∞ (creator)" : String(n));

/**
 * Rebuilds the room in Node from the state the page shows and asks Room.check the same
 * questions: every decision on the page must match, field by field.
 */
function assertMatchesNode(shown, viewerId, label) {
  assert.equal(shown.ready, "true", `${label}: the page built its room`);
  const room = Room.fromStateEvents(shown.state);
  try {
    assert.deepEqual(shown.queue, room.knockRequests().map((k) => k.userId), `${label}: knock queue`);
    assert.equal(shown.facts["Room version"], room.roomVersion(), `${label}: version`);
    assert.equal(shown.facts["Your power level"], lvl(room.powerLevel(viewerId)), `${label}: level`);
    const own = shown.decisions.filter((d) => d.section === "own-title");
    assert.deepEqual(own.map((d) => d.action), ["knock", "rescind", "join"], `${label}: own actions`);
    const queued = shown.decisions.filter((d) => d.section === "queue-title");
    assert.equal(queued.length, 3 * shown.queue.length, `${label}: accept/decline/ban per request`);
    const unbans = shown.decisions.filter((d) => d.section === "banned-title");
    assert.equal(unbans.length, shown.banned.length, `${label}: an unban per banned user`);
    for (const d of shown.decisions) {
      const what = `${label}: ${d.action} by ${d.actor} on ${d.target}`;
      assert.equal(d.actor, viewerId, `${what}: asked for the viewer`);
      const want = room.check(d.action, d.actor, d.target, d.context);
      assert.equal(d.code, want.code, `${what}: code`);
      assert.equal(d.shownCode, want.code, `${what}: code shown`);
      assert.equal(d.allowed, want.allowed, `${what}: allowed`);
      assert.equal(d.rule, want.rule, `${what}: rule`);
      assert.equal(d.message, want.message, `${what}: message`);
      assert.equal(d.title, want.message, `${what}: tooltip`);
      assert.equal(d.disabled, !want.allowed, `${what}: button enabled iff allowed`);
      assert.match(d.verdict, want.allowed ? /Allowed/ : /Denied/, `${what}: verdict`);
      const levels = [];
      if (want.actorLevel !== undefined) levels.push(`actor ${lvl(want.actorLevel)}`);
      if (want.targetLevel !== undefined) levels.push(`target ${lvl(want.targetLevel)}`);
      if (want.requiredLevel !== undefined) levels.push(`needs ${lvl(want.requiredLevel)}`);
      assert.equal(d.levels, levels.length ? `Levels compared: ${levels.join(", ")}` : null, `${what}: levels`);
    }
    return room;
  } finally {
    room.free();
  }
}

// ------------------------------------------------------------------------ built-in mode

describe("built-in mode", () => {
  test("every decision shown equals Room.check in Node, for several roles, versions and set-ups", async () => {
    const context = await env.browser.newContext({ viewport: DESKTOP });
    const page = await openPage(context, env.url);
    assert.equal(await page.isVisible("#builtin"), true, "built-in mode is the default");
    assert.equal(await page.isHidden("#live"), true);

    const cases = [
      { viewer: "kay", version: 10, joinRule: "knock" },
      { viewer: "mo", version: 10, joinRule: "knock" },
      { viewer: "ada", version: 12, joinRule: "knock" },
      { viewer: "cy", version: 12, joinRule: "knock_restricted" },
      { viewer: "mo", version: 12, joinRule: "knock", pl: { mo: 100, kick: 100 } },
      { viewer: "bo", version: 11, joinRule: "knock" },
      { viewer: "mo", version: 7, joinRule: "knock_restricted", pl: { mo: 50, kick: 50 } },
      { viewer: "kay", version: 6, joinRule: "knock" },
      { viewer: "kay", version: 10, joinRule: "knock_restricted", inAllowedRoom: true },
      { viewer: "kay", version: 9, joinRule: "restricted" },
      { viewer: "mo", version: 9, joinRule: "invite", pl: { kick: 60, invite: 50 } },
      { viewer: "kay", version: 11, joinRule: "knock", reason: "Hi! Sam from the Tuesday group sent me." },
      { viewer: "cy", version: 11, joinRule: "public", pl: { cy: 20, users_default: 10 } },
    ];
    const seen = new Set();
    for (const c of cases) {
      await setUp(page, c);
      const label = `${c.viewer} v${c.version} ${c.joinRule}${c.pl ? ` ${JSON.stringify(c.pl)}` : ""}${c.reason ? " (same reason)" : ""}`;
      const shown = await readBuiltin(page);
      const create = shown.state.find((e) => e.type === "m.room.create");
      assert.equal(create.content.room_version, String(c.version), `${label}: version in state`);
      assert.equal(shown.state.find((e) => e.type === "m.room.join_rules").content.join_rule, c.joinRule);
      assertMatchesNode(shown, VIEWERS[c.viewer], label);
      for (const d of shown.decisions) seen.add(d.code);
    }
    // The cases reach the interesting answers, not just ALLOWED.
    for (const code of [
      "ALLOWED", "DUPLICATE", "KNOCKING_UNSUPPORTED", "JOIN_RULE_FORBIDS_KNOCK", "NOT_INVITED", "BANNED",
      "ALREADY_JOINED", "ACTOR_NOT_JOINED", "INSUFFICIENT_LEVEL", "TARGET_LEVEL_NOT_BELOW_ACTOR", "NOT_KNOCKING",
      "NOT_IN_ALLOWED_ROOM",
    ]) {
      assert.ok(seen.has(code), `some case shows ${code} (seen: ${[...seen].join(", ")})`);
    }
    // A v12 creator: infinite power, and another creator knocking cannot be declined by anyone.
    await setUp(page, { viewer: "cy", version: 12, joinRule: "knock", pl: { mo: 50, kick: 50 } });
    const v12 = await readBuiltin(page);
    assert.equal(v12.facts["Your power level"], "∞ (creator)");
    assert.equal(await page.isDisabled("#pl-cy"), true, "Cy's level cannot be set in v12");
    const zedDecline = v12.decisions.find((d) => d.target === "@zed:example.org" && d.action === "decline");
    assert.equal(zedDecline.code, "TARGET_LEVEL_NOT_BELOW_ACTOR");

    // Bad input is the module's typed error, shown on the page.
    await page.fill("#pl-kick", "9007199254740992");
    await page.waitForSelector("#builtin-error:not([hidden])");
    assert.match(await page.textContent("#builtin-error"), /INVALID_POWER_LEVELS/);
    await page.fill("#pl-kick", "50");
    await page.waitForSelector("#builtin-error", { state: "hidden" });

    assert.deepEqual(onlyTalkedTo(page, [env.origin]), [], "no request beyond the demo server");
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test("clicking allowed actions applies the server's events and the page updates", async () => {
    const context = await env.browser.newContext({ viewport: DESKTOP });
    const page = await openPage(context, env.url);
    await setUp(page, { viewer: "mo", version: 10, joinRule: "knock", reason: "" });
    await screenshot(page, "builtin-desktop");

    await setUp(page, { viewer: "ada", version: 10, joinRule: "knock", reason: "Welcome!" });
    const request = (user) => page.locator(`#knock-queue .request[data-user="${user}"]`);
    const member = (user) => page.locator(`#members-table tr[data-user="${user}"] td`).first();

    // Accept Kay with the mouse.
    await request("@kay:example.org").locator('.decision[data-action="accept"] button').click();
    await page.waitForSelector('#knock-queue .request[data-user="@kay:example.org"]', { state: "detached" });
    assert.equal(await member("@kay:example.org").textContent(), "invite");
    assert.match(await page.textContent("#event-log li:first-child"), /Ada accepted Kay's knock/);
    await page.waitForFunction(() => /accepted Kay's knock/.test(document.getElementById("announcer").textContent));
    const kayInvite = (await readBuiltin(page)).state.find((e) => e.state_key === "@kay:example.org");
    assert.deepEqual(
      { sender: kayInvite.sender, content: kayInvite.content },
      { sender: "@ada:example.org", content: { membership: "invite", reason: "Welcome!" } },
      "the event the server would send for an accept",
    );
    // Keyboard users stay in the queue: the focus moved to the next allowed action.
    assert.equal(await page.evaluate(() => document.activeElement.closest("#knock-queue") !== null), true);

    // Decline Lee from the keyboard.
    await request("@lee:elsewhere.org").locator('.decision[data-action="decline"] button').focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector('#knock-queue .request[data-user="@lee:elsewhere.org"]', { state: "detached" });
    assert.equal(await member("@lee:elsewhere.org").textContent(), "leave");

    // Decline and ban Zed: he moves to the banned list, where Ada may unban him.
    await request("@zed:example.org").locator('.decision[data-action="ban"] button').click();
    await page.waitForSelector('#banned-list .request[data-user="@zed:example.org"]');
    assert.equal(await member("@zed:example.org").textContent(), "ban");
    assert.equal(await page.textContent("#queue-title"), "Knock queue (0)");
    // Unban Bo.
    await page.click('#banned-list .request[data-user="@bo:example.org"] .decision[data-action="unban"] button');
    await page.waitForSelector('#banned-list .request[data-user="@bo:example.org"]', { state: "detached" });
    assert.equal(await member("@bo:example.org").textContent(), "leave");
    assertMatchesNode(await readBuiltin(page), VIEWERS.ada, "after accept/decline/ban/unban as Ada");
    await screenshot(page, "builtin-after-actions-desktop");

    // Kay sees her knock accepted: join is allowed now; knock and rescind are not.
    await setUp(page, { viewer: "kay" });
    let own = (await readBuiltin(page)).decisions.filter((d) => d.section === "own-title");
    assert.deepEqual(own.map((d) => [d.action, d.code]), [["knock", "ALREADY_INVITED"], ["rescind", "NOT_KNOCKING"], ["join", "ALLOWED"]]);
    await page.click('#own-actions .decision[data-action="join"] button');
    await page.waitForFunction(() => document.querySelector('#room-facts dd[data-fact="Your membership"]').textContent === "join");
    own = (await readBuiltin(page)).decisions.filter((d) => d.section === "own-title");
    assert.equal(own[0].code, "ALREADY_JOINED");

    // Lee (declined) knocks again as himself? He is not a viewer; Mo (50) still cannot act on a
    // level-50 knocker once he knocks. Reset restores the starting room.
    await page.click("#builtin-reset");
    await page.waitForFunction(() => document.getElementById("queue-title").textContent === "Knock queue (3)");
    assertMatchesNode(await readBuiltin(page), VIEWERS.kay, "after reset");

    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test("phone width: one column, nothing wider than the screen", async () => {
    const context = await env.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await openPage(context, env.url);
    await setUp(page, { viewer: "mo", version: 12, joinRule: "knock" });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
    const [controls, results] = await Promise.all([page.locator("#builtin-controls").boundingBox(), page.locator(".builtin-results").boundingBox()]);
    assert.ok(results.y > controls.y + controls.height - 1, "results stack below the set-up");
    await screenshot(page, "builtin-phone");
    await context.close();
  });

  test("keyboard: mode switch and actions are real, focusable buttons with visible focus", async () => {
    const context = await env.browser.newContext({ viewport: DESKTOP });
    const page = await openPage(context, env.url);
    await page.keyboard.press("Tab"); // the skip link
    assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
    await page.focus("#mode-live");
    await page.keyboard.press("Enter");
    assert.equal(await page.getAttribute("#mode-live", "aria-pressed"), "true");
    assert.equal(await page.isVisible("#live"), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "live-title");
    await page.focus("#mode-builtin");
    await page.keyboard.press("Space");
    assert.equal(await page.isVisible("#builtin"), true);
    // Focus styles exist for buttons.
    await page.focus("#knock-queue button:not([disabled])");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none");
    // Every input has a label.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select")].filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label")).map((el) => el.id || el.name),
    );
    assert.deepEqual(unlabelled, []);
    await context.close();
  });
});

// ------------------------------------------------------------------- the wasm not loading

test("a readable error when the wasm fails to load", async () => {
  const context = await env.browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.route("**/matrix_knock_bg.wasm", (route) => route.fulfill({ status: 404, contentType: "text/plain", body: "not found" }));
  await page.goto(env.url);
  await page.waitForSelector("body[data-loaded=error]");
  const box = page.locator("#load-error");
  assert.equal(await box.isVisible(), true);
  assert.equal(await box.getAttribute("role"), "alert");
  const text = await box.textContent();
  assert.match(text, /could not be loaded/);
  assert.match(text, /404/);
  assert.match(text, /scripts\/demo/);
  assert.equal(await page.isHidden("#mode-nav"), true, "no dead controls");
  assert.equal(await page.isHidden("#builtin"), true);
  await screenshot(page, "wasm-error-phone");

  // The JS of the package missing altogether: the same kind of message.
  await page.unroute("**/matrix_knock_bg.wasm");
  await page.route("**/pkg/matrix_knock.js", (route) => route.fulfill({ status: 404, contentType: "text/plain", body: "not found" }));
  await page.goto(env.url);
  await page.waitForSelector("body[data-loaded=error]");
  assert.match(await page.textContent("#load-error"), /could not be loaded/);
  await context.close();
});

// ------------------------------------------------- live mode with a scripted homeserver

test("live mode: one room the module cannot read does not hide the others", async () => {
  // A homeserver played by page.route: whoami and two /sync responses. In one room a knock
  // carries an origin_server_ts above 2^53−1 (any server can send that over federation).
  const hs = "http://127.0.0.1:9";
  const ev = (type, key, sender, content, ts = 1_700_000_000_000) => ({ type, state_key: key, sender, content, event_id: `$${type}${key}${ts}`, origin_server_ts: ts });
  const room = (id, knock) => ({
    state: { events: [
      ev("m.room.create", "", "@mod:hs", { room_version: "10", creator: "@mod:hs" }),
      ev("m.room.member", "@mod:hs", "@mod:hs", { membership: "join" }),
      ev("m.room.join_rules", "", "@mod:hs", { join_rule: "knock" }),
      ev("m.room.name", "", "@mod:hs", { name: id.slice(1, 5) }),
    ] },
    timeline: { events: [knock] },
  });
  const body = JSON.stringify({
    next_batch: "s1",
    rooms: { join: {
      "!good:hs": room("!good:hs", ev("m.room.member", "@k:other", "@k:other", { membership: "knock", reason: "hello" })),
      "!evil:hs": room("!evil:hs", ev("m.room.member", "@x:evil", "@x:evil", { membership: "knock" }, 1)),
    } },
  }).replace('"origin_server_ts":1}', '"origin_server_ts":9007199254740993}');
  const context = await env.browser.newContext({ viewport: DESKTOP });
  let syncs = 0;
  await context.route(`${hs}/**`, (route) => {
    const url = new URL(route.request().url());
    const headers = { "access-control-allow-origin": "*", "access-control-allow-headers": "*" };
    if (route.request().method() === "OPTIONS") return route.fulfill({ status: 204, headers });
    if (url.pathname.endsWith("/account/whoami")) return route.fulfill({ status: 200, headers, contentType: "application/json", body: '{"user_id":"@mod:hs"}' });
    if (url.pathname.endsWith("/sync")) {
      syncs += 1;
      // The first sync has the rooms; later ones are empty long polls.
      return syncs === 1
        ? route.fulfill({ status: 200, headers, contentType: "application/json", body })
        : new Promise((r) => setTimeout(r, 500)).then(() => route.fulfill({ status: 200, headers, contentType: "application/json", body: `{"next_batch":"s${syncs}"}` }));
    }
    return route.fulfill({ status: 404, headers, contentType: "application/json", body: '{"errcode":"M_UNRECOGNIZED","error":"not here"}' });
  });
  const page = await openPage(context, `${env.url}#live`);
  await page.fill("#hs-url", hs);
  await page.check("#live input[name=auth][value=token]");
  await page.fill("#access-token", "token");
  await page.click("#connect");
  const good = page.locator('.mod-room[data-room-id="!good:hs"] .request[data-user="@k:other"]');
  await good.waitFor();
  assert.equal(await good.locator('.decision[data-action="accept"] button').isEnabled(), true);
  // The other room: its request, or (while the module cannot represent that timestamp) a
  // readable error in that room only; never a dead page.
  const evil = page.locator('.mod-room[data-room-id="!evil:hs"]');
  await evil.waitFor();
  const evilText = await evil.textContent();
  assert.ok(/@x:evil/.test(evilText) || /could not be read: INVALID_INPUT/.test(evilText), evilText);
  await page.waitForFunction(() => Number(document.getElementById("live").dataset.synced) >= 2);
  await screenshot(page, "live-unreadable-room-desktop");
  assert.deepEqual(page.errors, []);
  await context.close();
});

// -------------------------------------------------------------------------- live mode

const SYNAPSE_URL = process.env.SYNAPSE_URL;
/** A string as a literal inside a RegExp. */
const esc = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("live mode against Synapse", { skip: SYNAPSE_URL ? false : "SYNAPSE_URL is unset: start it with scripts/synapse start && eval \"$(scripts/synapse env)\" (scripts/test sets it)" }, () => {
  test("knock from one browser, accept from another, the knocker sees it accepted and joins", async () => {
    const hs = new Homeserver(SYNAPSE_URL);
    const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const [knocker, moderator, former] = await Promise.all([
      hs.register(`knocker-${suffix}`),
      hs.register(`moderator-${suffix}`),
      hs.register(`former-${suffix}`),
    ]);
    const roomName = `Knock demo ${suffix}`;
    const { room_id: roomId } = await hs.call("POST", "/_matrix/client/v3/createRoom", {
      token: moderator.token,
      body: {
        name: roomName,
        room_alias_name: `knock-${suffix}`,
        room_version: "10",
        preset: "private_chat",
        initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
        // A former admin at 100 knocks too: the moderator (100) may accept but not decline or ban.
        power_level_content_override: { users: { [moderator.userId]: 100, [former.userId]: 100 } },
      },
    });
    await hs.call("POST", `/_matrix/client/v3/knock/${encodeURIComponent(roomId)}`, { token: former.token, body: { reason: "I used to run this room" } });
    const liveUrl = `${env.url}?hs=${encodeURIComponent(SYNAPSE_URL)}#live`;
    const origins = [env.origin, new URL(SYNAPSE_URL).origin];

    // The moderator signs in with a password (a wrong one first: a typed error).
    const modContext = await env.browser.newContext({ viewport: DESKTOP });
    const mod = await openPage(modContext, liveUrl);
    assert.equal(await mod.isVisible("#live"), true, "#live opens live mode");
    assert.equal(await mod.inputValue("#hs-url"), SYNAPSE_URL, "?hs= prefills the homeserver");
    await mod.fill("#login-user", moderator.localpart);
    await mod.fill("#login-password", "wrong password");
    await mod.click("#connect");
    await mod.waitForSelector("#login-error:not([hidden])");
    assert.equal(await mod.getAttribute("#login-error", "data-meaning"), "FORBIDDEN");
    assert.match(await mod.textContent("#login-error"), /FORBIDDEN: .*HTTP 403 M_FORBIDDEN/s);
    await mod.fill("#login-password", moderator.password);
    await mod.click("#connect");
    const modRoom = mod.locator(`.mod-room[data-room-id="${roomId}"]`);
    await modRoom.locator(`.request[data-user="${former.userId}"]`).waitFor();
    assert.match(await modRoom.locator("h4").textContent(), new RegExp(roomName));

    // The knocker signs in with an access token and knocks through the form.
    const kContext = await env.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const kp = await openPage(kContext, liveUrl);
    await kp.check("#live input[name=auth][value=token]");
    await kp.fill("#access-token", knocker.token);
    await kp.click("#connect");
    await kp.waitForSelector("#live-app:not([hidden])");
    assert.match(await kp.textContent("#whoami"), new RegExp(esc(knocker.userId)));
    // An unknown alias: the server's error with the module's meaning.
    await kp.fill("#knock-room", `#no-such-room-${suffix}:localhost`);
    await kp.click("#knock-submit");
    await kp.waitForSelector("#knock-result[data-meaning]");
    assert.equal(await kp.getAttribute("#knock-result", "data-meaning"), "NOT_FOUND");
    assert.match(await kp.textContent("#knock-result"), /Knock failed\. NOT_FOUND: .*M_NOT_FOUND/s);
    // The real knock, by alias: the module links the alias to the room ID from the response.
    await kp.fill("#knock-room", `#knock-${suffix}:localhost`);
    await kp.fill("#knock-reason", "Sam sent me");
    await kp.fill("#knock-via", "localhost");
    await kp.click("#knock-submit");
    const myKnock = kp.locator(`.my-knock[data-room-id="${roomId}"]`);
    await kp.waitForSelector(`.my-knock[data-room-id="${roomId}"][data-status="pending"]`);
    assert.match(await kp.textContent("#knock-result"), new RegExp(`Knock sent to #knock-${suffix}:localhost \\(${esc(roomId)}\\)`));
    assert.match(await myKnock.textContent(), /Pending/);
    assert.match(await myKnock.textContent(), /Sam sent me/);
    await screenshot(kp, "live-knocker-pending-phone");

    // The moderator's view: both requests, buttons enabled exactly by the Decisions.
    const newRequest = modRoom.locator(`.request[data-user="${knocker.userId}"]`);
    await newRequest.waitFor();
    assert.match(await newRequest.textContent(), /Sam sent me/);
    const state = await hs.state(moderator, roomId);
    const room = Room.fromStateEvents(state);
    for (const user of [knocker, former]) {
      const want = room.permittedActions(moderator.userId, user.userId);
      const item = modRoom.locator(`.request[data-user="${user.userId}"]`);
      for (const action of ["accept", "decline", "ban"]) {
        const decision = item.locator(`.decision[data-action="${action}"]`);
        assert.equal(await decision.getAttribute("data-code"), want[action].code, `${user.userId} ${action}`);
        assert.equal(await decision.locator("button").isDisabled(), !want[action].allowed, `${user.userId} ${action} button`);
        assert.equal(await decision.locator("button").getAttribute("title"), want[action].message);
        assert.equal(await decision.locator(".message").textContent(), want[action].message);
      }
    }
    room.free();
    assert.equal(await modRoom.locator(`.request[data-user="${former.userId}"] .decision[data-action="decline"]`).getAttribute("data-code"), "TARGET_LEVEL_NOT_BELOW_ACTOR");
    await screenshot(mod, "live-moderator-desktop");
    await mod.setViewportSize(PHONE);
    await screenshot(mod, "live-moderator-phone");
    await mod.setViewportSize(DESKTOP);

    // Accept from the moderator's browser.
    await mod.fill(`[data-room-reason="${roomId}"]`, "Welcome, friend of Sam");
    await newRequest.locator('.decision[data-action="accept"] button').click();
    await newRequest.waitFor({ state: "detached", timeout: 15_000 });
    assert.match(await mod.textContent("#live-log"), new RegExp(`You accepted ${esc(knocker.userId)}`));

    // The knocker's view changes to accepted by itself (sync), with who decided and why.
    await kp.waitForSelector(`.my-knock[data-room-id="${roomId}"][data-status="accepted"]`, { timeout: 15_000 });
    const accepted = await myKnock.textContent();
    assert.match(accepted, /Accepted/);
    assert.match(accepted, new RegExp(esc(moderator.userId)));
    assert.match(accepted, /Welcome, friend of Sam/);
    await kp.waitForFunction(() => /accepted/.test(document.getElementById("announcer").textContent));
    await screenshot(kp, "live-knocker-accepted-phone");
    await kp.setViewportSize(DESKTOP);
    await screenshot(kp, "live-knocker-accepted-desktop");
    await kp.click(`.my-knock[data-room-id="${roomId}"] button[data-action="join"]`);
    await kp.waitForSelector(`.my-knock[data-room-id="${roomId}"][data-status="joined"]`, { timeout: 15_000 });

    // Signing out stops the loop and shows the form again.
    await mod.click("#sign-out");
    assert.equal(await mod.isVisible("#login-form"), true);

    for (const p of [mod, kp]) {
      assert.deepEqual(onlyTalkedTo(p, origins), [], "requests go only to the demo server and the homeserver");
      assert.deepEqual(p.errors, []);
    }
    await modContext.close();
    await kContext.close();
  });
});
