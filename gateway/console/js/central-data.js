// CentralDataService: the one source of data for every view.
//
// - The SSOT snapshot (GET /api/admin/ssot) with ETag / If-None-Match: unchanged → 304, no work.
// - The events WebSocket (/api/admin/events): the token goes in the first message, never the URL.
//   Each event is handed to the views that listen to its type at once, and the snapshot is
//   re-read shortly after (events invalidate it on the gateway). After a drop the socket reconnects
//   with exponential back-off and `since=<last stream id>`, so no event is missed; duplicates
//   (same event_id) are dropped.
// - The connection state is published for the header's indicator.
import { session, authHeaders } from "./session.js";

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const REFRESH_AFTER_EVENT_MS = [150, 900];
const POLL_MS = 20000;

export const CentralDataService = {
  ssot: null,
  etag: null,
  lastId: null,
  state: "offline",
  retryAt: 0,
  _ws: null,
  _attempt: 0,
  _seen: new Set(),
  _seenOrder: [],
  _eventFns: [],
  _ssotFns: new Set(),
  _stateFns: new Set(),
  _timers: [],
  _poll: null,
  _stopped: true,
  _clockOffset: 0,
  _openedAt: 0,

  start() {
    this._stopped = false;
    this.refresh();
    this.connect();
    this._poll = setInterval(() => this.refresh(), POLL_MS);
  },

  stop() {
    this._stopped = true;
    clearInterval(this._poll);
    this._timers.forEach(clearTimeout);
    this._timers = [];
    if (this._ws) { this._ws.onclose = null; this._ws.close(1000); this._ws = null; }
    this.ssot = null; this.etag = null; this.lastId = null; this._openedAt = 0;
    this._setState("offline");
  },

  // fn(event) for events whose type starts with one of `prefixes` ("" = all); returns an unsubscribe.
  onEvent(prefixes, fn) {
    const entry = { prefixes: [].concat(prefixes), fn };
    this._eventFns.push(entry);
    return () => { this._eventFns = this._eventFns.filter((e) => e !== entry); };
  },
  onSnapshot(fn) { this._ssotFns.add(fn); return () => this._ssotFns.delete(fn); },
  onState(fn) { this._stateFns.add(fn); fn(this.state); return () => this._stateFns.delete(fn); },

  section(name) { return this.ssot ? this.ssot[name] : undefined; },

  async refresh() {
    if (!session.token) return;
    const headers = authHeaders();
    if (this.etag) headers["If-None-Match"] = this.etag;
    let resp;
    try {
      resp = await fetch("/api/admin/ssot", { headers, cache: "no-store" });
    } catch { return; }
    const date = Date.parse(resp.headers.get("Date") || "");
    if (!isNaN(date)) this._clockOffset = date - Date.now();
    if (resp.status === 304) return;
    if (resp.status === 401) {
      const p = await resp.json().catch(() => ({}));
      session.clear(p.detail || "the gateway refused the token");
      return;
    }
    if (!resp.ok) return;
    this.ssot = await resp.json();
    this.etag = resp.headers.get("ETag");
    for (const fn of this._ssotFns) { try { fn(this.ssot); } catch (e) { console.error(e); } }
  },

  connect() {
    if (this._stopped || !session.token) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // No event seen yet: resume from when the previous socket opened (server clock, whole seconds
    // from the Date header, so a margin), or nothing would cover the gap.
    const since = this.lastId || (this._openedAt ? `${Math.max(0, this._openedAt + this._clockOffset - 2000)}-0` : null);
    const q = since ? `?since=${encodeURIComponent(since)}` : "";
    this._setState(this._attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(`${proto}//${location.host}/api/admin/events${q}`);
    this._ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token: session.token }));
      this._attempt = 0;
      if (!this.lastId && !this._openedAt) this._openedAt = Date.now();
      this._setState("live");
      // Events may have happened while the socket was down: the snapshot catches up too.
      if (q) this.refresh();
    };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (!ev || ev.type === "heartbeat") return;
      this._handle(ev);
    };
    ws.onclose = (e) => {
      if (this._ws !== ws) return;
      this._ws = null;
      if (e.code === 4401) { session.clear("the event stream refused the token (expired?)"); return; }
      if (e.code === 4403) { this._setState("forbidden"); return; }
      this._scheduleReconnect();
    };
  },

  _scheduleReconnect() {
    if (this._stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this._attempt);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    this._attempt += 1;
    this.retryAt = Date.now() + delay;
    this._setState("reconnecting");
    this._timers.push(setTimeout(() => this.connect(), delay));
  },

  _handle(ev) {
    if (ev.event_id) {
      if (this._seen.has(ev.event_id)) return;
      this._seen.add(ev.event_id);
      this._seenOrder.push(ev.event_id);
      if (this._seenOrder.length > 2000) this._seen.delete(this._seenOrder.shift());
    }
    if (ev.id) this.lastId = ev.id;
    for (const { prefixes, fn } of this._eventFns) {
      if (prefixes.some((p) => ev.type.startsWith(p))) { try { fn(ev); } catch (e) { console.error(e); } }
    }
    this._timers = this._timers.filter(Boolean);
    clearTimeout(this._refreshA); clearTimeout(this._refreshB);
    this._refreshA = setTimeout(() => this.refresh(), REFRESH_AFTER_EVENT_MS[0]);
    this._refreshB = setTimeout(() => this.refresh(), REFRESH_AFTER_EVENT_MS[1]);
  },

  _setState(s) {
    this.state = s;
    for (const fn of this._stateFns) fn(s);
  },
};
