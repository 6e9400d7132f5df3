/** The settings form: Settings ↔ what the inputs hold, with the backend's rules checked early. */
import type { Settings } from "./bindings/Settings";
import { isAbsolutePath } from "./newSession";
import { joinArgs, splitArgs } from "./args";
import type { RunMode } from "./terminal";

export type PathAgent = "claude" | "codex" | "gemini";
export const PATH_AGENTS: readonly PathAgent[] = ["claude", "codex", "gemini"];

export type SettingsForm = {
  paths: Record<PathAgent, string>;
  maxLiveSessions: string;
  idleTtlMinutes: string;
  retentionDays: string;
  /** Stored output kept per session, MiB (0: no limit). */
  sessionOutputMib: string;
  closeToTray: boolean;
  notifications: boolean;
  autostart: boolean;
  /** Import and follow Claude Code sessions run in terminals. */
  terminalSessions: boolean;
  /** Folders, one per line. */
  terminalInclude: string;
  terminalExclude: string;
  terminalSinceDays: string;
  /** "Open in…": the editor's and the terminal's command lines (empty: found by Switchboard). */
  openEditor: string;
  openTerminal: string;
  /** The mode the New-session form starts with for Claude Code. */
  defaultMode: RunMode;
  /** Claude Code's config folder; empty: $CLAUDE_CONFIG_DIR, else ~/.claude. */
  terminalClaudeDir: string;
};

/** Field names as the backend reports them in `IpcError.field`. */
export type SettingsField =
  | "agent_paths.claude"
  | "agent_paths.codex"
  | "agent_paths.gemini"
  | "max_live_sessions"
  | "idle_ttl_minutes"
  | "retention_days"
  | "session_output_mib"
  | "terminal_sessions"
  | "terminal_sessions.since_days"
  | "open_editor"
  | "open_terminal"
  | "terminal_sessions.claude_dir";

export type SettingsErrors = Partial<Record<SettingsField, string>>;

export const SETTINGS_FIELDS: readonly SettingsField[] = [
  "agent_paths.claude",
  "agent_paths.codex",
  "agent_paths.gemini",
  "max_live_sessions",
  "idle_ttl_minutes",
  "retention_days",
  "session_output_mib",
  "terminal_sessions",
  "terminal_sessions.since_days",
  "open_editor",
  "open_terminal",
  "terminal_sessions.claude_dir",
];

/** The backend's bound on `session_output_mib` (settings.rs MAX_SESSION_OUTPUT_MIB): 1 TiB. */
const MAX_SESSION_OUTPUT_MIB = 1024 * 1024;

const lines = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

export function toForm(s: Settings): SettingsForm {
  return {
    paths: { claude: s.agent_paths.claude ?? "", codex: s.agent_paths.codex ?? "", gemini: s.agent_paths.gemini ?? "" },
    maxLiveSessions: String(s.max_live_sessions),
    idleTtlMinutes: String(s.idle_ttl_minutes),
    retentionDays: String(s.retention_days),
    sessionOutputMib: String(s.session_output_mib),
    closeToTray: s.close_to_tray,
    notifications: s.notifications,
    autostart: s.autostart,
    terminalSessions: s.watch_terminal_sessions,
    terminalInclude: s.terminal_sessions.include.join("\n"),
    terminalExclude: s.terminal_sessions.exclude.join("\n"),
    terminalSinceDays: String(s.terminal_sessions.since_days),
    openEditor: joinArgs(s.open_editor),
    openTerminal: joinArgs(s.open_terminal),
    defaultMode: s.default_mode,
    terminalClaudeDir: s.terminal_sessions.claude_dir ?? "",
  };
}

function int(text: string, min: number, max: number, message: string): { value: number } | { error: string } {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < min || n > max) return { error: message };
  return { value: n };
}

export type FromFormResult = { ok: true; settings: Settings } | { ok: false; errors: SettingsErrors };

/**
 * The settings to save: the form's values over `base` (the settings loaded),
 * so fields the form does not show are kept as they are.
 */
export function fromForm(f: SettingsForm, base: Settings): FromFormResult {
  const errors: SettingsErrors = {};
  const paths: Record<PathAgent, string | null> = { claude: null, codex: null, gemini: null };
  for (const agent of PATH_AGENTS) {
    const p = f.paths[agent].trim();
    if (p !== "" && !isAbsolutePath(p)) errors[`agent_paths.${agent}`] = "Use an absolute path, or leave it empty to find it.";
    paths[agent] = p === "" ? null : p;
  }
  const maxLive = int(f.maxLiveSessions, 1, 10_000, "Enter a number from 1 to 10000.");
  const ttl = int(f.idleTtlMinutes, 1, 43_200, "Enter minutes from 1 to 43200 (30 days).");
  const retention = int(f.retentionDays, 0, 36_500, "Enter days from 0 (keep forever) to 36500.");
  if ("error" in maxLive) errors.max_live_sessions = maxLive.error;
  if ("error" in ttl) errors.idle_ttl_minutes = ttl.error;
  if ("error" in retention) errors.retention_days = retention.error;
  const outputMib = int(f.sessionOutputMib, 0, MAX_SESSION_OUTPUT_MIB, "Enter MiB from 0 (no limit) to 1048576 (1 TiB).");
  if ("error" in outputMib) errors.session_output_mib = outputMib.error;
  const since = int(f.terminalSinceDays, 0, 36_500, "Enter days from 0 (all) to 36500.");
  if ("error" in since) errors["terminal_sessions.since_days"] = since.error;
  const include = lines(f.terminalInclude);
  const exclude = lines(f.terminalExclude);
  const relative = [...include, ...exclude].find((p) => !isAbsolutePath(p));
  if (relative !== undefined) errors.terminal_sessions = `Use absolute folders, one per line (“${relative}” is not).`;
  const editor = splitArgs(f.openEditor);
  const terminal = splitArgs(f.openTerminal);
  if (!editor.ok) errors.open_editor = editor.error;
  if (!terminal.ok) errors.open_terminal = terminal.error;
  const claudeDir = f.terminalClaudeDir.trim();
  if (claudeDir !== "" && !isAbsolutePath(claudeDir)) errors["terminal_sessions.claude_dir"] = "Use an absolute folder, or leave it empty for ~/.claude.";
  if ("error" in maxLive || "error" in ttl || "error" in retention || "error" in outputMib || "error" in since || Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    settings: {
      ...base,
      agent_paths: paths,
      max_live_sessions: maxLive.value,
      idle_ttl_minutes: ttl.value,
      retention_days: retention.value,
      session_output_mib: outputMib.value,
      close_to_tray: f.closeToTray,
      notifications: f.notifications,
      autostart: f.autostart,
      watch_terminal_sessions: f.terminalSessions,
      open_editor: editor.ok ? editor.args : [],
      open_terminal: terminal.ok ? terminal.args : [],
      default_mode: f.defaultMode,
      terminal_sessions: { ...base.terminal_sessions, claude_dir: claudeDir === "" ? null : claudeDir, include, exclude, since_days: since.value },
    },
  };
}

export function settingsFieldOf(field: string | null | undefined): SettingsField | null {
  if (!field) return null;
  return (SETTINGS_FIELDS as readonly string[]).includes(field) ? (field as SettingsField) : null;
}

export function sameForm(a: SettingsForm, b: SettingsForm): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
