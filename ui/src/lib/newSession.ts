import type { AgentKind } from "./bindings/AgentKind";
import type { NewSession } from "./bindings/NewSession";
import { splitArgs } from "./args";

/** The fields of the New session form, as typed. */
export type NewSessionForm = {
  agent: AgentKind;
  program: string;
  args: string;
  cwd: string;
  title: string;
  taskId: string;
};

/** Form fields that can carry an error; names match the backend's `field`. */
export type FormField = "agent" | "program" | "args" | "cwd" | "title" | "task_id";

export const FORM_FIELDS: readonly FormField[] = [
  "agent",
  "program",
  "args",
  "cwd",
  "title",
  "task_id",
];

export type FieldErrors = Partial<Record<FormField, string>>;

export type AgentOption = { value: AgentKind; label: string; available: boolean };

export const AGENT_OPTIONS: readonly AgentOption[] = [
  { value: "command", label: "Command (any program)", available: true },
  { value: "claude", label: "Claude Code", available: false },
  { value: "codex", label: "Codex", available: false },
  { value: "gemini", label: "Gemini", available: false },
];

export function emptyForm(cwd = ""): NewSessionForm {
  return { agent: "command", program: "", args: "", cwd, title: "", taskId: "" };
}

/** Absolute POSIX path, Windows drive path or UNC path. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}

function orNull(text: string): string | null {
  const t = text.trim();
  return t === "" ? null : t;
}

export type BuildResult =
  | { ok: true; request: NewSession }
  | { ok: false; errors: FieldErrors };

/** Validates the form locally and builds the `create_session` request. */
export function buildNewSession(form: NewSessionForm): BuildResult {
  const errors: FieldErrors = {};

  const agent = AGENT_OPTIONS.find((a) => a.value === form.agent);
  if (!agent?.available) errors.agent = "This agent is not available yet.";

  const program = form.program.trim();
  if (program === "") errors.program = "Enter the program to run, e.g. bash or npm.";

  const split = splitArgs(form.args);
  if (!split.ok) errors.args = split.error;

  const cwd = form.cwd.trim();
  if (cwd === "") errors.cwd = "Enter the folder to run in.";
  else if (cwd.startsWith("~")) errors.cwd = "Use an absolute path: ~ is not expanded.";
  else if (!isAbsolutePath(cwd)) errors.cwd = "Use an absolute path, e.g. /home/me/project.";

  if (Object.keys(errors).length > 0 || !split.ok) return { ok: false, errors };

  return {
    ok: true,
    request: {
      agent: form.agent,
      cwd,
      title: orNull(form.title),
      task_id: orNull(form.taskId),
      mcp_session_id: null,
      service_session_id: null,
      config: {
        program,
        args: split.args,
        prompt: null,
        model: null,
        permission_mode: "default",
        max_turns: null,
        append_system_prompt: null,
        env: {},
        metadata: null,
      },
    },
  };
}

/**
 * Maps a backend error's `field` to a form field, or null if the form has
 * no such field (then the error is shown as a general form error).
 * Accepts nested names such as "config.program" or "config.args[1]".
 */
export function formFieldOf(field: string | null | undefined): FormField | null {
  if (!field) return null;
  const last = field.split(".").pop() ?? field;
  const name = last.replace(/\[\d+\]$/, "");
  const alias: Record<string, FormField> = { task: "task_id", taskId: "task_id", folder: "cwd" };
  const mapped = alias[name] ?? name;
  return (FORM_FIELDS as readonly string[]).includes(mapped) ? (mapped as FormField) : null;
}
