//! The IPC contract between the Rust shell and the page, written once.
//!
//! [`contract!`] below lists every command with the arguments the page sends (their Rust
//! names and types, without what Tauri injects: state, the app handle) and the result type.
//! From that one list come:
//! - [`handler`]: the `invoke_handler` of the app (`tauri::generate_handler!`);
//! - [`COMMANDS`]: the names, written by the `contract` test into `src-tauri/commands.txt`
//!   (read by `build.rs`, which cannot call this crate) and into the capability file
//!   `src-tauri/capabilities/commands.json` (one `allow-…` permission per command);
//! - [`typescript`]: `ui/src/lib/contract.ts`, a typed function per command with the
//!   camelCase argument names Tauri expects, a `Commands` map the browser tests' mock is
//!   typed against, and the agent profiles and live statuses the UI shows;
//! - [`args`]: typed builders of each command's invocation body, used by the IPC tests.
//!
//! The command functions themselves stay in `commands.rs`. A registration that disagrees
//! with them fails the IPC test that invokes every command through [`args`] (Tauri refuses
//! a missing argument, serde a value of the wrong type), and a changed registration changes
//! the generated TypeScript, which the `contract` test keeps current and `npm run check`
//! holds every caller to.
//!
//! Why a macro over ts-rs and not tauri-specta: every IPC type already derives ts-rs, and
//! tauri-specta 2 is still a release candidate that would mean re-deriving all of them
//! (specta instead of ts-rs) and pinning an RC of it and specta.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::marker::PhantomData;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::agents::AgentInfo;
use switchboard_core::open::OpenIn;
use switchboard_core::workspace::{
    Changes, Checkpoint, Comparison, FileDiff, LandMethod, LandOutcome, OrphanWorktree, RemovalCheck, RepoInfo, RepoSetup, Workspace,
};
use switchboard_core::{
    AgentKind, Metrics, NewSession, OutputItem, PermissionDecision, PermissionRequest, PermissionRule, Session, SessionFilter,
    SessionStatus, Settings, TaskEvent, TerminalChunk, TerminalView,
};
use switchboard_core::{DayUsage, OutputConversion, SearchFilter, SearchHit, TaskSummary};
use ts_rs::{Dependency, TypeVisitor, TS};

use crate::commands::{AppInfo, OutputMessage};

/// One command as the page sees it.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// The command's name, as `invoke` takes it (`read_output`).
    pub name: &'static str,
    /// Its doc comment, for the generated function's JSDoc.
    pub doc: Vec<&'static str>,
    pub args: Vec<ArgSpec>,
    /// The TypeScript type of the result and the generated bindings it names.
    pub result: TsType,
}

/// One argument of a command.
#[derive(Debug, Clone)]
pub struct ArgSpec {
    /// The Rust name (`after_seq`); the page sends it as [`camel_case`] (`afterSeq`).
    pub name: &'static str,
    pub ty: TsType,
}

/// A TypeScript type expression and the generated bindings (name → file) it refers to.
#[derive(Debug, Clone)]
pub struct TsType {
    pub name: String,
    pub imports: BTreeMap<String, PathBuf>,
}

impl TsType {
    fn of<T: TS + 'static + ?Sized>() -> TsType {
        struct Collect(BTreeMap<String, PathBuf>);
        impl TypeVisitor for Collect {
            fn visit<T: TS + 'static + ?Sized>(&mut self) {
                if let Some(d) = Dependency::from_ty::<T>() {
                    self.0.insert(d.ts_name, d.output_path.to_path_buf());
                }
            }
        }
        let mut c = Collect(BTreeMap::new());
        c.visit::<T>();
        T::visit_dependencies(&mut c);
        T::visit_generics(&mut c);
        // u64 is `bigint` to ts-rs, but Tauri's JSON carries it as a plain number (our
        // counts and ids stay far below 2^53).
        let name = T::name().replace("bigint", "number");
        // Only what the expression names (the visitor also yields fields' types).
        let words: std::collections::BTreeSet<&str> = name.split(|c: char| !c.is_alphanumeric() && c != '_').collect();
        c.0.retain(|ident, _| words.contains(ident.as_str()));
        TsType { name, imports: c.0 }
    }
}

/// A command's invocation: its name and the JSON body the page would send.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub command: &'static str,
    pub args: Value,
    /// Checks that a reply has the registered result type.
    pub check_result: fn(Value) -> Result<(), String>,
}

fn check<T: serde::de::DeserializeOwned>(v: Value) -> Result<(), String> {
    serde_json::from_value::<T>(v).map(drop).map_err(|e| e.to_string())
}

/// `after_seq` → `afterSeq`: Tauri's default for command arguments.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The page's end of a `tauri::ipc::Channel<T>` argument: in TypeScript a `Channel<T>` of
/// `@tauri-apps/api/core`; on the wire the string `__CHANNEL__:<id>`.
pub struct Channel<T> {
    pub id: u32,
    of: PhantomData<fn() -> T>,
}

impl<T> Channel<T> {
    pub fn new(id: u32) -> Self {
        Channel { id, of: PhantomData }
    }
}

impl<T> Serialize for Channel<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("__CHANNEL__:{}", self.id))
    }
}

impl<T: TS + 'static> TS for Channel<T> {
    type WithoutGenerics = Channel<ts_rs::Dummy>;
    fn decl() -> String {
        panic!("Channel is declared by @tauri-apps/api")
    }
    fn decl_concrete() -> String {
        panic!("Channel is declared by @tauri-apps/api")
    }
    fn name() -> String {
        format!("Channel<{}>", T::name())
    }
    fn inline() -> String {
        Self::name()
    }
    fn inline_flattened() -> String {
        panic!("Channel cannot be flattened")
    }
    fn visit_generics(v: &mut impl TypeVisitor) {
        v.visit::<T>();
    }
}

macro_rules! contract {
    ( $( $(#[doc = $doc:literal])* fn $name:ident ( $( $arg:ident : $ty:ty ),* $(,)? ) -> $ret:ty ; )* ) => {
        /// Every command's name, in registration order.
        pub const COMMANDS: &[&str] = &[ $( stringify!($name) ),* ];

        /// The app's invoke handler: exactly the registered commands.
        pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![ $( crate::commands::$name ),* ]
        }

        /// Every command's signature as the page sees it.
        pub fn specs() -> Vec<CommandSpec> {
            vec![ $( CommandSpec {
                name: stringify!($name),
                doc: vec![ $( $doc ),* ],
                args: vec![ $( ArgSpec { name: stringify!($arg), ty: TsType::of::<$ty>() } ),* ],
                result: TsType::of::<$ret>(),
            } ),* ]
        }

        /// Typed builders of each command's invocation, named after the command.
        pub mod args {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[allow(clippy::too_many_arguments)]
                pub fn $name( $( $arg: $ty ),* ) -> Invocation {
                    #[allow(unused_mut)]
                    let mut body = serde_json::Map::new();
                    $( body.insert(camel_case(stringify!($arg)), serde_json::to_value(&$arg).expect("serializable argument")); )*
                    Invocation { command: stringify!($name), args: Value::Object(body), check_result: check::<$ret> }
                }
            )*
        }
    };
}

contract! {
    /// Sessions matching the filter (all when null), newest first unless it says otherwise.
    fn list_sessions(filter: Option<SessionFilter>) -> Vec<Session>;
    fn get_session(id: String) -> Session;
    /// Starts a session; a bad value rejects with `invalid_input` naming the field.
    fn create_session(request: NewSession) -> Session;
    fn end_session(id: String) -> Session;
    /// With `removeWorktree`, its worktree, branch and checkpoints go too (ask `removalCheck` first).
    fn delete_session(id: String, remove_worktree: bool) -> ();
    /// Returns at once; the turn streams as output. Resumes a finished session.
    fn send_message(id: String, text: String) -> Session;
    fn interrupt_session(id: String) -> Session;
    fn resume_session(id: String, prompt: Option<String>) -> Session;
    fn set_task(id: String, task_id: Option<String>) -> Session;
    fn compaction_advised(id: String) -> bool;
    fn compact_session(id: String) -> Session;
    /// Entries after `afterSeq`, oldest first, at most `limit`.
    fn read_output(id: String, after_seq: u64, limit: u32) -> Vec<OutputItem>;
    /// The last `limit` entries, oldest first. Pages stop at `limit` entries or 2 MiB (the newest
    /// kept); an entry of 1 MiB or more comes as a preview with `full_bytes` set.
    fn output_tail(id: String, limit: u32) -> Vec<OutputItem>;
    /// A page around entry `seq`: at most `before` entries before it, the entry and at most `after`
    /// after it, oldest first — what the view opens on for a search hit, however far back. Pages stop
    /// at 2 MiB too (the entry kept in the middle); a newer page is `seq` = the last seq read, `before` 0.
    fn read_output_around(id: String, seq: u64, before: u32, after: u32) -> Vec<OutputItem>;
    /// One entry whole (the full text behind a preview).
    fn read_full_entry(id: String, seq: u64) -> OutputItem;
    /// Follows output after `afterSeq` on `channel`; resolves to the subscription id.
    fn subscribe_output(id: String, after_seq: u64, channel: Channel<OutputMessage>) -> u64;
    /// Stored output of every session (or as the filter narrows it) with all the query's words, newest first.
    fn search(query: String, filter: Option<SearchFilter>, limit: u32) -> Vec<SearchHit>;
    fn unsubscribe_output(subscription: u64) -> ();
    fn metrics() -> Metrics;
    fn usage_by_day(days: u32) -> Vec<DayUsage>;
    fn tasks() -> Vec<TaskSummary>;
    fn task_log(task_id: String) -> Vec<TaskEvent>;
    fn session_log(id: String) -> Vec<TaskEvent>;
    /// Each agent: installed or not, where, and how to install it.
    fn agents() -> Vec<AgentInfo>;
    fn get_settings() -> Settings;
    fn save_settings(settings: Settings) -> Settings;
    fn recent_folders() -> Vec<String>;
    /// Refused (field `cwd`) when `path` cannot be a session's folder, as create_session would:
    /// lets the new-session form say so before Create.
    fn check_folder(path: String) -> ();
    fn app_info() -> AppInfo;
    /// Tool uses waiting for an answer: one session's, or every session's (null).
    fn pending_permissions(id: Option<String>) -> Vec<PermissionRequest>;
    fn decide_permission(id: String, request_id: String, decision: PermissionDecision) -> PermissionRequest;
    /// The "Allow for this session" rules in force for the session's running agent.
    fn permission_rules(id: String) -> Vec<PermissionRule>;
    fn revoke_permission_rule(id: String, rule_id: i64) -> ();
    /// The session the window shows (null: none), so its own changes do not notify.
    fn set_focused_session(id: Option<String>) -> ();
    /// Quits, asking first when agents are running.
    fn quit_app() -> ();
    /// Whether a folder is in a git repository, and its branch (null: not a repository):
    /// the New-session form offers "Own worktree", on by default, when it is.
    fn probe_repository(cwd: String) -> Option<RepoInfo>;
    /// Every session's worktree with its last measured changes (for the sessions list).
    fn list_workspaces() -> Vec<Workspace>;
    /// What the session changed against the merge-base with its base (files and counts).
    fn session_changes(id: String) -> Changes;
    /// The unified diff between two trees or commits (ids from `sessionChanges` or
    /// `sessionCheckpoints`), of one file (`path`) or of all (null).
    fn session_diff(id: String, from: String, to: String, path: Option<String>) -> FileDiff;
    /// The files that differ between two states of the worktree (ids of checkpoints'
    /// trees, the merge-base or the worktree's tree from `sessionChanges`), with counts.
    fn session_compare(id: String, from: String, to: String) -> Comparison;
    /// Opens the session's worktree (its folder without one) in the editor, a terminal or the
    /// file manager (Settings → Open in); resolves to the program started.
    fn open_session_in(id: String, target: OpenIn) -> String;
    fn session_checkpoints(id: String) -> Vec<Checkpoint>;
    /// Puts the worktree back to checkpoint `n`; resolves to the checkpoint taken first (restore it to undo).
    fn restore_checkpoint(id: String, n: u32) -> Checkpoint;
    /// Commits everything uncommitted in the session's worktree; resolves to the commit id.
    fn commit_work(id: String, message: String) -> String;
    /// Lands the session's branch on its base; conflicts resolve as `landed: false` with the
    /// files (nothing written); a dirty checkout rejects with the reason (field `land`).
    fn land_session(id: String, method: LandMethod, message: Option<String>) -> LandOutcome;
    /// What deleting the session with its worktree would lose (null: it has none).
    fn removal_check(id: String) -> Option<RemovalCheck>;
    /// Worktrees under the data dir that no session works in (Settings → Clean up).
    fn orphan_worktrees() -> Vec<OrphanWorktree>;
    /// Removes the chosen orphaned worktrees (their branches are kept); resolves to the paths removed.
    fn remove_orphan_worktrees(paths: Vec<String>) -> Vec<String>;
    /// The worktree setup (files to copy, setup command) of the repository `cwd` is in;
    /// null when it is not in one.
    fn get_repo_setup(cwd: String) -> Option<RepoSetup>;
    fn save_repo_setup(cwd: String, setup: RepoSetup) -> RepoSetup;
    /// A terminal session's recent screen (write it first), then, while it runs in the app,
    /// its output on `onData` (buffer what arrives before this resolves) until `ended`.
    fn terminal_attach(id: String, on_data: Channel<TerminalChunk>) -> TerminalView;
    /// Stops the feed of the viewer `viewer` (from `terminal_attach`'s answer) of a terminal
    /// session: call it when the page stops showing the terminal. A viewer already gone is fine.
    fn terminal_detach(id: String, viewer: u32) -> ();
    /// Types bytes (base64) into a running terminal session.
    fn terminal_input(id: String, data_b64: String) -> ();
    /// Resizes a running terminal session (2–1000 columns, 1–500 rows).
    fn terminal_resize(id: String, cols: u16, rows: u16) -> ();
}

/// What the page may do besides our commands; the generated capability file grants the
/// commands, this stays hand-written in `capabilities/default.json`.
const CAPABILITY_FILE: &str = "src-tauri/capabilities/commands.json";

/// `src-tauri/commands.txt`: one command name a line, for `build.rs`.
pub fn commands_txt() -> String {
    let mut out = String::from("# Generated from src-tauri/src/contract.rs by `make bindings`; read by build.rs. Do not edit.\n");
    for name in COMMANDS {
        out.push_str(name);
        out.push('\n');
    }
    out
}

/// `src-tauri/capabilities/commands.json`: the main window may call every registered command.
pub fn capability_json() -> String {
    let permissions: Vec<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    let capability = serde_json::json!({
        "$schema": "../../gen/schemas/desktop-schema.json",
        "identifier": "commands",
        "description": format!("Generated from src-tauri/src/contract.rs (`make bindings`; {CAPABILITY_FILE}): the main window may call Switchboard's own commands, each granted by name."),
        "windows": ["main"],
        "permissions": permissions,
    });
    serde_json::to_string_pretty(&capability).expect("json") + "\n"
}

/// `ui/src/lib/contract.ts`.
pub fn typescript() -> String {
    let specs = specs();
    let mut imports: BTreeMap<String, PathBuf> = BTreeMap::new();
    for s in &specs {
        imports.extend(s.result.imports.clone());
        for a in &s.args {
            imports.extend(a.ty.imports.clone());
        }
    }
    for extra in [TsType::of::<AgentKind>(), TsType::of::<switchboard_core::AgentProfile>(), TsType::of::<SessionStatus>()] {
        imports.extend(extra.imports);
    }
    let uses_channel = specs.iter().any(|s| s.args.iter().any(|a| a.ty.name.starts_with("Channel<")));

    let mut ts = String::new();
    ts.push_str("// Generated from src-tauri/src/contract.rs by `make bindings` (tests/it/contract.rs). Do not edit.\n");
    ts.push_str("// The IPC contract: every command with its arguments (camelCase, as Tauri takes them) and result.\n");
    if uses_channel {
        ts.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
    }
    for (name, path) in &imports {
        let file = path.with_extension("");
        let _ = writeln!(ts, "import type {{ {name} }} from \"./bindings/{}\";", file.to_string_lossy());
    }
    ts.push('\n');

    ts.push_str("/** Every command's name. */\nexport const COMMANDS = [\n");
    for s in &specs {
        let _ = writeln!(ts, "  \"{}\",", s.name);
    }
    ts.push_str("] as const;\n\nexport type CommandName = (typeof COMMANDS)[number];\n\n");

    ts.push_str("/** Each command's arguments (as sent) and result. */\nexport type Commands = {\n");
    for s in &specs {
        let args: Vec<String> = s.args.iter().map(|a| format!("{}: {}", camel_case(a.name), a.ty.name)).collect();
        let args = if args.is_empty() { "Record<string, never>".to_string() } else { format!("{{ {} }}", args.join("; ")) };
        let result = if s.result.name == "null" { "null".to_string() } else { s.result.name.clone() };
        let _ = writeln!(ts, "  {}: {{ args: {args}; result: {result} }};", s.name);
    }
    ts.push_str("};\n\n");
    ts.push_str("export type CommandArgs<C extends CommandName> = Commands[C][\"args\"];\n");
    ts.push_str("export type CommandResult<C extends CommandName> = Commands[C][\"result\"];\n\n");
    ts.push_str("/** Sends one command; `api.ts` gives one that rejects with an `ApiError`. */\n");
    ts.push_str("export type Invoke = <C extends CommandName>(command: C, args: CommandArgs<C>) => Promise<CommandResult<C>>;\n\n");

    ts.push_str("/** One typed function per command, over `call`. */\nexport function commands(call: Invoke) {\n  return {\n");
    for s in &specs {
        for line in &s.doc {
            let _ = writeln!(ts, "    /**{line} */");
        }
        let params: Vec<String> = s.args.iter().map(|a| format!("{}: {}", camel_case(a.name), a.ty.name)).collect();
        let names: Vec<String> = s.args.iter().map(|a| camel_case(a.name)).collect();
        let body = if names.is_empty() { "{}".to_string() } else { format!("{{ {} }}", names.join(", ")) };
        let _ = writeln!(ts, "    {}: ({}) => call(\"{}\", {body}),", camel_case(s.name), params.join(", "), s.name);
    }
    ts.push_str("  };\n}\n\n");

    let profiles: BTreeMap<&str, switchboard_core::AgentProfile> = AgentKind::ALL.iter().map(|a| (a.as_str(), a.profile())).collect();
    let _ = writeln!(
        ts,
        "/** Every agent: its name in the UI and what its sessions can do. */\nexport const AGENT_PROFILES: Readonly<Record<AgentKind, AgentProfile>> = {};\n",
        serde_json::to_string_pretty(&profiles).expect("json")
    );
    let order: Vec<&str> = AgentKind::ALL.iter().map(|a| a.as_str()).collect();
    let _ = writeln!(
        ts,
        "/** The agents, in the backend's order. */\nexport const AGENT_KINDS: readonly AgentKind[] = {};\n",
        serde_json::to_string(&order).expect("json")
    );
    let _ = writeln!(
        ts,
        "/** Every status. */\nexport const STATUS_STATES: readonly SessionStatus[\"state\"][] = {};\n",
        serde_json::to_string(&SessionStatus::NAMES).expect("json")
    );
    let _ = writeln!(
        ts,
        "/** Statuses in which a session is live (a process may be attached; it can be ended). */\nexport const LIVE_STATES: readonly SessionStatus[\"state\"][] = {};",
        serde_json::to_string(&SessionStatus::LIVE_NAMES).expect("json")
    );
    ts
}

/// Everything the backend emits to the page, one app event each: the variant's tag is the
/// event's name, its fields the payload.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "event", content = "payload", rename_all = "kebab-case")]
pub enum AppEvent {
    /// After any change to a session (environment values redacted).
    SessionChanged { session: Box<Session> },
    /// After a session was deleted.
    SessionDeleted { id: String },
    /// A tool permission was asked for, answered or cancelled.
    PermissionChanged { request: Box<PermissionRequest> },
    /// The page missed `missed` events (it fell behind): re-read the list.
    SessionsResync {
        #[ts(type = "number")]
        missed: u64,
    },
    /// The tray asks to open this session in the window.
    OpenSession { id: String },
    /// The tray asks for the New-session form.
    NewSession {},
    /// A session's worktree changed (after a turn, a checkpoint, a restore): its latest stats.
    WorkspaceChanged { workspace: Box<Workspace> },
    /// Output stored by an older version is being converted to the compressed store.
    OutputConversion { progress: OutputConversion },
}

/// [`AppEvent::SessionChanged`]'s name, for Rust listeners (tests).
pub const SESSION_CHANGED: &str = "session-changed";
/// [`AppEvent::SessionDeleted`]'s name.
pub const SESSION_DELETED: &str = "session-deleted";
/// [`AppEvent::PermissionChanged`]'s name.
pub const PERMISSION_CHANGED: &str = "permission-changed";
/// [`AppEvent::SessionsResync`]'s name.
pub const SESSIONS_RESYNC: &str = "sessions-resync";
/// [`AppEvent::OpenSession`]'s name.
pub const OPEN_SESSION: &str = "open-session";
/// [`AppEvent::NewSession`]'s name.
pub const NEW_SESSION: &str = "new-session";
/// [`AppEvent::WorkspaceChanged`]'s name.
pub const WORKSPACE_CHANGED: &str = "workspace-changed";
/// [`AppEvent::OutputConversion`]'s name.
pub const OUTPUT_CONVERSION: &str = "output-conversion";

impl AppEvent {
    /// The event's name (the serde tag; a unit test holds the two together).
    pub fn name(&self) -> &'static str {
        match self {
            AppEvent::SessionChanged { .. } => SESSION_CHANGED,
            AppEvent::SessionDeleted { .. } => SESSION_DELETED,
            AppEvent::PermissionChanged { .. } => PERMISSION_CHANGED,
            AppEvent::SessionsResync { .. } => SESSIONS_RESYNC,
            AppEvent::OpenSession { .. } => OPEN_SESSION,
            AppEvent::NewSession {} => NEW_SESSION,
            AppEvent::WorkspaceChanged { .. } => WORKSPACE_CHANGED,
            AppEvent::OutputConversion { .. } => OUTPUT_CONVERSION,
        }
    }

    /// The payload the page's listener receives.
    pub fn payload(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut o)) => o.remove("payload").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Sends this event to every window.
    pub fn emit<R: tauri::Runtime>(&self, app: &impl tauri::Emitter<R>) -> tauri::Result<()> {
        app.emit(self.name(), self.payload())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_names_are_camel_cased_like_tauri_does() {
        assert_eq!(camel_case("after_seq"), "afterSeq");
        assert_eq!(camel_case("id"), "id");
        assert_eq!(camel_case("request_id"), "requestId");
    }

    #[test]
    fn event_names_are_the_serde_tags() {
        for ev in [
            AppEvent::SessionDeleted { id: "x".into() },
            AppEvent::SessionsResync { missed: 3 },
            AppEvent::OpenSession { id: "x".into() },
            AppEvent::NewSession {},
            AppEvent::OutputConversion { progress: OutputConversion { moved: 1, total: 2, done: false } },
        ] {
            let v = serde_json::to_value(&ev).unwrap_or_default();
            assert_eq!(v["event"], ev.name());
        }
        assert_eq!(AppEvent::NewSession {}.payload(), serde_json::json!({}));
        assert_eq!(AppEvent::OpenSession { id: "a".into() }.payload(), serde_json::json!({ "id": "a" }));
    }

    #[test]
    fn every_command_is_listed_once() {
        let mut names = COMMANDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        assert_eq!(specs().len(), COMMANDS.len());
    }
}
