// The signed-in token: kept in sessionStorage (this tab only, never in a URL), with its claims.

const KEY = "switchboard.token";
const listeners = new Set();

export function decodeClaims(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) throw new Error("this is not a JWT (expected three dot-separated parts)");
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
    if (typeof claims !== "object" || claims === null) throw new Error();
    return claims;
  } catch {
    throw new Error("the token's claims cannot be read");
  }
}

// Client-side sanity check only; the gateway decides.
export function problemWith(token) {
  let claims;
  try { claims = decodeClaims(token); } catch (e) { return e.message; }
  if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) {
    return `the token expired at ${new Date(claims.exp * 1000).toLocaleString()}`;
  }
  return null;
}

export const session = {
  token: sessionStorage.getItem(KEY),
  claims: null,
  set(token) {
    this.token = token;
    this.claims = decodeClaims(token);
    sessionStorage.setItem(KEY, token);
  },
  clear(reason) {
    this.token = null;
    this.claims = null;
    sessionStorage.removeItem(KEY);
    for (const fn of listeners) fn(reason);
  },
  onSignOut(fn) { listeners.add(fn); },
  get sub() { return this.claims?.sub ?? "?"; },
  get roles() { return Array.isArray(this.claims?.roles) ? this.claims.roles : []; },
};
if (session.token) {
  try { session.claims = decodeClaims(session.token); } catch { session.token = null; }
}

export function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${session.token}`, ...extra };
}
