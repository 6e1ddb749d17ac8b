// A tiny Matrix Client-Server API client over the global fetch, for the Synapse
// integration tests. Every call returns { status, body } and never throws on an
// HTTP error status (only on network failure). 429 responses are retried after
// retry_after_ms.
//
// Only ever talk to a loopback homeserver: the constructor refuses other hosts.

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export class MatrixClient {
  /** @param {string} baseUrl e.g. http://127.0.0.1:8448 */
  constructor(baseUrl) {
    const u = new URL(baseUrl);
    if (!LOOPBACK.has(u.hostname)) {
      throw new Error(`refusing to talk to non-loopback homeserver ${baseUrl}`);
    }
    this.baseUrl = u.origin;
    this.requests = 0;
    this.retries429 = 0;
  }

  /**
   * @param {string} method
   * @param {string} path  path below the origin, already percent-encoded
   * @param {{token?: string, body?: any, timeoutMs?: number}} [opts]
   * @returns {Promise<{status: number, body: any}>}
   */
  async request(method, path, { token, body, timeoutMs = 30000 } = {}) {
    for (let attempt = 0; ; attempt++) {
      const headers = { accept: "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      let payload;
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body);
      }
      this.requests++;
      const res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = { raw: text };
      }
      if (res.status === 429 && attempt < 20) {
        this.retries429++;
        const wait = Math.min(Number(parsed?.retry_after_ms) || 200, 5000);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      return { status: res.status, body: parsed };
    }
  }

  async versions() {
    return this.request("GET", "/_matrix/client/versions", { timeoutMs: 5000 });
  }

  /**
   * Registers a user with the m.login.dummy flow.
   * @returns {Promise<MatrixUser>}
   */
  async register(localpart, password = "grid-password-" + localpart) {
    const path = "/_matrix/client/v3/register";
    let body = { username: localpart, password, auth: { type: "m.login.dummy" }, inhibit_login: false };
    let res = await this.request("POST", path, { body });
    if (res.status === 401 && res.body?.session) {
      body = { ...body, auth: { type: "m.login.dummy", session: res.body.session } };
      res = await this.request("POST", path, { body });
    }
    if (res.status !== 200 || !res.body?.access_token) {
      throw new Error(`register ${localpart} failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return new MatrixUser(this, res.body.user_id, res.body.access_token);
  }
}

const enc = encodeURIComponent;
const V3 = "/_matrix/client/v3";

export class MatrixUser {
  /** @param {MatrixClient} client */
  constructor(client, userId, token) {
    this.client = client;
    this.userId = userId;
    this.token = token;
  }

  req(method, path, body) {
    return this.client.request(method, V3 + path, { token: this.token, body });
  }

  createRoom(body) {
    return this.req("POST", "/createRoom", body);
  }
  /** GET /rooms/{roomId}/state: an array of state events. */
  state(roomId) {
    return this.req("GET", `/rooms/${enc(roomId)}/state`);
  }
  joinedRooms() {
    return this.req("GET", "/joined_rooms");
  }
  putState(roomId, type, stateKey, content) {
    return this.req("PUT", `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, content);
  }
  getState(roomId, type, stateKey = "") {
    return this.req("GET", `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`);
  }

  knock(roomId, reason) {
    return this.req("POST", `/knock/${enc(roomId)}`, reason === undefined ? {} : { reason });
  }
  join(roomId) {
    return this.req("POST", `/join/${enc(roomId)}`, {});
  }
  leave(roomId) {
    return this.req("POST", `/rooms/${enc(roomId)}/leave`, {});
  }
  /** Sets another user's membership directly (used for "leave" with a target). */
  setMembership(roomId, target, membership) {
    return this.putState(roomId, "m.room.member", target, { membership });
  }
  invite(roomId, userId) {
    return this.req("POST", `/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }
  kick(roomId, userId) {
    return this.req("POST", `/rooms/${enc(roomId)}/kick`, { user_id: userId });
  }
  ban(roomId, userId) {
    return this.req("POST", `/rooms/${enc(roomId)}/ban`, { user_id: userId });
  }
  unban(roomId, userId) {
    return this.req("POST", `/rooms/${enc(roomId)}/unban`, { user_id: userId });
  }
}

/** Throws unless the response is 2xx; returns the body. */
export function ok(res, what) {
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}
