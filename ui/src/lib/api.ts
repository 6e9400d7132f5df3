/**
 * Typed wrappers around the backend's Tauri commands and events.
 *
 * Every command rejects with an `ApiError` (code, message, field), whatever
 * the backend or the IPC layer threw, so callers can show `err.message`.
 *
 * Argument names: Tauri 2 commands take their arguments in camelCase on the
 * JS side (`after_seq` in Rust is `afterSeq` here); struct fields inside an
 * argument (a `SessionFilter`, a `NewSession`, `Settings`) keep their serde
 * names (snake_case).
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import type { AgentInfo } from "./bindings/AgentInfo";
import type { AppInfo } from "./bindings/AppInfo";
import type { DayUsage } from "./bindings/DayUsage";
import type { Metrics } from "./bindings/Metrics";
import type { NewSession } from "./bindings/NewSession";
import type { OutputItem } from "./bindings/OutputItem";
import type { OutputMessage } from "./bindings/OutputMessage";
import type { Session } from "./bindings/Session";
import type { SessionFilter } from "./bindings/SessionFilter";
import type { Settings } from "./bindings/Settings";
import type { TaskEvent } from "./bindings/TaskEvent";
import type { TaskSummary } from "./bindings/TaskSummary";
import { ApiError, toIpcError } from "./errors";
import type { OutputSource } from "./output.svelte";
import type { RuleSource } from "./rules.svelte";
import type { PermissionDecision } from "./bindings/PermissionDecision";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import type { PermissionRule } from "./bindings/PermissionRule";

export { ApiError, toIpcError, errorMessage } from "./errors";
export type { UnlistenFn };

/** Event names emitted by the backend. */
export const EVENTS = {
  sessionChanged: "session-changed",
  sessionDeleted: "session-deleted",
  sessionsResync: "sessions-resync",
  permissionChanged: "permission-changed",
} as const;

export type SessionChangedPayload = { session: Session };
export type SessionDeletedPayload = { id: string };

function hasIpc(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

function noBackend(): ApiError {
  return new ApiError(
    "no_backend",
    "Not connected to the Switchboard backend: this page must run inside the Switchboard app.",
  );
}

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  if (!hasIpc()) throw noBackend();
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toIpcError(err);
  }
}

// ---------------------------------------------------------------- sessions

export function listSessions(filter: SessionFilter | null = null): Promise<Session[]> {
  return call<Session[]>("list_sessions", { filter });
}

export function getSession(id: string): Promise<Session> {
  return call<Session>("get_session", { id });
}

export function createSession(request: NewSession): Promise<Session> {
  return call<Session>("create_session", { request });
}

export function endSession(id: string): Promise<Session> {
  return call<Session>("end_session", { id });
}

export function deleteSession(id: string): Promise<null> {
  return call<null>("delete_session", { id });
}

/** Returns at once; the turn streams as output. Resumes a finished session. */
export function sendMessage(id: string, text: string): Promise<Session> {
  return call<Session>("send_message", { id, text });
}

export function interruptSession(id: string): Promise<Session> {
  return call<Session>("interrupt_session", { id });
}

export function resumeSession(id: string, prompt: string | null = null): Promise<Session> {
  return call<Session>("resume_session", { id, prompt });
}

export function setTask(id: string, taskId: string | null): Promise<Session> {
  return call<Session>("set_task", { id, taskId });
}

export function compactionAdvised(id: string): Promise<boolean> {
  return call<boolean>("compaction_advised", { id });
}

export function compactSession(id: string): Promise<Session> {
  return call<Session>("compact_session", { id });
}

// ---------------------------------------------------------------- output

/** The last `limit` entries, ascending by seq. */
export function outputTail(id: string, limit: number): Promise<OutputItem[]> {
  return call<OutputItem[]>("output_tail", { id, limit });
}

/** Entries after `afterSeq`, ascending, at most `limit`. */
export function readOutput(id: string, afterSeq: number, limit: number): Promise<OutputItem[]> {
  return call<OutputItem[]>("read_output", { id, afterSeq, limit });
}

/**
 * Follows a session's output after `afterSeq`: every later entry once, in
 * order (backfill, then live). Resolves to a function that stops it; after
 * that, no more messages reach `onMessage`.
 */
export async function subscribeOutput(
  id: string,
  afterSeq: number,
  onMessage: (message: OutputMessage) => void,
): Promise<() => void> {
  let active = true;
  const channel = new Channel<OutputMessage>();
  channel.onmessage = (message) => {
    if (active) onMessage(message);
  };
  const subscription = await call<number>("subscribe_output", { id, afterSeq, channel });
  return () => {
    if (!active) return;
    active = false;
    call<null>("unsubscribe_output", { subscription }).catch(() => {
      // The subscription may already be gone (session ended, page reloaded).
    });
  };
}

/** The backend as the output store's source. */
export const outputSource: OutputSource = {
  tail: outputTail,
  read: readOutput,
  subscribe: subscribeOutput,
};

// ---------------------------------------------------------------- permissions

/** Tool uses waiting for an answer: one session's, or every session's (null). */
export function pendingPermissions(id: string | null): Promise<PermissionRequest[]> {
  return call<PermissionRequest[]>("pending_permissions", { id });
}

export function decidePermission(id: string, requestId: string, decision: PermissionDecision): Promise<PermissionRequest> {
  return call<PermissionRequest>("decide_permission", { id, requestId, decision });
}

/** The "Allow for this session" rules in force for the session's running agent. */
export function permissionRules(id: string): Promise<PermissionRule[]> {
  return call<PermissionRule[]>("permission_rules", { id });
}

export function revokePermissionRule(id: string, ruleId: number): Promise<null> {
  return call<null>("revoke_permission_rule", { id, ruleId });
}

/** The backend as the rule store's source. */
export const ruleSource: RuleSource = { list: permissionRules, revoke: revokePermissionRule };

/**
 * Tells the backend which session the window shows (null: none), so it does
 * not notify about what is on screen. Best effort: an older backend without
 * the command is fine.
 */
export function setFocusedSession(id: string | null): void {
  call<null>("set_focused_session", { id }).catch(() => {});
}

// ---------------------------------------------------------------- logs, metrics

export function metrics(): Promise<Metrics> {
  return call<Metrics>("metrics");
}

export function usageByDay(days: number): Promise<DayUsage[]> {
  return call<DayUsage[]>("usage_by_day", { days });
}

export function listTasks(): Promise<TaskSummary[]> {
  return call<TaskSummary[]>("tasks");
}

export function taskLog(taskId: string): Promise<TaskEvent[]> {
  return call<TaskEvent[]>("task_log", { taskId });
}

export function sessionLog(id: string): Promise<TaskEvent[]> {
  return call<TaskEvent[]>("session_log", { id });
}

// ---------------------------------------------------------------- app

export function listAgents(): Promise<AgentInfo[]> {
  return call<AgentInfo[]>("agents");
}

export function getSettings(): Promise<Settings> {
  return call<Settings>("get_settings");
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return call<Settings>("save_settings", { settings });
}

export function recentFolders(): Promise<string[]> {
  return call<string[]>("recent_folders");
}

export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>("app_info");
}

/**
 * The system's folder picker (tauri-plugin-dialog). Resolves to the chosen
 * folder, or null when the person cancelled.
 */
export async function pickFolder(defaultPath?: string): Promise<string | null> {
  if (!hasIpc()) throw noBackend();
  try {
    const picked = await openDialog({
      directory: true,
      multiple: false,
      title: "Choose the session's folder",
      ...(defaultPath ? { defaultPath } : {}),
    });
    return typeof picked === "string" ? picked : null;
  } catch (err) {
    throw toIpcError(err);
  }
}

/**
 * Opens a web page in the desktop's browser (tauri-plugin-opener; the
 * capability allows http and https only). The app's window never navigates.
 */
export async function openExternal(url: string): Promise<void> {
  if (!hasIpc()) throw noBackend();
  try {
    await openUrl(url);
  } catch (err) {
    throw toIpcError(err);
  }
}

// ---------------------------------------------------------------- events

function isSession(value: unknown): value is Session {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v["id"] === "string" && typeof v["status"] === "object" && v["status"] !== null;
}

async function subscribe(event: string, handler: (payload: unknown) => void): Promise<UnlistenFn> {
  if (!hasIpc()) throw noBackend();
  try {
    return await listen<unknown>(event, (e) => handler(e.payload));
  } catch (err) {
    throw toIpcError(err);
  }
}

/** `session-changed` with payload `{ session }`. */
export function onSessionChanged(handler: (session: Session) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.sessionChanged, (payload) => {
    const session = (payload as Partial<SessionChangedPayload> | null)?.session;
    if (isSession(session)) handler(session);
    else console.warn(`Ignoring malformed ${EVENTS.sessionChanged} payload`, payload);
  });
}

/** `session-deleted` with payload `{ id }`. */
export function onSessionDeleted(handler: (id: string) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.sessionDeleted, (payload) => {
    const id = (payload as Partial<SessionDeletedPayload> | null)?.id;
    if (typeof id === "string") handler(id);
    else console.warn(`Ignoring malformed ${EVENTS.sessionDeleted} payload`, payload);
  });
}

/** `sessions-resync` `{ missed }`: events were dropped; list again. */
export function onSessionsResync(handler: () => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.sessionsResync, () => handler());
}

function isPermissionRequest(value: unknown): value is PermissionRequest {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v["session_id"] === "string" && typeof v["request_id"] === "string";
}

/** `permission-changed` `{ request }`: asked, answered or cancelled. */
export function onPermissionChanged(handler: (request: PermissionRequest) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.permissionChanged, (payload) => {
    const request = (payload as { request?: unknown } | null)?.request;
    if (isPermissionRequest(request)) handler(request);
    else console.warn(`Ignoring malformed ${EVENTS.permissionChanged} payload`, payload);
  });
}
