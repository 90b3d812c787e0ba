// Console entry point: sign-in, navigation between the nine views (#/<view>), the connection
// indicator, and the banners (announcement, maintenance, degraded sections) shown on every view.
import { h } from "./ui.js";
import { session, problemWith } from "./session.js";
import { Catalogue, VIEWS } from "./catalogue.js";
import { CentralDataService as data } from "./central-data.js";
import { banners } from "./banners.js";

const $ = (id) => document.getElementById(id);
const loaders = {
  dashboard: () => import("./views/dashboard.js"),
  jobs: () => import("./views/jobs.js"),
  system: () => import("./views/system.js"),
  workers: () => import("./views/workers.js"),
  managers: () => import("./views/managers.js"),
  logs: () => import("./views/logs.js"),
  config: () => import("./views/config.js"),
  analytics: () => import("./views/analytics.js"),
  audit: () => import("./views/audit.js"),
};
let cleanup = null;
let renderSeq = 0;

function showSignIn(reason) {
  data.stop();
  if (cleanup) { cleanup(); cleanup = null; }
  for (const id of ["nav", "conn", "who", "signout", "view"]) $(id).hidden = true;
  $("banners").replaceChildren();
  $("signin").hidden = false;
  const r = $("signin-reason");
  r.hidden = !reason;
  r.textContent = reason ? `Signed out: ${reason}` : "";
  document.title = "Sign in — Switchboard";
  $("token").focus();
}

async function signIn(token) {
  const bad = problemWith(token);
  if (bad) { session.clear(bad); return; }
  session.set(token);
  try {
    await Catalogue.load();
  } catch (e) {
    if (e.auth) session.clear(e.message); else showSignIn(e.message);
    return;
  }
  $("signin").hidden = true;
  $("token").value = "";
  for (const id of ["nav", "conn", "who", "signout", "view"]) $(id).hidden = false;
  $("who").textContent = `${session.sub} · ${session.roles.join(", ") || "no role"}`;
  buildNav();
  banners.start();
  data.start();
  route();
}

function buildNav() {
  $("nav").replaceChildren(h("ul", {}, VIEWS.map((v) => h("li", {}, h("a", { href: `#/${v.id}`, dataset: { view: v.id } }, v.title)))));
}

async function route() {
  if (!session.token) return;
  const id = (location.hash.match(/^#\/([\w-]+)/) || [])[1];
  const view = VIEWS.find((v) => v.id === id) || VIEWS[0];
  for (const a of $("nav").querySelectorAll("a")) {
    if (a.dataset.view === view.id) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const seq = ++renderSeq;
  if (cleanup) { cleanup(); cleanup = null; }
  const container = $("view");
  let mod;
  try { mod = await loaders[view.id](); } catch (e) {
    container.replaceChildren(h("p", { role: "alert" }, `This view failed to load: ${e.message}`));
    return;
  }
  if (seq !== renderSeq) return;
  container.replaceChildren();
  container.dataset.view = view.id;
  document.title = `${view.title} — Switchboard`;
  const root = h("div", { class: `view view-${view.id}` }, h("h1", { tabindex: "-1" }, view.title));
  container.append(root);
  try {
    cleanup = mod.render(root, { data, title: view.title }) || null;
  } catch (e) {
    console.error(e);
    root.append(h("p", { role: "alert" }, `This view failed: ${e.message}`));
  }
}

function connIndicator(state) {
  const el = $("conn");
  el.dataset.state = state;
  const text = { live: "● live", connecting: "connecting…", reconnecting: "reconnecting…", offline: "offline", forbidden: "events refused" }[state] || state;
  el.textContent = text;
  el.title = state === "reconnecting" ? `Event stream dropped; retrying (back-off) — next try at ${new Date(data.retryAt).toLocaleTimeString()}` : `Event stream: ${state}`;
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = $("token").value.trim();
  if (t) signIn(t);
});
$("signout").addEventListener("click", () => session.clear(""));
session.onSignOut((reason) => showSignIn(reason));
window.addEventListener("hashchange", route);
data.onState(connIndicator);

if (session.token) signIn(session.token); else showSignIn("");
