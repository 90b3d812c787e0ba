// Audit: search (audit.search with filters and paging), chain verification (audit.verify) and
// export downloads (audit.export) — every one an action, so the role decides what is enabled.
import { h, table, statusBadge, fmtTime, download } from "../ui.js";
import { ActionService } from "../action-service.js";
import { Catalogue, actionPanel, whyNot } from "../catalogue.js";
import { GeneratedForm } from "../forms.js";

const PAGE = 50;

export function render(root) {
  const search = Catalogue.get("audit.search");
  const verify = Catalogue.get("audit.verify");
  const exp = Catalogue.get("audit.export");
  const results = h("div", { class: "audit-results", "aria-live": "polite" });
  const verifyOut = h("div", { class: "verify-out", role: "status" });
  const pager = h("div", { class: "pager" });
  let tokens = [""], page = 0, payload = {};
  const cols = [
    { key: "seq", label: "Seq" }, { key: "ts", label: "Time", render: (r) => fmtTime(r.ts) }, { key: "actor", label: "Actor" },
    { key: "action", label: "Action" }, { key: "outcome", label: "Outcome", render: (r) => statusBadge(r.outcome) },
    { key: "status", label: "HTTP" }, { key: "trace_id", label: "Trace", render: (r) => h("code", {}, r.trace_id) },
  ];
  async function load() {
    const res = await ActionService.run("audit.search", { ...payload, page_size: PAGE, page_token: tokens[page] }, { quiet: true, form: searchForm });
    if (!res.ok) return;
    tokens[page + 1] = res.data.next_page_token || "";
    results.replaceChildren(table(cols, res.data.records || [], { caption: `Audit records, page ${page + 1}`, rowKey: "seq" }));
    const prev = h("button", { type: "button", disabled: page === 0, onclick: () => { page -= 1; load(); } }, "← Newer");
    const next = h("button", { type: "button", disabled: !tokens[page + 1], onclick: () => { page += 1; load(); } }, "Older →");
    pager.replaceChildren(prev, h("span", { class: "hint" }, `Page ${page + 1}`), next);
  }
  let searchForm = null;
  if (search) {
    const slim = { ...search, payload_schema: { ...search.payload_schema, properties: Object.fromEntries(Object.entries(search.payload_schema.properties || {}).filter(([k]) => !["page_size", "page_token"].includes(k))) } };
    searchForm = new GeneratedForm(slim, { submitLabel: "Search", onSubmit: (p) => { payload = p; tokens = [""]; page = 0; load(); } });
    if (!search.allowed) { searchForm.submit.disabled = true; searchForm.submit.title = whyNot(search); searchForm.el.append(h("p", { class: "why-not" }, whyNot(search))); }
  }
  const verifyBtn = h("button", { type: "button", dataset: { action: "audit.verify" }, disabled: !verify?.allowed, title: verify && !verify.allowed ? whyNot(verify) : null }, "Verify the hash chain");
  verifyBtn.addEventListener("click", async () => {
    const res = await ActionService.run("audit.verify", {}, { quiet: true });
    if (!res.ok) return;
    const d = res.data;
    verifyOut.replaceChildren(d.ok ? h("p", { class: "ok", dataset: { verified: "ok" } }, `Chain intact: ${d.checked} records checked.`)
      : h("p", { class: "bad", dataset: { verified: "broken" } }, `Chain BROKEN at seq ${d.first_broken_seq} (${d.checked} checked).`));
  });
  const exportBtn = (fmt) => h("button", { type: "button", disabled: !exp?.allowed, title: exp && !exp.allowed ? whyNot(exp) : null, onclick: async () => {
    const res = await ActionService.run("audit.export", { ...payload, format: fmt }, { quiet: true });
    if (res.ok) download(`audit.${fmt}`, res.data.content, fmt === "csv" ? "text/csv" : "application/json");
  } }, `Export ${fmt.toUpperCase()}`);
  root.append(
    h("section", { "aria-labelledby": "au-s" }, h("h2", { id: "au-s" }, "Search"), searchForm ? searchForm.el : h("p", {}, "audit.search is not in the catalogue."), results, pager),
    h("section", { "aria-labelledby": "au-v" }, h("h2", { id: "au-v" }, "Integrity and export"),
      h("div", { class: "form-actions" }, verify ? verifyBtn : null, exp ? exportBtn("json") : null, exp ? exportBtn("csv") : null), verifyOut),
    actionPanel("audit"));
  if (search?.allowed) load();
  return null;
}
