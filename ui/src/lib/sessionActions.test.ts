import { describe, expect, it } from "vitest";
import type { AgentInfo } from "./bindings/AgentInfo";
import { canEnd, canInterrupt, canResume, resumeCommand, sendState, sessionDurationMs, taskIdError } from "./sessionActions";
import { makeSession } from "./testing";

const claude = (status: Parameters<typeof makeSession>[0] extends infer P ? P : never) => makeSession({ agent: "claude", agent_session_id: "x", ...status });
const missing: AgentInfo = { agent: "claude", installed: false, path: null, source: null, install_hint: "npm install -g @anthropic-ai/claude-code" };

describe("what can be done with a session", () => {
  it("sends when idle or finished (resuming), not while the agent works", () => {
    expect(sendState(claude({ status: "idle" })).enabled).toBe(true);
    expect(sendState(claude({ status: "running" }))).toMatchObject({ enabled: false, reason: expect.stringMatching(/working/) });
    expect(sendState(claude({ status: "ended" }))).toMatchObject({ enabled: true, hint: expect.stringMatching(/resumes/) });
    expect(sendState(makeSession({ agent: "command", status: "running" }))).toMatchObject({ enabled: false, reason: expect.stringMatching(/does not take messages/) });
    expect(sendState(makeSession({ agent: "claude", agent_session_id: null, status: "ended" })).enabled).toBe(false);
    expect(sendState(claude({ status: "ended" }), missing)).toMatchObject({ enabled: false, reason: expect.stringMatching(/npm install/) });
  });

  it("offers Interrupt, End and Resume at the right times", () => {
    expect(canInterrupt(claude({ status: "running" }))).toBe(true);
    expect(canInterrupt(claude({ status: "idle" }))).toBe(false);
    expect(canInterrupt(claude({ status: "waiting_input" }))).toBe(true);
    expect(sendState(claude({ status: "waiting_input" }))).toMatchObject({ enabled: false, reason: expect.stringMatching(/waits for your answer/) });
    expect(canEnd(claude({ status: "waiting_input" }))).toBe(true);
    expect(canEnd(claude({ status: "ended" }))).toBe(false);
    expect(canResume(claude({ status: "error" }))).toBe(true);
    expect(canResume(makeSession({ agent: "command", status: "ended" }))).toBe(false);
  });

  it("measures duration and checks task ids like the backend", () => {
    const s = makeSession({ created_at: "2025-01-01T10:00:00Z", ended_at: "2025-01-01T10:01:30Z" });
    expect(sessionDurationMs(s, Date.now())).toBe(90_000);
    // Resumed (ended_at cleared, last_activity moved on) with a clock that ticked before the
    // resume: the duration does not go back below what it showed when it ended.
    const resumed = makeSession({
      created_at: "2026-01-01T00:00:00Z",
      ended_at: null,
      last_activity: "2026-01-01T00:00:23Z",
      status: "running",
    });
    expect(sessionDurationMs(resumed, Date.parse("2026-01-01T00:00:17Z"))).toBe(23_000);
    expect(sessionDurationMs(resumed, Date.parse("2026-01-01T00:00:30Z"))).toBe(30_000);
    expect(taskIdError("ENG-1")).toBeNull();
    expect(taskIdError("")).toBeNull();
    expect(taskIdError("-x")).not.toBeNull();
    expect(taskIdError("a b")).not.toBeNull();
  });

  it("follows a terminal session without sending to, interrupting or ending it; resumes it once ended", () => {
    const running = claude({ status: "running", origin: "terminal", cwd: "/home/me/my app", agent_session_id: "abc-1" });
    expect(sendState(running)).toMatchObject({ enabled: false, reason: expect.stringMatching(/terminal/) });
    expect(canEnd(running)).toBe(false);
    expect(canInterrupt(running)).toBe(false);
    expect(canResume(running)).toBe(false);
    expect(canResume({ ...running, status: { state: "ended" } })).toBe(true);
    expect(resumeCommand(running)).toBe("cd '/home/me/my app' && claude --resume abc-1");
    // An imported subagent has no conversation id of its own: nothing to resume.
    const subagent = { ...running, status: { state: "ended" as const }, agent_session_id: null };
    expect(canResume(subagent)).toBe(false);
    expect(resumeCommand(subagent)).toBeNull();
  });
});
