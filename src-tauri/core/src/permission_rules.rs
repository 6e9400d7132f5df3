//! "Allow for this session" rules: which later tool uses are answered without asking.
//!
//! A rule names one tool and a scope, and never matches another tool:
//!
//! - **Bash** — a command prefix of whole words, shown as `Bash(npm test:*)`. A command
//!   matches when its first whitespace-separated words are exactly the prefix's words
//!   (`npm test` matches `npm test --watch`, not `npm testx`). A command holding any shell
//!   control or redirection ([`SHELL_CONTROL`]: `;` `&` `|` `` ` `` `$(` `<` `>` or a line
//!   break) anywhere is never matched, whatever the prefix and even inside quotes: it could
//!   run or write something beyond the prefix, so the person is asked. Being strict here
//!   only costs a prompt.
//! - **File tools** (Write, Edit, MultiEdit, Read, NotebookEdit) — an absolute path glob:
//!   the exact file, `DIR/*` (the files directly in DIR) or `DIR/**` (everything below
//!   DIR). Paths are compared after lexical normalisation (`.` and repeated `/` removed); a
//!   path with a `..` component or a relative path never matches. The engine also checks
//!   the path with its existing part resolved on disk (see `Engine::rule_allows`), so a
//!   symlink inside DIR pointing elsewhere does not widen the rule.
//! - **Any other tool** — every use of that tool (`WebFetch(*)`); the UI and the CLI say so.
//!
//! These functions are pure (no disk, no store): the tables in `tests/permissions.rs` pin
//! what must and must not match.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::{Error, Result};

/// Characters and sequences that make a Bash command never auto-allowed (see the module doc).
pub const SHELL_CONTROL: &[&str] = &[";", "&", "|", "`", "$(", "<", ">", "\n", "\r"];

/// The longest command prefix or path glob accepted, in characters: a rule is something a
/// person reads and edits, and every request is checked against every rule.
pub const MAX_RULE_CHARS: usize = 1_000;

/// How many words of a command the proposed prefix takes (`npm test`, `cargo build`).
pub const PROPOSED_PREFIX_WORDS: usize = 2;

/// The tools whose rules are path globs, and the input field that holds the path.
const PATH_TOOLS: &[(&str, &str)] =
    &[("Write", "file_path"), ("Edit", "file_path"), ("MultiEdit", "file_path"), ("Read", "file_path"), ("NotebookEdit", "notebook_path")];

/// What a rule allows within its tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleScope {
    /// Bash commands that start with these whole words.
    Command {
        /// The whole words a command must start with, separated by single spaces (`npm test`).
        prefix: String,
    },
    /// File paths matching this absolute glob (exact, `DIR/*` or `DIR/**`).
    Path {
        /// An absolute path: the exact file, `DIR/*` or `DIR/**`.
        glob: String,
    },
    /// Every use of the tool (tools without a command or a path).
    AnyInput,
}

/// A saved "Allow for this session" rule. It lasts as long as the agent process it was
/// saved for: a resumed session starts with none (see `Engine::permission_rules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PermissionRule {
    /// SQLite row id, unique across sessions; revoking a rule names it.
    #[ts(type = "number")]
    pub id: i64,
    /// The session whose agent process the rule answers for.
    pub session_id: String,
    /// The tool it allows (`Bash`, `Write`, `WebFetch`, …); it never matches another tool.
    pub tool_name: String,
    /// What it allows within the tool.
    pub scope: RuleScope,
    /// `Bash(npm test:*)`, `Write(/src/app/**)`, `WebFetch(*)`.
    pub label: String,
    /// The request whose answer saved it.
    pub request_id: String,
    /// When it was saved (UTC).
    #[ts(type = "string")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The input field holding the path for a file tool, or None for other tools.
pub fn path_field(tool: &str) -> Option<&'static str> {
    PATH_TOOLS.iter().find(|(t, _)| *t == tool).map(|(_, f)| *f)
}

/// The scope kind a tool's rules must have.
fn scope_fits(tool: &str, scope: &RuleScope) -> bool {
    match scope {
        RuleScope::Command { .. } => tool == "Bash",
        RuleScope::Path { .. } => path_field(tool).is_some(),
        RuleScope::AnyInput => tool != "Bash" && path_field(tool).is_none(),
    }
}

/// The rule offered when the person picks "Allow for this session" on this request: the
/// command's first [`PROPOSED_PREFIX_WORDS`] words (before any shell control), or the
/// file's folder and everything below it. None when there is nothing sensible to offer
/// (an empty command, a relative path).
pub fn propose(tool: &str, input: &Value) -> Option<RuleScope> {
    if tool == "Bash" {
        let command = input.get("command").and_then(Value::as_str)?;
        let cut = SHELL_CONTROL.iter().filter_map(|c| command.find(c)).min().unwrap_or(command.len());
        let words: Vec<&str> = command[..cut].split_whitespace().take(PROPOSED_PREFIX_WORDS).collect();
        return (!words.is_empty()).then(|| RuleScope::Command { prefix: words.join(" ") });
    }
    if let Some(field) = path_field(tool) {
        let path = normalise(input.get(field).and_then(Value::as_str)?)?;
        let glob = match path.rfind('/') {
            Some(0) | None => path,
            Some(i) => format!("{}/**", &path[..i]),
        };
        return Some(RuleScope::Path { glob });
    }
    Some(RuleScope::AnyInput)
}

/// Checks a rule a person is about to save for `tool` and returns it tidied (prefix words
/// joined by single spaces, the glob normalised). Refuses a scope of the wrong kind for the
/// tool, an empty or over-long prefix, a prefix holding shell control, a relative glob, a
/// glob with `..`, and wildcards other than a final `/*` or `/**`.
pub fn validate(tool: &str, scope: &RuleScope) -> Result<RuleScope> {
    if !scope_fits(tool, scope) {
        let want = if tool == "Bash" {
            "a command prefix"
        } else if path_field(tool).is_some() {
            "a path"
        } else {
            "any input"
        };
        return Err(Error::invalid("rule", format!("a rule for {tool} is scoped to {want}")));
    }
    match scope {
        RuleScope::Command { prefix } => {
            if prefix.chars().count() > MAX_RULE_CHARS {
                return Err(Error::invalid("prefix", format!("the prefix is longer than {MAX_RULE_CHARS} characters")));
            }
            if let Some(c) = SHELL_CONTROL.iter().find(|c| prefix.contains(**c)) {
                return Err(Error::invalid("prefix", format!("the prefix may not contain shell control ({:?})", c)));
            }
            let words: Vec<&str> = prefix.split_whitespace().collect();
            if words.is_empty() {
                return Err(Error::invalid("prefix", "the prefix is empty; name at least the program"));
            }
            Ok(RuleScope::Command { prefix: words.join(" ") })
        }
        RuleScope::Path { glob } => {
            if glob.chars().count() > MAX_RULE_CHARS {
                return Err(Error::invalid("path", format!("the path is longer than {MAX_RULE_CHARS} characters")));
            }
            let (base, tail) = split_glob(glob);
            if base.contains(['*', '?', '[', ']']) {
                return Err(Error::invalid("path", "only a final /* or /** may be a wildcard"));
            }
            if !base.starts_with('/') {
                return Err(Error::invalid("path", "the path must be absolute"));
            }
            let base = normalise(base).ok_or_else(|| Error::invalid("path", "the path may not contain '..'"))?;
            Ok(RuleScope::Path { glob: join_glob(&base, tail) })
        }
        RuleScope::AnyInput => Ok(RuleScope::AnyInput),
    }
}

/// The rule as people read it: `Bash(npm test:*)`, `Write(/src/**)`, `WebFetch(*)`.
pub fn label(tool: &str, scope: &RuleScope) -> String {
    match scope {
        RuleScope::Command { prefix } => format!("{tool}({prefix}:*)"),
        RuleScope::Path { glob } => format!("{tool}({glob})"),
        RuleScope::AnyInput => format!("{tool}(*)"),
    }
}

/// Whether a rule (`rule_tool`, `scope`) allows this use of `tool` with `input`, lexically.
/// A different tool, a missing field, shell control, `..` or a relative path: false.
pub fn matches(rule_tool: &str, scope: &RuleScope, tool: &str, input: &Value) -> bool {
    if rule_tool != tool || !scope_fits(tool, scope) {
        return false;
    }
    match scope {
        RuleScope::Command { prefix } => input.get("command").and_then(Value::as_str).is_some_and(|c| command_matches(prefix, c)),
        RuleScope::Path { glob } => {
            path_field(tool).and_then(|f| input.get(f)).and_then(Value::as_str).is_some_and(|p| path_matches(glob, p))
        }
        RuleScope::AnyInput => true,
    }
}

/// Whether `command` starts with the whole words of `prefix` and holds no shell control.
pub fn command_matches(prefix: &str, command: &str) -> bool {
    if SHELL_CONTROL.iter().any(|c| command.contains(c) || prefix.contains(c)) {
        return false;
    }
    let want: Vec<&str> = prefix.split_whitespace().collect();
    let have: Vec<&str> = command.split_whitespace().take(want.len()).collect();
    !want.is_empty() && have == want
}

/// Whether the absolute `path` falls under `glob` (exact, `DIR/*`, `DIR/**`), lexically.
pub fn path_matches(glob: &str, path: &str) -> bool {
    let (base, tail) = split_glob(glob);
    let (Some(base), Some(path)) = (normalise(base), normalise(path)) else { return false };
    if base.contains(['*', '?', '[', ']']) {
        return false;
    }
    let under =
        |p: &str| if base == "/" { p.len() > 1 } else { p.strip_prefix(&base).is_some_and(|rest| rest.len() > 1 && rest.starts_with('/')) };
    match tail {
        "" => path == base,
        "*" => under(&path) && parent(&path) == base,
        _ => under(&path),
    }
}

/// `(base, "" | "*" | "**")`: a glob split into its folder (or file) and its wildcard.
pub fn split_glob(glob: &str) -> (&str, &str) {
    if let Some(base) = glob.strip_suffix("/**") {
        (if base.is_empty() { "/" } else { base }, "**")
    } else if let Some(base) = glob.strip_suffix("/*") {
        (if base.is_empty() { "/" } else { base }, "*")
    } else {
        (glob, "")
    }
}

/// The inverse of [`split_glob`].
pub fn join_glob(base: &str, tail: &str) -> String {
    match (base, tail) {
        (b, "") => b.to_string(),
        ("/", t) => format!("/{t}"),
        (b, t) => format!("{b}/{t}"),
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// An absolute path without `.` components, repeated or trailing `/`; None for a relative
/// path or one with a `..` component (never guessed at: the person is asked instead).
pub fn normalise(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}
