// ActionService: the one module that sends actions (POST /api/admin/action).
//
// A user intent (one click on "Run", one confirmed dialog) is an Intent: it gets a trace id and a
// fresh Idempotency-Key once; retrying the same intent (the toast's Retry button) sends the same
// key, so the gateway replays rather than running it twice. Every outcome is shown the same way:
// a success toast, or a problem toast by problem type with its detail and trace id; field errors
// are also marked on the form that sent them.
import { hex } from "./ui.js";
import { session, authHeaders } from "./session.js";
import { toast } from "./toast.js";

export class Intent {
  constructor(action, payload) {
    this.action = action;
    this.payload = payload;
    this.key = crypto.randomUUID ? crypto.randomUUID() : hex(16);
    this.traceId = hex(16);
    this.attempts = 0;
  }
}

const TITLES = {
  "/problems/rate-limited": "Rate limited",
  "/problems/circuit-open": "Service unavailable (circuit open)",
  "/problems/maintenance": "Maintenance mode",
  "/problems/idempotency-in-flight": "Conflict: already running",
  "/problems/idempotency-key-reused": "Conflict: key reused",
  "/problems/permission-denied": "Not allowed",
  "/problems/forbidden": "Not allowed",
  "/problems/invalid-argument": "Invalid input",
  "/problems/unauthenticated": "Signed out",
  "/problems/audit-unavailable": "Audit log unavailable",
  "/problems/backend-unavailable": "Service unavailable",
};

function titleFor(p) {
  if (TITLES[p.type]) return TITLES[p.type];
  if (p.status === 409) return "Conflict";
  if (p.status === 404) return "Not found";
  if (p.status === 400) return "Rejected";
  if (p.status === 503 || p.status === 504) return "Service unavailable";
  return p.title || `Error ${p.status}`;
}

export const ActionService = {
  catalogue: new Map(),

  // Send `intent` (or a new one for action + payload). Options: form (a GeneratedForm to mark field
  // errors on), quiet (no success toast, for background queries), label (what the toast names).
  async run(intentOrAction, payload = {}, opts = {}) {
    const intent = intentOrAction instanceof Intent ? intentOrAction : new Intent(intentOrAction, payload);
    const meta = this.catalogue.get(intent.action);
    const isCommand = meta ? meta.kind === "command" : true;
    intent.attempts += 1;
    const headers = authHeaders({ "Content-Type": "application/json", "X-Trace-Id": intent.traceId });
    if (isCommand) headers["Idempotency-Key"] = intent.key;
    let resp, body;
    try {
      resp = await fetch("/api/admin/action", {
        method: "POST", headers, body: JSON.stringify({ action: intent.action, payload: intent.payload }),
      });
      const text = await resp.text();
      try { body = text ? JSON.parse(text) : {}; } catch { body = { detail: text.slice(0, 300) }; }
    } catch (err) {
      toast({ kind: "error", title: "Gateway unreachable", detail: `${intent.action}: ${err.message}`,
        traceId: intent.traceId, problemType: "network", retry: () => this.run(intent, undefined, opts) });
      return { ok: false, problem: { status: 0, detail: err.message }, intent };
    }
    if (resp.ok && body.success) {
      if (opts.form) opts.form.clearErrors();
      if (!opts.quiet) {
        const replay = resp.headers.get("Idempotent-Replayed") === "true" ? " (replayed)" : "";
        toast({ kind: "success", title: `${opts.label || intent.action}: done${replay}`,
          detail: opts.successDetail ? opts.successDetail(body.data) : null, traceId: body.trace_id });
      }
      return { ok: true, data: body.data, traceId: body.trace_id, intent };
    }
    const problem = { status: resp.status, ...body, traceId: body.trace_id || resp.headers.get("X-Trace-Id") || intent.traceId };
    this.showProblem(intent, problem, resp.headers, opts);
    return { ok: false, problem, intent };
  },

  showProblem(intent, p, headers, opts = {}) {
    if (p.status === 401) {
      session.clear(`${p.detail || "the gateway refused the token"} (trace ${p.traceId})`);
      return;
    }
    if (p.type === "/problems/maintenance") document.dispatchEvent(new CustomEvent("sb:maintenance", { detail: p.detail }));
    const retryAfter = Number(headers.get("Retry-After")) || 0;
    const errors = Array.isArray(p.errors) ? p.errors : [];
    if (opts.form && errors.length) opts.form.markErrors(errors);
    let detail = p.detail || "";
    if (errors.length) detail += " " + errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    if (retryAfter) detail += ` Retry after ${retryAfter} s.`;
    const retriable = [429, 503, 504, 409].includes(p.status) || p.status >= 500;
    toast({ kind: "error", title: `${titleFor(p)} — ${intent.action}`, detail: detail.trim(), traceId: p.traceId,
      problemType: (p.type || `/problems/http-${p.status}`).replace("/problems/", ""),
      retry: retriable ? () => this.run(intent, undefined, opts) : null, retryIn: retryAfter });
  },
};
