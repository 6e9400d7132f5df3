/**
 * Every session's worktree (branch, base, last measured changes), by session id: loaded
 * once, then kept current by `workspace-changed` events — never polled.
 */
import type { Workspace } from "./bindings/Workspace";
import { listWorkspaces, onWorkspaceChanged } from "./api";

class Workspaces {
  byId = $state<Record<string, Workspace>>({});
  #started = false;

  /** Loads the list and follows changes; safe to call more than once. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await onWorkspaceChanged((w) => {
      this.byId[w.session_id] = w;
    }).catch(() => undefined);
    try {
      for (const w of await listWorkspaces()) this.byId[w.session_id] ??= w;
    } catch {
      // Outside the app (or the list failed): the list simply shows no branches.
    }
  }

  get(id: string): Workspace | undefined {
    return this.byId[id];
  }
}

export const workspaces = new Workspaces();
