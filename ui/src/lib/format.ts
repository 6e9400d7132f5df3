/** 950 → "950", 12_345 → "12.3k", 123_456 → "123k", 1_234_567 → "1.2M". */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "0";
  if (n < 1000) return String(Math.round(n));
  if (n < 100_000) return `${trimZero((n / 1000).toFixed(1))}k`;
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  if (n < 100_000_000) return `${trimZero((n / 1_000_000).toFixed(1))}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

function trimZero(s: string): string {
  return s.endsWith(".0") ? s.slice(0, -2) : s;
}

/**
 * The one rounding rule for costs, used everywhere a cost is shown (the list, Metrics,
 * the detail, the transcript, the charts): two decimals from a cent up ("$1.25"),
 * up to four below it so a small session does not read as free ("$0.0005", "$0.0042"),
 * "<$0.0001" below that, and "$0.00" only for nothing at all.
 */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return "$0.00";
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  if (usd < 0.0001) return "<$0.0001";
  return `$${usd.toFixed(4).replace(/0+$/, "")}`;
}

export function formatInteger(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "0";
}

/**
 * Shortens a path from the left so its end (the part that tells folders
 * apart) stays visible: "/home/me/src/acme/api" → "…/acme/api".
 */
export function shortenPath(path: string, max = 40): string {
  if (path.length <= max) return path;
  const sep = path.includes("/") ? "/" : "\\";
  const parts = path.split(sep).filter((p) => p !== "");
  let tail = "";
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const candidate = tail === "" ? (parts[i] ?? "") : `${parts[i] ?? ""}${sep}${tail}`;
    if (candidate.length + 2 > max) break;
    tail = candidate;
  }
  if (tail === "") {
    // Even the last segment is too long: keep its end.
    return `…${path.slice(path.length - (max - 1))}`;
  }
  return `…${sep}${tail}`;
}

/**
 * 850 → "850 ms", 4_200 → "4.2 s", 95_000 → "1m 35s", 3_900_000 → "1h 05m",
 * 90_000_000 → "1d 1h".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 s";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${trimZero(s.toFixed(1))} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${String(totalSeconds % 60).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Bytes or characters: 980 → "980", 12_300 → "12.3k". Alias of formatTokens for sizes. */
export const formatCount = formatTokens;
