// Forms generated from an action's payload_schema (JSON Schema of the request message): one
// labelled control per property — text, number, select for enums, checkbox for booleans, JSON for
// objects and arrays — with descriptions as hints, required fields marked, and values checked
// before anything is sent. The gateway's field errors land on the same fields (markErrors).
import { h, uid } from "./ui.js";

const INT32 = [-2147483648, 2147483647];

function kindOf(prop) {
  const t = Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type;
  if (prop.enum) return "enum";
  if (t === "integer" || t === "number" || t === "boolean" || t === "object" || t === "array") return t;
  return "string";
}

export function humanize(name) {
  return name.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

export class GeneratedForm {
  constructor(action, { prefill = {}, submitLabel, onSubmit, compact = false } = {}) {
    this.action = action;
    const schema = action.payload_schema || {};
    this.props = schema.properties || {};
    this.required = new Set(schema.required || []);
    this.fields = new Map();
    this.onSubmit = onSubmit;
    const formId = uid("form");
    this.el = h("form", { class: `gen-form${compact ? " compact" : ""}`, novalidate: true, id: formId,
      dataset: { action: action.name }, "aria-label": `${action.name} form` });
    const names = Object.keys(this.props);
    if (!names.length) this.el.append(h("p", { class: "hint" }, "This action takes no input."));
    for (const name of names) this.el.append(this._field(name, this.props[name], prefill[name], formId));
    this.submit = h("button", { type: "submit", class: `run risk-${action.risk}`, dataset: { run: action.name } },
      submitLabel || (action.kind === "query" ? "Run query" : `Run ${action.name}`));
    this.el.append(h("div", { class: "form-actions" }, this.submit));
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      const { payload, errors } = this.read();
      if (errors.length) { this.markErrors(errors); this.el.querySelector("[aria-invalid=true]")?.focus(); return; }
      this.clearErrors();
      if (this.onSubmit) this.onSubmit(payload, this);
    });
  }

  _field(name, prop, value, formId) {
    const id = `${formId}-${name}`;
    const kind = kindOf(prop);
    const req = this.required.has(name);
    const hintId = `${id}-hint`, errId = `${id}-err`;
    const described = [prop.description ? hintId : null, errId].filter(Boolean).join(" ");
    const common = { id, name, "aria-describedby": described, required: req, "aria-required": req ? "true" : null };
    let input;
    if (kind === "boolean") {
      input = h("input", { ...common, type: "checkbox", checked: value === true });
    } else if (kind === "enum") {
      const opts = prop.enum.filter((v) => v !== "unspecified");
      input = h("select", common, req ? null : h("option", { value: "" }, "(any)"),
        opts.map((v) => h("option", { value: String(v), selected: String(value) === String(v) }, String(v))));
      if (req && value === undefined) input.value = "";
      if (req) input.prepend(h("option", { value: "", disabled: true, selected: value === undefined }, "choose…"));
    } else if (kind === "object" || kind === "array") {
      input = h("textarea", { ...common, rows: 3, spellcheck: "false", placeholder: kind === "object" ? '{"key": "value"}' : "[ ]" },
        value !== undefined ? JSON.stringify(value) : "");
    } else {
      const numeric = kind === "integer" || kind === "number";
      input = h("input", { ...common, type: "text", inputmode: numeric ? "numeric" : null, autocomplete: "off",
        spellcheck: "false", value: value !== undefined ? String(value) : "",
        placeholder: prop.format === "date-time" || /(^|_)(since|until|before|after)$/.test(name) ? "2026-01-31T12:00:00Z" : null });
    }
    const label = h("label", { for: id }, humanize(name), req ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null);
    const hint = prop.description ? h("small", { id: hintId, class: "hint" }, prop.description) : null;
    const err = h("small", { id: errId, class: "field-error", "aria-live": "polite" });
    this.fields.set(name, { input, kind, prop, err });
    return h("div", { class: `field field-${kind}`, dataset: { field: name } }, kind === "boolean" ? [input, label] : [label, input], hint, err);
  }

  // The payload, or the fields it cannot be built from. Empty optional fields are left out.
  read() {
    const payload = {}, errors = [];
    for (const [name, f] of this.fields) {
      const req = this.required.has(name);
      const raw = f.kind === "boolean" ? f.input.checked : f.input.value.trim();
      if (f.kind === "boolean") { if (raw || req) payload[name] = raw; continue; }
      if (raw === "") { if (req) errors.push({ field: name, message: "is required" }); continue; }
      if (f.kind === "integer" || f.kind === "number") {
        const n = Number(raw);
        if (!Number.isFinite(n) || (f.kind === "integer" && !Number.isInteger(n))) {
          errors.push({ field: name, message: `must be ${f.kind === "integer" ? "a whole number" : "a number"}` });
          continue;
        }
        const [lo, hi] = [f.prop.minimum ?? (f.kind === "integer" ? INT32[0] : -Infinity), f.prop.maximum ?? (f.kind === "integer" ? INT32[1] : Infinity)];
        if (n < lo || n > hi) { errors.push({ field: name, message: `must be between ${lo} and ${hi}` }); continue; }
        payload[name] = n;
      } else if (f.kind === "object" || f.kind === "array") {
        let v;
        try { v = JSON.parse(raw); } catch { errors.push({ field: name, message: "must be valid JSON" }); continue; }
        const ok = f.kind === "array" ? Array.isArray(v) : v !== null && typeof v === "object" && !Array.isArray(v);
        if (!ok) { errors.push({ field: name, message: `must be a JSON ${f.kind}` }); continue; }
        payload[name] = v;
      } else {
        if (f.prop.maxLength && raw.length > f.prop.maxLength) { errors.push({ field: name, message: `must be at most ${f.prop.maxLength} characters` }); continue; }
        if (f.prop.minLength && raw.length < f.prop.minLength) { errors.push({ field: name, message: `must be at least ${f.prop.minLength} characters` }); continue; }
        if (f.prop.pattern && !new RegExp(f.prop.pattern, "u").test(raw)) { errors.push({ field: name, message: `must match ${f.prop.pattern}` }); continue; }
        payload[name] = raw;
      }
    }
    return { payload, errors };
  }

  set(name, value) {
    const f = this.fields.get(name);
    if (!f) return;
    if (f.kind === "boolean") f.input.checked = !!value; else f.input.value = value ?? "";
  }

  markErrors(errors) {
    this.clearErrors();
    for (const e of errors) {
      const f = this.fields.get(String(e.field || "").split(".")[0]);
      if (!f) continue;
      f.input.setAttribute("aria-invalid", "true");
      f.err.textContent = `${humanize(f.input.name)} ${e.message}`;
    }
  }

  clearErrors() {
    for (const f of this.fields.values()) { f.input.removeAttribute("aria-invalid"); f.err.textContent = ""; }
  }
}
