import { describe, expect, it } from "vitest";
import { countsText, emptyCounts, isLive, summarizeCounts } from "./status";

describe("status", () => {
  it("knows which sessions can be ended", () => {
    expect(isLive({ state: "running" })).toBe(true);
    expect(isLive({ state: "waiting_input" })).toBe(true);
    expect(isLive({ state: "starting" })).toBe(true);
    expect(isLive({ state: "ended" })).toBe(false);
    expect(isLive({ state: "error", message: "x" })).toBe(false);
    expect(isLive({ state: "interrupted" })).toBe(false);
  });

  it("summarizes counts for the top bar", () => {
    const counts = { ...emptyCounts(), running: 2, waiting_input: 1, error: 1, ended: 2, expired: 1 };
    expect(countsText(counts)).toBe("2 running · 1 waiting · 1 failed · 3 ended");
    expect(summarizeCounts(counts).map((i) => i.tone)).toEqual(["green", "amber", "red", "grey"]);
  });

  it("says so when there are no sessions", () => {
    expect(countsText(emptyCounts())).toBe("No sessions");
  });
});
