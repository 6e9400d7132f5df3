/**
 * git's unified diff text split into lines with a kind, for rendering as plain text
 * (Svelte escapes it: file contents never become markup). No diff is computed here.
 */
export type DiffLineKind = "meta" | "hunk" | "add" | "del" | "ctx";

export type DiffLine = { kind: DiffLineKind; text: string };

/** At most this many lines are rendered for one file; the rest is counted, not drawn. */
export const MAX_RENDERED_LINES = 5000;

export function diffLines(text: string): { lines: DiffLine[]; hidden: number } {
  const all = text.split("\n");
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  const lines: DiffLine[] = [];
  let inHunk = false;
  for (const line of all.slice(0, MAX_RENDERED_LINES)) {
    let kind: DiffLineKind;
    if (line.startsWith("@@")) {
      kind = "hunk";
      inHunk = true;
    } else if (line.startsWith("diff --git")) {
      kind = "meta";
      inHunk = false;
    } else if (!inHunk) kind = "meta";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    else kind = "ctx";
    lines.push({ kind, text: line });
  }
  return { lines, hidden: Math.max(0, all.length - MAX_RENDERED_LINES) };
}
