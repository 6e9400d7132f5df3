/**
 * Entries sent as a preview (the backend cuts an entry of 1 MiB or more to its first
 * 16 KiB and says how long it is in `full_bytes`): what the note under it says, and a
 * small bounded cache of the whole entries the person asked for.
 */
import type { OutputItem } from "./bindings/OutputItem";
import type { EntryView } from "./bindings/EntryView";

/** 950 → "950 B", 16_384 → "16 KiB", 1_258_291 → "1.2 MiB" (binary units, one decimal below 10). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  if (u === 0) return `${Math.round(v)} B`;
  const s = v < 10 ? v.toFixed(1).replace(/\.0$/, "") : String(Math.round(v));
  return `${s} ${units[u]}`;
}

/** The text of a view that a preview shortens (what is shown of it). */
export function viewText(view: EntryView): string {
  switch (view.kind) {
    case "tool_result":
      return view.content;
    case "tool_use":
      return JSON.stringify(view.input);
    default:
      return "text" in view && typeof view.text === "string" ? view.text : "";
  }
}

const encoder = new TextEncoder();

/** "showing the first 16 KiB of 1.2 MiB" for a preview; null for a whole entry. */
export function previewNote(item: OutputItem): string | null {
  const full = item.full_bytes;
  if (full === undefined || full === null) return null;
  const shown = Math.min(encoder.encode(viewText(item.view)).length, full);
  return `showing the first ${formatBytes(shown)} of ${formatBytes(full)}`;
}

/**
 * Whole entries loaded on request, newest kept: at most `capacity` of them (each can be
 * many MiB, so the cache is bounded by count), keyed by session and seq.
 */
export class FullEntryCache {
  #items = new Map<string, OutputItem>();
  readonly capacity: number;

  constructor(capacity = 4) {
    this.capacity = Math.max(1, capacity);
  }

  static key(sessionId: string, seq: number): string {
    return `${sessionId}#${seq}`;
  }

  get(sessionId: string, seq: number): OutputItem | undefined {
    return this.#items.get(FullEntryCache.key(sessionId, seq));
  }

  /** Keeps `item` (the whole entry); the oldest kept entry goes when the cache is full. */
  put(sessionId: string, item: OutputItem): void {
    const key = FullEntryCache.key(sessionId, item.seq);
    this.#items.delete(key);
    this.#items.set(key, item);
    while (this.#items.size > this.capacity) {
      const oldest = this.#items.keys().next().value;
      if (oldest === undefined) break;
      this.#items.delete(oldest);
    }
  }

  get size(): number {
    return this.#items.size;
  }
}

/** "Converting stored output… 45 %" while old rows move; null once done (or nothing to move). */
export function conversionText(p: { moved: number; total: number; done: boolean }): string | null {
  if (p.done) return null;
  const pct = p.total > 0 ? Math.min(99, Math.floor((100 * p.moved) / p.total)) : 0;
  return `Converting stored output… ${pct} %`;
}
