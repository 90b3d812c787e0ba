// The catalogue (GET /api/admin/actions) and everything the views build from it: which view an
// action belongs to, buttons that are enabled only when `allowed` (a disabled one says why), the
// per-view list of generated forms, and `perform`, the one flow from a user intent to a response
// (dry-run preview, confirmation, ActionService).
import { h, json, table, download } from "./ui.js";
import { session } from "./session.js";
import { ActionService } from "./action-service.js";
import { GeneratedForm, humanize } from "./forms.js";
import { confirmAction } from "./confirm.js";

export const VIEWS = [
  { id: "dashboard", title: "Dashboard" },
  { id: "jobs", title: "Jobs & Queue" },
  { id: "system", title: "System Controls" },
  { id: "workers", title: "Agents & Workers" },
  { id: "managers", title: "Managers" },
  { id: "logs", title: "System Logs" },
  { id: "config", title: "Configuration" },
  { id: "analytics", title: "Analytics" },
  { id: "audit", title: "Audit" },
];

// `view` strings services declare, and the console view each one lands in. Unknown names fall
// back to the action's domain (the part of its name before the dot), then to System Controls, so a
// new service's actions always show up somewhere.
const VIEW_ALIASES = {
  dashboard: "dashboard", home: "dashboard",
  jobs: "jobs", job: "jobs", queue: "jobs", queues: "jobs", deadletter: "jobs", "jobs & queue": "jobs",
  system: "system", gateway: "system", controls: "system", db: "system", database: "system", broker: "system",
  events: "system", circuit: "system", ratelimit: "system", cache: "system",
  workers: "workers", worker: "workers", agents: "workers", agent: "workers",
  managers: "managers", manager: "managers", schedule: "managers", schedules: "managers", scheduler: "managers",
  logs: "logs", log: "logs",
  config: "config", configuration: "config", settings: "config",
  analytics: "analytics", metrics: "analytics", reports: "analytics",
  audit: "audit",
};

export function viewOf(action) {
  const v = String(action.view || "").trim().toLowerCase();
  if (VIEW_ALIASES[v]) return VIEW_ALIASES[v];
  const domain = action.name.split(".")[0].toLowerCase();
  return VIEW_ALIASES[domain] || "system";
}

export const Catalogue = {
  actions: [],
  byName: new Map(),
  async load() {
    const resp = await fetch("/api/admin/actions", { headers: { Authorization: `Bearer ${session.token}` } });
    const body = await resp.json().catch(() => ({}));
    if (resp.status === 401) throw Object.assign(new Error(body.detail || "the gateway refused the token"), { auth: true });
    if (!resp.ok) throw new Error(`${body.title || resp.status}: ${body.detail || "cannot read the catalogue"} (trace ${body.trace_id || "?"})`);
    this.actions = body.actions.slice().sort((a, b) => a.name.localeCompare(b.name));
    this.byName = new Map(this.actions.map((a) => [a.name, a]));
    ActionService.catalogue = this.byName;
    return this.actions;
  },
  forView(id) { return this.actions.filter((a) => viewOf(a) === id); },
  get(name) { return this.byName.get(name); },
  allowed(name) { return !!this.byName.get(name)?.allowed; },
};

export function whyNot(a) {
  return `Not allowed for your roles (${session.roles.join(", ") || "none"}): ${a.name} needs the ${a.permission} permission.`;
}

// A button for one action with a fixed payload (table rows, quick actions). Hidden when the
// catalogue has no such action; disabled, with the reason, when the caller may not run it.
export function actionButton(name, payload, { label, onDone, extra = {} } = {}) {
  const a = Catalogue.get(name);
  if (!a) return null;
  const btn = h("button", { type: "button", class: `act risk-${a.risk}`, dataset: { action: name }, ...extra },
    label || humanize(name.split(".").slice(1).join(" ")));
  if (!a.allowed) {
    btn.disabled = true;
    btn.title = whyNot(a);
    btn.setAttribute("aria-label", `${btn.textContent} (${whyNot(a)})`);
  } else {
    btn.title = a.summary;
    btn.addEventListener("click", async () => {
      const missing = Object.keys(a.payload_schema?.properties || {}).filter((k) => !(k in payload) && k !== "dry_run");
      const res = missing.length ? await openFormDialog(a, payload) : await perform(a, payload);
      if (res?.ok && onDone) onDone(res);
    });
  }
  return btn;
}

function openFormDialog(a, prefill) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "form-dialog", "aria-label": `${a.name}: ${a.summary}` });
    const close = h("button", { type: "button", class: "dialog-close", "aria-label": "Close", onclick: () => dlg.close() }, "×");
    const out = h("div", { class: "result", "aria-live": "polite" });
    const form = new GeneratedForm(a, { prefill, onSubmit: async (payload) => {
      const res = await perform(a, payload, form);
      if (res) renderResult(out, a, res);
      if (res?.ok && a.kind === "command") { dlg.close(); resolve(res); }
    } });
    dlg.append(close, h("h2", {}, a.name), h("p", {}, a.summary), form.el, out);
    dlg.addEventListener("close", () => { dlg.remove(); resolve(null); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// The numbers a dry run reports (`cleared: 3`, `matched: 10`, …), for the confirmation text.
function dryRunCounts(data) {
  return Object.entries(data || {}).filter(([k, v]) => typeof v === "number" && k !== "duration_ms")
    .map(([k, v]) => `${humanize(k).toLowerCase()}: ${v}`).join(", ");
}

// One user intent: preview (dry run), confirm (HIGH/CRITICAL), then send. Returns the result.
export async function perform(a, payload, form) {
  if (a.kind === "query") return ActionService.run(a.name, payload, { form, quiet: true });
  const dryCapable = "dry_run" in (a.payload_schema?.properties || {});
  if (dryCapable && payload.dry_run === true) {
    return ActionService.run(a.name, payload, { form, label: `${a.name} (dry run)`, successDetail: (d) => `Dry run — ${dryRunCounts(d)}` });
  }
  let preview = null;
  if (dryCapable) {
    const res = await ActionService.run(a.name, { ...payload, dry_run: true }, { form, quiet: true });
    if (!res.ok) return res;
    preview = dryRunCounts(res.data) || "nothing reported";
  }
  if (a.risk === "high" || a.risk === "critical" || preview) {
    const ok = await confirmAction(a, payload, preview);
    if (!ok) return null;
  }
  const body = dryCapable ? { ...payload, dry_run: false } : payload;
  return ActionService.run(a.name, body, { form });
}

export function renderResult(out, a, res) {
  out.replaceChildren();
  if (!res || !res.ok) return;
  const d = res.data || {};
  if (typeof d.content === "string" && d.format) {
    const ext = String(d.format).toLowerCase() === "csv" ? "csv" : "json";
    out.append(h("button", { type: "button", class: "download", onclick: () => download(`${a.name}.${ext}`, d.content, ext === "csv" ? "text/csv" : "application/json") },
      `Download ${ext.toUpperCase()}${d.count !== undefined ? ` (${d.count} records)` : ""}`));
    return;
  }
  const list = Object.entries(d).find(([, v]) => Array.isArray(v) && v.length && typeof v[0] === "object");
  if (list) {
    const cols = Object.keys(list[1][0]).filter((k) => typeof list[1][0][k] !== "object").slice(0, 8).map((k) => ({ key: k, label: humanize(k) }));
    out.append(table(cols, list[1], { caption: `${list[0]} (${list[1].length})` }));
    const rest = Object.fromEntries(Object.entries(d).filter(([k]) => k !== list[0]));
    if (Object.keys(rest).length) out.append(json(rest));
  } else out.append(json(d));
}

// The view's catalogue section: every action whose `view` maps here, each a disclosure with its
// generated form. A new RPC with the option appears here without a console change.
export function actionPanel(viewId, { exclude = [] } = {}) {
  const actions = Catalogue.forView(viewId).filter((a) => !exclude.includes(a.name));
  const wrap = h("section", { class: "actions-panel", "aria-label": "Actions" }, h("h2", {}, "Actions"));
  if (!actions.length) {
    wrap.append(h("p", { class: "hint", dataset: { state: "no-actions" } }, "No actions for this view in the catalogue yet."));
    return wrap;
  }
  const list = h("div", { class: "action-list" });
  for (const a of actions) list.append(actionCard(a));
  wrap.append(list);
  return wrap;
}

export function actionCard(a) {
  const out = h("div", { class: "result", "aria-live": "polite" });
  const form = new GeneratedForm(a, { onSubmit: async (payload) => renderResult(out, a, await perform(a, payload, form)) });
  if (!a.allowed) {
    form.submit.disabled = true;
    form.submit.title = whyNot(a);
    form.el.append(h("p", { class: "why-not", dataset: { whyNot: a.name } }, whyNot(a)));
  }
  return h("details", { class: "action-card", dataset: { actionCard: a.name } },
    h("summary", {}, h("code", {}, a.name), " ", h("span", { class: `badge risk-${a.risk}` }, a.risk),
      " ", h("span", { class: "badge kind" }, a.kind), " ", h("span", { class: "summary-text" }, a.summary),
      a.allowed ? null : h("span", { class: "badge locked", title: whyNot(a) }, "not allowed")),
    form.el, out);
}
