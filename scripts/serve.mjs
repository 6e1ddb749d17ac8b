// A tiny static file server for the demo, no dependencies.
//
//   node scripts/serve.mjs [root] [port] [host]
//
// Serves `root` (default: the repository root) on http://host:port/
// (defaults: 127.0.0.1, $PORT or 8080) with the right MIME types, including
// application/wasm so WebAssembly.instantiateStreaming works. Requests for
// paths outside the root (via "..", encoded slashes or symlinks) get 403.
//
// Importable too (the browser tests serve the repo in-process):
//   import { serve } from "./serve.mjs";
//   const { server, url } = await serve({ root, port: 0, log: false });
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

function send(res, status, text, headers = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(text + "\n");
}

/**
 * Serves `root` (default: the repository root) on http://host:port/ (port 0: a free one).
 * Resolves once listening with `{ server, url, port }`; `url` is the /www/ page.
 * `log: false` silences the per-request lines.
 */
export async function serve({ root: rootArg = join(here, ".."), port = 8080, host = "127.0.0.1", log: logging = true } = {}) {
  const root = await realpath(resolve(rootArg));
  const inside = (p) => p === root || p.startsWith(root + sep);
  const server = createServer(async (req, res) => {
    const log = (status) => logging && console.log(`${status} ${req.method} ${req.url}`);
    if (req.method !== "GET" && req.method !== "HEAD") {
      log(405);
      return send(res, 405, "method not allowed", { allow: "GET, HEAD" });
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      log(400);
      return send(res, 400, "bad request");
    }
    if (pathname.includes("\0")) {
      log(400);
      return send(res, 400, "bad request");
    }
    if (pathname === "/") {
      log(302);
      return send(res, 302, "see /www/", { location: "/www/" });
    }
    // Lexical check first, then the real path (symlinks) once it exists.
    let file = resolve(root, "." + pathname);
    if (!inside(file)) {
      log(403);
      return send(res, 403, "forbidden");
    }
    try {
      file = await realpath(file);
      if (!inside(file)) {
        log(403);
        return send(res, 403, "forbidden");
      }
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!pathname.endsWith("/")) {
          log(301);
          return send(res, 301, "moved", { location: pathname + "/" });
        }
        file = join(file, "index.html");
        info = await stat(file);
      }
      if (!info.isFile()) throw Object.assign(new Error(), { code: "ENOENT" });
      res.writeHead(200, {
        "content-type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      log(200);
      if (req.method === "HEAD") return res.end();
      createReadStream(file).pipe(res);
    } catch (e) {
      const status = e.code === "ENOENT" || e.code === "ENOTDIR" ? 404 : 500;
      log(status);
      send(res, status, status === 404 ? "not found" : "internal error");
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port: bound } = server.address();
  return { server, root, port: bound, url: `http://${host}:${bound}/www/` };
}

// Run as a script: node scripts/serve.mjs [root] [port] [host]
if (process.argv[1] && import.meta.url === pathToFileURL(await realpath(process.argv[1])).href) {
  const { server, root, url } = await serve({
    root: process.argv[2] ?? join(here, ".."),
    port: Number(process.argv[3] ?? process.env.PORT ?? 8080),
    host: process.argv[4] ?? process.env.HOST ?? "127.0.0.1",
  });
  console.log(`serving ${root}`);
  console.log(`demo: ${url}`);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
}
