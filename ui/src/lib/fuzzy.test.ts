import { describe, expect, it } from "vitest";
import { fuzzyMatch, highlightRuns, searchSessions } from "./fuzzy";
import { makeSession } from "./testing";

describe("fuzzy matching", () => {
  it("matches substrings best, then subsequences, else nothing", () => {
    const sub = fuzzyMatch("bill", "Refactor billing module");
    const seq = fuzzyMatch("rbm", "Refactor billing module");
    expect(sub?.positions).toEqual([9, 10, 11, 12]);
    expect(seq?.positions).toEqual([0, 9, 17]);
    expect((sub?.score ?? 0) > (seq?.score ?? 0)).toBe(true);
    expect(fuzzyMatch("xyz", "Refactor billing")).toBeNull();
    expect(fuzzyMatch("", "anything")).toEqual({ score: 0, positions: [] });
  });

  it("ranks sessions by title, task, folder and id; every word must match", () => {
    const list = [
      makeSession({ id: "claude_1", title: "Fix flaky login test", cwd: "/src/auth", last_activity: "2025-01-01T10:00:00Z" }),
      makeSession({ id: "codex_2", title: "Refactor billing", cwd: "/src/billing", task_id: "ENG-9", last_activity: "2025-01-01T11:00:00Z" }),
      makeSession({ id: "command_3", title: "npm test", cwd: "/src/login-page", last_activity: "2025-01-01T12:00:00Z" }),
    ];
    expect(searchSessions(list, "login").map((m) => m.session.id)).toEqual(["claude_1", "command_3"]);
    expect(searchSessions(list, "eng-9").map((m) => m.session.id)).toEqual(["codex_2"]);
    expect(searchSessions(list, "fix auth").map((m) => m.session.id)).toEqual(["claude_1"]);
    expect(searchSessions(list, "codex").map((m) => m.session.id)).toEqual(["codex_2"]);
    // No query: most recently active first.
    expect(searchSessions(list, "  ").map((m) => m.session.id)).toEqual(["command_3", "codex_2", "claude_1"]);
  });

  it("splits text into highlighted runs", () => {
    expect(highlightRuns("abcd", [1, 2])).toEqual([
      { text: "a", hit: false },
      { text: "bc", hit: true },
      { text: "d", hit: false },
    ]);
  });
});
