/**
 * In-app routes, kept in the location hash (`#/sessions/<id>`), so Back and
 * Forward work and a reload stays on the same view.
 */
export type View = "sessions" | "tasks" | "metrics" | "settings";

export type Route =
  | { view: "sessions" }
  | { view: "session"; id: string }
  | { view: "tasks"; taskId: string | null }
  | { view: "metrics" }
  | { view: "settings" };

/** The navigation section a route belongs to. */
export function sectionOf(route: Route): View {
  return route.view === "session" ? "sessions" : route.view;
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+/, "");
  const [head = "", ...rest] = path.split("/");
  const arg = rest.length > 0 ? safeDecode(rest.join("/")) : "";
  switch (head) {
    case "sessions":
      return arg ? { view: "session", id: arg } : { view: "sessions" };
    case "tasks":
      return { view: "tasks", taskId: arg || null };
    case "metrics":
      return { view: "metrics" };
    case "settings":
      return { view: "settings" };
    default:
      return { view: "sessions" };
  }
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case "sessions":
      return "#/sessions";
    case "session":
      return `#/sessions/${encodeURIComponent(route.id)}`;
    case "tasks":
      return route.taskId ? `#/tasks/${encodeURIComponent(route.taskId)}` : "#/tasks";
    case "metrics":
      return "#/metrics";
    case "settings":
      return "#/settings";
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
