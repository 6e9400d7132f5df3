import { describe, expect, it } from "vitest";
import type { SearchHit } from "./bindings/SearchHit";
import { groupHits, sinceIso, switcherOptions, switcherOutputQuery } from "./searchHits";

const hit = (session_id: string, seq: number): SearchHit => ({
  session_id,
  title: `title ${session_id}`,
  seq,
  ts: "2026-11-30T10:00:00Z",
  kind: "line",
  before: "a ",
  matched: "word",
  after: " b",
});

describe("groupHits", () => {
  it("groups by session in the order of each session's first hit, keeping each hit's place", () => {
    const groups = groupHits([hit("a", 9), hit("b", 5), hit("a", 3), hit("c", 1), hit("b", 2)]);
    expect(groups.map((g) => g.sessionId)).toEqual(["a", "b", "c"]);
    expect(groups[0]?.hits.map((h) => [h.seq, h.index])).toEqual([
      [9, 0],
      [3, 2],
    ]);
    expect(groups[1]?.hits.map((h) => h.index)).toEqual([1, 4]);
    expect(groups[0]?.title).toBe("title a");
  });

  it("is empty for no hits", () => {
    expect(groupHits([])).toEqual([]);
  });
});

describe("sinceIso", () => {
  it("is null for any time, else that many hours back", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(sinceIso(0, now)).toBeNull();
    expect(sinceIso(24, now)).toBe("2026-11-29T12:00:00.000Z");
  });
});

describe("switcherOptions", () => {
  it("lists the session matches first, then output hits of known sessions, at most maxHits", () => {
    const opts = switcherOptions(["m1", "m2"], [hit("a", 9), hit("gone", 8), hit("b", 7), hit("a", 3)], (id) => id !== "gone", 2);
    expect(opts.map((o) => (o.type === "session" ? o.match : `${o.hit.session_id}:${o.hit.seq}`))).toEqual(["m1", "m2", "a:9", "b:7"]);
  });

  it("has only output hits when no title matches, and nothing for nothing", () => {
    expect(switcherOptions([], [hit("a", 1)], () => true, 20).map((o) => o.type)).toEqual(["output"]);
    expect(switcherOptions([], [], () => true, 20)).toEqual([]);
  });

  it("searches the output for two characters or more", () => {
    expect(switcherOutputQuery(" a ")).toBeNull();
    expect(switcherOutputQuery("")).toBeNull();
    expect(switcherOutputQuery(" login flow ")).toBe("login flow");
  });
});
