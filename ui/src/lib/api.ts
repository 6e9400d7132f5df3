/**
 * The backend's commands and events, as the page uses them.
 *
 * The commands, their argument names and types and their results are generated
 * from Rust (`./contract.ts`, from `src-tauri/src/contract.rs`): this file only
 * adds what the page needs on top — every command rejects with an `ApiError`
 * (code, message, field), whatever the backend or the IPC layer threw, so
 * callers can show `err.message`; a few defaults; output subscriptions over a
 * Channel; and typed event listeners (`listenTo`, over the generated `AppEvent`).
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import type { AppEvent } from "./bindings/AppEvent";
import type { OutputMessage } from "./bindings/OutputMessage";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import type { Session } from "./bindings/Session";
import type { Workspace } from "./bindings/Workspace";
import { commands, type Invoke } from "./contract";
import { ApiError, toIpcError } from "./errors";
import type { OutputSource } from "./output.svelte";
import type { RuleSource } from "./rules.svelte";
import type { TerminalChunk, TerminalSource } from "./terminal";

export { ApiError, toIpcError, errorMessage } from "./errors";
export type { UnlistenFn };

/** The name of an event the backend emits (the tags of the generated `AppEvent`). */
export type EventName = AppEvent["event"];
/** The payload of event `E`. */
export type EventPayload<E extends EventName> = Extract<AppEvent, { event: E }>["payload"];

function hasIpc(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

function noBackend(): ApiError {
  return new ApiError(
    "no_backend",
    "Not connected to the Switchboard backend: this page must run inside the Switchboard app.",
  );
}

const call: Invoke = async (command, args) => {
  if (!hasIpc()) throw noBackend();
  try {
    return await invoke(command, args);
  } catch (err) {
    throw toIpcError(err);
  }
};

/** Every command, typed by the generated contract (`./contract.ts`), rejecting with an `ApiError`. */
export const backend = commands(call);

// ---------------------------------------------------------------- sessions

export const listSessions = (filter: Parameters<typeof backend.listSessions>[0] = null) => backend.listSessions(filter);
export const getSession = backend.getSession;
export const createSession = backend.createSession;
export const endSession = backend.endSession;
export const deleteSession = backend.deleteSession;
/** Returns at once; the turn streams as output. Resumes a finished session. */
export const sendMessage = backend.sendMessage;
export const interruptSession = backend.interruptSession;
export const resumeSession = (id: string, prompt: string | null = null) => backend.resumeSession(id, prompt);
export const setTask = backend.setTask;
export const compactionAdvised = backend.compactionAdvised;
export const compactSession = backend.compactSession;

// ---------------------------------------------------------------- output

/** The last `limit` entries, ascending by seq. */
export const outputTail = backend.outputTail;
/** Entries after `afterSeq`, ascending, at most `limit`. */
export const readOutput = backend.readOutput;
export const readOutputAround = backend.readOutputAround;
/** The whole of an entry that was sent as a preview (`OutputItem.full_bytes`). */
export const readFullEntry = backend.readFullEntry;
/** Stored output of every session (or as the filter narrows it), newest first. */
export const searchOutput = backend.search;

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
  const subscription = await backend.subscribeOutput(id, afterSeq, channel);
  return () => {
    if (!active) return;
    active = false;
    backend.unsubscribeOutput(subscription).catch(() => {
      // The subscription may already be gone (session ended, page reloaded).
    });
  };
}

/** The backend as the output store's source. */
export const outputSource: OutputSource = {
  tail: outputTail,
  read: readOutput,
  around: readOutputAround,
  subscribe: subscribeOutput,
};

// ---------------------------------------------------------------- terminal mode

/**
 * A terminal-mode session's PTY over IPC: `attach` sends the screen so far and streams what
 * follows over a Channel; after `detach` nothing more reaches `onChunk` and the backend drops
 * its viewer (a Channel whose page side is gone would otherwise be fed until the session ends).
 */
export const terminalSource: TerminalSource = {
  async attach(id, onChunk) {
    let active = true;
    const channel = new Channel<TerminalChunk>();
    channel.onmessage = (chunk) => {
      if (active) onChunk(chunk);
    };
    const view = await backend.terminalAttach(id, channel);
    const detach = () => {
      if (!active) return;
      active = false;
      if (view.viewer !== null) void backend.terminalDetach(id, view.viewer).catch(() => {});
    };
    return { view, detach };
  },
  input: backend.terminalInput,
  resize: backend.terminalResize,
};

// ---------------------------------------------------------------- permissions

/** Tool uses waiting for an answer: one session's, or every session's (null). */
export const pendingPermissions = backend.pendingPermissions;
export const decidePermission = backend.decidePermission;
/** The "Allow for this session" rules in force for the session's running agent. */
export const permissionRules = backend.permissionRules;
export const revokePermissionRule = backend.revokePermissionRule;

/** The backend as the rule store's source. */
export const ruleSource: RuleSource = { list: permissionRules, revoke: revokePermissionRule };

/**
 * Tells the backend which session the window shows (null: none), so it does
 * not notify about what is on screen. Best effort: an older backend without
 * the command is fine.
 */
export function setFocusedSession(id: string | null): void {
  backend.setFocusedSession(id).catch(() => {});
}

// ---------------------------------------------------------------- logs, metrics

export const metrics = backend.metrics;
export const usageByDay = backend.usageByDay;
export const listTasks = backend.tasks;
export const taskLog = backend.taskLog;
export const sessionLog = backend.sessionLog;

// ---------------------------------------------------------------- app

export const listAgents = backend.agents;
export const getSettings = backend.getSettings;
export const saveSettings = backend.saveSettings;
export const recentFolders = backend.recentFolders;
/** Rejects (field `cwd`) when `path` cannot be a session's folder, as create would. */
export const checkFolder = backend.checkFolder;
export const appInfo = backend.appInfo;
/** Quits the app, asking first when agents are running. */
export const quitApp = backend.quitApp;

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

/** Listens to one backend event, typed by the generated `AppEvent`. */
export async function listenTo<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): Promise<UnlistenFn> {
  if (!hasIpc()) throw noBackend();
  try {
    return await listen<EventPayload<E>>(event, (e) => handler(e.payload));
  } catch (err) {
    throw toIpcError(err);
  }
}

function isSession(value: unknown): value is Session {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v["id"] === "string" && typeof v["status"] === "object" && v["status"] !== null;
}

function isPermissionRequest(value: unknown): value is PermissionRequest {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v["session_id"] === "string" && typeof v["request_id"] === "string";
}

/** `session-changed`: a session changed (the payload is checked: a malformed one is ignored). */
export function onSessionChanged(handler: (session: Session) => void): Promise<UnlistenFn> {
  return listenTo("session-changed", (payload) => {
    if (isSession(payload?.session)) handler(payload.session);
    else console.warn("Ignoring malformed session-changed payload", payload);
  });
}

/** `session-deleted`. */
export function onSessionDeleted(handler: (id: string) => void): Promise<UnlistenFn> {
  return listenTo("session-deleted", (payload) => {
    if (typeof payload?.id === "string") handler(payload.id);
    else console.warn("Ignoring malformed session-deleted payload", payload);
  });
}

/** `sessions-resync`: events were dropped; list again. */
export function onSessionsResync(handler: () => void): Promise<UnlistenFn> {
  return listenTo("sessions-resync", () => handler());
}

/** `permission-changed`: asked, answered or cancelled. */
export function onPermissionChanged(handler: (request: PermissionRequest) => void): Promise<UnlistenFn> {
  return listenTo("permission-changed", (payload) => {
    if (isPermissionRequest(payload?.request)) handler(payload.request);
    else console.warn("Ignoring malformed permission-changed payload", payload);
  });
}

/** `open-session` (the tray): show this session. */
export function onOpenSession(handler: (id: string) => void): Promise<UnlistenFn> {
  return listenTo("open-session", (payload) => {
    if (typeof payload?.id === "string") handler(payload.id);
  });
}

/** `output-conversion`: how far the background conversion of an old database's output is. */
export function onOutputConversion(handler: (progress: EventPayload<"output-conversion">["progress"]) => void): Promise<UnlistenFn> {
  return listenTo("output-conversion", (payload) => {
    if (payload?.progress && typeof payload.progress.moved === "number") handler(payload.progress);
  });
}

/** `new-session` (the tray): show the New-session form. */
export function onNewSession(handler: () => void): Promise<UnlistenFn> {
  return listenTo("new-session", () => handler());
}

// ---------------------------------------------------------------- workspaces

export const probeRepository = backend.probeRepository;
export const listWorkspaces = backend.listWorkspaces;
export const sessionChanges = backend.sessionChanges;
export const sessionDiff = backend.sessionDiff;
export const sessionCompare = backend.sessionCompare;
export const openSessionIn = backend.openSessionIn;
export const sessionCheckpoints = backend.sessionCheckpoints;
export const restoreCheckpoint = backend.restoreCheckpoint;
export const commitWork = backend.commitWork;
export const landSession = backend.landSession;
export const removalCheck = backend.removalCheck;
export const orphanWorktrees = backend.orphanWorktrees;
export const removeOrphanWorktrees = backend.removeOrphanWorktrees;
export const getRepoSetup = backend.getRepoSetup;
export const saveRepoSetup = backend.saveRepoSetup;

/** `workspace-changed`: a session's worktree changed (after a turn, a checkpoint, a restore). */
export function onWorkspaceChanged(handler: (workspace: Workspace) => void): Promise<UnlistenFn> {
  return listenTo("workspace-changed", (payload) => handler(payload.workspace));
}
