// The demo page: loads pkg/matrix_knock.js and its WebAssembly, then starts the built-in and the
// live mode. If the package or the .wasm cannot be loaded, the page says so in words instead of
// showing dead controls.
import { initBuiltin } from "./builtin.js";
import { initLive } from "./live.js";
import { h } from "./ui.js";

const PKG = "../pkg/matrix_knock.js";
const status = document.getElementById("load-status");

function showLoadError(error) {
  const box = document.getElementById("load-error");
  const detail = String(error?.message ?? error);
  const missingBuild = /fetch|404|Not Found|import/i.test(detail);
  box.replaceChildren(
    h("p", { class: "error-title" }, "The matrix-knock WebAssembly module could not be loaded, so this demo cannot run."),
    h("p", { class: "error-detail" }, `Reason: ${detail}`),
    typeof WebAssembly !== "object"
      ? h("p", null, "This browser does not support WebAssembly. Try a current Firefox, Chrome, Edge or Safari.")
      : missingBuild
        ? h(
            "p",
            null,
            "If you run the demo from a checkout, build the package first: ",
            h("code", null, "scripts/demo"),
            " builds ",
            h("code", null, "pkg/"),
            " when it is missing (or run ",
            h("code", null, "scripts/build"),
            "), and serves the page with the application/wasm type.",
          )
        : h("p", null, "Reload the page to try again; the browser console has the details."),
  );
  box.hidden = false;
  status.hidden = true;
  document.body.dataset.loaded = "error";
}

async function load() {
  if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available in this browser.");
  const started = performance.now();
  const mk = await import(PKG);
  await mk.default();
  return { mk, ms: performance.now() - started };
}

function setMode(mode, { focus = false } = {}) {
  for (const button of document.querySelectorAll("#mode-nav .mode")) {
    const on = button.dataset.mode === mode;
    button.setAttribute("aria-pressed", String(on));
    document.getElementById(button.dataset.mode).hidden = !on;
  }
  document.body.dataset.mode = mode;
  if (focus) document.getElementById(`${mode}-title`).focus();
}

let loaded = null;
try {
  loaded = await load();
} catch (error) {
  console.error(error);
  showLoadError(error);
}

if (loaded) {
  const { mk, ms } = loaded;
  status.textContent = `WebAssembly module loaded in ${ms.toFixed(0)} ms. Everything below is decided by it, in this page.`;
  status.classList.add("ok");
  try {
    initBuiltin(mk, document.getElementById("builtin"));
    initLive(mk, document.getElementById("live"));
  } catch (error) {
    // A bug in the page or the module: say so rather than show half a page.
    console.error(error);
    const box = document.getElementById("load-error");
    box.replaceChildren(h("p", { class: "error-title" }, `The demo failed to start: ${error?.code ? `${error.code}: ` : ""}${error?.message ?? error}`));
    box.hidden = false;
    document.body.dataset.loaded = "error";
    throw error;
  }
  document.getElementById("mode-nav").hidden = false;
  for (const button of document.querySelectorAll("#mode-nav .mode")) {
    button.addEventListener("click", () => {
      history.replaceState(null, "", `#${button.dataset.mode}`);
      setMode(button.dataset.mode, { focus: true });
    });
  }
  for (const id of ["builtin-title", "live-title"]) document.getElementById(id).setAttribute("tabindex", "-1");
  setMode(location.hash === "#live" ? "live" : "builtin");
  window.addEventListener("hashchange", () => setMode(location.hash === "#live" ? "live" : "builtin"));
  document.body.dataset.loaded = "true";
}
