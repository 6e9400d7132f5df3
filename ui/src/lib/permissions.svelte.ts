/**
 * Tool uses agents ask the user to approve, by session. Filled per session
 * when its view opens (`pending_permissions`) and kept current by the
 * `permission-changed` event (asked → listed; answered or cancelled → gone).
 */
import type { PermissionRequest } from "./bindings/PermissionRequest";
import { errorMessage } from "./errors";

export interface PermissionSource {
  pending(id: string): Promise<PermissionRequest[]>;
}

/** Every session's pending requests at once (the sessions list says what each waits for). */
export interface AllPermissionSource {
  pendingAll(): Promise<PermissionRequest[]>;
}

export class PermissionStore {
  /** session id → its pending requests, oldest first. */
  #bySession: Map<string, PermissionRequest[]> = $state(new Map());
  error: string | null = $state(null);

  pendingFor(id: string): PermissionRequest[] {
    return this.#bySession.get(id) ?? [];
  }

  /** Loads a session's pending requests (its view opened). */
  async load(source: PermissionSource, id: string): Promise<void> {
    try {
      const list = await source.pending(id);
      this.#set(id, list.filter((r) => r.decision === null));
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Loads every session's pending requests (the app started; events keep them current). */
  async loadAll(source: AllPermissionSource): Promise<void> {
    try {
      const bySession = new Map<string, PermissionRequest[]>();
      for (const r of await source.pendingAll()) {
        if (r.decision !== null) continue;
        bySession.set(r.session_id, [...(bySession.get(r.session_id) ?? []), r]);
      }
      this.#bySession = bySession;
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** A `permission-changed` event, or the answer to a decision. */
  apply(request: PermissionRequest): void {
    const id = request.session_id;
    const rest = this.pendingFor(id).filter((r) => r.request_id !== request.request_id);
    this.#set(id, request.decision === null ? [...rest, request] : rest);
  }

  #set(id: string, list: PermissionRequest[]): void {
    const next = new Map(this.#bySession);
    if (list.length === 0) next.delete(id);
    else next.set(id, list);
    this.#bySession = next;
  }
}

export const permissions = new PermissionStore();
