import { describe, expect, it } from "vitest";
import type { SearchHit } from "./bindings/SearchHit";
import { groupHits, sinceIso } from "./searchHits";

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
