/**
 * Fuzzy matching for the session switcher (Ctrl/Cmd-K): the letters of the
 * query in order, anywhere in the text, scored so that contiguous runs, word
 * starts and early matches rank first.
 */
import type { Session } from "./bindings/Session";
import { compareTimestamps } from "./time";

export type Match = { score: number; positions: number[] };

function isWordStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const prev = text.charAt(i - 1);
  const ch = text.charAt(i);
  if (/[\s/\\_\-.:#]/.test(prev)) return true;
  return prev === prev.toLowerCase() && ch !== ch.toLowerCase();
}

/** Scores `query` against `text` (case-insensitive); null when it does not match. */
export function fuzzyMatch(query: string, text: string): Match | null {
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  if (q === "") return { score: 0, positions: [] };
  if (q.length > t.length) return null;

  // A plain substring is the best kind of match.
  const at = t.indexOf(q);
  if (at !== -1) {
    const positions = Array.from({ length: q.length }, (_, k) => at + k);
    const score = 100 + q.length * 8 + (isWordStart(text, at) ? 30 : 0) - Math.min(at, 40) * 0.5;
    return { score, positions };
  }

  // Otherwise a subsequence, greedily preferring word starts.
  const positions: number[] = [];
  let score = 0;
  let ti = 0;
  let prevMatch = -2;
  for (let qi = 0; qi < q.length; qi += 1) {
    const ch = q.charAt(qi);
    if (ch === " ") continue;
    let found = -1;
    // Look ahead for a word start with this letter before taking the first occurrence.
    for (let k = ti; k < t.length; k += 1) {
      if (t.charAt(k) === ch && isWordStart(text, k)) {
        found = k;
        break;
      }
    }
    const first = t.indexOf(ch, ti);
    if (first === -1) return null;
    if (found === -1 || (prevMatch >= 0 && first === prevMatch + 1)) found = first;
    positions.push(found);
    if (found === prevMatch + 1) score += 6;
    if (isWordStart(text, found)) score += 8;
    score -= Math.min(found - ti, 10) * 0.3;
    prevMatch = found;
    ti = found + 1;
  }
  return { score, positions };
}

export type SessionMatch = {
  session: Session;
  score: number;
  /** Matched character positions in the title, for highlighting. */
  titlePositions: number[];
};

const FIELDS: ReadonlyArray<{ weight: number; get: (s: Session) => string }> = [
  { weight: 1, get: (s) => s.title },
  { weight: 0.8, get: (s) => s.task_id ?? "" },
  { weight: 0.7, get: (s) => s.cwd },
  { weight: 0.6, get: (s) => s.id },
  { weight: 0.5, get: (s) => s.agent },
];

/**
 * Sessions matching every word of the query in one of their title, task,
 * folder, id or agent; best first. With an empty query: most recently active first.
 */
export function searchSessions(list: readonly Session[], query: string, limit = 50): SessionMatch[] {
  const terms = query.trim().split(/\s+/).filter((t) => t !== "");
  if (terms.length === 0) {
    return [...list]
      .sort((a, b) => compareTimestamps(b.last_activity, a.last_activity))
      .slice(0, limit)
      .map((session) => ({ session, score: 0, titlePositions: [] }));
  }
  const out: SessionMatch[] = [];
  for (const session of list) {
    let total = 0;
    let titlePositions: number[] = [];
    let ok = true;
    for (const term of terms) {
      let best = Number.NEGATIVE_INFINITY;
      for (const field of FIELDS) {
        const m = fuzzyMatch(term, field.get(session));
        if (!m) continue;
        const s = m.score * field.weight;
        if (s > best) best = s;
        if (field.weight === 1) titlePositions = [...titlePositions, ...m.positions];
      }
      if (best === Number.NEGATIVE_INFINITY) {
        ok = false;
        break;
      }
      total += best;
    }
    if (ok) out.push({ session, score: total, titlePositions: [...new Set(titlePositions)].sort((a, b) => a - b) });
  }
  out.sort((a, b) => b.score - a.score || compareTimestamps(b.session.last_activity, a.session.last_activity));
  return out.slice(0, limit);
}

/** Splits `text` into runs for highlighting the matched positions. */
export function highlightRuns(text: string, positions: readonly number[]): Array<{ text: string; hit: boolean }> {
  const set = new Set(positions);
  const runs: Array<{ text: string; hit: boolean }> = [];
  for (let i = 0; i < text.length; i += 1) {
    const hit = set.has(i);
    const last = runs[runs.length - 1];
    if (last && last.hit === hit) last.text += text.charAt(i);
    else runs.push({ text: text.charAt(i), hit });
  }
  return runs;
}
