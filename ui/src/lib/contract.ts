// Generated from src-tauri/src/contract.rs by `make bindings` (tests/it/contract.rs). Do not edit.
// The IPC contract: every command with its arguments (camelCase, as Tauri takes them) and result.
import type { Channel } from "@tauri-apps/api/core";
import type { AgentInfo } from "./bindings/AgentInfo";
import type { AgentKind } from "./bindings/AgentKind";
import type { AgentProfile } from "./bindings/AgentProfile";
import type { AppInfo } from "./bindings/AppInfo";
import type { Changes } from "./bindings/Changes";
import type { Checkpoint } from "./bindings/Checkpoint";
import type { Comparison } from "./bindings/Comparison";
import type { DayUsage } from "./bindings/DayUsage";
import type { FileDiff } from "./bindings/FileDiff";
import type { LandMethod } from "./bindings/LandMethod";
import type { LandOutcome } from "./bindings/LandOutcome";
import type { Metrics } from "./bindings/Metrics";
import type { NewSession } from "./bindings/NewSession";
import type { OpenIn } from "./bindings/OpenIn";
import type { OrphanWorktree } from "./bindings/OrphanWorktree";
import type { OutputItem } from "./bindings/OutputItem";
import type { OutputMessage } from "./bindings/OutputMessage";
import type { PermissionDecision } from "./bindings/PermissionDecision";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import type { PermissionRule } from "./bindings/PermissionRule";
import type { RemovalCheck } from "./bindings/RemovalCheck";
import type { RepoInfo } from "./bindings/RepoInfo";
import type { RepoSetup } from "./bindings/RepoSetup";
import type { SearchFilter } from "./bindings/SearchFilter";
import type { SearchHit } from "./bindings/SearchHit";
import type { Session } from "./bindings/Session";
import type { SessionFilter } from "./bindings/SessionFilter";
import type { SessionStatus } from "./bindings/SessionStatus";
import type { Settings } from "./bindings/Settings";
import type { TaskEvent } from "./bindings/TaskEvent";
import type { TaskSummary } from "./bindings/TaskSummary";
import type { TerminalChunk } from "./bindings/TerminalChunk";
import type { TerminalView } from "./bindings/TerminalView";
import type { Workspace } from "./bindings/Workspace";

/** Every command's name. */
export const COMMANDS = [
  "list_sessions",
  "get_session",
  "create_session",
  "end_session",
  "delete_session",
  "send_message",
  "interrupt_session",
  "resume_session",
  "set_task",
  "compaction_advised",
  "compact_session",
  "read_output",
  "output_tail",
  "read_output_around",
  "read_full_entry",
  "subscribe_output",
  "search",
  "unsubscribe_output",
  "metrics",
  "usage_by_day",
  "tasks",
  "task_log",
  "session_log",
  "agents",
  "get_settings",
  "save_settings",
  "recent_folders",
  "check_folder",
  "app_info",
  "pending_permissions",
  "decide_permission",
  "permission_rules",
  "revoke_permission_rule",
  "set_focused_session",
  "quit_app",
  "probe_repository",
  "list_workspaces",
  "session_changes",
  "session_diff",
  "session_compare",
  "open_session_in",
  "session_checkpoints",
  "restore_checkpoint",
  "commit_work",
  "land_session",
  "removal_check",
  "orphan_worktrees",
  "remove_orphan_worktrees",
  "get_repo_setup",
  "save_repo_setup",
  "terminal_attach",
  "terminal_detach",
  "terminal_input",
  "terminal_resize",
] as const;

export type CommandName = (typeof COMMANDS)[number];

/** Each command's arguments (as sent) and result. */
export type Commands = {
  list_sessions: { args: { filter: SessionFilter | null }; result: Array<Session> };
  get_session: { args: { id: string }; result: Session };
  create_session: { args: { request: NewSession }; result: Session };
  end_session: { args: { id: string }; result: Session };
  delete_session: { args: { id: string; removeWorktree: boolean }; result: null };
  send_message: { args: { id: string; text: string }; result: Session };
  interrupt_session: { args: { id: string }; result: Session };
  resume_session: { args: { id: string; prompt: string | null }; result: Session };
  set_task: { args: { id: string; taskId: string | null }; result: Session };
  compaction_advised: { args: { id: string }; result: boolean };
  compact_session: { args: { id: string }; result: Session };
  read_output: { args: { id: string; afterSeq: number; limit: number }; result: Array<OutputItem> };
  output_tail: { args: { id: string; limit: number }; result: Array<OutputItem> };
  read_output_around: { args: { id: string; seq: number; before: number; after: number }; result: Array<OutputItem> };
  read_full_entry: { args: { id: string; seq: number }; result: OutputItem };
  subscribe_output: { args: { id: string; afterSeq: number; channel: Channel<OutputMessage> }; result: number };
  search: { args: { query: string; filter: SearchFilter | null; limit: number }; result: Array<SearchHit> };
  unsubscribe_output: { args: { subscription: number }; result: null };
  metrics: { args: Record<string, never>; result: Metrics };
  usage_by_day: { args: { days: number }; result: Array<DayUsage> };
  tasks: { args: Record<string, never>; result: Array<TaskSummary> };
  task_log: { args: { taskId: string }; result: Array<TaskEvent> };
  session_log: { args: { id: string }; result: Array<TaskEvent> };
  agents: { args: Record<string, never>; result: Array<AgentInfo> };
  get_settings: { args: Record<string, never>; result: Settings };
  save_settings: { args: { settings: Settings }; result: Settings };
  recent_folders: { args: Record<string, never>; result: Array<string> };
  check_folder: { args: { path: string }; result: null };
  app_info: { args: Record<string, never>; result: AppInfo };
  pending_permissions: { args: { id: string | null }; result: Array<PermissionRequest> };
  decide_permission: { args: { id: string; requestId: string; decision: PermissionDecision }; result: PermissionRequest };
  permission_rules: { args: { id: string }; result: Array<PermissionRule> };
  revoke_permission_rule: { args: { id: string; ruleId: number }; result: null };
  set_focused_session: { args: { id: string | null }; result: null };
  quit_app: { args: Record<string, never>; result: null };
  probe_repository: { args: { cwd: string }; result: RepoInfo | null };
  list_workspaces: { args: Record<string, never>; result: Array<Workspace> };
  session_changes: { args: { id: string }; result: Changes };
  session_diff: { args: { id: string; from: string; to: string; path: string | null }; result: FileDiff };
  session_compare: { args: { id: string; from: string; to: string }; result: Comparison };
  open_session_in: { args: { id: string; target: OpenIn }; result: string };
  session_checkpoints: { args: { id: string }; result: Array<Checkpoint> };
  restore_checkpoint: { args: { id: string; n: number }; result: Checkpoint };
  commit_work: { args: { id: string; message: string }; result: string };
  land_session: { args: { id: string; method: LandMethod; message: string | null }; result: LandOutcome };
  removal_check: { args: { id: string }; result: RemovalCheck | null };
  orphan_worktrees: { args: Record<string, never>; result: Array<OrphanWorktree> };
  remove_orphan_worktrees: { args: { paths: Array<string> }; result: Array<string> };
  get_repo_setup: { args: { cwd: string }; result: RepoSetup | null };
  save_repo_setup: { args: { cwd: string; setup: RepoSetup }; result: RepoSetup };
  terminal_attach: { args: { id: string; onData: Channel<TerminalChunk> }; result: TerminalView };
  terminal_detach: { args: { id: string; viewer: number }; result: null };
  terminal_input: { args: { id: string; dataB64: string }; result: null };
  terminal_resize: { args: { id: string; cols: number; rows: number }; result: null };
};

export type CommandArgs<C extends CommandName> = Commands[C]["args"];
export type CommandResult<C extends CommandName> = Commands[C]["result"];

/** Sends one command; `api.ts` gives one that rejects with an `ApiError`. */
export type Invoke = <C extends CommandName>(command: C, args: CommandArgs<C>) => Promise<CommandResult<C>>;

/** One typed function per command, over `call`. */
export function commands(call: Invoke) {
  return {
    /** Sessions matching the filter (all when null), newest first unless it says otherwise. */
    listSessions: (filter: SessionFilter | null) => call("list_sessions", { filter }),
    getSession: (id: string) => call("get_session", { id }),
    /** Starts a session; a bad value rejects with `invalid_input` naming the field. */
    createSession: (request: NewSession) => call("create_session", { request }),
    endSession: (id: string) => call("end_session", { id }),
    /** With `removeWorktree`, its worktree, branch and checkpoints go too (ask `removalCheck` first). */
    deleteSession: (id: string, removeWorktree: boolean) => call("delete_session", { id, removeWorktree }),
    /** Returns at once; the turn streams as output. Resumes a finished session. */
    sendMessage: (id: string, text: string) => call("send_message", { id, text }),
    interruptSession: (id: string) => call("interrupt_session", { id }),
    resumeSession: (id: string, prompt: string | null) => call("resume_session", { id, prompt }),
    setTask: (id: string, taskId: string | null) => call("set_task", { id, taskId }),
    compactionAdvised: (id: string) => call("compaction_advised", { id }),
    compactSession: (id: string) => call("compact_session", { id }),
    /** Entries after `afterSeq`, oldest first, at most `limit`. */
    readOutput: (id: string, afterSeq: number, limit: number) => call("read_output", { id, afterSeq, limit }),
    /** The last `limit` entries, oldest first. Pages stop at `limit` entries or 2 MiB (the newest */
    /** kept); an entry of 1 MiB or more comes as a preview with `full_bytes` set. */
    outputTail: (id: string, limit: number) => call("output_tail", { id, limit }),
    /** A page around entry `seq`: at most `before` entries before it, the entry and at most `after` */
    /** after it, oldest first — what the view opens on for a search hit, however far back. Pages stop */
    /** at 2 MiB too (the entry kept in the middle); a newer page is `seq` = the last seq read, `before` 0. */
    readOutputAround: (id: string, seq: number, before: number, after: number) => call("read_output_around", { id, seq, before, after }),
    /** One entry whole (the full text behind a preview). */
    readFullEntry: (id: string, seq: number) => call("read_full_entry", { id, seq }),
    /** Follows output after `afterSeq` on `channel`; resolves to the subscription id. */
    subscribeOutput: (id: string, afterSeq: number, channel: Channel<OutputMessage>) => call("subscribe_output", { id, afterSeq, channel }),
    /** Stored output of every session (or as the filter narrows it) with all the query's words, newest first. */
    search: (query: string, filter: SearchFilter | null, limit: number) => call("search", { query, filter, limit }),
    unsubscribeOutput: (subscription: number) => call("unsubscribe_output", { subscription }),
    metrics: () => call("metrics", {}),
    usageByDay: (days: number) => call("usage_by_day", { days }),
    tasks: () => call("tasks", {}),
    taskLog: (taskId: string) => call("task_log", { taskId }),
    sessionLog: (id: string) => call("session_log", { id }),
    /** Each agent: installed or not, where, and how to install it. */
    agents: () => call("agents", {}),
    getSettings: () => call("get_settings", {}),
    saveSettings: (settings: Settings) => call("save_settings", { settings }),
    recentFolders: () => call("recent_folders", {}),
    /** Refused (field `cwd`) when `path` cannot be a session's folder, as create_session would: */
    /** lets the new-session form say so before Create. */
    checkFolder: (path: string) => call("check_folder", { path }),
    appInfo: () => call("app_info", {}),
    /** Tool uses waiting for an answer: one session's, or every session's (null). */
    pendingPermissions: (id: string | null) => call("pending_permissions", { id }),
    decidePermission: (id: string, requestId: string, decision: PermissionDecision) => call("decide_permission", { id, requestId, decision }),
    /** The "Allow for this session" rules in force for the session's running agent. */
    permissionRules: (id: string) => call("permission_rules", { id }),
    revokePermissionRule: (id: string, ruleId: number) => call("revoke_permission_rule", { id, ruleId }),
    /** The session the window shows (null: none), so its own changes do not notify. */
    setFocusedSession: (id: string | null) => call("set_focused_session", { id }),
    /** Quits, asking first when agents are running. */
    quitApp: () => call("quit_app", {}),
    /** Whether a folder is in a git repository, and its branch (null: not a repository): */
    /** the New-session form offers "Own worktree", on by default, when it is. */
    probeRepository: (cwd: string) => call("probe_repository", { cwd }),
    /** Every session's worktree with its last measured changes (for the sessions list). */
    listWorkspaces: () => call("list_workspaces", {}),
    /** What the session changed against the merge-base with its base (files and counts). */
    sessionChanges: (id: string) => call("session_changes", { id }),
    /** The unified diff between two trees or commits (ids from `sessionChanges` or */
    /** `sessionCheckpoints`), of one file (`path`) or of all (null). */
    sessionDiff: (id: string, from: string, to: string, path: string | null) => call("session_diff", { id, from, to, path }),
    /** The files that differ between two states of the worktree (ids of checkpoints' */
    /** trees, the merge-base or the worktree's tree from `sessionChanges`), with counts. */
    sessionCompare: (id: string, from: string, to: string) => call("session_compare", { id, from, to }),
    /** Opens the session's worktree (its folder without one) in the editor, a terminal or the */
    /** file manager (Settings → Open in); resolves to the program started. */
    openSessionIn: (id: string, target: OpenIn) => call("open_session_in", { id, target }),
    sessionCheckpoints: (id: string) => call("session_checkpoints", { id }),
    /** Puts the worktree back to checkpoint `n`; resolves to the checkpoint taken first (restore it to undo). */
    restoreCheckpoint: (id: string, n: number) => call("restore_checkpoint", { id, n }),
    /** Commits everything uncommitted in the session's worktree; resolves to the commit id. */
    commitWork: (id: string, message: string) => call("commit_work", { id, message }),
    /** Lands the session's branch on its base; conflicts resolve as `landed: false` with the */
    /** files (nothing written); a dirty checkout rejects with the reason (field `land`). */
    landSession: (id: string, method: LandMethod, message: string | null) => call("land_session", { id, method, message }),
    /** What deleting the session with its worktree would lose (null: it has none). */
    removalCheck: (id: string) => call("removal_check", { id }),
    /** Worktrees under the data dir that no session works in (Settings → Clean up). */
    orphanWorktrees: () => call("orphan_worktrees", {}),
    /** Removes the chosen orphaned worktrees (their branches are kept); resolves to the paths removed. */
    removeOrphanWorktrees: (paths: Array<string>) => call("remove_orphan_worktrees", { paths }),
    /** The worktree setup (files to copy, setup command) of the repository `cwd` is in; */
    /** null when it is not in one. */
    getRepoSetup: (cwd: string) => call("get_repo_setup", { cwd }),
    saveRepoSetup: (cwd: string, setup: RepoSetup) => call("save_repo_setup", { cwd, setup }),
    /** A terminal session's recent screen (write it first), then, while it runs in the app, */
    /** its output on `onData` (buffer what arrives before this resolves) until `ended`. */
    terminalAttach: (id: string, onData: Channel<TerminalChunk>) => call("terminal_attach", { id, onData }),
    /** Stops the feed of the viewer `viewer` (from `terminal_attach`'s answer) of a terminal */
    /** session: call it when the page stops showing the terminal. A viewer already gone is fine. */
    terminalDetach: (id: string, viewer: number) => call("terminal_detach", { id, viewer }),
    /** Types bytes (base64) into a running terminal session. */
    terminalInput: (id: string, dataB64: string) => call("terminal_input", { id, dataB64 }),
    /** Resizes a running terminal session (2–1000 columns, 1–500 rows). */
    terminalResize: (id: string, cols: number, rows: number) => call("terminal_resize", { id, cols, rows }),
  };
}

/** Every agent: its name in the UI and what its sessions can do. */
export const AGENT_PROFILES: Readonly<Record<AgentKind, AgentProfile>> = {
  "claude": {
    "agent": "claude",
    "label": "Claude Code",
    "can_resume": true,
    "can_compact": true
  },
  "codex": {
    "agent": "codex",
    "label": "Codex",
    "can_resume": true,
    "can_compact": false
  },
  "command": {
    "agent": "command",
    "label": "Command",
    "can_resume": false,
    "can_compact": false
  },
  "gemini": {
    "agent": "gemini",
    "label": "Gemini CLI",
    "can_resume": true,
    "can_compact": false
  }
};

/** The agents, in the backend's order. */
export const AGENT_KINDS: readonly AgentKind[] = ["claude","codex","gemini","command"];

/** Every status. */
export const STATUS_STATES: readonly SessionStatus["state"][] = ["starting","running","idle","waiting_input","compacting","ended","error","expired","interrupted"];

/** Statuses in which a session is live (a process may be attached; it can be ended). */
export const LIVE_STATES: readonly SessionStatus["state"][] = ["starting","running","idle","waiting_input","compacting"];
