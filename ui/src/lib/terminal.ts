/**
 * The pure parts of a terminal-mode session's view (`TerminalView.svelte`): bytes over IPC
 * as base64, the order of the screen snapshot and the live chunks, which keys belong to the
 * terminal and which to the app, the mode a new session starts in, and the colours.
 */
import type { AgentKind } from "./bindings/AgentKind";
import type { RunMode } from "./bindings/RunMode";
import type { Session } from "./bindings/Session";
import type { TerminalChunk } from "./bindings/TerminalChunk";
import type { TerminalView as TerminalSnapshot } from "./bindings/TerminalView";

export type { RunMode, TerminalChunk, TerminalSnapshot };

/** Lines kept above the screen in the page (the backend keeps its own bounded copy for re-attach). */
export const SCROLLBACK_LINES = 5_000;

/**
 * Chunks that arrive before the snapshot was written are held, at most this many bytes: the
 * backend sends the snapshot first, so only a burst racing the attach's answer lands here; a
 * CLI redrawing a full 300×100 screen a few times fits. Past it the oldest are dropped (the
 * next redraw repaints the screen).
 */
export const MAX_PENDING_BYTES = 1 << 20;

/** Ctrl-Shift-V waits this long for the engine's own paste event before reading the clipboard itself. */
export const PASTE_FALLBACK_MS = 80;

/** A resize is sent once the pane has stopped changing size for this long (a window drag). */
export const RESIZE_DEBOUNCE_MS = 120;

/** The bytes of a base64 string (the backend's `data_b64`). Rejects what is not base64. */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 of bytes. */
export function encodeBytes(bytes: Uint8Array): string {
  let bin = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Base64 of text as UTF-8: what xterm's `onData` gives (keys, a paste) as the PTY takes it. */
export function encodeText(text: string): string {
  return encodeBytes(new TextEncoder().encode(text));
}

/** Base64 of a "binary" string, one byte a character: what xterm's `onBinary` gives (mouse reports). */
export function encodeBinary(binary: string): string {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i) & 0xff;
  return encodeBytes(bytes);
}

/** The line written under the screen when the session's process is gone. */
export function endedLine(code: number | null): string {
  const why = code === null ? "" : ` (exit code ${code})`;
  return `\r\n\x1b[0m\x1b[2m[session ended${why}]\x1b[0m\r\n`;
}

/** Where the feed writes: the terminal's `write`, and the end of the session. */
export type FeedSink = { write(bytes: Uint8Array | string): void; ended(code: number | null): void };

/**
 * Orders what the backend sends into the terminal: the snapshot (the recent screen) first,
 * then the live chunks in the order they came. Chunks can come over the channel before the
 * attach's answer is read: they wait (bounded by `MAX_PENDING_BYTES`). After `ended`, or after
 * a snapshot that says the process is gone, nothing more is written.
 */
export class TerminalFeed {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private started = false;
  private done = false;
  /** An `ended` that came before the snapshot (undefined: none). */
  private endCode: number | null | undefined = undefined;

  constructor(
    private readonly sink: FeedSink,
    private readonly maxPending = MAX_PENDING_BYTES,
  ) {}

  /** Whether the session's end was shown. */
  get ended(): boolean {
    return this.done;
  }

  /** A message from the channel. A chunk whose data is not base64 is dropped (and said). */
  chunk(c: TerminalChunk): void {
    if (this.done || this.endCode !== undefined) return;
    if (c.kind === "ended") {
      // Before the snapshot: shown after it, when it comes.
      if (this.started) this.finish(c.code);
      else this.endCode = c.code;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(c.data_b64);
    } catch {
      console.warn("terminal: a chunk that is not base64 was dropped");
      return;
    }
    if (this.started) {
      this.sink.write(bytes);
      return;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    while (this.pendingBytes > this.maxPending && this.pending.length > 1) {
      this.pendingBytes -= (this.pending.shift() as Uint8Array).length;
    }
  }

  /** The attach's answer: writes the snapshot, then what waited; a snapshot of a gone process ends the feed. */
  snapshot(view: TerminalSnapshot): void {
    if (this.started) return;
    this.started = true;
    let bytes: Uint8Array | null = null;
    try {
      bytes = decodeBase64(view.data_b64);
    } catch {
      console.warn("terminal: the snapshot is not base64; starting from an empty screen");
    }
    if (bytes && bytes.length > 0) this.sink.write(bytes);
    for (const p of this.pending) this.sink.write(p);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.endCode !== undefined) this.finish(this.endCode);
    else if (!view.live) this.finish(null);
  }

  private finish(code: number | null): void {
    this.done = true;
    this.sink.write(endedLine(code));
    this.sink.ended(code);
  }
}

/** What a key pressed in the terminal does. */
export type TerminalKey =
  /** The terminal handles it (sent to the CLI). */
  | "terminal"
  /** Copies the selection (Ctrl-Shift-C). */
  | "copy"
  /** Pastes the clipboard (Ctrl-Shift-V). */
  | "paste"
  /** Opens the terminal's search box (Ctrl-F). */
  | "search"
  /** Left to the app's shortcuts (Ctrl-Shift-K, Ctrl-Shift-N, Ctrl-1…4, anything with Cmd). */
  | "app";

type Keyish = Pick<KeyboardEvent, "key" | "ctrlKey" | "shiftKey" | "altKey" | "metaKey">;

/**
 * Which keys a focused terminal keeps. Everything a CLI uses goes to it (Ctrl-C, Ctrl-K,
 * Ctrl-N, Esc, Tab…); the app's own shortcuts take Shift there (Ctrl-Shift-K switcher,
 * Ctrl-Shift-N new session, later Ctrl-Shift-F global search), Ctrl-1…4 still switch views
 * (a terminal sends nothing useful for them), and Cmd combinations are the app's on macOS.
 */
export function terminalKey(e: Keyish): TerminalKey {
  if (e.metaKey) return "app";
  if (!e.ctrlKey || e.altKey) return "terminal";
  const k = e.key.toLowerCase();
  if (e.shiftKey) {
    if (k === "c") return "copy";
    if (k === "v") return "paste";
    if (k === "k" || k === "n" || k === "f") return "app";
    return "terminal";
  }
  if (k === "f") return "search";
  if (k === "1" || k === "2" || k === "3" || k === "4") return "app";
  return "terminal";
}

/** The mode a session runs in (older sessions and other agents: headless). */
export function sessionMode(session: Pick<Session, "agent" | "config">): RunMode {
  // `mode` is absent from sessions stored by an older backend: headless.
  return session.agent === "claude" && session.config.mode === "terminal" ? "terminal" : "headless";
}

/** Whether the session's main pane is the terminal. */
export function isTerminalMode(session: Pick<Session, "agent" | "config">): boolean {
  return sessionMode(session) === "terminal";
}

/** Whether the New-session form offers a mode for this agent (Claude Code only). */
export function offersMode(agent: AgentKind): boolean {
  return agent === "claude";
}

/**
 * The mode the form starts with: the Settings' default (null while they load: headless, as
 * before terminal mode existed). Other agents always run headless.
 */
export function defaultMode(agent: AgentKind, settingsDefault: RunMode | null | undefined): RunMode {
  if (!offersMode(agent)) return "headless";
  return settingsDefault ?? "headless";
}

/** The form's mode choices (Claude Code only), with what each costs. */
export const RUN_MODES: ReadonlyArray<{ value: RunMode; label: string; hint: string }> = [
  { value: "terminal", label: "Terminal", hint: "The interactive Claude Code, on your Claude plan" },
  { value: "headless", label: "Headless", hint: "claude -p: billed to your Agent SDK credit on a plan" },
];

/** An xterm theme, as `ITheme` takes it. */
export type TerminalTheme = Record<string, string>;

/**
 * Colours matching the app: its background, text, accent cursor and selection (CSS variables
 * read through `css`), and an ANSI palette readable on that background (`dark`).
 */
export function terminalTheme(css: (name: string) => string, dark: boolean): TerminalTheme {
  const pick = (name: string, fallback: string) => css(name).trim() || fallback;
  const palette = dark ? DARK_ANSI : LIGHT_ANSI;
  return {
    background: pick("--bg", dark ? "#121214" : "#ffffff"),
    foreground: pick("--text", dark ? "#ececf0" : "#1b1b1f"),
    cursor: pick("--accent", "#5750d8"),
    cursorAccent: pick("--bg", dark ? "#121214" : "#ffffff"),
    selectionBackground: dark ? "#3b3875" : "#cfcbfa",
    ...palette,
  };
}

const LIGHT_ANSI: TerminalTheme = {
  black: "#1b1b1f",
  red: "#c4282b",
  green: "#1c7f43",
  yellow: "#946000",
  blue: "#2f62c9",
  magenta: "#8a3fc4",
  cyan: "#11798a",
  white: "#c8c8d0",
  brightBlack: "#6b6b76",
  brightRed: "#d94245",
  brightGreen: "#23954f",
  brightYellow: "#a86d00",
  brightBlue: "#4a7be0",
  brightMagenta: "#9e55d6",
  brightCyan: "#178da0",
  brightWhite: "#9a9aa4",
};

const DARK_ANSI: TerminalTheme = {
  black: "#26262b",
  red: "#f06a6a",
  green: "#4cc47f",
  yellow: "#e0b050",
  blue: "#6f9cf5",
  magenta: "#b48cf2",
  cyan: "#4cc0d0",
  white: "#d0d0d8",
  brightBlack: "#6c6c77",
  brightRed: "#ff8787",
  brightGreen: "#6fdc9c",
  brightYellow: "#f2c96b",
  brightBlue: "#8fb4ff",
  brightMagenta: "#c9a6ff",
  brightCyan: "#6fd6e4",
  brightWhite: "#ffffff",
};

/**
 * The backend as the terminal view uses it (`api.ts` implements it over IPC; the tests inject
 * their own). `attach` resolves once the backend answered; chunks may reach `onChunk` before
 * that. `detach` stops the chunks.
 */
export type TerminalSource = {
  attach(id: string, onChunk: (chunk: TerminalChunk) => void): Promise<{ view: TerminalSnapshot; detach: () => void }>;
  input(id: string, dataB64: string): Promise<unknown>;
  resize(id: string, cols: number, rows: number): Promise<unknown>;
};
