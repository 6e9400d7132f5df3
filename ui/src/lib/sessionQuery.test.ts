import { describe, expect, it } from "vitest";
import { DEFAULT_QUERY, agentsOf, applyQuery, matchesQuery, taskIdsOf, toSessionFilter, type SessionQuery } from "./sessionQuery";
import { makeSession } from "./testing";

const list = [
  makeSession({ id: "a", agent: "claude", title: "Fix login test", cwd: "/src/auth", status: "running", task_id: "ENG-1", created_at: "2025-01-01T10:00:00Z", last_activity: "2025-01-01T12:00:00Z" }),
  makeSession({ id: "b", agent: "codex", title: "Billing refactor", cwd: "/src/billing", status: "waiting_input", task_id: "ENG-2", created_at: "2025-01-01T11:00:00Z", last_activity: "2025-01-01T11:30:00Z" }),
  makeSession({ id: "c", agent: "command", title: "npm test", cwd: "/src/ui", status: "ended", created_at: "2025-01-01T09:00:00Z", last_activity: "2025-01-01T13:00:00Z" }),
  makeSession({ id: "d", agent: "claude", title: "Docs", cwd: "/src/docs", status: "error", task_id: "ENG-1", created_at: "2025-01-01T08:00:00Z", last_activity: "2025-01-01T08:05:00Z" }),
];
const q = (over: Partial<SessionQuery>): SessionQuery => ({ ...DEFAULT_QUERY, ...over });
const ids = (over: Partial<SessionQuery>) => applyQuery(list, q(over)).map((s) => s.id);

describe("session filters, search and sort", () => {
  it("lists everything newest first by default", () => {
    expect(ids({})).toEqual(["b", "a", "c", "d"]);
  });

  it("sorts by last activity", () => {
    expect(ids({ sort: "last_activity" })).toEqual(["c", "a", "b", "d"]);
  });

  it("filters by status, by status group, by agent and by task", () => {
    expect(ids({ status: "running" })).toEqual(["a"]);
    expect(ids({ status: "live" })).toEqual(["b", "a"]);
    expect(ids({ status: "finished" })).toEqual(["c", "d"]);
    expect(ids({ agent: "claude" })).toEqual(["a", "d"]);
    expect(ids({ task: "ENG-1" })).toEqual(["a", "d"]);
    expect(ids({ task: "none" })).toEqual(["c"]);
    expect(ids({ agent: "claude", status: "live", task: "ENG-1" })).toEqual(["a"]);
  });

  it("searches title and folder, case-insensitively, trimmed", () => {
    expect(ids({ search: "  LOGIN " })).toEqual(["a"]);
    expect(ids({ search: "/src/bill" })).toEqual(["b"]);
    expect(ids({ search: "src" })).toHaveLength(4);
    expect(ids({ search: "ENG-1" })).toEqual([]); // not the task
    expect(matchesQuery(list[0]!, q({ search: "" }))).toBe(true);
  });

  it("gives the same query as the backend's SessionFilter", () => {
    expect(toSessionFilter(q({ status: "live", agent: "claude", task: "ENG-1", search: " x ", sort: "last_activity" }))).toEqual({
      statuses: ["starting", "running", "idle", "waiting_input", "compacting"],
      agent: "claude",
      origin: null,
      task_id: "ENG-1",
      search: "x",
      sort: "last_activity",
      limit: null,
      offset: 0,
    });
    expect(toSessionFilter(DEFAULT_QUERY)).toMatchObject({ statuses: [], agent: null, task_id: null, search: null });
  });

  it("lists the tasks and agents in use", () => {
    expect(taskIdsOf(list)).toEqual(["ENG-1", "ENG-2"]);
    expect(agentsOf(list)).toEqual(["claude", "codex", "command"]);
  });
});
