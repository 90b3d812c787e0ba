// Dashboard: job counts by status, queue depths, workers online, throughput (the snapshot's
// `dashboard` section) and quick actions (a few common forms, plus any action whose view is
// "dashboard").
import { h, statusBadge } from "../ui.js";
import { Catalogue, actionCard } from "../catalogue.js";

const QUICK = ["job.submit", "system.announce", "system.maintenance_enable", "system.maintenance_disable", "queue.create", "cache.flush"];

export function render(root, { data }) {
  const cards = h("div", { class: "cards", "aria-live": "polite" });
  const depths = h("div", { class: "depths" });
  function draw() {
    const d = data.section("dashboard");
    if (!d) { cards.replaceChildren(h("p", { class: "hint" }, "Loading…")); return; }
    if (d.available === false) { cards.replaceChildren(h("p", {}, d.reason)); return; }
    const by = d.jobs_by_status || {};
    const tp = d.throughput || {};
    cards.replaceChildren(
      ...Object.entries(by).map(([s, n]) => h("div", { class: "card stat", dataset: { stat: s } }, statusBadge(s), h("span", { class: "big" }, String(n)))),
      h("div", { class: "card stat", dataset: { stat: "workers" } }, h("span", {}, "workers online"), h("span", { class: "big" }, String(d.workers_online ?? "—"))),
      h("div", { class: "card stat", dataset: { stat: "throughput" } }, h("span", {}, "finished / min"), h("span", { class: "big" }, String(tp.per_min ?? "—"))));
    const q = d.queue_depths || {};
    const max = Math.max(1, ...Object.values(q));
    depths.replaceChildren(h("ul", { class: "bars" }, Object.entries(q).map(([name, n]) =>
      h("li", {}, h("span", { class: "bar-label" }, name), h("meter", { min: 0, max, value: n, "aria-label": `${name} depth` }), h("span", { class: "num" }, String(n))))));
  }
  const quick = [...new Set([...QUICK.filter((n) => Catalogue.get(n)), ...Catalogue.forView("dashboard").map((a) => a.name)])];
  root.append(
    h("section", { "aria-labelledby": "d-jobs" }, h("h2", { id: "d-jobs" }, "Jobs"), cards),
    h("section", { "aria-labelledby": "d-q" }, h("h2", { id: "d-q" }, "Queue depths"), depths),
    h("section", { class: "actions-panel", "aria-labelledby": "d-quick" }, h("h2", { id: "d-quick" }, "Quick actions"),
      h("div", { class: "action-list" }, quick.map((n) => actionCard(Catalogue.get(n))))));
  draw();
  return data.onSnapshot(draw);
}
