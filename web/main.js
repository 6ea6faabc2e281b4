// The demo page: runs the layer through the WebAssembly module and draws what comes back.
import init, { run_demo } from "./omnimoe_web.js";

const $ = (id) => document.getElementById(id);
let last = null;

function status(text, cls) {
  $("status").textContent = text;
  $("status").className = cls || "";
}

function table(el, rows) {
  el.innerHTML = rows.map((r) => "<tr>" + r.map((c) => `<td>${c}</td>`).join("") + "</tr>").join("");
}

function options() {
  const o = {};
  for (const k of ["tokens", "hidden", "intermediate", "experts", "top_k", "seed"]) o[k] = Number($(k).value);
  return o;
}

function drawHeatmap() {
  const r = last.config.grid, load = last.load, cv = $("heatmap"), g = cv.getContext("2d");
  const cell = cv.width / r, max = Math.max(1, ...load);
  g.fillStyle = "#000"; g.fillRect(0, 0, cv.width, cv.height);
  for (let e = 0; e < r * r; e++) {
    const v = Math.sqrt(load[e] / max);
    g.fillStyle = `rgb(${Math.round(255 * v)}, ${Math.round(200 * v * v)}, ${Math.round(90 * (1 - v))})`;
    g.fillRect((e % r) * cell, Math.floor(e / r) * cell, Math.ceil(cell), Math.ceil(cell));
  }
  const t = Math.min(Number($("token").value) || 0, last.config.tokens - 1), k = last.config.top_k;
  g.strokeStyle = "#0ff"; g.lineWidth = Math.max(1, cell / 6);
  const rows = [["slot", "expert", "(i, j)", "weight"]];
  for (let s = 0; s < k; s++) {
    const e = last.indices[t * k + s];
    g.strokeRect((e % r) * cell + 0.5, Math.floor(e / r) * cell + 0.5, cell - 1, cell - 1);
    rows.push([s, e, `(${Math.floor(e / r)}, ${e % r})`, Math.exp(last.scores[t * k + s]).toFixed(4)]);
  }
  table($("chosen"), rows);
}

async function run() {
  status("Running…");
  const file = $("file").files[0];
  const bytes = file ? new Uint8Array(await file.arrayBuffer()) : undefined;
  let res;
  try {
    res = JSON.parse(await run_demo(JSON.stringify(options()), bytes));
  } catch (e) {
    status("Error: " + e, "bad");
    window.omnimoeResult = { ok: false, error: String(e) };
    return;
  }
  last = res;
  $("adapter").textContent = res.adapter;
  const f = res.features;
  table($("features"), [
    ["SHADER_F16", f.shader_f16 ? "yes" : "no (f32 storage)"],
    ["SUBGROUP", f.subgroup ? `yes (size ${f.subgroup_sizes.join("…")})` : "no"],
    ["TIMESTAMP_QUERY", f.timestamp_query ? "yes (per-stage GPU times)" : "no (wall clock)"],
    ["cooperative matrix", f.cooperative_matrix ? "yes" : "no"],
  ]);
  const st = [["stage", "GPU ms"], ...res.stages.map(([n, ms]) => [n, ms.toFixed(3)])];
  st.push(["whole layer (GPU)", res.layerMs.toFixed(3)], ["whole layer (wall)", res.wallMs.toFixed(3)], ["CPU reference (wasm)", res.cpuMs.toFixed(3)]);
  table($("stages"), st);
  $("token").max = res.config.tokens - 1;
  drawHeatmap();
  const c = res.config;
  status(`${res.ok ? "OK" : "MISMATCH"}: T=${c.tokens} H=${c.hidden} I=${c.intermediate} N=${c.experts} (R=${c.grid}) K=${c.top_k}; ` +
    `max |GPU − CPU| = ${res.maxAbsError.toExponential(2)}; layer ${res.layerMs.toFixed(3)} ms`, res.ok ? "good" : "bad");
  window.omnimoeResult = { ok: res.ok, maxAbsError: res.maxAbsError, adapter: res.adapter, layerMs: res.layerMs };
}

async function main() {
  if (!navigator.gpu) {
    status("WebGPU is not available in this browser. Use a browser with WebGPU enabled (Chrome or Edge 113+; " +
      "Firefox and Safari behind a flag), or start Chromium with --enable-unsafe-webgpu.", "bad");
    window.omnimoeResult = { ok: false, error: "no WebGPU" };
    return;
  }
  const q = new URLSearchParams(location.search);
  for (const [k, v] of q) if ($(k)) $(k).value = v;
  await init();
  $("form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("token").addEventListener("input", () => last && drawHeatmap());
  await run();
}

main();
