// Configuration: the current version (snapshot `config` section) and the config actions; history
// entries returned by a query can be compared side by side (a line diff of two versions).
import { h } from "../ui.js";
import { sectionView } from "./generic.js";

function lineDiff(a, b) {
  const A = a.split("\n"), B = b.split("\n");
  const out = [];
  const n = Math.max(A.length, B.length);
  for (let i = 0; i < n; i++) {
    if (A[i] === B[i]) out.push(h("div", { class: "diff-same" }, `  ${A[i] ?? ""}`));
    else {
      if (A[i] !== undefined) out.push(h("div", { class: "diff-del" }, `- ${A[i]}`));
      if (B[i] !== undefined) out.push(h("div", { class: "diff-add" }, `+ ${B[i]}`));
    }
  }
  return h("pre", { class: "diff", "aria-label": "Differences" }, out);
}

function diffTool(root) {
  const a = h("textarea", { id: "diff-a", rows: 6, spellcheck: "false" });
  const b = h("textarea", { id: "diff-b", rows: 6, spellcheck: "false" });
  const out = h("div", { "aria-live": "polite" });
  const pretty = (t) => { try { return JSON.stringify(JSON.parse(t), null, 2); } catch { return t; } };
  const form = h("form", { class: "diff-tool", "aria-label": "Compare two config versions" },
    h("div", { class: "field" }, h("label", { for: "diff-a" }, "Older value (JSON)"), a),
    h("div", { class: "field" }, h("label", { for: "diff-b" }, "Newer value (JSON)"), b),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Show diff")), out);
  form.addEventListener("submit", (e) => { e.preventDefault(); out.replaceChildren(lineDiff(pretty(a.value), pretty(b.value))); });
  root.append(h("details", { class: "card" }, h("summary", {}, "Compare two versions"), form));
}

export const render = sectionView("config", "Configuration", "config", diffTool);
