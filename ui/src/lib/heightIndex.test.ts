import { describe, expect, it } from "vitest";
import { HeightIndex } from "./heightIndex";

describe("HeightIndex", () => {
  it("answers offsets and the row at an offset", () => {
    const h = new HeightIndex([10, 20, 30]);
    expect(h.total).toBe(60);
    expect([0, 1, 2, 3].map((i) => h.offsetOf(i))).toEqual([0, 10, 30, 60]);
    expect(h.indexAt(0)).toBe(0);
    expect(h.indexAt(9.9)).toBe(0);
    expect(h.indexAt(10)).toBe(1);
    expect(h.indexAt(29)).toBe(1);
    expect(h.indexAt(30)).toBe(2);
    expect(h.indexAt(1000)).toBe(2);
    expect(h.indexAt(-5)).toBe(0);
  });

  it("updates sums on set and push, across blocks", () => {
    const n = 1000;
    const h = new HeightIndex(Array.from({ length: n }, () => 20));
    expect(h.total).toBe(20_000);
    expect(h.set(500, 120)).toBe(100);
    expect(h.total).toBe(20_100);
    expect(h.offsetOf(501)).toBe(500 * 20 + 120);
    expect(h.indexAt(500 * 20 + 119)).toBe(500);
    expect(h.indexAt(500 * 20 + 120)).toBe(501);
    h.push(50);
    expect(h.count).toBe(1001);
    expect(h.offsetOf(1001)).toBe(20_150);
    expect(h.indexAt(20_149)).toBe(1000);
  });

  it("matches a plain prefix sum on random data", () => {
    const heights = Array.from({ length: 3000 }, (_, i) => 10 + ((i * 7919) % 97));
    const h = new HeightIndex(heights);
    for (let k = 0; k < 200; k += 1) {
      const i = (k * 131) % heights.length;
      const v = 5 + ((k * 31) % 200);
      heights[i] = v;
      h.set(i, v);
    }
    let sum = 0;
    for (let i = 0; i < heights.length; i += 1) {
      if (i % 97 === 0) {
        expect(h.offsetOf(i)).toBe(sum);
        expect(h.indexAt(sum)).toBe(i);
        expect(h.indexAt(sum + (heights[i] as number) - 0.5)).toBe(i);
      }
      sum += heights[i] as number;
    }
    expect(h.total).toBe(sum);
  });

  it("ignores bad heights and out-of-range sets", () => {
    const h = new HeightIndex([10, Number.NaN, -4]);
    expect(h.total).toBe(10);
    expect(h.set(7, 100)).toBe(0);
    expect(new HeightIndex().indexAt(50)).toBe(0);
  });
});
