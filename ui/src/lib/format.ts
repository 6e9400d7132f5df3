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

/** Always two decimals: "$0.00", "$1.25". */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return "$0.00";
  return `$${usd.toFixed(2)}`;
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
