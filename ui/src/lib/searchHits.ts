/** Search everything (Ctrl-Shift-F): the backend's hits, grouped by session for the list. */
import type { SearchHit } from "./bindings/SearchHit";

/** One session's hits, in the order the backend gave them (newest first). */
export type HitGroup = { sessionId: string; title: string; hits: Array<SearchHit & { index: number }> };

/**
 * Groups hits by session, sessions in the order of their first (newest) hit; each hit keeps
 * its place in the whole list (`index`), which is what the arrow keys move through.
 */
export function groupHits(hits: readonly SearchHit[]): HitGroup[] {
  const groups = new Map<string, HitGroup>();
  hits.forEach((hit, index) => {
    let g = groups.get(hit.session_id);
    if (!g) {
      g = { sessionId: hit.session_id, title: hit.title, hits: [] };
      groups.set(hit.session_id, g);
    }
    g.hits.push({ ...hit, index });
  });
  return [...groups.values()];
}

/** The "since" choices: none, or a number of hours back. */
export const SINCE_CHOICES = [
  { label: "Any time", hours: 0 },
  { label: "Last 24 hours", hours: 24 },
  { label: "Last 7 days", hours: 24 * 7 },
  { label: "Last 30 days", hours: 24 * 30 },
] as const;

/** The RFC 3339 time `hours` before `now`, or null for any time. */
export function sinceIso(hours: number, now: number): string | null {
  return hours > 0 ? new Date(now - hours * 3_600_000).toISOString() : null;
}
