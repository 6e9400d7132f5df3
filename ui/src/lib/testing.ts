import type { EntryView } from "./bindings/EntryView";
import type { OutputItem } from "./bindings/OutputItem";
import type { Session } from "./bindings/Session";
import type { SessionStatus } from "./bindings/SessionStatus";

/** A complete Session with sensible defaults, for tests and fixtures. */
export function makeSession(
  overrides: Partial<Omit<Session, "status">> & { status?: SessionStatus | SessionStatus["state"] } = {},
): Session {
  const { status, ...rest } = overrides;
  const created = rest.created_at ?? "2025-01-01T10:00:00Z";
  const base: Session = {
    id: "s-1",
    agent: "command",
    title: "Test session",
    cwd: "/home/me/project",
    status: { state: "running" },
    task_id: null,
    mcp_session_id: null,
    agent_session_id: null,
    service_session_id: null,
    config: {
      program: "bash",
      args: [],
      prompt: null,
      model: null,
      permission_mode: "default",
      max_turns: null,
      append_system_prompt: null,
      env: {},
      metadata: null,
      mode: "headless",
    },
    created_at: created,
    last_activity: created,
    expires_at: "2025-01-02T10:00:00Z",
    ended_at: null,
    message_count: 0,
    turns: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    last_error: null,
    pid: null,
    exit_code: null,
    last_response_at: null,
    origin: "switchboard",
    launch_command: null,
    output_trimmed_through: 0,
  };
  const resolved: SessionStatus | undefined =
    typeof status === "string"
      ? status === "error"
        ? { state: "error", message: "boom" }
        : ({ state: status } as SessionStatus)
      : status;
  return { ...base, ...rest, ...(resolved ? { status: resolved } : {}) };
}

/** An output entry with a seq and a view (a plain line by default), for tests. */
export function entry(seq: number, view: EntryView = { kind: "line", text: `line ${seq}` }): OutputItem {
  return { seq, ts: `2025-01-01T10:00:${String(seq % 60).padStart(2, "0")}Z`, stream: "stdout", view };
}
