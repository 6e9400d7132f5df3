import { describe, expect, it } from "vitest";
import type { OutputItem } from "./bindings/OutputItem";
import { FullEntryCache, conversionText, formatBytes, previewNote } from "./preview";

const item = (seq: number, content: string, full_bytes?: number): OutputItem => ({
  seq,
  ts: "2026-11-30T10:00:00Z",
  stream: "stdout",
  view: { kind: "tool_result", tool_use_id: "t1", content, is_error: false },
  ...(full_bytes === undefined ? {} : { full_bytes }),
});

describe("formatBytes", () => {
  it("uses binary units with one decimal below 10", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(950)).toBe("950 B");
    expect(formatBytes(16 * 1024)).toBe("16 KiB");
    expect(formatBytes(1.2 * 1024 * 1024)).toBe("1.2 MiB");
    expect(formatBytes(1024 * 1024)).toBe("1 MiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
  });
});

describe("previewNote", () => {
  it("says how much of how much is shown, in UTF-8 bytes", () => {
    expect(previewNote(item(1, "x".repeat(16 * 1024), Math.round(1.2 * 1024 * 1024)))).toBe("showing the first 16 KiB of 1.2 MiB");
    // "é" is two bytes.
    expect(previewNote(item(1, "é".repeat(1024), 4 * 1024 * 1024))).toBe("showing the first 2 KiB of 4 MiB");
  });

  it("is null for a whole entry", () => {
    expect(previewNote(item(1, "short"))).toBeNull();
  });
});

describe("FullEntryCache", () => {
  it("keeps the newest entries up to its capacity, per session and seq", () => {
    const cache = new FullEntryCache(2);
    cache.put("a", item(1, "one"));
    cache.put("b", item(1, "other session"));
    expect(cache.get("a", 1)?.view).toMatchObject({ content: "one" });
    expect(cache.get("b", 1)?.view).toMatchObject({ content: "other session" });
    cache.put("a", item(2, "two"));
    expect(cache.size).toBe(2);
    expect(cache.get("a", 1)).toBeUndefined();
    expect(cache.get("a", 2)?.view).toMatchObject({ content: "two" });
  });
});

describe("conversionText", () => {
  it("shows the share moved, never 100 % before done, and nothing once done", () => {
    expect(conversionText({ moved: 45, total: 100, done: false })).toBe("Converting stored output… 45 %");
    expect(conversionText({ moved: 0, total: 0, done: false })).toBe("Converting stored output… 0 %");
    expect(conversionText({ moved: 100, total: 100, done: false })).toBe("Converting stored output… 99 %");
    expect(conversionText({ moved: 100, total: 100, done: true })).toBeNull();
  });
});
