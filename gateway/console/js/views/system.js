// System Controls: readiness of the gateway's backends and services (/readyz), circuit breakers
// (circuit.list), maintenance / announcement state (snapshot `system` section when the system
// service is deployed), and every system action (maintenance, announce, cache, rate limits, …).
import { h, table, statusBadge } from "../ui.js";
import { ActionService } from "../action-service.js";
import { Catalogue, actionButton } from "../catalogue.js";
import { renderSection } from "./generic.js";
import { actionPanel } from "../catalogue.js";

export function render(root, { data }) {
  const health = h("div", { class: "health", "aria-live": "polite" }, h("p", { class: "hint" }, "Checking…"));
  const breakers = h("div", { class: "breakers" });
  const sys = h("div", { class: "section-box", dataset: { section: "system" } });

  async function loadHealth() {
    try {
      const r = await fetch("/readyz");
      const b = await r.json();
      const rows = [{ name: "redis", state: b.redis }, { name: "postgresql", state: b.postgresql },
        ...Object.entries(b.services || {}).map(([name, state]) => ({ name, state }))];
      health.replaceChildren(table([{ key: "name", label: "Component" }, { key: "state", label: "Health", render: (x) => statusBadge(x.state) }], rows, { caption: b.ready ? "Gateway ready" : "Gateway NOT ready" }));
    } catch (e) { health.replaceChildren(h("p", { role: "alert" }, `Health unavailable: ${e.message}`)); }
  }
  async function loadBreakers() {
    if (!Catalogue.allowed("circuit.list")) { breakers.replaceChildren(h("p", { class: "hint" }, "circuit.list is not available to your role.")); return; }
    const res = await ActionService.run("circuit.list", {}, { quiet: true });
    if (!res.ok) { breakers.replaceChildren(h("p", { role: "alert" }, `Breakers unavailable: ${res.problem.detail}`)); return; }
    const items = Object.values(res.data).find(Array.isArray) || [];
    breakers.replaceChildren(table([{ key: "service", label: "Service" }, { key: "state", label: "Breaker", render: (b) => statusBadge(b.state) },
      { key: "fail_counter", label: "Failures" }], items, { caption: "Circuit breakers", rowKey: "service",
      rowActions: (b) => actionButton("circuit.reset", { service: b.service }, { label: "Reset", onDone: loadBreakers }) }));
  }
  const draw = () => renderSection(sys, "System service", data.section("system"));
  root.append(
    h("section", { "aria-labelledby": "h-h" }, h("h2", { id: "h-h" }, "Health"), health),
    h("section", { "aria-labelledby": "b-h" }, h("h2", { id: "b-h" }, "Circuit breakers"), breakers),
    h("section", { "aria-labelledby": "s-h" }, h("h2", { id: "s-h" }, "Maintenance & announcements"), sys),
    actionPanel("system"));
  loadHealth(); loadBreakers(); draw();
  const t = setInterval(loadHealth, 10000);
  const off = data.onSnapshot(draw);
  return () => { clearInterval(t); off(); };
}
