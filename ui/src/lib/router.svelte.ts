/** The current route, from and to the location hash. */
import { formatRoute, parseHash, type Route } from "./route";

/** Asked before the route changes: false keeps the current route (e.g. unsaved edits). */
export type LeaveGuard = (to: Route) => boolean;

class Router {
  route: Route = $state(parseHash(typeof location === "undefined" ? "" : location.hash));
  #guard: LeaveGuard | null = null;

  /** Follows Back/Forward and typed hashes; returns a function that stops. */
  start(): () => void {
    const sync = () => {
      const to = parseHash(location.hash);
      if (formatRoute(to) === formatRoute(this.route)) return;
      if (this.#guard && !this.#guard(to)) {
        // Stay: the address goes back to the current route (no new Back step).
        history.replaceState(history.state, "", formatRoute(this.route));
        return;
      }
      this.route = to;
    };
    sync();
    window.addEventListener("hashchange", sync);
    return () => window.removeEventListener("hashchange", sync);
  }

  /** Sets the one guard asked before leaving the current route; returns a function that removes it. */
  guard(fn: LeaveGuard): () => void {
    this.#guard = fn;
    return () => {
      if (this.#guard === fn) this.#guard = null;
    };
  }

  go(route: Route): void {
    const hash = formatRoute(route);
    if (hash !== formatRoute(this.route) && this.#guard && !this.#guard(route)) return;
    this.route = route;
    if (location.hash !== hash) location.hash = hash;
  }

  /** Replaces the current entry (no new Back step). */
  replace(route: Route): void {
    this.route = route;
    history.replaceState(history.state, "", formatRoute(route));
  }
}

export const router = new Router();
