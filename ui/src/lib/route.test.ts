import { describe, expect, it } from "vitest";
import { formatRoute, parseHash, sectionOf, type Route } from "./route";

describe("routes", () => {
  it("round-trips every route through the hash", () => {
    const routes: Route[] = [
      { view: "sessions" },
      { view: "session", id: "claude_0193/x y" },
      { view: "tasks", taskId: null },
      { view: "tasks", taskId: "ENG-1" },
      { view: "metrics" },
      { view: "settings" },
    ];
    for (const r of routes) expect(parseHash(formatRoute(r))).toEqual(r);
  });

  it("falls back to the sessions list", () => {
    expect(parseHash("")).toEqual({ view: "sessions" });
    expect(parseHash("#/nope")).toEqual({ view: "sessions" });
    expect(parseHash("#/sessions/%E0%A4%A")).toEqual({ view: "session", id: "%E0%A4%A" });
    expect(sectionOf({ view: "session", id: "x" })).toBe("sessions");
  });
});
