//! The command line: parsed before Tauri starts; a subcommand runs headless over the same
//! data directory and exits. JSON output uses the engine's snake_case field names.
//!
//! What reaches the terminal: sessions are printed [`Session::redacted`] (environment names,
//! never their values); text an agent or a program wrote goes through [`terminal_safe`]
//! (escape sequences and control characters removed); errors go to stderr, one line each.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::json;
use switchboard_core::workspace::WorktreeRequest;
use switchboard_core::{
    AgentKind, Engine, EntryView, Error, NewSession, OutputItem, PermissionMode, RunMode, Session, SessionConfig, SessionFilter,
    SessionOrigin, SessionStatus,
};

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Start, watch and steer coding-agent sessions.",
    after_help = "With no command, the desktop app starts."
)]
pub struct Cli {
    /// Where sessions are stored [default: $SWITCHBOARD_DATA_DIR, else ~/.local/share/switchboard]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List sessions, newest first
    Ls {
        /// Only sessions in this status (starting, running, idle, waiting_input, compacting, ended, error, expired, interrupted); repeatable
        #[arg(long)]
        status: Vec<String>,
        /// Only sessions of this agent (claude, codex, gemini, command)
        #[arg(long)]
        agent: Option<String>,
        /// Only sessions linked to this task
        #[arg(long)]
        task: Option<String>,
        /// Only sessions started this way: switchboard, or terminal (Claude Code run outside Switchboard, imported)
        #[arg(long)]
        origin: Option<String>,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Import Claude Code sessions started outside Switchboard from their transcripts
    /// (~/.claude/projects, or under $CLAUDE_CONFIG_DIR); only new lines are read, and
    /// nothing is ever written there
    Import {
        /// Claude Code's config folder [default: $CLAUDE_CONFIG_DIR, else ~/.claude]
        #[arg(long, value_name = "DIR")]
        claude_dir: Option<PathBuf>,
        /// Print the counts as JSON
        #[arg(long)]
        json: bool,
    },
    /// Start a session and run one turn to its end (a command: until it exits)
    Run {
        /// claude, codex, gemini or command
        #[arg(long)]
        agent: String,
        /// The folder to work in
        #[arg(long, default_value = ".")]
        cwd: PathBuf,
        #[arg(long)]
        task: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        max_turns: Option<u32>,
        /// default, acceptEdits, bypassPermissions or plan
        #[arg(long)]
        permission_mode: Option<String>,
        #[arg(long)]
        append_system_prompt: Option<String>,
        /// Claude only: terminal (the interactive CLI in a terminal Switchboard hosts, on your
        /// plan; shown here until it exits) or headless (`claude -p`) [default: the setting]
        #[arg(long)]
        mode: Option<String>,
        /// The first prompt (instead of the words after `--`); optional in terminal mode
        #[arg(long, conflicts_with = "words")]
        prompt: Option<String>,
        /// Print the session as JSON at the end instead of streaming its output
        #[arg(long)]
        json: bool,
        /// Run in the folder itself, not in a git worktree of its own (the default inside a
        /// git repository is a new worktree and branch under the data dir)
        #[arg(long, conflicts_with_all = ["base", "branch"])]
        no_worktree: bool,
        /// The worktree's base branch or commit [default: the folder's current branch]
        #[arg(long)]
        base: Option<String>,
        /// The worktree's new branch [default: switchboard/<title>-<short id>]
        #[arg(long)]
        branch: Option<String>,
        /// The prompt (agents), or the program and its arguments (command)
        #[arg(last = true, num_args = 1..)]
        words: Vec<String>,
    },
    /// Show one session
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        /// Also print its output
        #[arg(long)]
        output: bool,
    },
    /// Send a message to a session (resuming it if needed) and run one turn
    Send {
        id: String,
        text: String,
        #[arg(long)]
        json: bool,
        /// Give up waiting for the answer after this many seconds
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// What a session changed in its worktree, against the merge-base with its base branch
    /// (committed, uncommitted and untracked files): the unified diff
    Diff {
        id: String,
        /// Only the files with their added/removed line counts
        #[arg(long)]
        stat: bool,
        /// Print JSON: the files and counts (and, without --stat, the diff text as `diff`)
        #[arg(long)]
        json: bool,
    },
    /// A session's checkpoints (its worktree after each turn)
    Checkpoints {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Put a session's worktree back to checkpoint N (the current state is checkpointed first)
    Restore { id: String, n: u32 },
    /// Commit everything uncommitted in a session's worktree on its branch
    Commit {
        id: String,
        /// The commit message
        #[arg(short, long)]
        message: String,
    },
    /// Land a session's branch on its base: conflicts are checked before anything is written
    /// (and listed; exit 1); a base checkout with uncommitted changes is refused
    Land {
        id: String,
        /// Move the base to the branch's tip (refused when the base has moved on)
        #[arg(long, group = "how")]
        ff: bool,
        /// A merge commit on the base
        #[arg(long, group = "how")]
        merge: bool,
        /// One commit on the base with all the branch's changes
        #[arg(long, group = "how")]
        squash: bool,
        /// Replay the branch's commits onto the base's tip (the base does not move)
        #[arg(long, group = "how")]
        rebase: bool,
        /// The merge or squash commit's message
        #[arg(short, long)]
        message: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show or set the worktree setup of the repository DIR is in: files or globs copied from
    /// the main checkout into each new worktree, and a command run there before the agent
    RepoSetup {
        #[arg(long, default_value = ".")]
        cwd: PathBuf,
        /// A file or glob to copy (repeatable; replaces the list)
        #[arg(long)]
        copy: Vec<String>,
        /// The setup command (run with sh -c in the new worktree)
        #[arg(long)]
        setup_command: Option<String>,
        /// Where its new worktrees go: an absolute folder, or one relative to the repository
        /// ("" for the default, under the data dir)
        #[arg(long)]
        worktree_dir: Option<String>,
        /// Forget this repository's setup
        #[arg(long, conflicts_with_all = ["copy", "setup_command", "worktree_dir"])]
        clear: bool,
        #[arg(long)]
        json: bool,
    },
    /// End a session (its process is stopped; the history is kept)
    End { id: String },
    /// Delete a session with its output and task log (its worktree and branch are kept
    /// unless --worktree)
    Rm {
        id: String,
        /// Also remove its worktree, branch and checkpoints, even with unmerged or uncommitted work
        #[arg(long)]
        worktree: bool,
    },
    /// Worktrees under the data dir that no session works in (left by deleted sessions or a
    /// crash); with --remove PATH…, remove those (their branches are kept)
    Cleanup {
        #[arg(long, num_args = 1..)]
        remove: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Totals over all sessions
    Metrics {
        #[arg(long)]
        json: bool,
    },
    /// Tool permissions agents are waiting for
    Pending {
        #[arg(long)]
        json: bool,
    },
    /// Allow a pending tool permission
    Allow {
        session: String,
        request: String,
        /// Also allow later matching requests while this agent process runs (a rule scoped
        /// to the tool and a command prefix or a path; default: the one `pending` proposes)
        #[arg(long)]
        always: bool,
        /// With --always, for Bash: allow commands starting with these words (e.g. "npm test")
        #[arg(long, requires = "always", conflicts_with = "path")]
        prefix: Option<String>,
        /// With --always, for file tools: allow paths matching this absolute glob (FILE, DIR/* or DIR/**)
        #[arg(long, requires = "always")]
        path: Option<String>,
    },
    /// Deny a pending tool permission
    Deny {
        session: String,
        request: String,
        /// Told to the agent
        #[arg(long, default_value = "Denied by the user")]
        message: String,
    },
    /// The "allow for this session" rules in force for a session's agent process
    Rules {
        session: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one of a session's rules: matching requests are asked again
    Revoke { session: String, rule: i64 },
    /// A task's sessions and its log
    Task {
        task: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs a subcommand; returns the process exit code.
pub async fn run(engine: &Engine, command: Command) -> switchboard_core::Result<i32> {
    // Whichever Switchboard process opens the store first settles what a crashed or
    // killed one left behind (its agents stopped, its sessions Interrupted). Sessions of
    // a Switchboard that is still running are left to it.
    if let Err(e) = engine.reconcile().await {
        tracing::warn!(error = %e, "could not reconcile sessions left by another Switchboard");
    }
    let mut out = std::io::stdout().lock();
    match command {
        Command::Ls { status, agent, task, origin, json } => {
            let filter = SessionFilter {
                statuses: status,
                agent: agent.map(|a| a.parse::<AgentKind>()).transpose()?,
                origin: origin.map(|o| o.parse::<SessionOrigin>()).transpose()?,
                task_id: task,
                ..Default::default()
            };
            let sessions: Vec<Session> = engine.list(&filter)?.iter().map(Session::redacted).collect();
            if json {
                print_json(&mut out, &sessions)?;
            } else {
                print_table(&mut out, &sessions);
            }
            // Rows that cannot be read are left out of the list, never silently.
            let corrupt = engine.corrupt_sessions();
            if !corrupt.is_empty() {
                eprintln!("switchboard: {} stored session(s) could not be read and are not listed:", corrupt.len());
                for (id, why) in corrupt.iter().take(20) {
                    eprintln!("  {}: {}", terminal_safe(&switchboard_core::error::shorten(id, 60)), terminal_safe(why));
                }
            }
            Ok(0)
        }
        Command::Run {
            agent,
            cwd,
            task,
            title,
            model,
            max_turns,
            permission_mode,
            append_system_prompt,
            mode,
            prompt,
            json,
            no_worktree,
            base,
            branch,
            words,
        } => {
            let agent: AgentKind = agent.parse()?;
            let mode = match mode.as_deref() {
                Some(m) => m.parse::<RunMode>()?,
                None if agent == AgentKind::Claude => engine.settings()?.default_mode,
                None => RunMode::Headless,
            };
            let words = match prompt {
                Some(p) => vec![p],
                None => words,
            };
            if words.is_empty() && mode != RunMode::Terminal {
                let what = if agent == AgentKind::Command { "the program to run" } else { "a prompt" };
                return Err(Error::invalid("prompt", format!("give {what} after `--` (or --prompt)")));
            }
            // A blank --cwd would otherwise become "<here>/ " and then, trimmed, the current folder.
            if cwd.to_string_lossy().trim().is_empty() {
                return Err(Error::invalid("cwd", "The folder is required."));
            }
            let cwd = std::path::absolute(&cwd).map_err(|e| Error::invalid("cwd", format!("bad folder: {e}")))?;
            let permission_mode = match permission_mode.as_deref() {
                None | Some("default") => PermissionMode::Default,
                Some("acceptEdits") => PermissionMode::AcceptEdits,
                Some("bypassPermissions") => PermissionMode::BypassPermissions,
                Some("plan") => PermissionMode::Plan,
                Some(other) => {
                    let other = switchboard_core::error::shorten(other, switchboard_core::error::MAX_VALUE_IN_ERROR);
                    return Err(Error::invalid(
                        "permission_mode",
                        format!("unknown permission mode '{other}' (default, acceptEdits, bypassPermissions, plan)"),
                    ));
                }
            };
            let mut config = SessionConfig { model, max_turns, permission_mode, append_system_prompt, mode, ..Default::default() };
            if agent == AgentKind::Command {
                config.program = words.first().cloned();
                config.args = words.get(1..).unwrap_or_default().to_vec();
            } else if !words.is_empty() {
                config.prompt = Some(words.join(" "));
            }
            // Own worktree: on by default inside a git repository, off outside one (as
            // before); --base or --branch ask for one (refused outside a repository).
            let in_repo = !no_worktree && base.is_none() && branch.is_none() && switchboard_core::workspace::probe(&cwd).await?.is_some();
            let worktree = (in_repo || base.is_some() || branch.is_some()).then_some(WorktreeRequest { base, branch });
            let req = NewSession {
                agent: Some(agent),
                cwd: cwd.to_string_lossy().into(),
                title,
                task_id: task,
                config,
                worktree,
                ..Default::default()
            };
            let session = engine.create(req).await?;
            if !json {
                let _ = writeln!(out, "session {} ({})", session.id, session.agent);
                if let Some(w) = engine.workspace(&session.id)? {
                    let _ = writeln!(
                        out,
                        "worktree {} on branch {} (from {})",
                        terminal_safe(&w.path),
                        terminal_safe(&w.branch),
                        terminal_safe(&w.base)
                    );
                }
            }
            let session = if mode == RunMode::Terminal {
                drop(out);
                let session = crate::cli_terminal::show(engine, &session, json).await?;
                out = std::io::stdout().lock();
                session
            } else {
                run_turn(engine, &session.id, !json, &mut out).await?
            };
            if json {
                print_json(&mut out, &session.redacted())?;
            }
            report_failure(&session);
            Ok(exit_code(&session))
        }
        Command::Diff { id, stat, json } => {
            let changes = engine.changes(&id).await?;
            let text = if stat { None } else { Some(engine.diff(&id, &changes.merge_base, &changes.tree, None).await?) };
            if json {
                let mut v = serde_json::to_value(&changes).map_err(|e| Error::Corrupt(e.to_string()))?;
                if let Some(d) = &text {
                    v["diff"] = json!(d.text);
                    v["diff_cut"] = json!(d.cut);
                }
                print_json(&mut out, &v)?;
            } else if let Some(d) = text {
                let _ = write!(out, "{}", terminal_safe(&d.text));
                if d.cut {
                    eprintln!("switchboard: the diff was cut at {} MiB", switchboard_core::workspace::MAX_FILE_DIFF_BYTES / (1024 * 1024));
                }
            } else {
                for f in &changes.files {
                    let counts = if f.binary { "binary".to_string() } else { format!("+{} -{}", f.added, f.removed) };
                    let renamed = f.old_path.as_deref().map(|o| format!(" (from {})", terminal_safe(o))).unwrap_or_default();
                    let _ = writeln!(out, "{counts:>14}  {}{renamed}", terminal_safe(&f.path));
                }
                let s = changes.stats;
                let _ = writeln!(
                    out,
                    "{} file(s) changed, +{} -{} on {} against {} ({})",
                    s.files,
                    s.added,
                    s.removed,
                    terminal_safe(&changes.branch),
                    terminal_safe(&changes.base),
                    &changes.merge_base[..changes.merge_base.len().min(12)]
                );
                if changes.files_cut {
                    eprintln!("switchboard: only the first {} files are listed", changes.files.len());
                }
            }
            Ok(0)
        }
        Command::Checkpoints { id, json } => {
            let list = engine.checkpoints(&id).await?;
            if json {
                print_json(&mut out, &list)?;
            } else {
                for c in &list {
                    let _ = writeln!(
                        out,
                        "{:>4}  {}  {}  {}",
                        c.n,
                        &c.commit[..12.min(c.commit.len())],
                        c.at.format("%Y-%m-%d %H:%M:%S"),
                        terminal_safe(&c.label)
                    );
                }
            }
            Ok(0)
        }
        Command::Restore { id, n } => {
            let before = engine.restore_checkpoint(&id, n).await?;
            let _ = writeln!(out, "restored checkpoint {n}; the state it replaced is checkpoint {} (restore it to undo)", before.n);
            Ok(0)
        }
        Command::Show { id, json, output } => {
            let session = engine.get(&id)?.redacted();
            if json {
                let mut v = serde_json::to_value(&session).map_err(|e| Error::Corrupt(e.to_string()))?;
                if output {
                    let items: Vec<OutputItem> =
                        engine.output(&id, 0, switchboard_core::MAX_PAGE)?.iter().map(OutputItem::from_entry).collect();
                    v["output"] = serde_json::to_value(items).map_err(|e| Error::Corrupt(e.to_string()))?;
                }
                print_json(&mut out, &v)?;
            } else {
                print_session(&mut out, &session);
                if output {
                    let _ = writeln!(out);
                    let mut after = 0;
                    loop {
                        let page = engine.output(&id, after, 1000)?;
                        let Some(last) = page.last() else { break };
                        after = last.seq;
                        for e in &page {
                            print_item(&mut out, &OutputItem::from_entry(e));
                        }
                    }
                }
            }
            Ok(0)
        }
        Command::Send { id, text, json, timeout } => {
            let result = engine.send(&id, &text, Duration::from_secs(timeout)).await?;
            // This process is about to exit: let the agent go (the session stays resumable).
            let session = settle(engine, &id).await?.redacted();
            if json {
                print_json(
                    &mut out,
                    &json!({ "success": result.success, "output": result.output, "error": result.error, "duration_ms": result.duration_ms, "session": session }),
                )?;
            } else if let Some(text) = &result.output {
                put(&mut out, text);
            }
            if !result.success {
                // Also with --json: stdout carries the data, stderr says what went wrong.
                print_error(result.error.as_deref().unwrap_or("the turn failed"));
            }
            Ok(if result.success { 0 } else { 1 })
        }
        Command::End { id } => {
            let s = engine.end(&id).await?;
            put(&mut out, &format!("{} {}", s.id, s.status));
            Ok(0)
        }
        Command::Import { claude_dir, json } => {
            // The saved folder choices apply; --claude-dir overrides the saved folder.
            let mut options = engine.settings()?.terminal_sessions;
            if let Some(dir) = claude_dir {
                options.claude_dir = Some(dir.to_string_lossy().into_owned());
            }
            let importer = engine.clone();
            let report = tokio::task::spawn_blocking(move || importer.import_terminal_sessions(&options))
                .await
                .map_err(|e| Error::io("importing", std::io::Error::other(e.to_string())))??;
            if json {
                print_json(&mut out, &report)?;
            } else {
                put(
                    &mut out,
                    &format!(
                        "{} transcripts: {} new sessions, {} updated, {} lines ({} kept raw), {} of Switchboard's own skipped",
                        report.transcripts, report.sessions_new, report.sessions_updated, report.lines, report.raw_lines, report.managed
                    ),
                );
            }
            for f in &report.failed {
                eprintln!("switchboard: could not import {}", terminal_safe(f));
            }
            Ok(if report.failed.is_empty() { 0 } else { 1 })
        }
        Command::Rm { id, worktree } => {
            if !worktree {
                if let Some(c) = engine.removal_check(&id).await.ok().flatten().filter(|c| c.exists) {
                    eprintln!(
                        "switchboard: its worktree is kept ({} unmerged commit(s), {} uncommitted file(s)); `switchboard cleanup` lists it",
                        c.unmerged_commits, c.uncommitted_files
                    );
                }
            }
            engine.delete_with_worktree(&id, worktree).await?;
            put(&mut out, &format!("deleted {id}"));
            Ok(0)
        }
        Command::RepoSetup { cwd, copy, setup_command, worktree_dir, clear, json } => {
            let cwd = std::fs::canonicalize(&cwd).map_err(|e| Error::io(format!("cannot read {}", cwd.display()), e))?;
            let cwd = cwd.to_string_lossy().into_owned();
            let Some((root, mut setup)) = engine.repo_setup(&cwd).await? else {
                return Err(Error::invalid("cwd", format!("'{cwd}' is not in a git repository")));
            };
            if clear {
                setup = engine.save_repo_setup(&cwd, Default::default()).await?;
            } else if !copy.is_empty() || setup_command.is_some() || worktree_dir.is_some() {
                if let Some(d) = worktree_dir {
                    setup.worktree_dir = Some(d).filter(|d| !d.trim().is_empty());
                }
                if !copy.is_empty() {
                    setup.copy_files = copy;
                }
                if let Some(c) = setup_command {
                    setup.setup_command = Some(c).filter(|c| !c.trim().is_empty());
                }
                setup = engine.save_repo_setup(&cwd, setup).await?;
            }
            if json {
                print_json(
                    &mut out,
                    &json!({ "repo_root": root, "copy_files": setup.copy_files, "setup_command": setup.setup_command, "worktree_dir": setup.worktree_dir }),
                )?;
            } else {
                let _ = writeln!(out, "repository: {}", terminal_safe(&root));
                let copy = if setup.copy_files.is_empty() { "(nothing)".to_string() } else { setup.copy_files.join(" ") };
                let _ = writeln!(out, "copy: {}", terminal_safe(&copy));
                let _ = writeln!(out, "setup command: {}", terminal_safe(setup.setup_command.as_deref().unwrap_or("(none)")));
                let place = setup.worktree_dir.as_deref().unwrap_or("(default: under the data dir)");
                let _ = writeln!(out, "worktree folder: {}", terminal_safe(place));
            }
            Ok(0)
        }
        Command::Commit { id, message } => {
            let commit = engine.commit_work(&id, &message).await?;
            put(&mut out, &commit);
            Ok(0)
        }
        Command::Land { id, ff, merge: _, squash, rebase, message, json } => {
            use switchboard_core::workspace::LandMethod;
            let method = if ff {
                LandMethod::FastForward
            } else if squash {
                LandMethod::Squash
            } else if rebase {
                LandMethod::Rebase
            } else {
                LandMethod::Merge
            };
            let outcome = engine.land(&id, method, message.as_deref()).await?;
            if json {
                print_json(&mut out, &outcome)?;
            } else {
                put(&mut out, &terminal_safe(&outcome.message));
                for f in &outcome.conflicts {
                    let _ = writeln!(out, "  conflict: {}", terminal_safe(f));
                }
            }
            Ok(if outcome.landed { 0 } else { 1 })
        }
        Command::Cleanup { remove, json } => {
            if !remove.is_empty() {
                for p in engine.remove_orphan_worktrees(&remove).await? {
                    put(&mut out, &format!("removed {}", terminal_safe(&p)));
                }
                return Ok(0);
            }
            let list = engine.orphan_worktrees().await?;
            if json {
                print_json(&mut out, &list)?;
            } else {
                for o in &list {
                    let _ = writeln!(
                        out,
                        "{}  {}  {} uncommitted file(s)  {}",
                        terminal_safe(&o.path),
                        terminal_safe(o.branch.as_deref().unwrap_or("(detached)")),
                        o.uncommitted_files,
                        terminal_safe(o.repo_root.as_deref().unwrap_or("(repository gone)"))
                    );
                }
            }
            Ok(0)
        }
        Command::Metrics { json } => {
            let m = engine.metrics()?;
            if json {
                print_json(&mut out, &m)?;
            } else {
                let _ = writeln!(out, "sessions: {} ({} live, {} errors, {} ever created)", m.total, m.active, m.errors, m.total_created);
                let _ = writeln!(out, "by status: {}", m.by_status.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
                let _ = writeln!(out, "by agent: {}", m.by_agent.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
                let _ = writeln!(out, "average duration: {:.1} s", m.avg_duration_ms / 1000.0);
                let _ = writeln!(out, "tokens: {} in, {} out; cost ${:.4}", m.input_tokens, m.output_tokens, m.cost_usd);
            }
            Ok(0)
        }
        Command::Pending { json } => {
            let pending = engine.pending_permissions(None)?;
            if json {
                print_json(&mut out, &pending)?;
            } else if pending.is_empty() {
                let _ = writeln!(out, "Nothing is waiting for you.");
            } else {
                // The whole input, not the one-line gist: `allow` approves exactly this.
                for p in &pending {
                    let _ = writeln!(out, "{}  {}  {}", p.session_id, p.request_id, p.tool_name);
                    for line in switchboard_core::describe_input(&p.tool_name, &p.input).lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                    if let Some(rule) = &p.proposed_rule {
                        let _ = writeln!(out, "  --always would save: {}", switchboard_core::permission_rules::label(&p.tool_name, rule));
                    }
                }
            }
            Ok(0)
        }
        Command::Allow { session, request, always, prefix, path } => {
            let rule = match (prefix, path) {
                (Some(prefix), _) => Some(switchboard_core::RuleScope::Command { prefix }),
                (None, Some(glob)) => Some(switchboard_core::RuleScope::Path { glob }),
                (None, None) => None,
            };
            let p = engine.decide(
                &session,
                &request,
                switchboard_core::PermissionDecision::Allow { updated_input: None, always, rule },
                switchboard_core::Decider::Cli,
            )?;
            let _ = writeln!(out, "allowed: {}", p.gist);
            if always {
                let saved = engine.permission_rules(&session)?.into_iter().find(|r| r.request_id == request);
                match saved {
                    Some(r) => {
                        let _ = writeln!(
                            out,
                            "saved rule {}: {} (while this agent process runs; revoke with: switchboard revoke {session} {})",
                            r.id, r.label, r.id
                        );
                    }
                    None => {
                        let _ = writeln!(out, "no rule is in force: the agent is no longer running");
                    }
                }
            }
            Ok(0)
        }
        Command::Rules { session, json } => {
            let rules = engine.permission_rules(&session)?;
            if json {
                print_json(&mut out, &rules)?;
            } else if rules.is_empty() {
                let _ = writeln!(out, "No rules: every tool use is asked.");
            } else {
                for r in &rules {
                    let _ = writeln!(out, "{}  {}", r.id, r.label);
                }
            }
            Ok(0)
        }
        Command::Revoke { session, rule } => {
            engine.revoke_permission_rule(&session, rule)?;
            let _ = writeln!(out, "revoked rule {rule}");
            Ok(0)
        }
        Command::Deny { session, request, message } => {
            let p = engine.decide(
                &session,
                &request,
                switchboard_core::PermissionDecision::Deny { message },
                switchboard_core::Decider::Cli,
            )?;
            let _ = writeln!(out, "denied: {}", p.gist);
            Ok(0)
        }
        Command::Task { task, json } => {
            let sessions: Vec<Session> =
                engine.list(&SessionFilter { task_id: Some(task.clone()), ..Default::default() })?.iter().map(Session::redacted).collect();
            let log = engine.task_log(&task)?;
            if json {
                print_json(&mut out, &json!({ "task_id": task, "sessions": sessions, "log": log }))?;
            } else {
                print_table(&mut out, &sessions);
                let _ = writeln!(out);
                for e in &log {
                    put(&mut out, &format!("{}  {:<18} {}  {}", e.ts.format("%Y-%m-%d %H:%M:%S"), e.kind.as_str(), e.session_id, e.detail));
                }
            }
            Ok(0)
        }
    }
}

/// Streams a session's output until its current turn (or its process) is over, then lets
/// an agent's process go so this command can exit. Returns the session as it ended.
async fn run_turn(engine: &Engine, id: &str, stream: bool, out: &mut impl Write) -> switchboard_core::Result<Session> {
    let mut turn = engine.follow_turn(id, 0)?;
    let mut typed = Typed::default();
    while let Some(update) = turn.next_update(1000).await? {
        if stream {
            for e in &update.entries {
                typed.print_item(out, &OutputItem::from_entry(e));
            }
            if let Some(partial) = update.partial {
                typed.print_partial(out, &partial);
            }
            let _ = out.flush();
        }
    }
    typed.finish(out);
    settle(engine, id).await
}

/// Live typing in a terminal: the text the agent is still writing is printed as it comes;
/// its final entry then prints only what was not printed yet (the same bytes in the end as
/// printing the whole message at once).
#[derive(Default)]
struct Typed {
    /// What was printed of the message being written (terminal-safe, as printed).
    printed: String,
}

impl Typed {
    fn print_partial(&mut self, out: &mut impl Write, partial: &switchboard_core::PartialUpdate) {
        if partial.done_through.is_some() {
            return; // its final entry (printed with the items) finished the line
        }
        if !partial.append {
            self.finish(out); // a new message: the old one's line is over
        }
        let text = terminal_safe(&partial.text);
        let _ = out.write_all(text.as_bytes());
        self.printed.push_str(&text);
    }

    fn print_item(&mut self, out: &mut impl Write, item: &OutputItem) {
        // Stderr goes to its own stream: it does not cut the line being typed.
        if self.printed.is_empty() || matches!(item.view, EntryView::Stderr { .. }) {
            return print_item(out, item);
        }
        if let EntryView::AssistantText { text } = &item.view {
            let whole = terminal_safe(text);
            if let Some(rest) = whole.strip_prefix(self.printed.as_str()) {
                let _ = writeln!(out, "{rest}");
                self.printed.clear();
                return;
            }
        }
        self.finish(out);
        print_item(out, item);
    }

    /// Ends a line left open by partial text that no final entry finished.
    fn finish(&mut self, out: &mut impl Write) {
        if !self.printed.is_empty() {
            let _ = writeln!(out);
            self.printed.clear();
        }
    }
}

/// Before the CLI exits: a live agent session is ended gracefully (Claude keeps its
/// conversation, so `switchboard send` resumes it later).
pub(crate) async fn settle(engine: &Engine, id: &str) -> switchboard_core::Result<Session> {
    let s = engine.get(id)?;
    if s.status.is_live() && engine.foreign_owner(id)?.is_none() {
        return engine.end(id).await;
    }
    Ok(s)
}

/// A session that ended in error says why on stderr (its output, on stdout, may be JSON or
/// may have scrolled away): "switchboard: could not start 'x': no such program …".
fn report_failure(s: &Session) {
    if let SessionStatus::Error { message } = &s.status {
        print_error(message);
    }
}

/// Writes one error line to stderr: `switchboard: <message>`, made terminal-safe and cut to
/// [`MAX_ERROR_LINE_CHARS`] (values in core errors are already shortened at the source;
/// this is the backstop for messages that carry a program's own text).
pub fn print_error(message: &str) {
    let line = switchboard_core::error::shorten(&terminal_safe(message).replace('\n', " "), MAX_ERROR_LINE_CHARS);
    eprintln!("switchboard: {line}");
}

/// An error line is cut after this many characters: several lines of a terminal, enough for
/// the longest message the engine writes (an install hint with a path).
pub const MAX_ERROR_LINE_CHARS: usize = 600;

/// `text` made safe to write to a terminal: escape sequences (CSI `ESC [ … final`, OSC
/// `ESC ] … BEL/ST` — clipboard writes, title changes, hyperlinks —, DCS/APC/PM strings and
/// two-byte `ESC x`) are removed whole, and every other C0/C1 control character except `\n`
/// and `\t` is dropped (`\r` too: it lets a line overwrite what came before it).
///
/// Applied to all text output, terminal or not: a pipe often ends at a terminal anyway
/// (`| less -R`, `| tee`, a log `cat`-ed later), and the exact bytes stay available in the
/// `--json` output, where JSON escapes them.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let is_unsafe = |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Text,
        /// After ESC.
        Escape,
        /// Inside `ESC [ …` until a final byte (0x40–0x7E).
        Csi,
        /// Inside an OSC/DCS/APC/PM/SOS string until BEL or ST (`ESC \`); `true` after an ESC.
        Str(bool),
    }
    let mut out = String::with_capacity(text.len());
    let mut state = State::Text;
    for c in text.chars() {
        state = match state {
            State::Text => match c {
                '\u{1b}' => State::Escape,
                '\u{9b}' => State::Csi,
                '\u{90}' | '\u{9d}' | '\u{9e}' | '\u{9f}' | '\u{98}' => State::Str(false),
                c if is_unsafe(c) => State::Text,
                c => {
                    out.push(c);
                    State::Text
                }
            },
            State::Escape => match c {
                '[' => State::Csi,
                ']' | 'P' | '_' | '^' | 'X' => State::Str(false),
                _ => State::Text,
            },
            State::Csi => match c {
                '\u{40}'..='\u{7e}' => State::Text,
                _ => State::Csi,
            },
            State::Str(after_esc) => match c {
                '\u{7}' | '\u{9c}' => State::Text,
                '\\' if after_esc => State::Text,
                '\u{1b}' => State::Str(true),
                _ => State::Str(false),
            },
        };
    }
    Cow::Owned(out)
}

/// Writes `line` and a newline, terminal-safe.
fn put(out: &mut impl Write, line: &str) {
    let _ = writeln!(out, "{}", terminal_safe(line));
}

fn exit_code(s: &Session) -> i32 {
    match s.status {
        SessionStatus::Error { .. } => 1,
        _ if s.exit_code.is_some_and(|c| c != 0) => 1,
        _ => 0,
    }
}

/// Pretty JSON. serde_json escapes C0 controls but writes DEL and C1 controls (U+0080–U+009F,
/// which some terminals obey) as they are: those are escaped too — they can only occur
/// inside strings, so the JSON means the same.
fn print_json<T: serde::Serialize>(out: &mut impl Write, v: &T) -> switchboard_core::Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Error::Corrupt(e.to_string()))?;
    let text: String = if text.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c)) {
        text.chars().map(|c| if ('\u{7f}'..='\u{9f}').contains(&c) { format!("\\u{:04x}", c as u32) } else { c.to_string() }).collect()
    } else {
        text
    };
    let _ = writeln!(out, "{text}");
    Ok(())
}

fn print_table(out: &mut impl Write, sessions: &[Session]) {
    if sessions.is_empty() {
        let _ = writeln!(out, "No sessions. Start one in the app (New session), or: switchboard run --agent command -- echo hello");
        return;
    }
    let _ = writeln!(out, "{:<40} {:<8} {:<13} {:<11} {:<30} FOLDER", "ID", "AGENT", "STATUS", "ORIGIN", "TITLE");
    for s in sessions {
        let title: String = terminal_safe(&s.title).chars().take(30).collect();
        put(out, &format!("{:<40} {:<8} {:<13} {:<11} {:<30} {}", s.id, s.agent, s.status.name(), s.origin.as_str(), title, s.cwd));
    }
}

fn print_session(out: &mut impl Write, s: &Session) {
    let mut text = Vec::new();
    write_session(&mut text, s);
    let _ = out.write_all(terminal_safe(&String::from_utf8_lossy(&text)).as_bytes());
}

fn write_session(out: &mut impl Write, s: &Session) {
    let _ = writeln!(out, "{}  {}", s.id, s.title);
    let _ = writeln!(out, "  agent     {}", s.agent);
    let _ = writeln!(out, "  status    {}", s.status);
    let _ = writeln!(out, "  origin    {}", s.origin.as_str());
    let _ = writeln!(out, "  folder    {}", s.cwd);
    if let Some(t) = &s.task_id {
        let _ = writeln!(out, "  task      {t}");
    }
    if let Some(a) = &s.agent_session_id {
        let _ = writeln!(out, "  agent id  {a}");
    }
    let _ = writeln!(out, "  created   {}", s.created_at.format("%Y-%m-%d %H:%M:%S UTC"));
    let _ = writeln!(
        out,
        "  usage     {} turns, {} messages, {} in / {} out tokens, ${:.4}",
        s.turns, s.message_count, s.input_tokens, s.output_tokens, s.cost_usd
    );
    if let Some(e) = &s.last_error {
        let _ = writeln!(out, "  error     {e}");
    }
}

/// One output item as a person reads it in a terminal, terminal-safe.
fn print_item(out: &mut impl Write, item: &OutputItem) {
    if let EntryView::Stderr { text } = &item.view {
        eprintln!("{}", terminal_safe(text));
        return;
    }
    let mut text = Vec::new();
    write_item(&mut text, item);
    let _ = out.write_all(terminal_safe(&String::from_utf8_lossy(&text)).as_bytes());
}

fn write_item(out: &mut impl Write, item: &OutputItem) {
    let _ = match &item.view {
        EntryView::AssistantText { text } => writeln!(out, "{text}"),
        EntryView::UserText { text } => writeln!(out, "> {text}"),
        EntryView::ToolUse { name, input, .. } => {
            let gist = input
                .get("command")
                .or_else(|| input.get("file_path"))
                .and_then(|v| v.as_str())
                .map(String::from)
                .unwrap_or_else(|| input.to_string());
            writeln!(out, "[{name}] {gist}")
        }
        EntryView::ToolResult { content, is_error, .. } => {
            let short: String = content.chars().take(400).collect();
            writeln!(out, "  {}{}", if *is_error { "error: " } else { "→ " }, short.replace('\n', "\n    "))
        }
        EntryView::TurnResult { is_error, num_turns, cost_usd, text, errors, .. } => {
            if *is_error {
                writeln!(out, "-- turn failed: {}", text.clone().unwrap_or_else(|| errors.join("; ")))
            } else {
                writeln!(out, "-- done ({num_turns} turns, ${cost_usd:.4} so far)")
            }
        }
        EntryView::SystemInit { model, .. } => writeln!(out, "-- {} started", model.as_deref().unwrap_or("agent")),
        EntryView::ApiRetry { attempt, max_retries, .. } => writeln!(out, "-- retrying the API ({attempt}/{max_retries})"),
        EntryView::Line { text } | EntryView::Raw { text } => writeln!(out, "{text}"),
        EntryView::Stderr { .. } => Ok(()),
        EntryView::Lifecycle { text } => writeln!(out, "-- {text}"),
        EntryView::PermissionAsked { request_id, tool_name, input, .. } => writeln!(
            out,
            "?? {} — answer with: switchboard allow SESSION {request_id}  (or deny)",
            switchboard_core::gist(tool_name, input)
        ),
    };
}

/// Opens the engine for the CLI with the saved settings. [`run`] reconciles first: the
/// sessions of a Switchboard that is gone are settled, those of a running one left alone.
pub fn open_engine(data_dir: Option<&std::path::Path>) -> switchboard_core::Result<Engine> {
    Engine::open_configured(&switchboard_core::paths::resolve_data_dir(data_dir)?)
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn terminal_safe_removes_escape_sequences_whole_and_keeps_text() {
        assert_eq!(terminal_safe("plain\ttext"), "plain\ttext");
        // OSC 52 clipboard write (BEL), title change (ST), colour (CSI), C1 CSI, CR, DEL.
        let evil = "a\u{1b}]52;c;ZXZpbA==\u{7}b\u{1b}]0;owned\u{1b}\\c\u{1b}[31md\u{9b}2Je\rf\u{7f}g\u{1b}Ph\u{1b}\\i";
        assert_eq!(terminal_safe(evil), "abcdefgi");
        assert_eq!(terminal_safe("x\u{1b}7y\u{0}z\u{85}w"), "xyzw", "two-byte ESC sequences and stray controls");
        assert_eq!(terminal_safe("line 1\nline 2"), "line 1\nline 2");
        assert_eq!(terminal_safe("unterminated \u{1b}]52;c;abc"), "unterminated ", "an unterminated string swallows the rest");
    }
}
