// System Logs: the snapshot's recent activity (`logs` section), a live tail of the event stream
// with filters (type prefix, text), and the logs actions (search, tail, export, levels).
import { h } from "../ui.js";
import { sectionView } from "./generic.js";

const MAX_LINES = 200;

function liveTail(root, data) {
  const fType = h("input", { id: "tail-type", type: "text", placeholder: "job., queue.", autocomplete: "off" });
  const fText = h("input", { id: "tail-text", type: "text", autocomplete: "off" });
  const list = h("ol", { class: "tail", "aria-live": "off", "aria-label": "Live events" });
  const lines = [];
  const show = (ev) => {
    const types = fType.value.split(",").map((s) => s.trim()).filter(Boolean);
    const text = fText.value.trim().toLowerCase();
    const line = `${ev.ts || ""} ${ev.type} ${ev.source || ""} ${ev.actor || ""} ${JSON.stringify(ev.data || {})}`;
    return (!types.length || types.some((t) => ev.type.startsWith(t))) && (!text || line.toLowerCase().includes(text)) ? line : null;
  };
  const redraw = () => list.replaceChildren(...lines.map(show).filter(Boolean).map((l) => h("li", {}, h("code", {}, l))));
  fType.addEventListener("input", redraw);
  fText.addEventListener("input", redraw);
  const off = data.onEvent([""], (ev) => {
    lines.unshift(ev);
    if (lines.length > MAX_LINES) lines.pop();
    const l = show(ev);
    if (l) list.prepend(h("li", {}, h("code", {}, l)));
    while (list.children.length > MAX_LINES) list.lastElementChild.remove();
  });
  root.append(h("section", { "aria-labelledby": "tail-h" }, h("h2", { id: "tail-h" }, "Live event tail"),
    h("div", { class: "filters" }, h("div", { class: "field" }, h("label", { for: "tail-type" }, "Type prefixes"), fType),
      h("div", { class: "field" }, h("label", { for: "tail-text" }, "Contains text"), fText)), list));
  return off;
}

const base = sectionView("logs", "System Logs", "logs");
export function render(root, ctx) {
  const off1 = base(root, ctx);
  const off2 = liveTail(root, ctx.data);
  return () => { off1(); off2(); };
}
