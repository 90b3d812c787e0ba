// Analytics: charts drawn with the vendored uPlot (loaded on first use) from the snapshot —
// finished jobs per minute and jobs by status, sampled on every snapshot change — plus the
// analytics section and actions when the analytics RPCs are deployed, and export downloads.
import { h, download } from "../ui.js";
import { renderSection } from "./generic.js";
import { actionPanel } from "../catalogue.js";

const UPLOT = "/console/vendor/uplot/uPlot-1.6.32.iife.min.js";
const UPLOT_CSS = "/console/vendor/uplot/uPlot-1.6.32.min.css";
const samples = { t: [], perMin: [], pending: [], running: [], failed: [] };
const MAX = 360;
let loading = null;

function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loading ??= new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: UPLOT_CSS }));
    const s = h("script", { src: UPLOT });
    s.onload = () => resolve(window.uPlot);
    s.onerror = () => reject(new Error("chart library failed to load"));
    document.head.append(s);
  });
  return loading;
}

function sample(ssot) {
  const d = ssot?.dashboard;
  if (!d || d.available === false) return;
  const by = d.jobs_by_status || {};
  samples.t.push(Date.now() / 1000);
  samples.perMin.push(d.throughput?.per_min ?? 0);
  samples.pending.push(by.pending ?? 0);
  samples.running.push(by.running ?? 0);
  samples.failed.push(by.failed ?? 0);
  if (samples.t.length > MAX) for (const k of Object.keys(samples)) samples[k].shift();
}

function toCsv(rows) {
  if (!rows.length) return "";
  const cols = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== "object");
  const esc = (v) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
  return [cols.join(","), ...rows.map((r) => cols.map((c) => esc(r[c])).join(","))].join("\n") + "\n";
}

export function render(root, { data }) {
  const chartBox = h("div", { class: "chart", role: "img", "aria-label": "Throughput and jobs by status over time" });
  const sec = h("div", { class: "section-box", dataset: { section: "analytics" } });
  const exportJobs = h("button", { type: "button", onclick: () => download("recent-jobs.csv", toCsv(data.section("jobs")?.recent || []), "text/csv") }, "Download recent jobs (CSV)");
  const exportSnap = h("button", { type: "button", onclick: () => download("ssot.json", JSON.stringify(data.ssot, null, 2), "application/json") }, "Download snapshot (JSON)");
  root.append(
    h("section", { "aria-labelledby": "a-c" }, h("h2", { id: "a-c" }, "Throughput and backlog (live)"), chartBox),
    h("section", { "aria-labelledby": "a-e" }, h("h2", { id: "a-e" }, "Exports"), h("div", { class: "form-actions" }, exportJobs, exportSnap)),
    h("section", { "aria-labelledby": "a-s" }, h("h2", { id: "a-s" }, "Analytics service"), sec),
    actionPanel("analytics"));
  let plot = null;
  const width = () => Math.max(280, Math.min(1100, chartBox.clientWidth || 600));
  loadUplot().then((uPlot) => {
    plot = new uPlot({ width: width(), height: 240, scales: { x: { time: true } },
      series: [{}, { label: "finished/min", stroke: "#2563eb" }, { label: "pending", stroke: "#d97706" },
        { label: "running", stroke: "#059669" }, { label: "failed", stroke: "#dc2626" }] },
    [samples.t, samples.perMin, samples.pending, samples.running, samples.failed], chartBox);
  }).catch((e) => chartBox.replaceChildren(h("p", { role: "alert" }, e.message)));
  const draw = (ssot) => {
    renderSection(sec, "Analytics", data.section("analytics"));
    if (ssot) sample(ssot);
    if (plot) plot.setData([samples.t, samples.perMin, samples.pending, samples.running, samples.failed]);
  };
  const onResize = () => plot && plot.setSize({ width: width(), height: 240 });
  window.addEventListener("resize", onResize);
  draw(data.ssot);
  const off = data.onSnapshot(draw);
  return () => { off(); window.removeEventListener("resize", onResize); plot?.destroy(); };
}

// Samples accumulate while the console is open, whichever view is shown.
import("../central-data.js").then(({ CentralDataService }) => CentralDataService.onSnapshot(sample));
