/**
 * The reactive sessions store: a thin runes wrapper around `SessionModel`.
 * Components read `sessions.list` (newest first) and `sessions.counts`.
 */
import type { Session } from "./bindings/Session";
import type { ApiError } from "./errors";
import { toIpcError } from "./errors";
import { SessionModel } from "./sessions";
import type { StatusCounts } from "./status";

/** Where sessions come from: the backend (see `api.ts`) or a fake in tests. */
export interface SessionSource {
  list(): Promise<Session[]>;
  onChanged(handler: (session: Session) => void): Promise<() => void>;
  onDeleted(handler: (id: string) => void): Promise<() => void>;
  /** Events were missed: the list must be fetched again. */
  onResync?(handler: () => void): Promise<() => void>;
}

export type LoadState = "idle" | "loading" | "ready" | "error";

export class SessionStore {
  #model = new SessionModel();
  /** Bumped on every change of the model; the deriveds depend on it. */
  #version = $state(0);
  #source: SessionSource | null = null;

  loadState: LoadState = $state("idle");
  /**
   * Counts every change pushed by the backend (and every reload): views that
   * show derived data (metrics, tasks) refetch when it moves, debounced.
   */
  changes = $state(0);
  loadError: ApiError | null = $state(null);

  /** All sessions, newest first. */
  readonly list: Session[] = $derived.by(() => {
    void this.#version;
    return this.#model.sorted();
  });

  readonly counts: StatusCounts = $derived.by(() => {
    void this.#version;
    return this.#model.counts();
  });

  readonly size: number = $derived.by(() => {
    void this.#version;
    return this.#model.size;
  });

  get(id: string): Session | undefined {
    void this.#version;
    return this.#model.get(id);
  }

  upsert(session: Session): void {
    this.#model.upsert(session);
    this.#version += 1;
    this.changes += 1;
  }

  offer(session: Session): void {
    if (this.#model.offer(session)) this.#version += 1;
  }

  remove(id: string): void {
    if (this.#model.remove(id)) this.#version += 1;
    this.changes += 1;
  }

  /**
   * Subscribes to the source's events, then loads the initial list, merging
   * whatever events arrived meanwhile. Resolves to an unsubscribe function
   * once the first load has finished (successfully or not).
   */
  async connect(source: SessionSource): Promise<() => void> {
    this.#source = source;
    const unsubscribers: Array<() => void> = [];
    const stop = () => {
      for (const un of unsubscribers.splice(0)) {
        try {
          un();
        } catch {
          // Already gone.
        }
      }
    };
    try {
      unsubscribers.push(await source.onChanged((s) => this.upsert(s)));
      unsubscribers.push(await source.onDeleted((id) => this.remove(id)));
      if (source.onResync) unsubscribers.push(await source.onResync(() => void this.reload()));
    } catch (err) {
      this.loadState = "error";
      this.loadError = toIpcError(err);
      return stop;
    }
    await this.reload();
    return stop;
  }

  /** Fetches the full list again (also the "Retry" after a failed load). */
  async reload(): Promise<void> {
    const source = this.#source;
    if (!source) return;
    this.#model.beginLoad();
    this.loadState = "loading";
    this.loadError = null;
    try {
      const snapshot = await source.list();
      this.#model.finishLoad(snapshot);
      this.loadState = "ready";
    } catch (err) {
      this.#model.failLoad();
      this.loadError = toIpcError(err);
      this.loadState = "error";
    }
    this.#version += 1;
    this.changes += 1;
  }
}

/** The app-wide store. */
export const sessions = new SessionStore();
