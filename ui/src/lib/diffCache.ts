/**
 * The diffs the Changes tab fetched, by (from, to, path), so scrolling back to a file does
 * not run git again. Bounded by the text's size: a file's diff may be up to 4 MiB (the
 * core's cut), and a 5,000-file change must not keep them all.
 */
import type { FileDiff } from "./bindings/FileDiff";

/** Bytes of diff text kept (UTF-16 code units counted): a few dozen ordinary files' worth of screens. */
export const DIFF_CACHE_BYTES = 16 * 1024 * 1024;

export class DiffCache {
  readonly #entries = new Map<string, { diff: Promise<FileDiff>; size: number }>();
  #size = 0;

  constructor(private readonly budget = DIFF_CACHE_BYTES) {}

  /** The diff for `key`, loaded by `load` when not kept (a failed load is not kept). */
  get(key: string, load: () => Promise<FileDiff>): Promise<FileDiff> {
    const hit = this.#entries.get(key);
    if (hit) {
      // Most recently used last: the oldest go first.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.diff;
    }
    const entry = { diff: load(), size: 0 };
    this.#entries.set(key, entry);
    entry.diff.then(
      (d) => {
        if (this.#entries.get(key) !== entry) return;
        entry.size = d.text.length;
        this.#size += entry.size;
        this.#evict();
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.diff;
  }

  /** Bytes of text kept now. */
  get size(): number {
    return this.#size;
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#size <= this.budget || this.#entries.size <= 1) break;
      this.#entries.delete(key);
      this.#size -= entry.size;
    }
  }
}
