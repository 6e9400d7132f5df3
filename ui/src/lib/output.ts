/**
 * A session's output as the session view holds it: plain TypeScript, no
 * Svelte, no Tauri (the reactive store in `output.svelte.ts` wraps it).
 *
 * - `OutputLog`: the entries loaded so far, ascending by seq, each seq once,
 *   whatever order and overlap the tail, the live batches and the older pages
 *   arrive in.
 * - `OutputRows`: what the list draws: one row per entry, except that a
 *   `tool_use` and its `tool_result` fold into one row, and raw lines/stderr
 *   are left out unless asked for.
 */
import type { EntryView } from "./bindings/EntryView";
import type { OutputItem } from "./bindings/OutputItem";

export type EntryKind = EntryView["kind"];
export type ViewOf<K extends EntryKind> = Extract<EntryView, { kind: K }>;

/** The entry kinds that "Raw output" shows or hides. */
export const RAW_KINDS: ReadonlySet<EntryKind> = new Set<EntryKind>(["raw", "line", "stderr"]);

export type AddResult = {
  /** Entries added after the previous last entry, in order. */
  appended: OutputItem[];
  /** Entries added before the previous last entry (an older page, a gap filled). */
  inserted: number;
  /** Entries already present, ignored. */
  duplicates: number;
};

function isAscending(batch: readonly OutputItem[]): boolean {
  for (let i = 1; i < batch.length; i += 1) {
    if ((batch[i] as OutputItem).seq <= (batch[i - 1] as OutputItem).seq) return false;
  }
  return true;
}

/**
 * How many entries the session has stored, not how many are loaded: seqs run from 1
 * without gaps, and the per-session cap trims the oldest through `trimmedThrough`, so
 * the newest seq minus that is the total. The count then stays put while older pages
 * load (it read 500, then 3,002, for the same output).
 */
export function storedTotal(lastSeq: number | null, trimmedThrough: number, loaded: number): number {
  if (lastSeq === null) return loaded;
  return Math.max(loaded, lastSeq - Math.max(0, trimmedThrough));
}

export class OutputLog {
  #items: OutputItem[] = [];

  get items(): readonly OutputItem[] {
    return this.#items;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Seq of the first entry loaded, or null when none is. */
  get firstSeq(): number | null {
    return this.#items[0]?.seq ?? null;
  }

  /** Seq of the last entry loaded, or null when none is. */
  get lastSeq(): number | null {
    return this.#items[this.#items.length - 1]?.seq ?? null;
  }

  clear(): void {
    this.#items = [];
  }

  /** Index of `seq` if present, else -(insertion point) - 1. */
  #search(seq: number): number {
    let lo = 0;
    let hi = this.#items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = (this.#items[mid] as OutputItem).seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  has(seq: number): boolean {
    return this.#search(seq) >= 0;
  }

  /**
   * Adds entries in any order; keeps the log ascending and free of duplicate
   * seqs. The common case (a live batch after the last entry) is a push.
   */
  add(batch: readonly OutputItem[]): AddResult {
    const result: AddResult = { appended: [], inserted: 0, duplicates: 0 };
    if (batch.length === 0) return result;
    const sorted = isAscending(batch) ? batch : [...batch].sort((a, b) => a.seq - b.seq);
    const middle: OutputItem[] = [];
    const last = this.lastSeq;
    let prev = Number.NEGATIVE_INFINITY;
    for (const item of sorted) {
      if (item.seq === prev) {
        result.duplicates += 1;
        continue;
      }
      prev = item.seq;
      if (last === null || item.seq > last) {
        this.#items.push(item);
        result.appended.push(item);
      } else if (this.#search(item.seq) >= 0) {
        result.duplicates += 1;
      } else {
        middle.push(item);
      }
    }
    if (middle.length > 0) {
      this.#items = mergeAscending(this.#items, middle);
      result.inserted = middle.length;
    }
    return result;
  }
}

/** Merges two ascending, duplicate-free lists whose seqs do not overlap. */
function mergeAscending(a: readonly OutputItem[], b: readonly OutputItem[]): OutputItem[] {
  const out: OutputItem[] = new Array<OutputItem>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as OutputItem;
    const y = b[j] as OutputItem;
    if (x.seq < y.seq) {
      out[k++] = x;
      i += 1;
    } else {
      out[k++] = y;
      j += 1;
    }
  }
  while (i < a.length) out[k++] = a[i++] as OutputItem;
  while (j < b.length) out[k++] = b[j++] as OutputItem;
  return out;
}

// ---------------------------------------------------------------- rows

/** A tool call with its answer (null while the tool runs). */
export type ToolRow = {
  key: number;
  type: "tool";
  use: OutputItem & { view: ViewOf<"tool_use"> };
  result: (OutputItem & { view: ViewOf<"tool_result"> }) | null;
};

/**
 * Any other entry, drawn on its own. `partial`: the text the agent is still
 * writing (live typing), not an entry yet; its final entry replaces it.
 */
export type EntryRow = { key: number; type: "entry"; item: OutputItem; partial?: true };

export type OutputRow = ToolRow | EntryRow;

function isToolUse(item: OutputItem): item is OutputItem & { view: ViewOf<"tool_use"> } {
  return item.view.kind === "tool_use";
}

function isToolResult(item: OutputItem): item is OutputItem & { view: ViewOf<"tool_result"> } {
  return item.view.kind === "tool_result";
}

/** The kind a row is drawn as (`tool` for a folded tool call). */
export function rowKind(row: OutputRow): EntryKind | "tool" {
  return row.type === "tool" ? "tool" : row.item.view.kind;
}

/**
 * Rows for the list, built incrementally. Keys are the seq of the row's first
 * entry, so they are ascending and stable across appends and older pages.
 */
export class OutputRows {
  #rows: OutputRow[] = [];
  /** tool_use id → index of its row. */
  #tools = new Map<string, number>();
  #hidden = 0;
  /**
   * The last "Agent started" shown (agent session id and model): the CLI reports it at
   * every turn, the same process the same way; a repeat is left out until the process
   * changes (a lifecycle entry, e.g. an exit or a resume, or another id or model).
   */
  #lastInit: string | null = null;
  /** The text being written, drawn as the last row (see `setPartial`). */
  #partial: { text: string; ts: string } | null = null;
  showRaw: boolean;

  constructor(showRaw = false) {
    this.showRaw = showRaw;
  }

  get rows(): readonly OutputRow[] {
    return this.#rows;
  }

  /**
   * Shows `text` as an assistant message being written, after every row (null:
   * none). Its key is just above the last row's, so keys stay ascending. Growing
   * text replaces the last row in place (the same array, as for an append);
   * taking the row away gives a new array (see VirtualList's contract).
   */
  setPartial(partial: { text: string; ts: string } | null): void {
    const had = this.#partial !== null;
    this.#partial = partial;
    if (partial === null) {
      if (had) this.#rows = this.#rows.slice(0, -1);
      return;
    }
    const last = had ? this.#rows.length - 2 : this.#rows.length - 1;
    const key = (this.#rows[last]?.key ?? 0) + 0.5;
    const row: EntryRow = {
      key,
      type: "entry",
      partial: true,
      item: { seq: key, ts: partial.ts, stream: "stdout", view: { kind: "assistant_text", text: partial.text } },
    };
    if (had) this.#rows[this.#rows.length - 1] = row;
    else this.#rows.push(row);
  }

  /** Entries left out because raw output is hidden. */
  get hidden(): number {
    return this.#hidden;
  }

  rebuild(items: readonly OutputItem[]): void {
    const partial = this.#partial;
    this.#partial = null;
    this.#rows = [];
    this.#tools.clear();
    this.#hidden = 0;
    this.#lastInit = null;
    this.append(items);
    this.setPartial(partial);
  }

  /** Adds entries that come after every entry already added (and before the partial text). */
  append(items: readonly OutputItem[]): void {
    const partial = this.#partial;
    if (partial !== null && items.length > 0) {
      // Entries go before the text being written: a new array, as for any change but an append.
      this.setPartial(null);
    }
    this.#appendEntries(items);
    if (partial !== null && this.#partial === null) this.setPartial(partial);
  }

  #appendEntries(items: readonly OutputItem[]): void {
    for (const item of items) {
      const kind = item.view.kind;
      if (!this.showRaw && RAW_KINDS.has(kind)) {
        this.#hidden += 1;
        continue;
      }
      if (item.view.kind === "system_init") {
        const id = `${item.view.agent_session_id ?? ""}\u0000${item.view.model ?? ""}`;
        if (id === this.#lastInit) continue;
        this.#lastInit = id;
      } else if (kind === "lifecycle") {
        this.#lastInit = null;
      }
      if (isToolUse(item)) {
        this.#tools.set(item.view.id, this.#rows.length);
        this.#rows.push({ key: item.seq, type: "tool", use: item, result: null });
        continue;
      }
      if (isToolResult(item)) {
        const at = this.#tools.get(item.view.tool_use_id);
        const row = at === undefined ? undefined : this.#rows[at];
        if (at !== undefined && row?.type === "tool") {
          // A new object, so a list keyed by row redraws it.
          this.#rows[at] = { ...row, result: item };
          continue;
        }
      }
      this.#rows.push({ key: item.seq, type: "entry", item });
    }
  }
}
