/**
 * The output of the session being viewed: the runes wrapper around
 * `OutputLog` + `OutputRows` that the session view reads, and the protocol
 * with the backend:
 *
 *   1. `output_tail(id, TAIL)` for what is visible first;
 *   2. `subscribe_output(id, after = last seq of the tail)` for everything
 *      after it (backfill, then live), batched;
 *   3. `read_output` pages of older entries when the list is scrolled up.
 *
 * Or, to show one entry however far back it is (a search hit), `openAround`:
 * `read_output_around(id, seq)` for a page with the entry in its middle, older
 * pages as above, newer ones (`read_output_around(id, last seq, 0, PAGE)`) as
 * the list is scrolled down, and the subscription only once a newer page comes
 * back empty — the view is "detached" from the live end until then.
 *
 * Opening another session (or closing) makes every pending reply and every
 * message of the previous subscription stale: they are dropped, so two
 * sessions' entries never mix. Entries are deduplicated by seq anyway.
 *
 * Live typing: a subscription's messages also carry the text the agent is
 * still writing (`partial`, never stored, no seq). It is drawn as one growing
 * assistant row after the entries, and dropped in the same render that shows
 * its final entry (`done_through`), so it never flickers and never doubles.
 */
import type { OutputItem } from "./bindings/OutputItem";
import type { OutputMessage } from "./bindings/OutputMessage";
import type { PartialUpdate } from "./bindings/PartialUpdate";
import { flushSync } from "svelte";
import { errorMessage } from "./errors";
import { OutputLog, OutputRows, storedTotal, type OutputRow } from "./output";

/** Where output comes from: the backend (see `api.ts`) or a fake in tests. */
export interface OutputSource {
  tail(id: string, limit: number): Promise<OutputItem[]>;
  read(id: string, afterSeq: number, limit: number): Promise<OutputItem[]>;
  /** At most `before` entries before `seq`, the entry and at most `after` after it, oldest first. */
  around(id: string, seq: number, before: number, after: number): Promise<OutputItem[]>;
  subscribe(id: string, afterSeq: number, onMessage: (m: OutputMessage) => void): Promise<() => void>;
}

export type OutputPhase = "idle" | "loading" | "ready" | "error";
/** none: not subscribed; live: following; ended: the process exited. */
export type StreamState = "none" | "connecting" | "live" | "ended" | "error";

export const TAIL_LIMIT = 500;
/** The longest pause between two renders of a flooding stream. */
const MAX_RENDER_GAP_MS = 150;
/** More new entries than this in one render is a flood (about a screenful). */
const FLOOD_ENTRIES = 40;
/** A flood is over after this long without one. */
const CALM_MS = 300;

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());
export const PAGE_LIMIT = 2000;

export type OpenOptions = {
  showRaw?: boolean;
  /** Stored output up to this seq was trimmed: nothing older can be loaded. */
  trimmedThrough?: number;
  tailLimit?: number;
};

/** Runs `fn` before the next frame is drawn (or at once where there are no frames, as in tests). */
export type FrameScheduler = (fn: () => void) => void;

export const nextFrame: FrameScheduler = (fn) => {
  if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && !document.hidden) {
    requestAnimationFrame(() => fn());
  } else {
    queueMicrotask(fn);
  }
};

export const immediately: FrameScheduler = (fn) => fn();

export class OutputStore {
  #source: OutputSource;
  #schedule: FrameScheduler;
  #bumpPending = false;
  /** When the last live render ended, and the pause to keep before the next one. */
  #lastRenderEnd = 0;
  #renderGap = 0;
  /** Entries come in since the last live render. */
  #sinceRender = 0;
  #calmTimer: ReturnType<typeof setTimeout> | null = null;
  #log = new OutputLog();
  #rows = new OutputRows(false);
  /** Identifies the current open(); replies for an older one are dropped. */
  #openToken: object = {};
  /** Identifies the current subscription; its messages only are applied. */
  #subToken: object = {};
  #unsubscribe: (() => void) | null = null;
  #trimmedThrough = 0;
  /** The session's newest seq as known when opened around an entry (0: not known). */
  #newestSeq = 0;
  /** The message being written (see `partial` in the subscription's messages). */
  #partial: { key: string; text: string; doneThrough: number | null } | null = null;

  sessionId: string | null = $state(null);
  phase: OutputPhase = $state("idle");
  error: string | null = $state(null);
  stream: StreamState = $state("none");
  streamError: string | null = $state(null);
  loadingOlder = $state(false);
  /**
   * Opened around an entry (`openAround`) and not yet read up to the newest: newer pages
   * load as the list is scrolled down; nothing live is followed until they run out.
   */
  detached = $state(false);
  /** The entry `openAround` opened on (null after `open`). */
  aroundSeq: number | null = $state(null);
  loadingNewer = $state(false);
  newerError: string | null = $state(null);
  olderError: string | null = $state(null);
  hasOlder = $state(false);
  showRaw = $state(false);
  /** Bumped whenever the rows change; the getters below depend on it. */
  version = $state(0);
  /**
   * More entries arrive between two renders than fit on a screen: rows can
   * be drawn plainly (no Markdown) until the stream calms down, as nobody
   * reads a flood and it keeps the window responsive.
   */
  flooding = $state(false);
  /** Messages dropped because their subscription was no longer current. */
  staleDropped = 0;

  /**
   * `schedule` decides when new entries are shown: by default once per frame,
   * however many batches came in meanwhile (a flood costs one render a frame).
   */
  constructor(source: OutputSource, schedule: FrameScheduler = nextFrame) {
    this.#source = source;
    this.#schedule = schedule;
  }

  get rows(): readonly OutputRow[] {
    void this.version;
    return this.#rows.rows;
  }

  /** The text the agent is still writing, shown as the last row; null when none. */
  get partialText(): string | null {
    void this.version;
    return this.#partial?.text ?? null;
  }

  get items(): readonly OutputItem[] {
    void this.version;
    return this.#log.items;
  }

  get size(): number {
    void this.version;
    return this.#log.size;
  }

  /** Entries the session has stored (loaded or not): stable while older pages load. */
  get total(): number {
    void this.version;
    const last = this.#log.lastSeq === null ? null : Math.max(this.#log.lastSeq, this.#newestSeq);
    return storedTotal(last, this.#trimmedThrough, this.#log.size);
  }

  get hidden(): number {
    void this.version;
    return this.#rows.hidden;
  }

  get firstSeq(): number | null {
    void this.version;
    return this.#log.firstSeq;
  }

  get lastSeq(): number | null {
    void this.version;
    return this.#log.lastSeq;
  }

  /** Shows a session's output: its tail, then everything after it as it comes. */
  async open(id: string, options: OpenOptions = {}): Promise<void> {
    const token = this.#start(id, options, null);
    const tail = await this.#first(token, () => this.#source.tail(id, options.tailLimit ?? TAIL_LIMIT));
    if (tail === null) return;
    this.#ingest(tail);
    this.hasOlder = this.#olderMayExist();
    this.phase = "ready";
    await this.#subscribe(token);
  }

  /**
   * Shows a session's output around entry `seq` (a search hit, however far back): one page
   * with the entry in its middle; older and newer pages load as the list is scrolled, and
   * the live end is followed once the newer pages reach it (or after `open` again).
   */
  async openAround(id: string, seq: number, options: OpenOptions = {}): Promise<void> {
    const token = this.#start(id, options, seq);
    const half = Math.floor(PAGE_LIMIT / 2);
    // The newest entry too (one entry, not a page): the count shows the whole session's.
    const read = () => Promise.all([this.#source.around(id, seq, half, half), this.#source.tail(id, 1)]);
    const pages = await this.#first(token, read);
    if (pages === null) return;
    const [page, newest] = pages;
    this.#newestSeq = newest.at(-1)?.seq ?? 0;
    this.#ingest(page);
    this.hasOlder = this.#olderMayExist();
    this.detached = true;
    this.phase = "ready";
  }

  /** Forgets the previous session's output and starts loading `id`'s; returns the open's token. */
  #start(id: string, options: OpenOptions, around: number | null): object {
    this.close();
    const token = {};
    this.#openToken = token;
    this.sessionId = id;
    this.aroundSeq = around;
    this.showRaw = options.showRaw ?? false;
    this.#rows = new OutputRows(this.showRaw);
    this.#trimmedThrough = options.trimmedThrough ?? 0;
    this.phase = "loading";
    this.error = null;
    return token;
  }

  /** The first page of an open: null (and the error shown) when it failed or the open is stale. */
  async #first<T>(token: object, read: () => Promise<T>): Promise<T | null> {
    try {
      const page = await read();
      return token === this.#openToken ? page : null;
    } catch (err) {
      if (token !== this.#openToken) return null;
      this.phase = "error";
      this.error = errorMessage(err);
      return null;
    }
  }

  /** Stops following and forgets the entries. */
  close(): void {
    this.#openToken = {};
    this.#bumpPending = false;
    this.#sinceRender = 0;
    this.flooding = false;
    if (this.#calmTimer !== null) clearTimeout(this.#calmTimer);
    this.#calmTimer = null;
    this.#subToken = {};
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#partial = null;
    this.#log.clear();
    this.#rows = new OutputRows(this.showRaw);
    this.sessionId = null;
    this.phase = "idle";
    this.error = null;
    this.stream = "none";
    this.streamError = null;
    this.loadingOlder = false;
    this.olderError = null;
    this.hasOlder = false;
    this.detached = false;
    this.aroundSeq = null;
    this.#newestSeq = 0;
    this.loadingNewer = false;
    this.newerError = null;
    this.version += 1;
  }

  /** Follows again after the stream ended or failed (e.g. the session was resumed). */
  async resubscribe(): Promise<void> {
    if (this.phase !== "ready" || this.stream === "live" || this.stream === "connecting") return;
    await this.#subscribe(this.#openToken);
  }

  /**
   * Stored output up to `through` was trimmed (the session's `output_trimmed_through`, which
   * may be known only after the open, or grow while it is shown): nothing older is loaded.
   */
  setTrimmedThrough(through: number): void {
    if (through === this.#trimmedThrough) return;
    this.#trimmedThrough = through;
    this.hasOlder = this.#olderMayExist();
    this.version += 1;
  }

  /** Shows or hides raw lines and stderr. */
  setShowRaw(show: boolean): void {
    if (show === this.showRaw) return;
    this.showRaw = show;
    this.#rows.showRaw = show;
    this.#rows.rebuild(this.#log.items);
    this.version += 1;
  }

  /** Loads the page of entries before the first one loaded. */
  async loadOlder(pageLimit = PAGE_LIMIT): Promise<void> {
    const id = this.sessionId;
    const first = this.#log.firstSeq;
    if (id === null || first === null || !this.hasOlder || this.loadingOlder || this.phase !== "ready") return;
    const token = this.#openToken;
    const after = Math.max(this.#trimmedThrough, first - 1 - pageLimit, 0);
    const limit = first - 1 - after;
    if (limit <= 0) {
      this.hasOlder = false;
      return;
    }
    this.loadingOlder = true;
    this.olderError = null;
    try {
      const page = await this.#source.read(id, after, limit);
      if (token !== this.#openToken) return;
      const older = page.filter((item) => item.seq < first);
      this.#ingest(older);
      this.hasOlder = after > this.#trimmedThrough && older.length > 0 && this.#olderMayExist();
    } catch (err) {
      if (token !== this.#openToken) return;
      this.olderError = errorMessage(err);
    } finally {
      if (token === this.#openToken) this.loadingOlder = false;
    }
  }

  /**
   * While detached: loads the page of entries after the last one loaded; once there is none,
   * follows the session live from there (the subscription's backfill covers what the store
   * had not committed yet).
   */
  async loadNewer(pageLimit = PAGE_LIMIT): Promise<void> {
    const id = this.sessionId;
    const last = this.#log.lastSeq;
    if (id === null || last === null || !this.detached || this.loadingNewer || this.phase !== "ready") return;
    const token = this.#openToken;
    this.loadingNewer = true;
    this.newerError = null;
    try {
      const page = await this.#source.around(id, last, 0, pageLimit);
      if (token !== this.#openToken) return;
      const newer = page.filter((item) => item.seq > last);
      if (newer.length > 0) {
        this.#ingest(newer);
        return;
      }
      this.detached = false;
      await this.#subscribe(token);
    } catch (err) {
      if (token !== this.#openToken) return;
      this.newerError = errorMessage(err);
    } finally {
      if (token === this.#openToken) this.loadingNewer = false;
    }
  }

  async #subscribe(openToken: object): Promise<void> {
    const id = this.sessionId;
    if (id === null || openToken !== this.#openToken) return;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    const subToken = {};
    this.#subToken = subToken;
    this.stream = "connecting";
    this.streamError = null;
    const after = this.#log.lastSeq ?? this.#trimmedThrough;
    try {
      const stop = await this.#source.subscribe(id, after, (m) => this.#onMessage(subToken, m));
      if (subToken !== this.#subToken) {
        stop();
        return;
      }
      this.#unsubscribe = stop;
      if (this.stream === "connecting") this.stream = "live";
    } catch (err) {
      if (subToken !== this.#subToken) return;
      this.stream = "error";
      this.streamError = errorMessage(err);
    }
  }

  #onMessage(subToken: object, message: OutputMessage): void {
    if (subToken !== this.#subToken) {
      this.staleDropped += 1;
      return;
    }
    switch (message.type) {
      case "items":
        this.#ingest(message.items, true);
        if (message.partial) this.#applyPartial(message.partial);
        break;
      case "end":
        this.stream = "ended";
        if (this.#partial !== null) this.#setPartial(null);
        break;
      case "error":
        this.stream = "error";
        this.streamError = message.message;
        break;
    }
  }

  #applyPartial(p: PartialUpdate): void {
    const current = this.#partial;
    if (p.done_through !== null) {
      if (current === null || current.key !== p.key) return;
      current.doneThrough = p.done_through;
      this.#settlePartial();
      return;
    }
    if (p.append) {
      if (current === null) return; // dropped meanwhile: its final entry shows it
      current.text += p.text;
    } else {
      this.#partial = { key: p.key, text: p.text, doneThrough: null };
    }
    this.#setPartial(this.#partial);
  }

  /** Drops the partial text once its final entry is shown. */
  #settlePartial(): void {
    const done = this.#partial?.doneThrough;
    if (done === null || done === undefined) return;
    if ((this.#log.lastSeq ?? 0) >= done) this.#setPartial(null);
  }

  #setPartial(partial: { key: string; text: string; doneThrough: number | null } | null): void {
    this.#partial = partial;
    this.#rows.setPartial(partial === null ? null : { text: partial.text, ts: new Date().toISOString() });
    this.#bumpSoon();
  }

  #ingest(items: readonly OutputItem[], live = false): void {
    if (items.length === 0) return;
    const added = this.#log.add(items);
    if (added.inserted > 0) this.#rows.rebuild(this.#log.items);
    else if (added.appended.length > 0) this.#rows.append(added.appended);
    else return;
    this.#settlePartial();
    if (live) {
      this.#sinceRender += added.appended.length;
      this.#bumpSoon();
    } else this.version += 1;
  }

  /**
   * Live batches: at most one render per frame, and under a flood no more
   * than about a third of the main thread: after a render that took `t` ms,
   * the next one waits ~2t (capped), however many batches come meanwhile.
   * A trickle (an agent writing a few entries a second) renders at once.
   */
  #bumpSoon(): void {
    if (this.#bumpPending) return;
    this.#bumpPending = true;
    const token = this.#openToken;
    const render = () => {
      this.#bumpPending = false;
      if (token !== this.#openToken) return;
      const start = now();
      const flood = this.#sinceRender > FLOOD_ENTRIES;
      this.#sinceRender = 0;
      if (flood !== this.flooding) {
        if (flood) this.flooding = true;
        else this.#calmSoon();
      }
      if (flood) this.#calmSoon();
      this.version += 1;
      if (this.#schedule !== immediately) {
        flushSync();
        const end = now();
        this.#renderGap = Math.min(MAX_RENDER_GAP_MS, 2 * (end - start));
        this.#lastRenderEnd = end;
      }
    };
    const wait = this.#lastRenderEnd + this.#renderGap - now();
    if (wait > 1) setTimeout(() => this.#schedule(render), wait);
    else this.#schedule(render);
  }

  /** Leaves flood mode once no flood came for a moment. */
  #calmSoon(): void {
    if (this.#calmTimer !== null) clearTimeout(this.#calmTimer);
    const token = this.#openToken;
    this.#calmTimer = setTimeout(() => {
      this.#calmTimer = null;
      if (token === this.#openToken && this.#sinceRender <= FLOOD_ENTRIES) this.flooding = false;
    }, CALM_MS);
  }

  #olderMayExist(): boolean {
    const first = this.#log.firstSeq;
    return first !== null && first > Math.max(1, this.#trimmedThrough + 1);
  }
}
