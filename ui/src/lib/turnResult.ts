/**
 * How a turn's end reads in the transcript: a user's interrupt is a normal outcome, not a
 * failure, and a failed turn names its error instead of the agent's subtype (the Claude CLI
 * reports an API error as subtype `success` with `is_error: true`).
 */
import type { EntryView } from "./bindings/EntryView";

export type TurnResultView = Extract<EntryView, { kind: "turn_result" }>;

export type TurnEnd = {
  /** "Turn done", "Turn interrupted", "Turn failed", "Turn failed: reached the turn limit". */
  title: string;
  tone: "success" | "muted" | "error";
  /** The failure's message, shown once under the line; null when there is none. */
  message: string | null;
};

/** Subtypes that say something a person can use; others (`success`, `error`, `unknown`) do not. */
const SUBTYPE_WORDS: Readonly<Record<string, string>> = {
  error_max_turns: "reached the turn limit",
  error_max_budget_usd: "reached the budget limit",
};

/** The CLI's subtype for a turn the user interrupted. */
const INTERRUPTED = "error_during_execution";

export function describeTurnEnd(view: TurnResultView): TurnEnd {
  if (!view.is_error) return { title: "Turn done", tone: "success", message: null };
  const message = view.errors.find((e) => e.trim() !== "") ?? (view.text?.trim() ? view.text : null);
  if (view.subtype === INTERRUPTED && message === null) return { title: "Turn interrupted", tone: "muted", message: null };
  const words = SUBTYPE_WORDS[view.subtype];
  return { title: words ? `Turn failed: ${words}` : "Turn failed", tone: "error", message };
}

/**
 * Whether a transcript text only repeats the failed session's error, which the detail's
 * header already shows in full: the CLI's reply to an API error is the error itself, and
 * the turn's error box says it again (the same text three times). Such a reply or box is
 * shown as a short reference instead.
 */
export function repeatsSessionError(text: string | null | undefined, sessionError: string | null | undefined): boolean {
  if (!text || !sessionError) return false;
  return text.trim() === sessionError.trim();
}
