// Jobs & Queue: queue depths (from the snapshot), the jobs table (job.list with filters and
// server-side paging, so 10,000 jobs cost one page), row buttons for every job- or queue-scoped
// action in the catalogue, and the view's generated forms. Rows change from events in place.
import { h, table, tableRow, statusBadge, fmtTime } from "../ui.js";
import { ActionService } from "../action-service.js";
import { Catalogue, actionButton, actionPanel } from "../catalogue.js";

const PAGE_SIZE = 25;
const STATUS_OF_EVENT = { "job.started": "running", "job.succeeded": "succeeded", "job.failed": "failed", "job.cancelled": "cancelled" };

// Row buttons that only make sense in some states (others are always shown).
const APPLIES = { "job.cancel": ["pending", "running"], "job.terminate": ["running"], "job.retry": ["failed", "cancelled"] };

// Actions of this view whose payload names one row: a button per row, no form needed.
function scoped(field) {
  return Catalogue.forView("jobs").filter((a) => a.kind === "command" && field in (a.payload_schema?.properties || {}) &&
    Object.keys(a.payload_schema.properties).every((k) => k === field || k === "dry_run"));
}

export function render(root, { data }) {
  const offs = [];
  // --- queues ---
  const queueBox = h("div", { class: "queues" });
  const queueActions = scoped("queue_name");
  const qcols = [
    { key: "queue_name", label: "Queue" },
    { key: "depth", label: "Depth", render: (q) => h("span", { class: "num" }, String(q.depth ?? 0)) },
    { key: "paused", label: "State", render: (q) => statusBadge(q.paused ? "paused" : "active") },
    { key: "description", label: "Description" },
  ];
  function drawQueues() {
    const sec = data.section("queues");
    if (!sec) { queueBox.replaceChildren(h("p", { class: "hint" }, "Loading queues…")); return; }
    if (sec.available === false) { queueBox.replaceChildren(h("p", {}, sec.reason)); return; }
    const items = sec.items || [];
    const max = Math.max(1, ...items.map((q) => q.depth || 0));
    queueBox.replaceChildren(table(qcols.concat([{ key: "bar", label: "Load", render: (q) => h("meter", { min: 0, max, value: q.depth || 0, "aria-label": `${q.queue_name} depth` }) }]), items, {
      caption: "Queues", rowKey: "queue_name",
      rowActions: (q) => queueActions.filter((a) => !(a.name === "queue.pause" && q.paused) && !(a.name === "queue.resume" && !q.paused))
        .map((a) => actionButton(a.name, { queue_name: q.queue_name })),
    }));
  }

  // --- jobs ---
  const jobActions = scoped("job_id");
  const listAction = Catalogue.get("job.list");
  const statusEnum = listAction?.payload_schema?.properties?.status?.enum?.filter((s) => s !== "unspecified") || [];
  const fStatus = h("select", { id: "f-status", name: "status" }, h("option", { value: "" }, "any"), statusEnum.map((s) => h("option", { value: s }, s)));
  const fQueue = h("input", { id: "f-queue", name: "queue", type: "text", autocomplete: "off" });
  const fTask = h("input", { id: "f-task", name: "task", type: "text", autocomplete: "off" });
  const filters = h("form", { class: "filters", "aria-label": "Job filters" },
    h("div", { class: "field" }, h("label", { for: "f-status" }, "Status"), fStatus),
    h("div", { class: "field" }, h("label", { for: "f-queue" }, "Queue"), fQueue),
    h("div", { class: "field" }, h("label", { for: "f-task" }, "Task"), fTask),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply filters")));
  const jobsBox = h("div", { class: "jobs", "aria-live": "polite" });
  const prev = h("button", { type: "button", disabled: true }, "← Previous");
  const next = h("button", { type: "button", disabled: true }, "Next →");
  const pageInfo = h("span", { class: "hint" });
  const jcols = [
    { key: "job_id", label: "Job", render: (j) => h("code", {}, j.job_id) },
    { key: "task", label: "Task" },
    { key: "queue", label: "Queue" },
    { key: "status", label: "Status", render: (j) => statusBadge(j.status) },
    { key: "attempts", label: "Attempts" },
    { key: "created_at", label: "Created", render: (j) => fmtTime(j.created_at) },
  ];
  let tokens = [""], page = 0, rows = [], current = {};
  const rowOpts = { rowKey: "job_id", rowActions: (j) => jobActions.filter((a) => !APPLIES[a.name] || APPLIES[a.name].includes(j.status))
    .map((a) => actionButton(a.name, { job_id: j.job_id })) };

  async function load() {
    if (!listAction) { jobsBox.replaceChildren(h("p", {}, "job.list is not in the catalogue.")); return; }
    if (!listAction.allowed) { jobsBox.replaceChildren(h("p", {}, "Your role may not list jobs.")); return; }
    current = Object.fromEntries(Object.entries({ status: fStatus.value, queue: fQueue.value.trim(), task: fTask.value.trim() }).filter(([, v]) => v));
    const res = await ActionService.run("job.list", { ...current, page_size: PAGE_SIZE, page_token: tokens[page] }, { quiet: true });
    if (!res.ok) { jobsBox.replaceChildren(h("p", { role: "alert" }, `Could not list jobs: ${res.problem.detail || res.problem.status} (trace ${res.problem.traceId})`)); return; }
    rows = res.data.jobs || [];
    tokens[page + 1] = res.data.next_page_token || "";
    jobsBox.replaceChildren(table(jcols, rows, { caption: `Jobs, page ${page + 1}`, ...rowOpts }));
    prev.disabled = page === 0;
    next.disabled = !tokens[page + 1];
    pageInfo.textContent = `Page ${page + 1} · ${rows.length} jobs`;
  }
  filters.addEventListener("submit", (e) => { e.preventDefault(); tokens = [""]; page = 0; load(); });
  prev.addEventListener("click", () => { if (page > 0) { page -= 1; load(); } });
  next.addEventListener("click", () => { if (tokens[page + 1]) { page += 1; load(); } });

  function matches(j) {
    return (!current.status || current.status === j.status) && (!current.queue || current.queue === j.queue) && (!current.task || current.task === j.task);
  }
  // Events update rows in place (no refetch): status changes, and new jobs on the first page.
  offs.push(data.onEvent(["job."], (ev) => {
    const d = ev.data || {};
    const tbody = jobsBox.querySelector("tbody");
    if (!tbody || !d.job_id) return;
    const tr = tbody.querySelector(`tr[data-key="${CSS.escape(d.job_id)}"]`);
    const status = STATUS_OF_EVENT[ev.type];
    if (tr && status) {
      const job = rows.find((r) => r.job_id === d.job_id);
      if (job) job.status = status;
      tr.querySelector('[data-col="status"]').replaceChildren(statusBadge(status));
      if (job) tr.querySelector(".row-actions")?.replaceChildren(...rowOpts.rowActions(job).filter(Boolean));
      tr.dataset.updatedBy = `event:${ev.id}`;
    } else if (!tr && ev.type === "job.submitted" && page === 0) {
      const j = { job_id: d.job_id, task: d.task, queue: d.queue, status: "pending", attempts: 0, created_at: ev.ts };
      if (!matches(j)) return;
      tbody.querySelector("td.empty")?.parentElement.remove();
      rows.unshift(j);
      const row = tableRow(jcols, j, rowOpts);
      row.dataset.updatedBy = `event:${ev.id}`;
      tbody.prepend(row);
      while (tbody.children.length > PAGE_SIZE) tbody.lastElementChild.remove();
    }
  }));
  offs.push(data.onSnapshot(drawQueues));

  root.append(
    h("section", { "aria-labelledby": "q-h" }, h("h2", { id: "q-h" }, "Queues"), queueBox),
    h("section", { "aria-labelledby": "j-h" }, h("h2", { id: "j-h" }, "Jobs"), filters, jobsBox, h("div", { class: "pager" }, prev, pageInfo, next)),
    actionPanel("jobs"));
  drawQueues();
  load();
  return () => offs.forEach((f) => f());
}
