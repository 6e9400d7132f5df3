import { describe, expect, it } from "vitest";
import { commandLineOf, compareSessions, countByStatus, displayTitle, pickNewer, rowNote, SessionModel, sortSessions, subagentParentOf, subagentsOf } from "./sessions";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import { makeSession } from "./testing";

const t = (minute: number, extra = "") => `2025-01-01T10:${String(minute).padStart(2, "0")}:00${extra}Z`;

describe("ordering", () => {
  it("sorts newest first by created_at", () => {
    const a = makeSession({ id: "a", created_at: t(1) });
    const b = makeSession({ id: "b", created_at: t(3) });
    const c = makeSession({ id: "c", created_at: t(2) });
    expect(sortSessions([a, b, c]).map((s) => s.id)).toEqual(["b", "c", "a"]);
  });

  it("breaks created_at ties by id, descending", () => {
    const a = makeSession({ id: "01A", created_at: t(1) });
    const b = makeSession({ id: "01B", created_at: t(1) });
    expect(sortSessions([a, b]).map((s) => s.id)).toEqual(["01B", "01A"]);
    expect(compareSessions(a, a)).toBe(0);
  });

  it("compares timestamps as instants, not strings", () => {
    // 10:30+02:00 is 08:30Z, earlier than 09:00Z.
    const a = makeSession({ id: "a", created_at: "2025-01-01T10:30:00+02:00" });
    const b = makeSession({ id: "b", created_at: "2025-01-01T09:00:00Z" });
    expect(sortSessions([a, b]).map((s) => s.id)).toEqual(["b", "a"]);
  });

  it("orders by sub-millisecond precision", () => {
    const a = makeSession({ id: "a", created_at: "2025-01-01T10:00:00.000000002Z" });
    const b = makeSession({ id: "b", created_at: "2025-01-01T10:00:00.000000001Z" });
    expect(sortSessions([b, a]).map((s) => s.id)).toEqual(["a", "b"]);
  });
});

describe("pickNewer", () => {
  it("keeps the later last_activity and prefers the incoming one on ties", () => {
    const old = makeSession({ last_activity: t(1), title: "old" });
    const cur = makeSession({ last_activity: t(2), title: "new" });
    expect(pickNewer(cur, old).title).toBe("new");
    expect(pickNewer(old, cur).title).toBe("new");
    const tie = makeSession({ last_activity: t(2), title: "tie" });
    expect(pickNewer(cur, tie).title).toBe("tie");
  });
});

describe("countByStatus", () => {
  it("counts every state", () => {
    const counts = countByStatus([
      makeSession({ id: "1", status: "running" }),
      makeSession({ id: "2", status: "running" }),
      makeSession({ id: "3", status: "waiting_input" }),
      makeSession({ id: "4", status: "error" }),
    ]);
    expect(counts.running).toBe(2);
    expect(counts.waiting_input).toBe(1);
    expect(counts.error).toBe(1);
    expect(counts.idle).toBe(0);
    expect(counts.ended).toBe(0);
  });
});

describe("SessionModel events", () => {
  it("upserts by id", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "a", status: "starting" }));
    m.upsert(makeSession({ id: "b" }));
    m.upsert(makeSession({ id: "a", status: "running", last_activity: t(5) }));
    expect(m.size).toBe(2);
    expect(m.get("a")?.status.state).toBe("running");
  });

  it("lets an event replace even a newer-looking version", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "a", last_activity: t(5), title: "x" }));
    m.upsert(makeSession({ id: "a", last_activity: t(4), title: "y" }));
    expect(m.get("a")?.title).toBe("y");
  });

  it("removes by id", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "a" }));
    expect(m.remove("a")).toBe(true);
    expect(m.remove("a")).toBe(false);
    expect(m.remove("nope")).toBe(false);
    expect(m.size).toBe(0);
  });

  it("lists newest first and counts", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "old", created_at: t(1), status: "ended" }));
    m.upsert(makeSession({ id: "new", created_at: t(9), status: "running" }));
    m.upsert(makeSession({ id: "mid", created_at: t(5), status: "running" }));
    expect(m.sorted().map((s) => s.id)).toEqual(["new", "mid", "old"]);
    expect(m.counts().running).toBe(2);
    expect(m.counts().ended).toBe(1);
  });
});

describe("SessionModel.offer (command replies)", () => {
  it("adds unknown sessions", () => {
    const m = new SessionModel();
    expect(m.offer(makeSession({ id: "a" }))).toBe(true);
    expect(m.has("a")).toBe(true);
  });

  it("does not overwrite a newer version received by event", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "a", status: "running", last_activity: t(2) }));
    expect(m.offer(makeSession({ id: "a", status: "starting", last_activity: t(1) }))).toBe(false);
    expect(m.offer(makeSession({ id: "a", status: "starting", last_activity: t(2) }))).toBe(false);
    expect(m.get("a")?.status.state).toBe("running");
    expect(m.offer(makeSession({ id: "a", status: "ended", last_activity: t(3) }))).toBe(true);
    expect(m.get("a")?.status.state).toBe("ended");
  });

  it("never resurrects a deleted session", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "a" }));
    m.remove("a");
    expect(m.offer(makeSession({ id: "a", last_activity: t(9) }))).toBe(false);
    expect(m.has("a")).toBe(false);
  });
});

describe("SessionModel initial load merge", () => {
  it("takes the snapshot when no events arrived", () => {
    const m = new SessionModel();
    m.beginLoad();
    expect(m.loading).toBe(true);
    m.finishLoad([makeSession({ id: "a" }), makeSession({ id: "b" })]);
    expect(m.loading).toBe(false);
    expect(m.size).toBe(2);
  });

  it("keeps a session created by an event during the load", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.upsert(makeSession({ id: "new", created_at: t(9) }));
    m.finishLoad([makeSession({ id: "a", created_at: t(1) })]);
    expect(m.sorted().map((s) => s.id)).toEqual(["new", "a"]);
  });

  it("keeps the event when it is newer than the snapshot", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.upsert(makeSession({ id: "a", status: "ended", last_activity: t(5) }));
    m.finishLoad([makeSession({ id: "a", status: "running", last_activity: t(4) })]);
    expect(m.get("a")?.status.state).toBe("ended");
  });

  it("prefers the event on equal last_activity", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.upsert(makeSession({ id: "a", title: "event", last_activity: t(4) }));
    m.finishLoad([makeSession({ id: "a", title: "snapshot", last_activity: t(4) })]);
    expect(m.get("a")?.title).toBe("event");
  });

  it("keeps the snapshot when it is newer than the event", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.upsert(makeSession({ id: "a", title: "event", last_activity: t(3) }));
    m.finishLoad([makeSession({ id: "a", title: "snapshot", last_activity: t(4) })]);
    expect(m.get("a")?.title).toBe("snapshot");
  });

  it("does not bring back a session deleted during the load", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.remove("gone");
    m.finishLoad([makeSession({ id: "gone" }), makeSession({ id: "kept" })]);
    expect(m.has("gone")).toBe(false);
    expect(m.has("kept")).toBe(true);
  });

  it("drops sessions known before a reload that the backend no longer has", () => {
    const m = new SessionModel();
    m.upsert(makeSession({ id: "stale" }));
    m.beginLoad();
    m.finishLoad([makeSession({ id: "fresh" })]);
    expect(m.has("stale")).toBe(false);
    expect(m.has("fresh")).toBe(true);
  });

  it("keeps what it has when the load fails, and applies later events normally", () => {
    const m = new SessionModel();
    m.beginLoad();
    m.upsert(makeSession({ id: "a" }));
    m.failLoad();
    expect(m.loading).toBe(false);
    expect(m.has("a")).toBe(true);
    m.upsert(makeSession({ id: "b" }));
    expect(m.size).toBe(2);
  });
});

describe("what a row and a header show", () => {
  const cmd = (title: string, args: string[]) => {
    const base = makeSession({ agent: "command" });
    return makeSession({ agent: "command", title, config: { ...base.config, program: "bash", args } });
  };

  it("shows a command with its quotes (shell-quoted), a typed title as typed", () => {
    const s = cmd("bash -c echo hi", ["-c", "echo hi"]);
    expect(commandLineOf(s)).toBe("bash -c 'echo hi'");
    expect(displayTitle(s)).toBe("bash -c 'echo hi'");
    expect(displayTitle(cmd("Say hi", ["-c", "echo hi"]))).toBe("Say hi");
    expect(commandLineOf(makeSession({ agent: "claude" }))).toBe("");
  });

  it("says what a waiting row waits for, and a failed row's error", () => {
    const waiting = makeSession({ status: "waiting_input", cwd: "/w" });
    const ask = { tool_name: "Bash", input: { command: "npm test" }, description: null } as unknown as PermissionRequest;
    expect(rowNote(waiting, ask)).toEqual({ kind: "waiting", text: "waiting: Bash npm test" });
    expect(rowNote(waiting, undefined)).toEqual({ kind: "waiting", text: "waiting for you" });
    const failed = makeSession({ status: { state: "error", message: "API Error: 529 overloaded" } });
    expect(rowNote(failed, undefined)).toEqual({ kind: "error", text: "API Error: 529 overloaded" });
    expect(rowNote(makeSession({ status: "idle" }), undefined)).toBeNull();
  });
});

describe("subagent sessions", () => {
  const withMeta = (id: string, metadata: unknown, minute: number) => {
    const s = makeSession({ id, created_at: t(minute) });
    return { ...s, config: { ...s.config, metadata } };
  };
  it("names a child's parent from its metadata and lists a parent's children oldest first", () => {
    const parent = withMeta("p", null, 1);
    const late = withMeta("c2", { subagent_of: "p", subagent: "agent-b" }, 5);
    const early = withMeta("c1", { subagent_of: "p", subagent: "agent-a" }, 3);
    const other = withMeta("x", { subagent_of: "q" }, 2);
    const resumed = withMeta("r", { resumed_from: "p" }, 4);
    expect(subagentParentOf(early)).toBe("p");
    expect(subagentParentOf(parent)).toBeNull();
    expect(subagentParentOf(resumed)).toBeNull();
    expect(subagentParentOf(withMeta("n", { subagent_of: null }, 6))).toBeNull();
    expect(subagentParentOf(withMeta("a", ["subagent_of"], 6))).toBeNull();
    expect(subagentsOf("p", [parent, late, other, early, resumed]).map((s) => s.id)).toEqual(["c1", "c2"]);
  });
});
