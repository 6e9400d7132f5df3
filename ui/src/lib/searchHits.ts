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

/** The Ctrl-K switcher's options: sessions that matched by title (first), then output hits. */
export type SwitcherOption<M> = { type: "session"; match: M } | { type: "output"; hit: SearchHit };

/** A switcher query shorter than this does not search the output (one letter matches everything). */
export const SWITCHER_OUTPUT_MIN_CHARS = 2;

/** The words the switcher searches the output for, or null when it should not search. */
export function switcherOutputQuery(query: string): string | null {
  const q = query.trim();
  return q.length >= SWITCHER_OUTPUT_MIN_CHARS ? q : null;
}

/**
 * The switcher's list: every session match, then the output hits of sessions that still
 * exist (`known`), at most `maxHits` of them, in the backend's order (newest first).
 */
export function switcherOptions<M>(matches: readonly M[], hits: readonly SearchHit[], known: (sessionId: string) => boolean, maxHits: number): SwitcherOption<M>[] {
  const out: SwitcherOption<M>[] = matches.map((match) => ({ type: "session", match }));
  for (const hit of hits) {
    if (out.length - matches.length >= maxHits) break;
    if (known(hit.session_id)) out.push({ type: "output", hit });
  }
  return out;
}
