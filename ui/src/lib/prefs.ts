/** Small UI preferences kept in localStorage (never required to work). */
import type { AgentKind } from "./bindings/AgentKind";
import { AGENT_KINDS } from "./contract";
import type { DiffLayout } from "./diffView";

const LAST_CWD = "switchboard.lastCwd";
const LAST_AGENT = "switchboard.lastAgent";
const SHOW_RAW = "switchboard.showRaw";

function get(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage unavailable: nothing to remember.
  }
}

export function loadLastCwd(): string {
  return get(LAST_CWD) ?? "";
}

export function saveLastCwd(cwd: string): void {
  set(LAST_CWD, cwd);
}

/** The agent of the last session created here; null before the first one. */
export function loadLastAgent(): AgentKind | null {
  const v = get(LAST_AGENT);
  return (AGENT_KINDS as readonly string[]).includes(v ?? "") ? (v as AgentKind) : null;
}

export function saveLastAgent(agent: AgentKind): void {
  set(LAST_AGENT, agent);
}

/** Whether raw lines and stderr are shown for agent sessions. */
export function loadShowRaw(): boolean {
  return get(SHOW_RAW) === "1";
}

export function saveShowRaw(show: boolean): void {
  set(SHOW_RAW, show ? "1" : "0");
}

const WORKTREE_BY_REPO = "switchboard.worktreeByRepo";

/** The "Own worktree" choice last made for a repository (by its root); null: never chosen. */
export function loadWorktreeChoice(repoRoot: string): boolean | null {
  try {
    const map = JSON.parse(get(WORKTREE_BY_REPO) ?? "{}") as Record<string, unknown>;
    const v = map[repoRoot];
    return typeof v === "boolean" ? v : null;
  } catch {
    return null;
  }
}

export function saveWorktreeChoice(repoRoot: string, on: boolean): void {
  let map: Record<string, boolean> = {};
  try {
    map = JSON.parse(get(WORKTREE_BY_REPO) ?? "{}") as Record<string, boolean>;
  } catch {
    // A damaged entry: start again.
  }
  map[repoRoot] = on;
  set(WORKTREE_BY_REPO, JSON.stringify(map));
}

const DIFF_LAYOUT = "switchboard.diffLayout";

/** How the Changes tab lays out diffs: "unified" (the default) or "split" (side by side). */
export function loadDiffLayout(): DiffLayout {
  return get(DIFF_LAYOUT) === "split" ? "split" : "unified";
}

export function saveDiffLayout(layout: DiffLayout): void {
  set(DIFF_LAYOUT, layout);
}
