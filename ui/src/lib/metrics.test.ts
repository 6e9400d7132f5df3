import { describe, expect, it } from "vitest";
import { agentBreakdown, dayToSeconds, fillDays, statusBreakdown } from "./metrics";

describe("metrics shaping", () => {
  it("fills every day of the range, oldest first, keeping the data", () => {
    const now = Date.parse("2025-03-10T15:00:00Z");
    const days = fillDays(
      [
        { day: "2025-03-08", sessions: 2, input_tokens: 100, output_tokens: 10, cost_usd: 0.5 },
        { day: "2025-02-01", sessions: 9, input_tokens: 9, output_tokens: 9, cost_usd: 9 },
      ],
      4,
      now,
    );
    expect(days.map((d) => d.day)).toEqual(["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]);
    expect(days.map((d) => d.sessions)).toEqual([0, 2, 0, 0]);
    expect(dayToSeconds("2025-03-08")).toBe(Date.parse("2025-03-08T00:00:00Z") / 1000);
  });

  it("breaks sessions down by status and agent", () => {
    expect(statusBreakdown({ ended: 2, running: 1, error: 1, weird: 1, idle: 0 }).map((b) => [b.key, b.label, b.share])).toEqual([
      ["running", "Running", 0.2],
      ["ended", "Ended", 0.4],
      ["error", "Failed", 0.2],
      ["weird", "weird", 0.2],
    ]);
    expect(agentBreakdown({ command: 1, claude: 3 }).map((b) => b.label)).toEqual(["Claude Code", "Command"]);
  });
});
