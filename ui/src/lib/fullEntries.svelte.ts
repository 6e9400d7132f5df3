/** The whole entries loaded with "Load full", shared by every output view (see `preview.ts`). */
import { readFullEntry, errorMessage } from "./api";
import type { OutputItem } from "./bindings/OutputItem";
import { notices } from "./notices.svelte";
import { FullEntryCache } from "./preview";

class FullEntries {
  #cache = new FullEntryCache(4);
  /** Bumped when the cache changes, so views reading it redraw. */
  #version = $state(0);
  loading: Set<string> = $state(new Set());

  /** The whole entry when it was loaded, else `item` as it is. */
  shown(sessionId: string, item: OutputItem): OutputItem {
    void this.#version;
    if (item.full_bytes === undefined || item.full_bytes === null) return item;
    return this.#cache.get(sessionId, item.seq) ?? item;
  }

  isLoading(sessionId: string, seq: number): boolean {
    return this.loading.has(FullEntryCache.key(sessionId, seq));
  }

  /** Asks the backend for the whole entry; a failure is a notice and leaves the preview. */
  async load(sessionId: string, seq: number): Promise<void> {
    const key = FullEntryCache.key(sessionId, seq);
    if (this.loading.has(key)) return;
    this.loading = new Set([...this.loading, key]);
    try {
      const item = await readFullEntry(sessionId, seq);
      this.#cache.put(sessionId, item);
      this.#version += 1;
    } catch (err) {
      notices.error(`Could not load the whole entry: ${errorMessage(err)}`);
    } finally {
      const next = new Set(this.loading);
      next.delete(key);
      this.loading = next;
    }
  }
}

export const fullEntries = new FullEntries();
