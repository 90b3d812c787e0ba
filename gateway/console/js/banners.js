// The banners every view shows: the announcement (system.announce / config key
// system.announcement), maintenance mode, and sections of the snapshot that are degraded. Read from
// the SSOT `system` section when the system service provides it, and kept current by events.
import { h } from "./ui.js";
import { CentralDataService as data } from "./central-data.js";

const state = { announcement: null, maintenance: null, degraded: [] };

function fromSnapshot(ssot) {
  const sys = ssot.system || {};
  if (sys.available !== false) {
    const m = sys.maintenance;
    if (m !== undefined) state.maintenance = typeof m === "object" && m !== null ? (m.enabled ? m : null) : (m ? { enabled: true } : null);
    if (sys.announcement !== undefined) state.announcement = sys.announcement && sys.announcement.message ? sys.announcement : null;
  }
  state.degraded = Array.isArray(ssot.degraded) ? ssot.degraded : [];
  draw();
}

function draw() {
  const el = document.getElementById("banners");
  el.replaceChildren();
  const a = state.announcement;
  if (a && (!a.until || new Date(a.until) > new Date())) {
    el.append(h("div", { class: `banner announce level-${a.level || "info"}`, role: "status", dataset: { banner: "announcement" } },
      h("strong", {}, "Announcement: "), a.message, a.until ? ` (until ${new Date(a.until).toLocaleString()})` : ""));
  }
  if (state.maintenance) {
    el.append(h("div", { class: "banner maintenance", role: "status", dataset: { banner: "maintenance" } },
      h("strong", {}, "Maintenance mode: "), "commands are limited to admins", state.maintenance.reason ? ` — ${state.maintenance.reason}` : "", "."));
  }
  if (state.degraded.length) {
    el.append(h("div", { class: "banner degraded", role: "status", dataset: { banner: "degraded" } },
      h("strong", {}, "Degraded: "), `could not read ${state.degraded.join(", ")}; showing what is available.`));
  }
}

export const banners = {
  started: false,
  start() {
    draw();
    if (this.started) return;
    this.started = true;
    data.onSnapshot(fromSnapshot);
    data.onEvent(["system.maintenance_changed"], (ev) => {
      state.maintenance = ev.data && ev.data.enabled ? ev.data : null; draw();
    });
    data.onEvent(["system.announce", "config.changed"], (ev) => {
      const d = ev.data || {};
      if (ev.type === "config.changed" && d.key !== "system.announcement") return;
      const v = ev.type === "config.changed" ? d.value : (d.announcement ?? d);
      state.announcement = v && v.message ? v : null; draw();
    });
    // A maintenance refusal proves the mode is on even before the system service reports it.
    document.addEventListener("sb:maintenance", (e) => { state.maintenance = { enabled: true, reason: e.detail || "" }; draw(); });
  },
};
