import { describe, expect, it } from "vitest";
import type { TaskEvent } from "./bindings/TaskEvent";
import { buildTimeline, describeTaskEvent } from "./timeline";

const ev = (id: number, kind: TaskEvent["kind"], detail: unknown, ts = "2025-03-04T10:00:00Z"): TaskEvent => ({
  id,
  task_id: "ENG-1",
  session_id: "claude_1",
  ts,
  kind,
  detail,
});

describe("task timeline", () => {
  it("says what each kind of event means", () => {
    expect(describeTaskEvent(ev(1, "created", { agent: "claude", cwd: "/src/app", title: "Fix it" }))).toMatchObject({
      title: "Session created",
      sessionTitle: "Fix it",
      meta: "Claude Code · /src/app",
      tone: "accent",
    });
    expect(describeTaskEvent(ev(2, "command_sent", { command: "run the tests", length: 13 }))).toMatchObject({
      title: "Command sent",
      body: "run the tests",
      meta: "13 chars",
      mono: true,
    });
    expect(describeTaskEvent(ev(3, "response_received", { duration_ms: 4200, length: 1234 }))).toMatchObject({
      title: "Response received",
      meta: "4.2 s · 1,234 chars",
      tone: "success",
    });
    expect(describeTaskEvent(ev(4, "error", { message: "rate limited", api_error_status: 429 }))).toMatchObject({
      title: "Error",
      body: "rate limited",
      meta: "HTTP 429",
      tone: "error",
    });
    expect(describeTaskEvent(ev(5, "ended", { status: "expired" }))).toMatchObject({ title: "Ended (expired)", tone: "muted" });
    expect(describeTaskEvent(ev(6, "ended", { status: "ended" })).title).toBe("Ended");
  });

  it("shows a permission decision as what it was, not as a command", () => {
    expect(describeTaskEvent(ev(1, "command_sent", { permission: "allowed", tool: "Write", gist: "wants to write notes.md" }))).toMatchObject({
      title: "Allowed: Write",
      body: "wants to write notes.md",
      tone: "success",
    });
    expect(describeTaskEvent(ev(2, "command_sent", { permission: "denied: Not in this folder.", tool: "Bash", gist: "wants to run: rm x" }))).toMatchObject({
      title: "Denied: Bash",
      body: "wants to run: rm x\n“Not in this folder.”",
      tone: "error",
    });
    expect(describeTaskEvent(ev(3, "command_sent", { permission: "allowed; rule saved: Bash(npm test:*)", tool: "Bash" }))).toMatchObject({
      title: "Allowed: Bash",
      body: "Bash(npm test:*)",
      tone: "success",
    });
    expect(describeTaskEvent(ev(4, "command_sent", { permission: "cancelled: the session was ended", tool: "Write" }))).toMatchObject({
      title: "Cancelled: Write",
      tone: "muted",
    });
  });

  it("says who decided a permission request, and where", () => {
    expect(describeTaskEvent(ev(1, "command_sent", { permission: "allowed", tool: "Write", by: "app" })).meta).toBe("by you, in the app · permission");
    expect(describeTaskEvent(ev(2, "command_sent", { permission: "denied: no", tool: "Bash", by: "cli" })).meta).toBe("by you, from the CLI · permission");
    expect(describeTaskEvent(ev(5, "command_sent", { permission: "allowed", tool: "Write", by: "terminal" })).meta).toBe("by you, in the terminal · permission");
    expect(describeTaskEvent(ev(3, "command_sent", { permission: "allowed by Bash(touch:*)", tool: "Bash", by: "rule" })).meta).toBe(
      "by Bash(touch:*) · permission",
    );
    expect(describeTaskEvent(ev(4, "command_sent", { permission: "denied: nobody answered within 5 minutes", tool: "Bash", by: "timeout" })).meta).toBe(
      "nobody answered in time · permission",
    );
    // Decided before this was recorded: no claim about who.
    expect(describeTaskEvent(ev(5, "command_sent", { permission: "allowed", tool: "Write" })).meta).toBe("permission");
  });

  it("says what a checkpoint, a restore and a landing were", () => {
    expect(describeTaskEvent(ev(1, "checkpoint", { n: 2, label: "after turn 2", commit: "a".repeat(40), restored: null }))).toMatchObject({
      title: "Checkpoint 2",
      meta: "after turn 2",
    });
    expect(describeTaskEvent(ev(2, "checkpoint", { n: 3, label: "before restoring checkpoint 1", restored: 1 }))).toMatchObject({
      title: "Restored checkpoint 1",
      meta: "the state it replaced is checkpoint 3",
    });
    expect(describeTaskEvent(ev(3, "landed", { method: "squash", landed: true, conflicts: [], commit: "0123456789abcdef" }))).toMatchObject({
      title: "Squashed into base",
      meta: "0123456789",
      tone: "neutral",
    });
    expect(describeTaskEvent(ev(4, "landed", { method: "merge", landed: false, conflicts: ["a.rs", "b.md"], message: "x" }))).toMatchObject({
      title: "Landing refused: 2 conflicting files",
      body: "a.rs\nb.md",
      tone: "error",
    });
  });

  it("copes with odd details", () => {
    expect(describeTaskEvent(ev(1, "error", "plain text"))).toMatchObject({ body: "plain text" });
    expect(describeTaskEvent(ev(2, "error", null))).toMatchObject({ body: "Unknown error" });
    expect(describeTaskEvent(ev(3, "response_received", { duration_ms: "x" })).meta).toBe("");
    expect(describeTaskEvent(ev(4, "response_received", { interrupted: true, duration_ms: 900 }))).toMatchObject({
      title: "Response interrupted",
      meta: "900 ms",
    });
  });

  it("orders by time then id and groups by day", () => {
    const days = buildTimeline(
      [
        ev(3, "ended", {}, "2025-03-05T09:00:00Z"),
        ev(2, "command_sent", { command: "b" }, "2025-03-04T10:00:00Z"),
        ev(1, "created", {}, "2025-03-04T10:00:00Z"),
      ],
      Date.parse("2025-03-05T12:00:00Z"),
    );
    expect(days.map((d) => d.entries.map((e) => e.id))).toEqual([[1, 2], [3]]);
    expect(days[1]?.label).toBe("Today");
    expect(days[0]?.label).toBe("Yesterday");
  });
});

describe("permissionOutcomes", () => {
  const ev = (id: number, detail: unknown, kind: TaskEvent["kind"] = "command_sent"): TaskEvent => ({ id, task_id: null, session_id: "s", ts: "2026-01-01T00:00:00Z", kind, detail });
  it("says how each request was settled, by request id, from the session's task log", async () => {
    const { permissionOutcomes } = await import("./timeline");
    const m = permissionOutcomes([
      ev(1, { permission: "allowed", tool: "Write", gist: "notes.md", request_id: "a", by: "app" }),
      ev(2, { permission: "denied: not now", tool: "Bash", request_id: "b", by: "cli" }),
      ev(3, { permission: "allowed by Bash(npm test:*)", tool: "Bash", request_id: "c", by: "rule" }),
      ev(4, { permission: "denied: no answer", tool: "Bash", request_id: "d", by: "timeout" }),
      ev(5, { permission: "allowed; rule saved: Bash(ls:*)", tool: "Bash", request_id: "e", by: "app" }),
      ev(6, { text: "hello" }),
      ev(7, { permission: "allowed", request_id: "f", by: "app" }, "created"),
    ]);
    expect(Object.fromEntries([...m].map(([k, v]) => [k, v.text]))).toEqual({
      a: "allowed by you",
      b: "denied by you",
      c: "allowed by a rule",
      d: "denied: nobody answered in time",
      e: "allowed by you",
    });
    expect(m.get("b")?.tone).toBe("error");
  });
});
