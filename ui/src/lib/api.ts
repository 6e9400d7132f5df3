/**
 * Typed wrappers around the backend's Tauri commands and events.
 *
 * Every command rejects with an `ApiError` (code, message, field), whatever
 * the backend or the IPC layer threw, so callers can show `err.message`.
 */
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { NewSession } from "./bindings/NewSession";
import type { Session } from "./bindings/Session";
import type { SessionFilter } from "./bindings/SessionFilter";
import { ApiError, toIpcError } from "./errors";

export { ApiError, toIpcError, errorMessage } from "./errors";
export type { UnlistenFn };

/** Event names emitted by the backend. */
export const EVENTS = {
  sessionChanged: "session-changed",
  sessionDeleted: "session-deleted",
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

async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  if (!hasIpc()) throw noBackend();
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toIpcError(err);
  }
}

export function listSessions(filter: SessionFilter | null = null): Promise<Session[]> {
  return call<Session[]>("list_sessions", { filter });
}

export function createSession(request: NewSession): Promise<Session> {
  return call<Session>("create_session", { request });
}

export function endSession(id: string): Promise<Session> {
  return call<Session>("end_session", { id });
}

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
