import { describe, expect, it } from "vitest";
import { formatCost, formatDuration, formatTokens, shortenPath } from "./format";
import { compareTimestamps, relativeTime } from "./time";

describe("formatTokens", () => {
  it("abbreviates", () => {
    expect(formatTokens(0)).toBe("0");
    expect(formatTokens(950)).toBe("950");
    expect(formatTokens(1000)).toBe("1k");
    expect(formatTokens(12_345)).toBe("12.3k");
    expect(formatTokens(123_456)).toBe("123k");
    expect(formatTokens(999_999)).toBe("1M");
    expect(formatTokens(1_234_567)).toBe("1.2M");
    expect(formatTokens(Number.NaN)).toBe("0");
  });
});

describe("formatCost", () => {
  it("uses two decimals", () => {
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(1.234)).toBe("$1.23");
    expect(formatCost(0.005)).toBe("$0.005");
    // One rule everywhere: a small cost is not shown as free (the list said $0.00, the detail $0.0005).
    expect(formatCost(0.0005)).toBe("$0.0005");
    expect(formatCost(0.00001)).toBe("<$0.0001");
    expect(formatCost(0.01)).toBe("$0.01");
    expect(formatCost(Number.NaN)).toBe("$0.00");
  });
});

describe("shortenPath", () => {
  it("keeps short paths", () => {
    expect(shortenPath("/home/me/app", 40)).toBe("/home/me/app");
  });

  it("cuts from the left on segment boundaries", () => {
    const path = "/home/someone/src/github.com/acme/api";
    expect(shortenPath(path, 20)).toBe("…/acme/api");
    expect(shortenPath(path, 21)).toBe("…/github.com/acme/api");
    expect(shortenPath(path, 21).length).toBeLessThanOrEqual(21);
  });

  it("cuts inside a very long last segment", () => {
    const p = `/x/${"a".repeat(50)}`;
    const s = shortenPath(p, 10);
    expect(s).toBe(`…${"a".repeat(9)}`);
  });

  it("handles Windows paths", () => {
    expect(shortenPath("C:\\Users\\me\\projects\\acme\\api", 16)).toBe("…\\acme\\api");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2025-03-10T12:00:00Z");
  it("describes recent times", () => {
    expect(relativeTime("2025-03-10T11:59:50Z", now)).toBe("just now");
    expect(relativeTime("2025-03-10T12:00:05Z", now)).toBe("just now");
    expect(relativeTime("2025-03-10T11:59:00Z", now)).toBe("1 min ago");
    expect(relativeTime("2025-03-10T11:58:00Z", now)).toBe("2 min ago");
    expect(relativeTime("2025-03-10T09:00:00Z", now)).toBe("3 h ago");
    expect(relativeTime("2025-03-09T10:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2025-03-05T12:00:00Z", now)).toBe("5 days ago");
    expect(relativeTime("2024-12-01T12:00:00Z", now)).toBe("2024-12-01");
  });

  it("tolerates bad input", () => {
    expect(relativeTime("not a date", now)).toBe("—");
    expect(relativeTime(null, now)).toBe("—");
  });
});

describe("compareTimestamps", () => {
  it("compares across offsets and precisions", () => {
    expect(compareTimestamps("2025-01-01T10:00:00Z", "2025-01-01T11:00:00+02:00")).toBeGreaterThan(0);
    expect(compareTimestamps("2025-01-01T10:00:00.123456Z", "2025-01-01T10:00:00.123457Z")).toBeLessThan(0);
    expect(compareTimestamps("2025-01-01T10:00:00.5Z", "2025-01-01T10:00:00.500000000Z")).toBe(0);
    expect(compareTimestamps("garbage", "2025-01-01T10:00:00Z")).toBeLessThan(0);
  });
});

describe("formatDuration", () => {
  it("picks a readable unit", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4_200)).toBe("4.2 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(184_300)).toBe("3m 04s");
    expect(formatDuration(3_900_000)).toBe("1h 05m");
    expect(formatDuration(90_000_000)).toBe("1d 1h");
  });

  it("shows small costs precisely", () => {
    expect(formatCost(0.0042)).toBe("$0.0042");
    expect(formatCost(0.7342)).toBe("$0.73");
  });
});
