import { beforeEach, describe, expect, it, vi } from "vitest";

// A minimal location/history/window for the node test environment.
const loc = { hash: "#/settings" };
const listeners: Array<() => void> = [];
vi.stubGlobal("location", loc);
vi.stubGlobal("history", { state: null, replaceState: (_s: unknown, _t: string, url: string) => (loc.hash = url) });
vi.stubGlobal("window", { addEventListener: (_e: string, f: () => void) => listeners.push(f), removeEventListener: () => {} });

const { router } = await import("./router.svelte");

describe("router guard (unsaved settings)", () => {
  beforeEach(() => {
    loc.hash = "#/settings";
    router.replace({ view: "settings" });
  });

  it("a guard that says no keeps the route, for go() and for a typed hash / Back", () => {
    const asked: string[] = [];
    const stop = router.guard((to) => (asked.push(to.view), false));
    router.go({ view: "sessions" });
    expect(router.route.view).toBe("settings");
    expect(loc.hash).toBe("#/settings");

    const unlisten = router.start();
    loc.hash = "#/metrics";
    listeners.forEach((f) => f());
    expect(router.route.view).toBe("settings");
    expect(loc.hash).toBe("#/settings");
    expect(asked).toEqual(["sessions", "metrics"]);

    stop();
    router.go({ view: "sessions" });
    expect(router.route.view).toBe("sessions");
    unlisten();
  });

  it("a guard that says yes lets the route change", () => {
    const stop = router.guard(() => true);
    router.go({ view: "metrics" });
    expect(router.route.view).toBe("metrics");
    stop();
  });
});
