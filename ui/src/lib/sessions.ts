import type { Session } from "./bindings/Session";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import { joinArgs } from "./args";
import { summarizeTool } from "./tools";
import { compareTimestamps } from "./time";
import { emptyCounts, type StatusCounts } from "./status";

/** Newest first: by created_at descending, then by id descending. */
export function compareSessions(a: Session, b: Session): number {
  const byCreated = compareTimestamps(b.created_at, a.created_at);
  if (byCreated !== 0) return byCreated;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function sortSessions(list: Iterable<Session>): Session[] {
  return [...list].sort(compareSessions);
}

/**
 * Of two versions of the same session, the one to keep: `incoming` unless
 * `current` has a strictly later last_activity (ties go to `incoming`).
 */
export function pickNewer(current: Session, incoming: Session): Session {
  return compareTimestamps(current.last_activity, incoming.last_activity) > 0
    ? current
    : incoming;
}

export function countByStatus(list: Iterable<Session>): StatusCounts {
  const counts = emptyCounts();
  for (const s of list) {
    const state = s.status.state;
    if (state in counts) counts[state] += 1;
  }
  return counts;
}

/**
 * The client-side set of sessions, kept in sync with the backend by
 * events (`upsert` / `remove`) and by full snapshots (`beginLoad` +
 * `finishLoad`). Plain TypeScript, no Svelte, no Tauri: the reactive store
 * in `sessions.svelte.ts` wraps it.
 *
 * Snapshot/event races: subscribe to events first, then `beginLoad()`, then
 * fetch the list, then `finishLoad(list)`. Events that arrive while the list
 * call is in flight are remembered, so the snapshot (which may be older)
 * cannot undo them:
 * - a session changed during the load keeps the newer of the two versions
 *   (by last_activity; ties go to the event);
 * - a session deleted during the load stays deleted;
 * - a session created during the load is kept even if the snapshot lacks it;
 * - a session that was known before the load but is in neither the snapshot
 *   nor a later event is dropped (it is gone from the backend).
 */
export class SessionModel {
  #byId = new Map<string, Session>();
  #loading = false;
  #changedDuringLoad = new Set<string>();
  #deletedDuringLoad = new Set<string>();
  /** Ids ever deleted; ids are never reused, so nothing may bring them back. */
  #deleted = new Set<string>();

  get size(): number {
    return this.#byId.size;
  }

  get loading(): boolean {
    return this.#loading;
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  values(): IterableIterator<Session> {
    return this.#byId.values();
  }

  /** A `session-changed` event: the event is authoritative. */
  upsert(session: Session): void {
    this.#byId.set(session.id, session);
    this.#deleted.delete(session.id);
    if (this.#loading) {
      this.#changedDuringLoad.add(session.id);
      this.#deletedDuringLoad.delete(session.id);
    }
  }

  /**
   * A session returned by a command (create/end). Events for it may have
   * overtaken the reply, so it only replaces a strictly older version, and
   * never resurrects a deleted session. Returns whether it was applied.
   */
  offer(session: Session): boolean {
    if (this.#deleted.has(session.id)) return false;
    const current = this.#byId.get(session.id);
    if (current && compareTimestamps(session.last_activity, current.last_activity) <= 0) {
      return false;
    }
    this.#byId.set(session.id, session);
    if (this.#loading) this.#changedDuringLoad.add(session.id);
    return true;
  }

  /** A `session-deleted` event. Returns whether the session was known. */
  remove(id: string): boolean {
    this.#deleted.add(id);
    if (this.#loading) {
      this.#deletedDuringLoad.add(id);
      this.#changedDuringLoad.delete(id);
    }
    return this.#byId.delete(id);
  }

  beginLoad(): void {
    this.#loading = true;
    this.#changedDuringLoad.clear();
    this.#deletedDuringLoad.clear();
  }

  /** Merges a snapshot fetched after `beginLoad()` with the events seen since. */
  finishLoad(snapshot: readonly Session[]): void {
    const next = new Map<string, Session>();
    for (const s of snapshot) {
      if (this.#deletedDuringLoad.has(s.id)) continue;
      const current = this.#byId.get(s.id);
      if (current && this.#changedDuringLoad.has(s.id)) {
        next.set(s.id, pickNewer(s, current));
      } else {
        next.set(s.id, s);
      }
    }
    for (const id of this.#changedDuringLoad) {
      const current = this.#byId.get(id);
      if (current && !next.has(id)) next.set(id, current);
    }
    this.#byId = next;
    this.#endLoad();
  }

  /** The load failed: keep what we have (events still apply). */
  failLoad(): void {
    this.#endLoad();
  }

  #endLoad(): void {
    this.#loading = false;
    this.#changedDuringLoad.clear();
    this.#deletedDuringLoad.clear();
  }

  sorted(): Session[] {
    return sortSessions(this.#byId.values());
  }

  counts(): StatusCounts {
    return countByStatus(this.#byId.values());
  }
}

/**
 * A command session's command line as a shell would read it, quotes kept:
 * `bash -c 'echo hi'`, not `bash -c echo hi` (which is another command). "" for agents.
 */
export function commandLineOf(session: Session): string {
  if (session.agent !== "command" || !session.config.program) return "";
  return joinArgs([session.config.program, ...session.config.args]);
}

/**
 * The session's name as shown. A command session's default title is its program and
 * arguments joined with spaces (quotes lost); that one is shown shell-quoted instead.
 * A title the person typed is shown as typed.
 */
export function displayTitle(session: Session): string {
  const typed = session.title.trim();
  if (session.agent === "command" && session.config.program) {
    const plain = [session.config.program, ...session.config.args].join(" ");
    if (typed === "" || typed === plain) return commandLineOf(session);
  }
  return typed || session.config.program || "Untitled session";
}

/**
 * The session a subagent's session belongs to: an imported subagent transcript becomes a
 * child session whose metadata names its parent (`subagent_of`). Null for any other.
 */
export function subagentParentOf(session: Session): string | null {
  const m = session.config.metadata;
  const parent = m !== null && typeof m === "object" && !Array.isArray(m) ? (m as Record<string, unknown>).subagent_of : null;
  return typeof parent === "string" && parent !== "" ? parent : null;
}

/** The subagent sessions of `id`, oldest first. */
export function subagentsOf(id: string, list: Iterable<Session>): Session[] {
  return [...list].filter((s) => subagentParentOf(s) === id).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** The one-line note a list row shows under its status: what it waits for, or its error. */
export type RowNote = { kind: "waiting" | "error"; text: string };

/**
 * What a row says beyond its badge: a waiting session names the tool use it waits for
 * ("waiting: Bash npm test"), a failed one its error (the row cuts it to one line; the
 * full text is the note's tooltip). `pending` is the session's oldest unanswered request.
 */
export function rowNote(session: Session, pending: PermissionRequest | undefined): RowNote | null {
  if (session.status.state === "error") {
    const message = session.status.message || session.last_error || "";
    return message ? { kind: "error", text: message } : null;
  }
  if (session.status.state === "waiting_input") {
    if (!pending) return { kind: "waiting", text: "waiting for you" };
    const { name, summary } = summarizeTool(pending.tool_name, pending.input, session.cwd);
    const what = summary || pending.description || "";
    return { kind: "waiting", text: `waiting: ${name}${what ? ` ${what}` : ""}` };
  }
  return null;
}
