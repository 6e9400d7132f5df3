import { describe, expect, it } from "vitest";
import type { Settings } from "./bindings/Settings";
import { fromForm, sameForm, settingsFieldOf, toForm } from "./settingsForm";

const base: Settings = {
  agent_paths: { claude: null, codex: "/opt/codex", gemini: null },
  max_live_sessions: 16,
  idle_ttl_minutes: 60,
  retention_days: 30,
  session_output_mib: 2048,
  close_to_tray: true,
  notifications: true,
  autostart: false,
  tray_hint_shown: true,
  watch_terminal_sessions: true,
  terminal_sessions: { claude_dir: null, include: [], exclude: [], since_days: 0 },
  open_editor: ["code", "--new-window"],
  open_terminal: [],
  default_mode: "headless",
  terminal_approval_hold_secs: 120,
};

describe("settings form", () => {
  it("keeps the default mode of new Claude Code sessions", () => {
    const f = toForm(base);
    expect(f.defaultMode).toBe("headless");
    const r = fromForm({ ...f, defaultMode: "terminal" }, base);
    expect(r.ok && r.settings.default_mode).toBe("terminal");
    expect(toForm({ ...base, default_mode: "terminal" }).defaultMode).toBe("terminal");
  });


  it("round-trips, keeping fields the form does not show", () => {
    const r = fromForm(toForm(base), base);
    expect(r).toEqual({ ok: true, settings: base });
  });

  it("turns empty paths into null and checks numbers and paths", () => {
    const f = toForm(base);
    f.paths.codex = "  ";
    f.maxLiveSessions = "24";
    const ok = fromForm(f, base);
    expect(ok.ok && ok.settings.agent_paths.codex).toBeNull();
    expect(ok.ok && ok.settings.max_live_sessions).toBe(24);

    const bad = toForm(base);
    bad.paths.claude = "claude";
    bad.maxLiveSessions = "0";
    bad.idleTtlMinutes = "1.5";
    bad.retentionDays = "-1";
    bad.sessionOutputMib = "1048577";
    const r = fromForm(bad, base);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["agent_paths.claude", "idle_ttl_minutes", "max_live_sessions", "retention_days", "session_output_mib"]);
    const unlimited = fromForm({ ...toForm(base), sessionOutputMib: "0" }, base);
    expect(unlimited.ok && unlimited.settings.session_output_mib).toBe(0);
  });

  it("maps backend fields and compares forms", () => {
    expect(settingsFieldOf("agent_paths.gemini")).toBe("agent_paths.gemini");
    expect(settingsFieldOf("nope")).toBeNull();
    expect(sameForm(toForm(base), toForm(base))).toBe(true);
  });

  it("reads terminal-session folders one per line and refuses relative ones", () => {
    const form = { ...toForm(base), terminalSessions: false, terminalInclude: " /home/me/src \n\n/work ", terminalSinceDays: "30" };
    const r = fromForm(form, base);
    expect(r.ok && r.settings.terminal_sessions).toEqual({ claude_dir: null, include: ["/home/me/src", "/work"], exclude: [], since_days: 30 });
    expect(r.ok && r.settings.watch_terminal_sessions).toBe(false);
    const moved = fromForm({ ...form, terminalClaudeDir: " /opt/claude-home " }, base);
    expect(moved.ok && moved.settings.terminal_sessions.claude_dir).toBe("/opt/claude-home");
    const relativeDir = fromForm({ ...form, terminalClaudeDir: "claude-home" }, base);
    expect(!relativeDir.ok && relativeDir.errors["terminal_sessions.claude_dir"]).toMatch(/absolute/);
    const bad = fromForm({ ...form, terminalExclude: "src" }, base);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.terminal_sessions).toMatch(/absolute/);
  });

  it("reads the Open-in commands as argument vectors, quotes kept, and refuses an unclosed quote", () => {
    expect(toForm(base).openEditor).toBe("code --new-window");
    const form = { ...toForm(base), openEditor: "", openTerminal: `kitty --title "A worktree"` };
    const r = fromForm(form, base);
    expect(r.ok && [r.settings.open_editor, r.settings.open_terminal]).toEqual([[], ["kitty", "--title", "A worktree"]]);
    const bad = fromForm({ ...form, openTerminal: `kitty "oops` }, base);
    expect(!bad.ok && bad.errors.open_terminal).toBeTruthy();
  });
});
