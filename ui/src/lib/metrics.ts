/** Shaping metrics for the metrics view: full day ranges and labelled breakdowns. */
import type { DayUsage } from "./bindings/DayUsage";
import { AGENT_LABELS } from "./newSession";
import { ALL_STATES, statusInfo, type StatusTone } from "./status";

const DAY_MS = 86_400_000;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * One entry per day for the last `days` days (UTC, oldest first, today last),
 * with zeros for days without sessions, whatever days `usage` has.
 */
export function fillDays(usage: readonly DayUsage[], days: number, nowMs = Date.now()): DayUsage[] {
  const byDay = new Map(usage.map((u) => [u.day, u]));
  const today = Date.parse(`${utcDay(nowMs)}T00:00:00Z`);
  const out: DayUsage[] = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const day = utcDay(today - i * DAY_MS);
    out.push(byDay.get(day) ?? { day, sessions: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  }
  return out;
}

/** Seconds since the epoch at the start of a `YYYY-MM-DD` (UTC) day, for uPlot's x axis. */
export function dayToSeconds(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

export type Breakdown = { key: string; label: string; count: number; share: number; tone: StatusTone | "accent" };

/** Sessions by status, in the state machine's order, zeros left out. */
export function statusBreakdown(byStatus: Record<string, number>): Breakdown[] {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const known = ALL_STATES.filter((s) => (byStatus[s] ?? 0) > 0);
  const unknown = Object.keys(byStatus).filter((s) => !(ALL_STATES as string[]).includes(s) && (byStatus[s] ?? 0) > 0);
  return [...known, ...unknown].map((key) => {
    const count = byStatus[key] ?? 0;
    const info = statusInfo(key);
    return { key, label: info.label, count, share: total > 0 ? count / total : 0, tone: info.tone };
  });
}

/** Sessions by agent, most first. */
export function agentBreakdown(byAgent: Record<string, number>): Breakdown[] {
  const total = Object.values(byAgent).reduce((a, b) => a + b, 0);
  return Object.entries(byAgent)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, count]) => ({
      key,
      label: (AGENT_LABELS as Record<string, string>)[key] ?? key,
      count,
      share: total > 0 ? count / total : 0,
      tone: "accent" as const,
    }));
}
