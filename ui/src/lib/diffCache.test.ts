import { describe, expect, it } from "vitest";
import { DiffCache } from "./diffCache";

const diff = (text: string) => Promise.resolve({ path: null, text, cut: false });

describe("DiffCache", () => {
  it("loads a diff once and keeps it", async () => {
    const cache = new DiffCache(100);
    let loads = 0;
    const load = () => (loads++, diff("abc"));
    await cache.get("a", load);
    expect((await cache.get("a", load)).text).toBe("abc");
    expect(loads).toBe(1);
  });

  it("lets the least recently used go past its budget, never the one just loaded", async () => {
    const cache = new DiffCache(10);
    await cache.get("a", () => diff("x".repeat(6)));
    await cache.get("b", () => diff("y".repeat(6)));
    expect(cache.size).toBe(6);
    let loads = 0;
    await cache.get("a", () => (loads++, diff("x")));
    expect(loads).toBe(1);
    await cache.get("huge", () => diff("z".repeat(50)));
    expect(cache.size).toBe(50);
  });

  it("does not keep a failed load", async () => {
    const cache = new DiffCache(100);
    await expect(cache.get("a", () => Promise.reject(new Error("git failed")))).rejects.toThrow();
    expect((await cache.get("a", () => diff("ok"))).text).toBe("ok");
  });
});
