// Shared pieces of the browser tests: the built package in Node, the in-process static server,
// Debian's Chromium through playwright-core, screenshots, and a tiny Matrix client for set-up.
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import * as mk from "../../pkg/matrix_knock.js";
import { serve } from "../../scripts/serve.mjs";

mk.initSync({ module: readFileSync(new URL("../../pkg/matrix_knock_bg.wasm", import.meta.url)) });
export { mk };

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const SHOTS = fileURLToPath(new URL("../../target/screenshots/", import.meta.url));

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** Serves the repository on a free loopback port and starts Chromium. */
export async function start() {
  const served = await serve({ root: REPO, port: 0, host: "127.0.0.1", log: false });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync(SHOTS, { recursive: true });
  return {
    url: served.url,
    origin: new URL(served.url).origin,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => served.server.close(resolve));
    },
  };
}

/**
 * A page that records every request it makes and every uncaught error, so a test can assert
 * the page needs no network beyond the demo server and the chosen homeserver.
 */
export async function openPage(context, url) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.requestsMade = [];
  page.errors = [];
  page.on("request", (r) => page.requestsMade.push(r.url()));
  page.on("pageerror", (e) => page.errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("body[data-loaded]");
  return page;
}

/** Asserts every request went to one of `origins` (data: URLs aside). */
export function onlyTalkedTo(page, origins) {
  const stray = page.requestsMade.filter((u) => !u.startsWith("data:") && !origins.some((o) => u.startsWith(o + "/")));
  return stray;
}

export async function screenshot(page, name) {
  const path = `${SHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

// ------------------------------------------------------------------ Matrix set-up (Node side)

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class Homeserver {
  constructor(baseUrl) {
    const url = new URL(baseUrl);
    if (!LOOPBACK.has(url.hostname)) throw new Error(`refusing a non-loopback homeserver: ${baseUrl}`);
    this.base = url.origin;
  }

  async call(method, path, { token, body } = {}) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(this.base + path, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const parsed = await res.json().catch(() => ({}));
      if (res.status === 429 && attempt < 10) {
        await new Promise((r) => setTimeout(r, Math.min(parsed.retry_after_ms ?? 200, 2000)));
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(parsed)}`);
      }
      return parsed;
    }
  }

  /** Registers `localpart` (m.login.dummy) → { userId, token, password, localpart }. */
  async register(localpart, password = `pw-${localpart}`) {
    const path = "/_matrix/client/v3/register";
    const body = { username: localpart, password, inhibit_login: false };
    const first = await fetch(this.base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const flow = await first.json();
    let done = flow;
    if (first.status === 401) {
      done = await this.call("POST", path, { body: { ...body, auth: { type: "m.login.dummy", session: flow.session } } });
    } else if (!first.ok) {
      throw new Error(`register ${localpart}: HTTP ${first.status} ${JSON.stringify(flow)}`);
    }
    return { userId: done.user_id, token: done.access_token, password, localpart };
  }

  state(user, roomId) {
    return this.call("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: user.token });
  }
}
