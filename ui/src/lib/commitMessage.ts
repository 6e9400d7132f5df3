import type { OutputItem } from "./bindings/OutputItem";

/** Git's customary width of a subject line. */
export const SUBJECT_CHARS = 72;
/** The most of the agent's reply a prefilled message carries (a summary, not a transcript). */
export const BODY_CHARS = 2_000;

/** The text of the agent's last reply among `items` (its summary of the turn), or null. */
export function lastReply(items: readonly OutputItem[]): string | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const v = items[i]?.view;
    if (v?.kind === "assistant_text" && v.text.trim() !== "") return v.text;
  }
  return null;
}

/**
 * The message a Commit is prefilled with: the session's title as the subject and the agent's
 * last reply — what it says it did in the turn — as the body. Without a title the reply's
 * first line is the subject. The person edits it before committing.
 */
export function commitMessage(title: string, reply: string | null): string {
  const body = (reply ?? "").trim();
  const firstLine = (s: string) => (s.split("\n")[0] ?? "").trim();
  let subject = firstLine(title);
  let rest = body;
  if (subject === "" && body !== "") {
    subject = firstLine(body).replace(/^#+\s*/, "");
    rest = body.split("\n").slice(1).join("\n").trim();
  }
  if (subject.length > SUBJECT_CHARS) subject = `${subject.slice(0, SUBJECT_CHARS - 1).trimEnd()}…`;
  if (rest.length > BODY_CHARS) {
    const cut = rest.slice(0, BODY_CHARS);
    const atLine = cut.lastIndexOf("\n");
    rest = `${(atLine > BODY_CHARS / 2 ? cut.slice(0, atLine) : cut).trimEnd()}\n…`;
  }
  return rest === "" ? subject : `${subject}\n\n${rest}`;
}
