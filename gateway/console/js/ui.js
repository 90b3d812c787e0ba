// Small DOM helpers shared by every module. No innerHTML with data: text goes through textContent.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uidSeq = 0;
export const uid = (p = "id") => `${p}-${++uidSeq}`;

export function hex(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

// A table from rows and column specs {key, label, render?}; `rowKey` names the data-key attribute.
export function table(columns, rows, { caption, rowKey, rowActions } = {}) {
  const thead = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)),
    rowActions ? h("th", { scope: "col" }, "Actions") : null));
  const tbody = h("tbody");
  for (const r of rows) tbody.append(tableRow(columns, r, { rowKey, rowActions }));
  if (!rows.length) tbody.append(h("tr", {}, h("td", { colSpan: columns.length + (rowActions ? 1 : 0), class: "empty" }, "Nothing to show.")));
  return h("div", { class: "table-wrap" }, h("table", {}, caption ? h("caption", {}, caption) : null, thead, tbody));
}

export function tableRow(columns, r, { rowKey, rowActions } = {}) {
  const tr = h("tr", rowKey ? { dataset: { key: String(r[rowKey]) } } : {});
  for (const c of columns) {
    const v = c.render ? c.render(r) : r[c.key];
    tr.append(h("td", { dataset: { col: c.key }, "data-label": c.label }, v instanceof Node ? v : (v ?? "")));
  }
  if (rowActions) tr.append(h("td", { class: "row-actions", "data-label": "Actions" }, rowActions(r)));
  return tr;
}

export function notDeployed(title, section) {
  const reason = (section && section.reason) || "this service is not deployed yet";
  return h("div", { class: "not-deployed", role: "note", dataset: { state: "not-deployed" } },
    h("strong", {}, `${title}: not deployed`), " — ", reason,
    ". Its actions appear here as soon as the service registers them in the catalogue.");
}

export function json(v) {
  return h("pre", { class: "json" }, JSON.stringify(v, null, 2));
}

export function statusBadge(s) {
  return h("span", { class: `badge st-${s}` }, s);
}

export function download(filename, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
