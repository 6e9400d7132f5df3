/** The current route, from and to the location hash. */
import { formatRoute, parseHash, type Route } from "./route";

class Router {
  route: Route = $state(parseHash(typeof location === "undefined" ? "" : location.hash));

  /** Follows Back/Forward and typed hashes; returns a function that stops. */
  start(): () => void {
    const sync = () => {
      this.route = parseHash(location.hash);
    };
    sync();
    window.addEventListener("hashchange", sync);
    return () => window.removeEventListener("hashchange", sync);
  }

  go(route: Route): void {
    const hash = formatRoute(route);
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
