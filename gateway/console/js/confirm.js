// Confirmation for HIGH and CRITICAL actions, worded from the catalogue's summary and the payload.
// CRITICAL ones enable "Confirm" only once the target's name is typed (as hosting consoles do for
// deletes); a dry-run preview, when there was one, is shown first.
import { h } from "./ui.js";
import { humanize } from "./forms.js";

const TARGET_FIELDS = ["queue_name", "job_id", "name", "worker", "hostname", "manager", "schedule_id", "key", "service", "user", "queue"];

export function targetOf(action, payload) {
  for (const f of TARGET_FIELDS) if (payload[f] !== undefined && payload[f] !== "") return { field: f, value: String(payload[f]) };
  return { field: "action", value: action.name };
}

export function confirmAction(action, payload, preview) {
  return new Promise((resolve) => {
    const critical = action.risk === "critical";
    const target = targetOf(action, payload);
    const shown = Object.entries(payload).filter(([k]) => k !== "dry_run");
    const dlg = h("dialog", { class: `confirm risk-${action.risk}`, role: "alertdialog", "aria-labelledby": "confirm-title",
      "aria-describedby": "confirm-body", dataset: { confirm: action.name } });
    const confirmBtn = h("button", { type: "submit", class: `danger risk-${action.risk}`, dataset: { confirmRun: action.name } },
      `${humanize(action.name.split(".").pop())} ${target.field === "action" ? "" : target.value}`.trim());
    const body = h("div", { id: "confirm-body" },
      h("p", {}, `${action.summary}.`),
      shown.length ? h("dl", { class: "payload" }, shown.map(([k, v]) => [h("dt", {}, humanize(k)), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))])) : null,
      preview ? h("p", { class: "dry-run", dataset: { dryRun: "" } }, h("strong", {}, "Dry run: "), preview) : null,
      h("p", { class: "risk-note" }, `Risk: ${action.risk}. This is recorded in the audit log.`));
    const form = h("form", { method: "dialog" });
    let typed = null;
    if (critical) {
      typed = h("input", { id: "confirm-typed", type: "text", autocomplete: "off", spellcheck: "false", "aria-describedby": "confirm-typed-hint" });
      confirmBtn.disabled = true;
      typed.addEventListener("input", () => { confirmBtn.disabled = typed.value !== target.value; });
      form.append(h("label", { for: "confirm-typed" }, "Type ", h("code", {}, target.value), " to confirm"), typed,
        h("small", { id: "confirm-typed-hint", class: "hint" }, `This is a critical action on ${humanize(target.field).toLowerCase()} ${target.value}.`));
    }
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => dlg.close("cancel") }, "Cancel");
    form.append(h("div", { class: "form-actions" }, cancel, confirmBtn));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (critical && typed.value !== target.value) return;
      dlg.close("confirm");
    });
    dlg.append(h("h2", { id: "confirm-title" }, `Confirm ${action.name}?`), body, form);
    dlg.addEventListener("close", () => { dlg.remove(); resolve(dlg.returnValue === "confirm"); });
    document.body.append(dlg);
    dlg.showModal();
    (typed || cancel).focus();
  });
}
