/**
 * RFC 3339 timestamps from the backend may carry more precision than a JS
 * Date (nanoseconds from chrono). `timeKey` keeps it so ordering and
 * "which is newer" stay exact.
 */
export type TimeKey = { ms: number; sub: string };

const FRACTION = /T\d{2}:\d{2}:\d{2}\.(\d+)/;

export function timeKey(iso: string): TimeKey {
  const ms = Date.parse(iso);
  const frac = FRACTION.exec(iso)?.[1] ?? "";
  // Digits beyond milliseconds, padded so they compare as strings.
  const sub = frac.slice(3).padEnd(9, "0");
  return { ms: Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms, sub };
}

/** Negative if a is earlier than b, positive if later, 0 if equal. Invalid sorts first. */
export function compareTimestamps(a: string, b: string): number {
  if (a === b) return 0;
  const ka = timeKey(a);
  const kb = timeKey(b);
  if (ka.ms !== kb.ms) return ka.ms < kb.ms ? -1 : 1;
  if (ka.sub !== kb.sub) return ka.sub < kb.sub ? -1 : 1;
  return 0;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "2 min ago", "3 h ago", "yesterday", "5 days ago", then the date. */
export function relativeTime(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const diff = nowMs - t;
  if (diff < 45_000) return "just now"; // includes small clock skew into the future
  if (diff < 90_000) return "1 min ago";
  if (diff < HOUR) return `${Math.round(diff / MINUTE)} min ago`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)} h ago`;
  if (diff < 2 * DAY) return "yesterday";
  if (diff < 30 * DAY) return `${Math.floor(diff / DAY)} days ago`;
  return iso.slice(0, 10);
}

let dateTimeFormat: Intl.DateTimeFormat | null = null;

/** Full local date and time, for title attributes (one formatter, reused: it is costly to make). */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return dateTimeFormat.format(d);
}
