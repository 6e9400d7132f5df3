import type { AgentInfo } from "./bindings/AgentInfo";
import type { AgentKind } from "./bindings/AgentKind";
import type { NewSession } from "./bindings/NewSession";
import type { PermissionMode } from "./bindings/PermissionMode";
import { splitArgs } from "./args";
import type { RepoInfo } from "./bindings/RepoInfo";
import type { RepoSetup } from "./bindings/RepoSetup";
import { AGENT_PROFILES } from "./contract";
import { offersMode, type RunMode } from "./terminal";

/** The fields of the New session form, as typed. */
export type NewSessionForm = {
  agent: AgentKind;
  // The command agent.
  program: string;
  args: string;
  // Coding agents.
  prompt: string;
  model: string;
  permissionMode: PermissionMode;
  /** Claude Code only: the interactive CLI in a terminal, or headless (`claude -p`). */
  mode: RunMode;
  maxTurns: string;
  systemPrompt: string;
  env: string;
  // Every session.
  cwd: string;
  title: string;
  taskId: string;
  // Inside a git repository: a worktree and branch of its own (see `worktreeDefault`).
  worktree: boolean;
  base: string;
  branch: string;
};

/** Form fields that can carry an error; names match the backend's `field`. */
export type FormField =
  | "agent"
  | "program"
  | "args"
  | "prompt"
  | "model"
  | "permission_mode"
  | "mode"
  | "max_turns"
  | "append_system_prompt"
  | "env"
  | "cwd"
  | "title"
  | "task_id"
  | "worktree"
  | "base"
  | "branch";

/** In the order they appear in the form (the first one in error gets the focus). */
export const FORM_FIELDS: readonly FormField[] = [
  "agent",
  "program",
  "args",
  "prompt",
  "model",
  "permission_mode",
  "mode",
  "max_turns",
  "append_system_prompt",
  "env",
  "cwd",
  "title",
  "task_id",
  "worktree",
  "base",
  "branch",
];

export type FieldErrors = Partial<Record<FormField, string>>;

export type AgentOption = { value: AgentKind; label: string };

/** The agents as the form offers them: a plain command first, named as the backend names them. */
export const AGENT_OPTIONS: readonly AgentOption[] = (["command", "claude", "codex", "gemini"] as const).map((value) => ({
  value,
  label: value === "command" ? `${AGENT_PROFILES.command.label} (any program)` : AGENT_PROFILES[value].label,
}));

/** Each agent's name in the UI (from the backend's `AgentKind::label`). */
export const AGENT_LABELS: Readonly<Record<AgentKind, string>> = {
  command: AGENT_PROFILES.command.label,
  claude: AGENT_PROFILES.claude.label,
  codex: AGENT_PROFILES.codex.label,
  gemini: AGENT_PROFILES.gemini.label,
};

export const PERMISSION_MODES: ReadonlyArray<{ value: PermissionMode; label: string; hint: string }> = [
  { value: "default", label: "Default", hint: "Asks before edits and commands" },
  { value: "acceptEdits", label: "Accept edits", hint: "Edits files without asking" },
  { value: "bypassPermissions", label: "Bypass permissions", hint: "Runs everything without asking" },
  { value: "plan", label: "Plan", hint: "Plans only, changes nothing" },
];

/** What a mode means for the one-shot agents, which cannot ask (the hints above are Claude's). */
const AGENT_PERMISSION_HINTS: Partial<Record<AgentKind, Record<PermissionMode, string>>> = {
  codex: {
    default: "Sandboxed: edits and commands in this folder only, never asks",
    acceptEdits: "Sandboxed: edits and commands in this folder only, never asks",
    bypassPermissions: "No sandbox: runs everything without asking",
    plan: "Read-only sandbox: changes nothing",
  },
  gemini: {
    default: "Read-only tools only (it cannot ask): no edits, no commands",
    acceptEdits: "Edits files without asking; no commands",
    bypassPermissions: "Runs everything without asking",
    plan: "Plans only, changes nothing",
  },
};

/** The hint for `mode` with `agent`. */
export function permissionHint(agent: AgentKind, mode: PermissionMode): string {
  return AGENT_PERMISSION_HINTS[agent]?.[mode] ?? PERMISSION_MODES.find((m) => m.value === mode)?.hint ?? "";
}

export const DEFAULT_MAX_TURNS = "10";

export function emptyForm(cwd = "", agent: AgentKind = "command"): NewSessionForm {
  return {
    agent,
    program: "",
    args: "",
    prompt: "",
    model: "",
    permissionMode: "default",
    mode: "headless",
    maxTurns: DEFAULT_MAX_TURNS,
    systemPrompt: "",
    env: "",
    cwd,
    title: "",
    taskId: "",
    worktree: false,
    base: "",
    branch: "",
  };
}

/** Absolute POSIX path, Windows drive path or UNC path. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}

function orNull(text: string): string | null {
  const t = text.trim();
  return t === "" ? null : t;
}

export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; error: string };

const ENV_LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * `KEY=VALUE` lines (blank lines and `# comments` skipped; `export ` and
 * matching quotes around the value allowed). Names must be shell-style.
 */
export function parseEnv(text: string): EnvResult {
  const env: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] ?? "").replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = ENV_LINE.exec(trimmed);
    if (!m) {
      const name = trimmed.split("=", 1)[0] ?? "";
      const why = !trimmed.includes("=")
        ? "expected KEY=VALUE"
        : `“${name}” is not a valid name (letters, digits and _, not starting with a digit)`;
      return { ok: false, error: `Line ${i + 1}: ${why}.` };
    }
    const key = m[1] as string;
    let value = m[2] as string;
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      value = value.slice(1, -1);
    }
    if (key in env) return { ok: false, error: `Line ${i + 1}: ${key} is set twice.` };
    env[key] = value;
  }
  return { ok: true, env };
}

/**
 * The agent the form starts with: the last one used, else Claude Code when it is installed
 * (what most people come for), else a command.
 */
export function defaultAgent(last: AgentKind | null, agents: readonly AgentInfo[] | null): AgentKind {
  if (last !== null) return last;
  return agents?.find((a) => a.agent === "claude")?.installed ? "claude" : "command";
}

/** Whether the form holds something typed that closing it would throw away (the folder is remembered). */
export function hasDraft(form: NewSessionForm): boolean {
  return [form.program, form.args, form.prompt, form.model, form.systemPrompt, form.env, form.title, form.taskId, form.base, form.branch].some((v) => v.trim() !== "");
}

/** Whether an agent can be started, given what `agents` said (unknown: let the backend decide). */
export function agentAvailable(agent: AgentKind, agents: readonly AgentInfo[] | null): boolean {
  if (agent === "command") return true;
  if (!agents) return true;
  const info = agents.find((a) => a.agent === agent);
  return info ? info.installed : true;
}

export type BuildResult = { ok: true; request: NewSession } | { ok: false; errors: FieldErrors };

/** Validates the form locally and builds the `create_session` request. */
export function buildNewSession(
  form: NewSessionForm,
  agents: readonly AgentInfo[] | null = null,
  repo: RepoInfo | null = null,
): BuildResult {
  const errors: FieldErrors = {};
  const isCommand = form.agent === "command";

  if (!AGENT_OPTIONS.some((a) => a.value === form.agent)) errors.agent = "Choose an agent.";
  else if (!agentAvailable(form.agent, agents)) {
    const hint = agents?.find((a) => a.agent === form.agent)?.install_hint;
    errors.agent = `${AGENT_LABELS[form.agent]} is not installed${hint ? `: install it with ${hint}` : ""}.`;
  }

  let args: string[] = [];
  let env: Record<string, string> = {};
  let maxTurns: number | null = null;
  const mode: RunMode = offersMode(form.agent) ? form.mode : "headless";

  if (isCommand) {
    if (form.program.trim() === "") errors.program = "Enter the program to run, e.g. bash or npm.";
    const split = splitArgs(form.args);
    if (split.ok) args = split.args;
    else errors.args = split.error;
  } else {
    // The interactive CLI has no turn limit (`--max-turns` is for `-p`).
    const turns = mode === "terminal" ? "" : form.maxTurns.trim();
    if (turns !== "") {
      const n = Number(turns);
      if (!/^\d+$/.test(turns) || !Number.isSafeInteger(n) || n < 1) {
        errors.max_turns = "Enter a whole number of turns, at least 1 (or leave it empty for no limit).";
      } else maxTurns = n;
    }
    const parsed = parseEnv(form.env);
    if (parsed.ok) env = parsed.env;
    else errors.env = parsed.error;
  }

  const cwd = form.cwd.trim();
  if (cwd === "") errors.cwd = "Enter the folder to run in.";
  else if (cwd.startsWith("~")) errors.cwd = "Use an absolute path: ~ is not expanded.";
  else if (!isAbsolutePath(cwd)) errors.cwd = "Use an absolute path, e.g. /home/me/project.";

  if (repo && form.worktree) {
    const branchError = branchNameError(form.branch);
    if (branchError) errors.branch = branchError;
    if (form.base.trim().startsWith("-")) errors.base = "A base cannot start with “-”.";
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };

  return {
    ok: true,
    request: {
      agent: form.agent,
      cwd,
      title: orNull(form.title),
      task_id: orNull(form.taskId),
      mcp_session_id: null,
      service_session_id: null,
      // Only asked for in a repository (`repo`): elsewhere the folder itself, as before worktrees.
      worktree: repo && form.worktree ? { base: orNull(form.base), branch: orNull(form.branch) } : null,
      config: isCommand
        ? {
            program: form.program.trim(),
            args,
            prompt: null,
            model: null,
            permission_mode: "default",
            max_turns: null,
            append_system_prompt: null,
            env: {},
            metadata: null,
            mode: "headless",
          }
        : {
            program: null,
            args: [],
            prompt: form.prompt.trim() === "" ? null : form.prompt,
            model: orNull(form.model),
            permission_mode: form.permissionMode,
            max_turns: maxTurns,
            append_system_prompt: form.systemPrompt.trim() === "" ? null : form.systemPrompt,
            env,
            metadata: null,
            mode,
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
  const alias: Record<string, FormField> = {
    task: "task_id",
    taskId: "task_id",
    folder: "cwd",
    system_prompt: "append_system_prompt",
    permissionMode: "permission_mode",
    maxTurns: "max_turns",
  };
  // `worktree.branch`, `worktree.base`: the last part names the field; `worktree` alone is the checkbox.
  const mapped = alias[name] ?? name;
  return (FORM_FIELDS as readonly string[]).includes(mapped) ? (mapped as FormField) : null;
}

/**
 * What git would refuse in a new branch's name (`git check-ref-format --branch`, the common
 * cases; the backend checks with git itself): null when it looks fine or is empty (then a
 * name is made up from the title).
 */
export function branchNameError(name: string): string | null {
  const b = name.trim();
  if (b === "") return null;
  if (b.startsWith("-")) return "A branch name cannot start with “-”.";
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(b)) return "No spaces or ~ ^ : ? * [ \\ in a branch name.";
  if (b.includes("..") || b.includes("@{") || b.includes("//")) return "No “..”, “@{” or “//” in a branch name.";
  if (b.endsWith("/") || b.endsWith(".") || b.startsWith("/")) return "A branch name cannot start with “/” or end with “/” or “.”.";
  if (b.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return "No part of a branch name may start with “.” or end with “.lock”.";
  }
  if (b === "@") return "“@” alone is not a branch name.";
  return null;
}

/**
 * Whether "Own worktree" starts ticked for a folder: what was chosen last in that repository
 * (`remembered`, keyed by its root), else on in a repository and off elsewhere.
 */
export function worktreeDefault(repo: RepoInfo | null, remembered: boolean | null): boolean {
  if (!repo) return false;
  return remembered ?? true;
}

/** The base the form shows as a placeholder: the repository's branch ("" when detached). */
export function basePlaceholder(repo: RepoInfo | null): string {
  return repo?.branch ?? "";
}

/** The form's "Copy into each worktree" text: one path or glob a line (or comma-separated), blanks dropped. */
export function parseCopyFiles(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** The repository setup the form's fields describe. */
export function repoSetupOf(copyText: string, command: string, worktreeDir = ""): RepoSetup {
  const c = command.trim();
  const d = worktreeDir.trim();
  return { copy_files: parseCopyFiles(copyText), setup_command: c === "" ? null : c, worktree_dir: d === "" ? null : d };
}

/** Whether two setups differ (then the form saves it before Create). */
export function setupChanged(a: RepoSetup | null, b: RepoSetup): boolean {
  const base = a ?? { copy_files: [], setup_command: null, worktree_dir: null };
  return (
    base.setup_command !== b.setup_command ||
    base.worktree_dir !== b.worktree_dir ||
    base.copy_files.join("\n") !== b.copy_files.join("\n")
  );
}
