//! Checking a new-session request and turning it into a session row: folders, titles, links,
//! the agent's program. Nothing here starts a process.

use super::*;

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The longest task, MCP or service id accepted.
pub const MAX_LINK_ID_CHARS: usize = 128;

impl Engine {
    /// Validates a request and builds the session record and the program to run.
    pub(super) fn prepare(&self, req: NewSession) -> Result<(Session, PathBuf)> {
        let agent = req.agent.unwrap_or(AgentKind::Command);
        let cwd = validate_dir("cwd", &req.cwd)?;
        let program = self.program_for(agent, req.config.program.as_deref())?;
        // Limits the kernel enforces at exec (each argument or NAME=value string at most
        // MAX_ARG_STRLEN, 128 KiB; all of them together ARG_MAX, 2 MiB by default, shared with
        // the inherited environment), checked here so a bad request is refused with its field
        // instead of becoming a session that failed to start.
        const MAX_ARG_BYTES: usize = 128 * 1024 - 1;
        const MAX_LAUNCH_BYTES: usize = 1024 * 1024;
        const MAX_ARGS: usize = 4096;
        // Far more than any agent needs; bounds the stored config and the error list.
        const MAX_ENV_VARS: usize = 1024;
        const MAX_MODEL_CHARS: usize = 200;
        const PATH_MAX: usize = 4096;
        let short = |v: &str| crate::error::shorten(v, crate::error::MAX_VALUE_IN_ERROR);
        if agent == AgentKind::Command {
            let p = program.to_string_lossy();
            if p.len() > PATH_MAX {
                return Err(Error::invalid("program", format!("the program is longer than {PATH_MAX} bytes")));
            }
            if p.chars().any(char::is_control) {
                return Err(Error::invalid("program", format!("the program '{}' contains control characters", short(&p))));
            }
            if p.starts_with('-') {
                return Err(Error::invalid("program", format!("the program cannot start with '-': '{}'", short(&p))));
            }
        }
        if req.config.args.iter().any(|a| a.contains('\0')) {
            return Err(Error::invalid("args", "arguments cannot contain NUL bytes"));
        }
        if req.config.args.len() > MAX_ARGS {
            return Err(Error::invalid("args", format!("more than {MAX_ARGS} arguments")));
        }
        if let Some(i) = req.config.args.iter().position(|a| a.len() > MAX_ARG_BYTES) {
            return Err(Error::invalid("args", format!("argument {} is longer than {MAX_ARG_BYTES} bytes", i + 1)));
        }
        if req.config.env.len() > MAX_ENV_VARS {
            return Err(Error::invalid("env", format!("more than {MAX_ENV_VARS} environment variables ({})", req.config.env.len())));
        }
        for (k, v) in &req.config.env {
            if k.is_empty() || k.contains('=') || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::invalid("env", format!("invalid environment variable name '{}'", short(k))));
            }
            if v.contains('\0') {
                return Err(Error::invalid("env", format!("the value of {} contains a NUL byte", short(k))));
            }
            if k.len() + 1 + v.len() > MAX_ARG_BYTES {
                return Err(Error::invalid("env", format!("{} is longer than {MAX_ARG_BYTES} bytes with its value", short(k))));
            }
        }
        let launch_bytes: usize = req.config.args.iter().map(|a| a.len() + 1).sum::<usize>()
            + req.config.env.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>();
        if launch_bytes > MAX_LAUNCH_BYTES {
            let field = if req.config.env.is_empty() { "args" } else { "env" };
            return Err(Error::invalid(field, format!("arguments and environment together exceed {MAX_LAUNCH_BYTES} bytes")));
        }
        if req.config.mode == crate::model::RunMode::Terminal {
            if agent != AgentKind::Claude {
                return Err(Error::invalid("mode", format!("terminal mode is for Claude Code only, not {agent}")));
            }
            // The interactive CLI takes its first prompt as an argument.
            if req.config.prompt.as_ref().is_some_and(|p| p.len() > MAX_ARG_BYTES || p.contains('\0')) {
                return Err(Error::invalid(
                    "prompt",
                    format!("a terminal session's first prompt must be under {MAX_ARG_BYTES} bytes without NUL bytes; send the rest once it runs"),
                ));
            }
        }
        // Passed to Claude as one argument. (A prompt may be longer: Claude reads it on stdin.)
        if req.config.append_system_prompt.as_ref().is_some_and(|t| t.len() > MAX_ARG_BYTES) {
            return Err(Error::invalid("append_system_prompt", format!("the system prompt addition is longer than {MAX_ARG_BYTES} bytes")));
        }
        if let Some(m) = req.config.model.as_deref() {
            if m.chars().count() > MAX_MODEL_CHARS || m.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "model",
                    format!("the model '{}' is longer than {MAX_MODEL_CHARS} characters or contains control characters", short(m)),
                ));
            }
            crate::agents::option_value("model", m)?;
        }
        if req.config.max_turns == Some(0) {
            return Err(Error::invalid("max_turns", "max turns must be at least 1"));
        }
        let task_id = validate_link("task_id", req.task_id)?;
        let mcp_session_id = validate_link("mcp_session_id", req.mcp_session_id)?;
        let service_session_id = validate_link("service_session_id", req.service_session_id)?;
        let title = match req.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
                return Err(Error::invalid("title", format!("the title is longer than {MAX_TITLE_CHARS} characters")))
            }
            Some(t) => t,
            None => default_title(agent, &req.config, &cwd),
        };
        // The live-session limit is checked in the insert's transaction (Store::insert_session_owned).
        let now = self.inner.clock.now();
        let mut config = req.config;
        if agent == AgentKind::Command {
            config.program = Some(program.to_string_lossy().into_owned());
        }
        let id = format!("{}_{}", agent.as_str(), self.inner.ids.uuid().simple());
        let session = Session {
            task_id,
            mcp_session_id,
            // Claude takes its session id from us up front, so a resume can always find it.
            agent_session_id: (agent == AgentKind::Claude).then(|| self.inner.ids.uuid().hyphenated().to_string()),
            service_session_id,
            expires_at: now + self.ttl(),
            ..Session::new(id, agent, title, cwd.to_string_lossy().into_owned(), config, now)
        };
        Ok((session, program))
    }

    /// The program an agent runs: the command's own for `command`, else the agent's binary
    /// (settings, environment, PATH, …) — or an error saying how to install it.
    pub(crate) fn program_for(&self, agent: AgentKind, command_program: Option<&str>) -> Result<PathBuf> {
        if agent == AgentKind::Command {
            let program = command_program.map(str::trim).unwrap_or("");
            if program.is_empty() {
                return Err(Error::invalid("program", "the program to run is required"));
            }
            if program.contains('\0') {
                return Err(Error::invalid("program", "the program cannot contain NUL bytes"));
            }
            return Ok(PathBuf::from(program));
        }
        let info = self.agent_info(agent);
        match (info.installed, info.path) {
            (true, Some(p)) => Ok(PathBuf::from(p)),
            (false, Some(p)) => Err(Error::invalid(
                "agent",
                format!(
                    "{agent} was looked for at {p}, which is not an executable file; fix the path in Settings or install it: {}",
                    info.install_hint
                ),
            )),
            _ => Err(Error::invalid(
                "agent",
                format!("{agent} is not installed (or not on PATH). Install it with `{}`, or set its path in Settings.", info.install_hint),
            )),
        }
    }
}

pub(super) fn agent_name(agent: AgentKind) -> &'static str {
    match agent {
        AgentKind::Claude => "Claude Code",
        AgentKind::Codex => "Codex",
        AgentKind::Gemini => "Gemini CLI",
        AgentKind::Command => "the command",
    }
}

/// A title when none was given: the command line, or the first prompt, or the folder.
pub(super) fn default_title(agent: AgentKind, config: &crate::model::SessionConfig, cwd: &Path) -> String {
    let text = match (agent, config.prompt.as_deref().filter(|p| !p.trim().is_empty())) {
        (AgentKind::Command, _) => std::iter::once(config.program.as_deref().unwrap_or("").trim())
            .chain(config.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        (_, Some(prompt)) => prompt.trim().lines().next().unwrap_or("").to_string(),
        _ => format!(
            "{} in {}",
            agent_name(agent),
            cwd.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| cwd.to_string_lossy().into_owned())
        ),
    };
    text.chars().take(80).collect()
}

pub(crate) fn spawn_message(launch: &Launch, e: &std::io::Error) -> String {
    let program = crate::error::shorten(&launch.program.to_string_lossy(), 200);
    // The folder is entered before the program is executed: a folder the user cannot enter
    // (changed since the session was created) fails the same way; say which one it was.
    let cannot_enter = |dir: &Path| nix::unistd::access(dir, nix::unistd::AccessFlags::X_OK).is_err();
    match e.kind() {
        std::io::ErrorKind::NotFound if !launch.cwd.is_dir() => {
            format!(
                "could not start '{program}': the folder '{}' does not exist",
                crate::error::shorten(&launch.cwd.to_string_lossy(), 200)
            )
        }
        std::io::ErrorKind::NotFound => format!("could not start '{program}': no such program (is it installed and on PATH?)"),
        std::io::ErrorKind::PermissionDenied if cannot_enter(&launch.cwd) => {
            format!(
                "could not start '{program}': cannot enter folder '{}': permission denied",
                crate::error::shorten(&launch.cwd.to_string_lossy(), 200)
            )
        }
        std::io::ErrorKind::PermissionDenied => format!("could not start '{program}': permission denied (is it executable?)"),
        _ => format!("could not start '{program}': {e}"),
    }
}

/// An absolute, existing directory, canonicalized.
pub(super) fn validate_dir(field: &'static str, dir: &str) -> Result<PathBuf> {
    let trimmed = dir.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "The folder is required."));
    }
    // Said as sentences: the new-session form shows them under the field as they are.
    let shown = crate::error::shorten(trimmed, 200);
    let path = Path::new(trimmed);
    if !path.is_absolute() {
        return Err(Error::invalid(field, format!("The folder must be an absolute path, not '{shown}'.")));
    }
    let canonical = path.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            Error::invalid(field, format!("You cannot enter the folder '{shown}' (permission denied)."))
        }
        _ => Error::invalid(field, format!("The folder '{shown}' does not exist.")),
    })?;
    if !canonical.is_dir() {
        return Err(Error::invalid(field, format!("'{shown}' is a file, not a folder.")));
    }
    // The agent starts in it: without search (x) permission the start would fail later and
    // look like the program's fault.
    if nix::unistd::access(&canonical, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(Error::invalid(field, format!("You cannot enter the folder '{shown}' (permission denied).")));
    }
    Ok(canonical)
}

/// Project names (seed 002's team names): `[A-Za-z0-9_-]{1,64}`.
pub(super) fn validate_project_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid("project", format!("invalid project name '{name}': use 1-64 letters, digits, '_' or '-'")));
    }
    Ok(())
}

/// Task, MCP and service ids: 1–128 of `[A-Za-z0-9._:-]`, not starting with `-`
/// (so they can never be mistaken for a flag when passed to an agent).
pub(super) fn validate_link(field: &'static str, value: Option<String>) -> Result<Option<String>> {
    let Some(v) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_LINK_ID_CHARS {
        return Err(Error::invalid(field, format!("{} is longer than {MAX_LINK_ID_CHARS} characters", field.replace('_', " "))));
    }
    if v.starts_with('-') || !v.chars().all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c)) {
        return Err(Error::invalid(
            field,
            format!(
                "{} '{}' may only contain letters, digits, '.', '_', ':' and '-', and cannot start with '-'",
                field.replace('_', " "),
                crate::error::shorten(&v, MAX_LINK_ID_CHARS)
            ),
        ));
    }
    Ok(Some(v))
}
