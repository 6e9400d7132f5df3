//! Terminal mode: the interactive Claude Code in a pseudo-terminal (the host, on
//! feat/terminal), its status from Claude Code's hooks and transcript (hooks.rs).

pub mod hooks;
