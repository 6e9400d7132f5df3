import { describe, expect, it, vi } from "vitest";
import {
  TerminalFeed,
  decodeBase64,
  defaultMode,
  encodeBinary,
  encodeText,
  endedLine,
  isTerminalMode,
  offersMode,
  terminalKey,
  terminalTheme,
  type FeedSink,
} from "./terminal";

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const text = (bytes: Uint8Array | string) => (typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes));
const bytesOf = (b64: string) => [...atob(b64)].map((c) => c.charCodeAt(0));

function recorder() {
  const written: string[] = [];
  const ended: Array<number | null> = [];
  const sink: FeedSink = { write: (b) => written.push(text(b)), ended: (c) => ended.push(c) };
  return { written, ended, sink };
}

describe("base64", () => {
  it("decodes the backend's bytes, escape sequences and UTF-8 included", () => {
    const raw = "\x1b[31mred\x1b[0m é ✓";
    expect(text(decodeBase64(b64(raw)))).toBe(raw);
    expect(decodeBase64("")).toEqual(new Uint8Array(0));
  });

  it("rejects what is not base64", () => {
    expect(() => decodeBase64("not base64!")).toThrow();
  });

  it("encodes keys as UTF-8 and binary strings byte for byte", () => {
    expect(bytesOf(encodeText("é\r"))).toEqual([0xc3, 0xa9, 0x0d]);
    expect(encodeText("\x03")).toBe("Aw==");
    expect(bytesOf(encodeBinary("\x1b[M\xff\x80"))).toEqual([0x1b, 0x5b, 0x4d, 0xff, 0x80]);
  });

  it("round-trips a large buffer (sliced on the way)", () => {
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    expect(decodeBase64(encodeText("")).length).toBe(0);
    let bin = "";
    for (const b of big) bin += String.fromCharCode(b);
    // Compared byte by byte in a loop: toEqual on 200,000 elements took seconds under load.
    const back = decodeBase64(btoa(bin));
    expect(back.length).toBe(big.length);
    expect(back.findIndex((b, i) => b !== big[i])).toBe(-1);
  });
});

describe("TerminalFeed", () => {
  it("writes the snapshot first, then chunks that came before it, then live ones", () => {
    const r = recorder();
    const feed = new TerminalFeed(r.sink);
    feed.chunk({ kind: "data", data_b64: b64("early ") });
    expect(r.written).toEqual([]);
    feed.snapshot({ cols: 80, rows: 24, data_b64: b64("screen "), live: true, viewer: 1 });
    feed.chunk({ kind: "data", data_b64: b64("live") });
    expect(r.written).toEqual(["screen ", "early ", "live"]);
    expect(r.ended).toEqual([]);
  });

  it("shows the end once, with the exit code, and writes nothing after it", () => {
    const r = recorder();
    const feed = new TerminalFeed(r.sink);
    feed.snapshot({ cols: 80, rows: 24, data_b64: "", live: true, viewer: 1 });
    feed.chunk({ kind: "ended", code: 0 });
    feed.chunk({ kind: "data", data_b64: b64("late") });
    feed.chunk({ kind: "ended", code: 1 });
    expect(r.written).toEqual([endedLine(0)]);
    expect(r.written[0]).toContain("[session ended (exit code 0)]");
    expect(r.ended).toEqual([0]);
    expect(feed.ended).toBe(true);
  });

  it("an end that races the snapshot is shown after it", () => {
    const r = recorder();
    const feed = new TerminalFeed(r.sink);
    feed.chunk({ kind: "data", data_b64: b64("bye") });
    feed.chunk({ kind: "ended", code: null });
    feed.snapshot({ cols: 80, rows: 24, data_b64: b64("screen "), live: true, viewer: 1 });
    expect(r.written).toEqual(["screen ", "bye", endedLine(null)]);
    expect(r.ended).toEqual([null]);
  });

  it("a snapshot of a finished session (re-opened later) shows the recent screen and the end", () => {
    const r = recorder();
    const feed = new TerminalFeed(r.sink);
    feed.snapshot({ cols: 80, rows: 24, data_b64: b64("last screen"), live: false, viewer: null });
    expect(r.written).toEqual(["last screen", endedLine(null)]);
    expect(r.ended).toEqual([null]);
  });

  it("holds at most its bound before the snapshot, dropping the oldest", () => {
    const r = recorder();
    const feed = new TerminalFeed(r.sink, 10);
    for (const part of ["aaaa", "bbbb", "cccc", "dddd"]) feed.chunk({ kind: "data", data_b64: b64(part) });
    feed.snapshot({ cols: 80, rows: 24, data_b64: "", live: true, viewer: 1 });
    expect(r.written).toEqual(["cccc", "dddd"]);
  });

  it("drops a chunk that is not base64 and keeps going", () => {
    const r = recorder();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const feed = new TerminalFeed(r.sink);
    feed.snapshot({ cols: 80, rows: 24, data_b64: "", live: true, viewer: 1 });
    feed.chunk({ kind: "data", data_b64: "%%%" });
    feed.chunk({ kind: "data", data_b64: b64("ok") });
    expect(r.written).toEqual(["ok"]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});

describe("terminalKey", () => {
  const k = (key: string, mods: Partial<Record<"ctrlKey" | "shiftKey" | "altKey" | "metaKey", boolean>> = {}) =>
    terminalKey({ key, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods });

  it("gives the CLI its keys: Ctrl-C, Ctrl-K, Ctrl-N, Esc, Tab, letters", () => {
    for (const key of ["c", "k", "n", "d", "r"]) expect(k(key, { ctrlKey: true })).toBe("terminal");
    for (const key of ["Escape", "Tab", "a", "Enter"]) expect(k(key)).toBe("terminal");
    expect(k("b", { altKey: true })).toBe("terminal");
  });

  it("copy, paste and search are the terminal's own", () => {
    expect(k("C", { ctrlKey: true, shiftKey: true })).toBe("copy");
    expect(k("V", { ctrlKey: true, shiftKey: true })).toBe("paste");
    expect(k("f", { ctrlKey: true })).toBe("search");
  });

  it("the app's shortcuts take Shift in the terminal; Ctrl-1…4 and Cmd stay the app's", () => {
    expect(k("K", { ctrlKey: true, shiftKey: true })).toBe("app");
    expect(k("N", { ctrlKey: true, shiftKey: true })).toBe("app");
    expect(k("F", { ctrlKey: true, shiftKey: true })).toBe("app");
    expect(k("2", { ctrlKey: true })).toBe("app");
    expect(k("k", { metaKey: true })).toBe("app");
  });
});

describe("modes", () => {
  const config = (mode?: string) => ({ mode }) as never;

  it("only Claude Code offers a mode; the form starts with the Settings' default", () => {
    expect(offersMode("claude")).toBe(true);
    expect(offersMode("codex")).toBe(false);
    expect(defaultMode("claude", "terminal")).toBe("terminal");
    expect(defaultMode("claude", "headless")).toBe("headless");
    expect(defaultMode("claude", null)).toBe("headless");
    expect(defaultMode("gemini", "terminal")).toBe("headless");
    expect(defaultMode("command", "terminal")).toBe("headless");
  });

  it("a session shows its terminal only when it is a terminal-mode Claude session", () => {
    expect(isTerminalMode({ agent: "claude", config: config("terminal") })).toBe(true);
    expect(isTerminalMode({ agent: "claude", config: config("headless") })).toBe(false);
    expect(isTerminalMode({ agent: "claude", config: config(undefined) })).toBe(false);
    expect(isTerminalMode({ agent: "codex", config: config("terminal") })).toBe(false);
  });
});

describe("terminalTheme", () => {
  it("takes the app's colours and an ANSI palette for the scheme", () => {
    const vars: Record<string, string> = { "--bg": " #fff", "--text": "#111", "--accent": "#50f" };
    const light = terminalTheme((n) => vars[n] ?? "", false);
    expect(light.background).toBe("#fff");
    expect(light.foreground).toBe("#111");
    expect(light.cursor).toBe("#50f");
    const dark = terminalTheme(() => "", true);
    expect(dark.background).toBe("#121214");
    expect(dark.red).not.toBe(light.red);
  });
});
