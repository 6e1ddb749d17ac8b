// Placeholder demo: load the wasm package built by scripts/build into pkg/
// and list what it exports. The real demo will replace this file.
import init, * as matrixKnock from "../pkg/matrix_knock.js";

const status = document.getElementById("status");
const list = document.getElementById("exports");

try {
  const started = performance.now();
  await init();
  const ms = (performance.now() - started).toFixed(1);
  status.textContent = `matrix-knock WebAssembly module loaded in ${ms} ms.`;
  status.className = "ok";
  for (const name of Object.keys(matrixKnock).sort()) {
    if (name === "default" || name === "initSync") continue;
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = name;
    item.append(code, ` (${typeof matrixKnock[name]})`);
    list.append(item);
  }
  document.body.dataset.loaded = "true";
} catch (error) {
  status.textContent = `Failed to load the module: ${error}`;
  status.className = "err";
  document.body.dataset.loaded = "error";
  throw error;
}
