// What views without bespoke tables share: render a snapshot section (arrays as tables, scalars
// as a definition list), or a clear "not deployed" note when the service is not there yet.
import { h, table, notDeployed, json } from "../ui.js";
import { humanize } from "../forms.js";
import { actionPanel } from "../catalogue.js";

export function renderSection(box, title, sec) {
  if (sec === undefined) { box.replaceChildren(h("p", { class: "hint" }, "Loading…")); return; }
  if (sec && sec.available === false) { box.replaceChildren(notDeployed(title, sec)); return; }
  box.replaceChildren();
  const scalars = [];
  for (const [k, v] of Object.entries(sec || {})) {
    if (Array.isArray(v) && v.length && typeof v[0] === "object") {
      const cols = Object.keys(v[0]).filter((c) => typeof v[0][c] !== "object").slice(0, 8).map((c) => ({ key: c, label: humanize(c) }));
      box.append(table(cols, v, { caption: humanize(k) }));
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      box.append(h("h3", {}, humanize(k)), kv(v));
    } else scalars.push([k, v]);
  }
  if (scalars.length) box.prepend(kv(Object.fromEntries(scalars)));
}

export function kv(obj) {
  return h("dl", { class: "kv" }, Object.entries(obj).map(([k, v]) => [h("dt", {}, humanize(k)),
    h("dd", {}, v !== null && typeof v === "object" ? json(v) : String(v ?? ""))]));
}

// A view = its snapshot section + its catalogue actions.
export function sectionView(sectionName, title, viewId, extra) {
  return function render(root, { data }) {
    const box = h("div", { class: "section-box", dataset: { section: sectionName } });
    const draw = () => renderSection(box, title, data.section(sectionName));
    root.append(h("section", { "aria-label": `${title} state` }, box));
    if (extra) extra(root, data);
    root.append(actionPanel(viewId));
    draw();
    return data.onSnapshot(draw);
  };
}
