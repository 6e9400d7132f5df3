/** What can be done with a session now, and why not: for the session view's buttons. */
import type { AgentInfo } from "./bindings/AgentInfo";
import type { Session } from "./bindings/Session";
import { AGENT_PROFILES } from "./contract";
import { AGENT_LABELS } from "./newSession";
import { isLive } from "./status";

export type SendState = {
  enabled: boolean;
  /** Why sending is not possible now (shown instead of the hint). */
  reason: string | null;
  /** What sending will do, when it is possible. */
  hint: string;
};

const WORKING = new Set(["starting", "running", "compacting"]);

export function sendState(session: Session, agent?: AgentInfo | null): SendState {
  const hint = "Enter to send · Shift+Enter for a new line";
  if (session.agent === "command") {
    return { enabled: false, reason: "A command session does not take messages: start a new session instead.", hint };
  }
  if (session.origin === "terminal") {
    return {
      enabled: false,
      reason: "This session runs in a terminal: Switchboard only follows it. Continue it there, or resume it in Switchboard once it has ended.",
      hint,
    };
  }
  const state = session.status.state;
  if (state === "starting") return { enabled: false, reason: "The agent is starting…", hint };
  if (state === "running") return { enabled: false, reason: "The agent is working: wait for it, or interrupt it.", hint };
  if (state === "compacting") return { enabled: false, reason: "The conversation is being compacted…", hint };
  if (state === "waiting_input") {
    return { enabled: false, reason: "The agent waits for your answer to its question above: allow or deny it, or interrupt the turn.", hint };
  }
  if (!isLive(session.status)) {
    if (session.agent === "claude" && !session.agent_session_id) {
      return { enabled: false, reason: "This session cannot be resumed: it has no agent session id.", hint };
    }
    if (agent && !agent.installed) {
      return {
        enabled: false,
        reason: `${AGENT_LABELS[session.agent]} is not installed: install it with ${agent.install_hint}`,
        hint,
      };
    }
    return { enabled: true, reason: null, hint: "Sending resumes the session · Enter to send · Shift+Enter for a new line" };
  }
  return { enabled: true, reason: null, hint };
}

export function canInterrupt(session: Session): boolean {
  if (session.origin === "terminal") return false;
  const state = session.status.state;
  // Waiting for a permission answer is part of a turn: interrupting it answers "no" and stops.
  return (WORKING.has(state) && state !== "compacting") || state === "waiting_input";
}

export function canEnd(session: Session): boolean {
  // A terminal session's process is the person's own: Switchboard never stops it.
  return isLive(session.status) && session.origin !== "terminal";
}

/** The command that continues a terminal session in a terminal. */
export function resumeCommand(session: Session): string | null {
  if (session.agent !== "claude" || !session.agent_session_id) return null;
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `cd ${quote(session.cwd)} && claude --resume ${quote(session.agent_session_id)}`;
}

export function canResume(session: Session): boolean {
  // An imported subagent's session has no conversation of its own to resume.
  const resumable = session.origin !== "terminal" || session.agent_session_id !== null;
  return !isLive(session.status) && AGENT_PROFILES[session.agent].can_resume && resumable;
}

/**
 * Wall time of the session, from `created_at` to `ended_at`, or to now while it lives.
 * Never less than what was last shown: a resumed session clears `ended_at`, and a `nowMs`
 * that ticked before the resume would make the duration run backwards (23 s → 17 s), so
 * a live session's end is at least its `last_activity` (which the resume moved past the
 * old `ended_at`).
 */
export function sessionDurationMs(session: Session, nowMs: number): number {
  const start = Date.parse(session.created_at);
  const activity = Date.parse(session.last_activity);
  const end = session.ended_at
    ? Date.parse(session.ended_at)
    : Math.max(nowMs, Number.isNaN(activity) ? nowMs : activity);
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : Math.max(0, end - start);
}

/** Task ids the backend accepts: letters, digits, '.', '_', ':' and '-', not starting with '-'. */
export function taskIdError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  if (t.length > 128) return "A task id is at most 128 characters.";
  if (!/^[A-Za-z0-9._:][A-Za-z0-9._:-]*$/.test(t)) {
    return "Use letters, digits, '.', '_', ':' and '-' (not first).";
  }
  return null;
}
