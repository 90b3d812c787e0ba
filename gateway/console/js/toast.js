// Uniform toasts: one look for success and every problem type; errors stay until dismissed.
import { h } from "./ui.js";

export function toast({ kind = "info", title, detail, traceId, retry, retryIn, problemType, timeout }) {
  const box = document.getElementById("toasts");
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status",
    dataset: { kind, problem: problemType || "" } },
  h("strong", { class: "toast-title" }, title),
  detail ? h("div", { class: "toast-detail" }, detail) : null,
  traceId ? h("div", { class: "toast-trace" }, "trace id ", h("code", {}, traceId)) : null);
  const actions = h("div", { class: "toast-actions" });
  if (retry) {
    const btn = h("button", { type: "button", class: "toast-retry", onclick: () => { el.remove(); retry(); } }, "Retry");
    if (retryIn > 0) {
      // The same intent (same Idempotency-Key) may be retried once the server says it will pass.
      let left = Math.ceil(retryIn);
      btn.disabled = true;
      btn.textContent = `Retry in ${left} s`;
      const t = setInterval(() => {
        left -= 1;
        if (left <= 0) { clearInterval(t); btn.disabled = false; btn.textContent = "Retry"; } else btn.textContent = `Retry in ${left} s`;
      }, 1000);
    }
    actions.append(btn);
  }
  actions.append(h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss notification", onclick: () => el.remove() }, "×"));
  el.append(actions);
  box.append(el);
  const ms = timeout ?? (kind === "success" || kind === "info" ? 6000 : 0);
  if (ms) setTimeout(() => el.remove(), ms);
  while (box.children.length > 6) box.firstElementChild.remove();
  return el;
}
