// Live mode: a KnockSession fed by a /sync loop against a real homeserver, requests sent with
// HttpClient, errors shown with the module's typed meaning (MatrixError / parseError).
import { ago, announce, decisionItem, describeError, h, keepFocus, showError } from "./ui.js";

const V3 = "/_matrix/client/v3";
const LONG_POLL_MS = 30_000;

const STATUS_TEXT = {
  pending: "Pending: waiting for a moderator",
  accepted: "Accepted: you are invited, join to enter",
  declined: "Declined",
  rescinded: "Withdrawn by you",
  banned: "Banned",
  unbanned: "Unbanned: you may knock again",
  joined: "Joined",
};

const STATUS_WORD = {
  accepted: "Accepted",
  declined: "Declined",
  rescinded: "Withdrawn",
  banned: "Banned",
  unbanned: "Unbanned",
  joined: "Joined",
};

export function initLive(mk, root) {
  const { KnockSession, HttpClient, parseError } = mk;
  const $ = (sel) => root.querySelector(sel);
  const loginForm = $("#login-form");
  const loginError = $("#login-error");
  const liveError = $("#live-error");

  // Prefill from the address: ?hs=…&user=… (scripts/demo --synapse prints such a link).
  const params = new URLSearchParams(location.search);
  if (params.get("hs")) $("#hs-url").value = params.get("hs");
  if (params.get("user")) $("#login-user").value = params.get("user");

  const authMode = () => new FormData(loginForm).get("auth");
  function showAuthFields() {
    const token = authMode() === "token";
    $("#token-fields").hidden = !token;
    $("#password-fields").hidden = token;
  }
  loginForm.addEventListener("change", (e) => {
    if (e.target.name === "auth") showAuthFields();
  });
  showAuthFields();

  /** The signed-in state; `null` when signed out. A new object per sign-in (`gen` guards stale loops). */
  let s = null;
  let generation = 0;

  /** A MatrixError-shaped error from a raw response, through the module's parseError. */
  function responseError(status, text, retryAfter) {
    const info = parseError(status, text || "{}", undefined, retryAfter ?? undefined);
    return Object.assign(new Error(`${info.status} ${info.errcode}: ${info.description}`), { name: "MatrixError", code: "MATRIX_ERROR" }, info);
  }

  async function call(base, method, path, { token, body } = {}) {
    const headers = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) headers["content-type"] = "application/json";
    const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (!res.ok) {
      const retry = Number(res.headers.get("retry-after"));
      throw responseError(res.status, text, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    }
    return text ? JSON.parse(text) : {};
  }

  function normaliseBase(raw) {
    let url;
    try {
      url = new URL(raw.trim());
    } catch {
      throw Object.assign(new Error("Enter the homeserver's address, e.g. https://matrix.example.org"), { name: "InputError" });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw Object.assign(new Error("The homeserver URL must start with https:// (or http:// for a local server)."), { name: "InputError" });
    }
    return url.origin + url.pathname.replace(/\/+$/, "");
  }

  loginForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(loginError, null);
    const button = $("#connect");
    button.disabled = true;
    button.textContent = "Connecting…";
    try {
      const base = normaliseBase($("#hs-url").value);
      let token;
      let userId;
      let ownDevice = false;
      if (authMode() === "token") {
        token = $("#access-token").value.trim();
        if (!token) throw Object.assign(new Error("Enter an access token."), { name: "InputError" });
        userId = (await call(base, "GET", `${V3}/account/whoami`, { token })).user_id;
      } else {
        const user = $("#login-user").value.trim();
        const password = $("#login-password").value;
        if (!user || !password) throw Object.assign(new Error("Enter a user and a password."), { name: "InputError" });
        const body = await call(base, "POST", `${V3}/login`, {
          body: {
            type: "m.login.password",
            identifier: { type: "m.id.user", user },
            password,
            initial_device_display_name: "matrix-knock demo",
          },
        });
        token = body.access_token;
        userId = body.user_id;
        ownDevice = true;
      }
      start(base, token, userId, ownDevice);
    } catch (error) {
      showError(loginError, error, "Could not sign in. ");
      loginError.querySelector(".error-title")?.setAttribute("tabindex", "-1");
    } finally {
      button.disabled = false;
      button.textContent = "Connect";
    }
  });

  function start(base, token, userId, ownDevice) {
    stop();
    generation += 1;
    s = {
      gen: generation,
      base,
      token,
      userId,
      ownDevice,
      http: new HttpClient(base, token),
      session: new KnockSession(userId),
      since: null,
      synced: false,
      names: new Map(), // roomId → name or alias, from the sync's state
      joinRules: new Map(), // roomId → join rule, to list knock rooms with no requests yet
      busy: new Map(), // "roomId|userId" → action of a request in flight
      notes: new Map(), // "roomId|userId" → error of the last failed action
      log: [],
    };
    try {
      const seen = localStorage.getItem(seenKey());
      if (seen) s.session.importSeen(seen);
    } catch {
      // Storage may be unavailable (private mode) or hold something old: seen marks are optional.
    }
    loginForm.hidden = true;
    $("#live-app").hidden = false;
    $("#whoami").replaceChildren("Signed in as ", h("strong", null, userId), " on ", h("code", null, base), ".");
    $("#sync-state").textContent = "Syncing…";
    root.dataset.signedIn = "true";
    render();
    $("#my-knocks-title").focus();
    announce(`Signed in as ${userId}. Syncing.`);
    syncLoop(s);
  }

  function stop() {
    if (!s) return;
    generation += 1;
    const old = s;
    s = null;
    if (old.ownDevice) {
      // We made this device by logging in: log it out again. A token given to us stays valid.
      fetch(`${old.base}${V3}/logout`, { method: "POST", headers: { authorization: `Bearer ${old.token}` } }).catch(() => {});
    }
    old.session.free();
    old.http.free();
  }

  $("#sign-out").addEventListener("click", () => {
    stop();
    $("#live-app").hidden = true;
    loginForm.hidden = false;
    root.dataset.signedIn = "false";
    $("#access-token").value = "";
    $("#login-password").value = "";
    $("#hs-url").focus();
    announce("Signed out.");
  });

  const seenKey = () => `matrix-knock-demo:seen:${s?.userId}`;
  const alive = (state) => state === s && state.gen === generation;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  let syncErrorShown = false;
  async function syncLoop(state) {
    let backoff = 1000;
    while (alive(state)) {
      let text;
      try {
        text = await state.http.sync(state.since, state.since ? LONG_POLL_MS : 0);
      } catch (error) {
        if (!alive(state)) return;
        showError(liveError, error, "Sync failed. ");
        syncErrorShown = true;
        $("#sync-state").textContent = "Sync failed, retrying…";
        if (error.meaning === "UNAUTHORIZED") {
          $("#sync-state").textContent = "Stopped: sign in again.";
          return;
        }
        await sleep(error.retryAfterMs ?? backoff);
        backoff = Math.min(backoff * 2, 30_000);
        continue;
      }
      if (!alive(state)) return;
      backoff = 1000;
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        showError(liveError, new Error("The homeserver sent a /sync response that is not JSON."));
        await sleep(backoff);
        continue;
      }
      let changes = [];
      try {
        changes = state.session.ingestSync(text);
        if (syncErrorShown) showError(liveError, null);
        syncErrorShown = false;
      } catch (error) {
        showError(liveError, error, "This /sync response could not be used. ");
        syncErrorShown = true;
      }
      const first = !state.synced;
      state.since = body.next_batch ?? state.since;
      collectRoomFacts(state, body);
      state.synced = true;
      $("#sync-state").textContent = `Up to date (last sync ${new Date().toLocaleTimeString()}).`;
      root.dataset.synced = String(Number(root.dataset.synced ?? 0) + 1);
      report(state, changes, first);
      try {
        render();
      } catch (error) {
        // Keep syncing: a later response may render again.
        console.error(error);
        showError(liveError, error, "Could not show the latest state. ");
        syncErrorShown = true;
      }
    }
  }

  /** Room names and join rules for display (the module keeps the authoritative state). */
  function collectRoomFacts(state, body) {
    for (const [roomId, room] of Object.entries(body?.rooms?.join ?? {})) {
      const events = [...(room.state?.events ?? []), ...(room.state_after?.events ?? []), ...(room.timeline?.events ?? [])];
      for (const e of events) {
        if (e?.state_key !== "") continue;
        if (e.type === "m.room.name" && typeof e.content?.name === "string" && e.content.name) state.names.set(roomId, e.content.name);
        if (e.type === "m.room.canonical_alias" && typeof e.content?.alias === "string" && !state.names.has(roomId)) state.names.set(roomId, e.content.alias);
        if (e.type === "m.room.join_rules" && typeof e.content?.join_rule === "string") state.joinRules.set(roomId, e.content.join_rule);
      }
    }
    for (const roomId of Object.keys(body?.rooms?.leave ?? {})) state.joinRules.delete(roomId);
  }

  function roomLabel(state, roomId) {
    const knock = state.session.myKnocks().find((k) => k.roomId === roomId);
    return state.names.get(roomId) ?? knock?.preview?.name ?? knock?.preview?.canonicalAlias ?? roomId;
  }

  /** SyncChanges in words: the activity log and the aria-live region. */
  function report(state, changes, first) {
    const lines = [];
    for (const c of changes) {
      const room = roomLabel(state, c.roomId);
      const by = c.by ? ` by ${c.by}` : "";
      const reason = c.reason ? ` (“${c.reason}”)` : "";
      const text = {
        knockSent: `Your knock on ${room} is pending.`,
        knockAccepted: `Your knock on ${room} was accepted${by}${reason}. You can join now.`,
        knockDeclined: `Your knock on ${room} was declined${by}${reason}.`,
        knockRescinded: `You withdrew your knock on ${room}.`,
        knockBanned: `You were banned from ${room}${by}${reason}.`,
        knockUnbanned: `You were unbanned from ${room}${by}: you may knock again.`,
        knockJoined: `You joined ${room}.`,
        requestNew: `${c.userId} asks to join ${room}${reason}.`,
        requestWithdrawn: `${c.userId} withdrew their knock on ${room}.`,
        requestDecided: `${c.userId}'s knock on ${room} was ${c.outcome ?? "decided"}${by}.`,
        eventsSkipped: `${c.count ?? "Some"} malformed events in ${room} were skipped.`,
        roomIncomplete: `The state of ${room} is incomplete: decisions there wait for a full sync.`,
      }[c.kind];
      if (text) lines.push(text);
    }
    if (lines.length === 0) return;
    const time = new Date().toLocaleTimeString();
    for (const line of lines) state.log.unshift({ time, line });
    state.log.length = Math.min(state.log.length, 40);
    // The first sync reports everything that already exists: say only how much.
    announce(!first && lines.length <= 3 ? lines.join(" ") : `${lines.length} updates.`);
  }

  // -------------------------------------------------------------------- actions

  /** Sends a request built by the session; shows a typed error. */
  async function send(state, request) {
    const body = await state.http.send(request);
    return state.session.parseResponse(request, 200, body);
  }

  async function moderate(state, roomId, userId, action, button) {
    const key = `${roomId}|${userId}`;
    const reason = root.querySelector(`[data-room-reason="${CSS.escape(roomId)}"]`)?.value.trim() || undefined;
    state.busy.set(key, action);
    state.notes.delete(key);
    render();
    try {
      const build = { accept: "accept", decline: "decline", ban: "declineAndBan" }[action];
      const request = state.session[build](roomId, userId, { reason });
      await send(state, request);
      const done = { accept: "accepted", decline: "declined", ban: "declined and banned" }[action];
      state.log.unshift({ time: new Date().toLocaleTimeString(), line: `You ${done} ${userId} in ${roomLabel(state, roomId)}.` });
      announce(`You ${done} ${userId}. The list updates with the next sync.`);
    } catch (error) {
      state.notes.set(key, error);
      announce(`Failed: ${describeError(error).title}`);
    } finally {
      state.busy.delete(key);
      if (alive(state)) render();
    }
  }

  async function ownAction(state, roomId, action, button) {
    const key = `${roomId}|${state.userId}`;
    state.notes.delete(key);
    button.disabled = true;
    button.textContent = "Sending…";
    try {
      const knock = state.session.myKnocks().find((k) => k.roomId === roomId);
      const via = knock?.via?.length ? knock.via : undefined;
      const request =
        action === "rescind"
          ? state.session.rescind(roomId, {})
          : action === "join"
            ? state.session.join(roomId, { via })
            : state.session.knock(roomId, { reason: knock?.reason, via });
      await send(state, request);
      announce({ rescind: "Knock withdrawn.", join: "Joined.", knock: "Knocked again." }[action]);
    } catch (error) {
      state.notes.set(key, error);
    } finally {
      if (alive(state)) render();
    }
  }

  $("#knock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const state = s;
    if (!state) return;
    const result = $("#knock-result");
    const room = $("#knock-room").value.trim();
    const reason = $("#knock-reason").value.trim();
    const via = $("#knock-via").value.split(/[\s,]+/).filter(Boolean);
    result.className = "result";
    if (!room) {
      result.textContent = "Enter a room ID (!…) or an alias (#…).";
      result.classList.add("is-error");
      $("#knock-room").focus();
      return;
    }
    const button = $("#knock-submit");
    button.disabled = true;
    result.textContent = "Knocking…";
    try {
      const request = state.session.knock(room, { reason: reason || undefined, via: via.length ? via : undefined });
      const parsed = await send(state, request);
      result.textContent = `Knock sent to ${room}${parsed.roomId && parsed.roomId !== room ? ` (${parsed.roomId})` : ""}. It shows under “Your knocks” with the next sync.`;
      result.classList.add("is-ok");
      $("#knock-reason").value = "";
    } catch (error) {
      const { title, detail, meaning } = describeError(error);
      result.replaceChildren(h("strong", null, "Knock failed. "), title, detail ? h("span", { class: "error-detail" }, ` ${detail}.`) : null);
      result.dataset.meaning = meaning;
      result.classList.add("is-error");
    } finally {
      button.disabled = false;
    }
  });

  // ------------------------------------------------------------------ rendering

  function render() {
    const state = s;
    if (!state) return;
    keepFocus(root, () => {
      renderMyKnocks(state);
      renderModeration(state);
      renderLog(state);
    });
  }

  function noteFor(state, key) {
    const error = state.notes.get(key);
    if (!error) return null;
    const { title, detail, meaning } = describeError(error);
    return h("div", { class: "error-box inline", role: "alert", dataset: { meaning } }, h("p", { class: "error-title" }, title), detail ? h("p", { class: "error-detail" }, detail) : null);
  }

  function renderMyKnocks(state) {
    const list = $("#my-knocks");
    const knocks = state.session.myKnocks().sort((a, b) => b.since - a.since);
    if (knocks.length === 0) {
      list.replaceChildren(h("li", { class: "empty" }, state.synced ? "You have no knocks. Knock on a room below." : "Waiting for the first sync…"));
      return;
    }
    list.replaceChildren(
      ...knocks.map((k) => {
        const title = k.preview?.name ?? k.preview?.canonicalAlias ?? state.names.get(k.roomId) ?? k.roomId;
        const actions = [];
        if (k.status === "pending") actions.push(["rescind", "Rescind knock"]);
        if (k.status === "accepted") actions.push(["join", "Join the room"]);
        if (k.status === "declined" || k.status === "rescinded" || k.status === "unbanned") actions.push(["knock", "Knock again"]);
        const details = [];
        if (k.status === "pending" && k.waitedMs !== undefined) details.push(`Knocked ${ago(k.waitedMs)}.`);
        else details.push(`${STATUS_WORD[k.status] ?? "Updated"} ${ago(Date.now() - k.since) || new Date(k.since).toLocaleString()}${k.decidedBy ? ` by ${k.decidedBy}` : ""}${k.decisionReason ? `: “${k.decisionReason}”` : "."}`);
        if (k.reason) details.push(`Your reason: “${k.reason}”`);
        return h(
          "li",
          { class: "request my-knock", dataset: { roomId: k.roomId, status: k.status } },
          h("div", { class: "request-head" }, h("strong", null, title), " ", title !== k.roomId ? h("span", { class: "user-id" }, k.roomId) : null),
          h("p", null, h("span", { class: `status status-${k.status}` }, STATUS_TEXT[k.status] ?? k.status)),
          h("ul", { class: "knock-facts" }, details.map((d) => h("li", null, d))),
          k.preview?.topic ? h("p", { class: "about" }, `Topic: ${k.preview.topic}`) : null,
          k.mayNeverHearBack
            ? h("p", { class: "warning" }, "Your server is probably not in this room: if the knock is declined you may never hear back (a known Matrix federation gap, MSC4233).")
            : null,
          k.preview?.name || k.preview?.topic ? h("p", { class: "hint" }, "Room details come from stripped state and are unverified.") : null,
          actions.length
            ? h(
                "div",
                { class: "row-actions" },
                actions.map(([action, label]) =>
                  h("button", { type: "button", class: "act", dataset: { action }, onclick: (e) => ownAction(state, k.roomId, action, e.currentTarget) }, label),
                ),
              )
            : null,
          noteFor(state, `${k.roomId}|${state.userId}`),
        );
      }),
    );
  }

  function renderModeration(state) {
    const container = $("#mod-rooms");
    // Keep typed reasons across re-renders.
    const reasons = new Map([...container.querySelectorAll("[data-room-reason]")].map((i) => [i.dataset.roomReason, i.value]));
    const rooms = [];
    for (const roomId of state.session.roomIds()) {
      let queue;
      try {
        queue = state.session.knockRequests(roomId) ?? [];
      } catch (error) {
        // One room the module cannot answer for must not hide the others.
        rooms.push({ roomId, queue: [], error });
        continue;
      }
      const rule = state.joinRules.get(roomId);
      if (queue.length === 0 && rule !== "knock" && rule !== "knock_restricted") continue;
      rooms.push({ roomId, queue });
    }
    if (rooms.length === 0) {
      container.replaceChildren(
        h("p", { class: "empty" }, state.synced ? "None of your rooms has a knock join rule or pending knocks." : "Waiting for the first sync…"),
      );
      return;
    }
    container.replaceChildren(
      ...rooms.map(({ roomId, queue, error }) => {
        const reasonId = `reason-${roomId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
        const unseen = queue.filter((q) => !q.seen).map((q) => q.userId);
        return h(
          "section",
          { class: "mod-room", dataset: { roomId }, "aria-label": roomLabel(state, roomId) },
          h(
            "h4",
            null,
            roomLabel(state, roomId),
            " ",
            h("span", { class: "user-id" }, roomId),
            h("span", { class: "badge" }, `${queue.length} pending`),
          ),
          error
            ? h(
                "div",
                { class: "error-box inline", role: "alert" },
                h("p", { class: "error-title" }, `The knock requests of this room could not be read: ${describeError(error).title}`),
              )
            : null,
          error
            ? null
            : queue.length
            ? h(
                "div",
                { class: "field-row" },
                h("label", { for: reasonId }, "Reason sent with your decision ", h("span", { class: "hint" }, "(optional)")),
                h("input", { id: reasonId, type: "text", autocomplete: "off", dataset: { roomReason: roomId }, value: reasons.get(roomId) ?? "" }),
              )
            : h("p", { class: "empty" }, "No pending knocks."),
          queue.length
            ? h(
                "ol",
                { class: "requests" },
                queue.map((q) => {
                  const key = `${roomId}|${q.userId}`;
                  const sending = state.busy.get(key);
                  return h(
                    "li",
                    { class: "request", dataset: { user: q.userId, seen: String(q.seen) } },
                    h(
                      "div",
                      { class: "request-head" },
                      h("strong", null, q.displayName ?? q.userId),
                      " ",
                      q.displayName ? h("span", { class: "user-id" }, q.userId) : null,
                      q.seen ? null : h("span", { class: "badge new" }, "new"),
                      q.ageMs !== undefined ? h("span", { class: "about" }, ` · ${ago(q.ageMs)}`) : null,
                    ),
                    q.reason ? h("blockquote", { class: "reason" }, q.reason) : h("p", { class: "reason none" }, "No reason given."),
                    h(
                      "ul",
                      { class: "decisions rows", "aria-label": `Your actions on ${q.displayName ?? q.userId}` },
                      ["accept", "decline", "ban"].map((action) =>
                        decisionItem(q[action], {
                          actor: state.userId,
                          target: q.userId,
                          busy: sending === action ? "sending" : Boolean(sending),
                          onActivate: (button) => moderate(state, roomId, q.userId, action, button),
                        }),
                      ),
                    ),
                    noteFor(state, key),
                  );
                }),
              )
            : null,
          unseen.length
            ? h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  onclick: () => {
                    state.session.markSeen(roomId, unseen);
                    try {
                      localStorage.setItem(seenKey(), state.session.exportSeen());
                    } catch {
                      // optional
                    }
                    render();
                    announce(`Marked ${unseen.length} as seen.`);
                  },
                },
                `Mark ${unseen.length} as seen`,
              )
            : null,
        );
      }),
    );
  }

  function renderLog(state) {
    const list = $("#live-log");
    if (state.log.length === 0) {
      list.replaceChildren(h("li", { class: "empty" }, "Nothing yet."));
      return;
    }
    list.replaceChildren(...state.log.map((e) => h("li", null, h("time", null, e.time), " ", e.line)));
  }
}
