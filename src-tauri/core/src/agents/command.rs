//! Any program with arguments: each stdout/stderr line is output, exit code 0 is success.

use std::path::{Path, PathBuf};

use super::{Adapter, Parsed};
use crate::error::Result;
use crate::model::{AgentKind, Session};
use crate::runner::Launch;

/// Any program: its lines are the output, its exit the end.
pub struct Command;

impl Adapter for Command {
    fn kind(&self) -> AgentKind {
        AgentKind::Command
    }

    fn launch(&self, session: &Session, program: &Path, _resume: bool, _prompt: Option<&str>) -> Result<Launch> {
        Ok(Launch {
            program: program.to_path_buf(),
            args: session.config.args.clone(),
            cwd: PathBuf::from(&session.cwd),
            env: session.config.env.clone(),
            ..Default::default()
        })
    }

    fn parse(&self, _line: &str) -> Parsed {
        Parsed::stored("line")
    }

    fn install_hint(&self) -> &'static str {
        "any program on your PATH, or an absolute path"
    }

    fn binary_names(&self) -> &'static [&'static str] {
        &[]
    }
}
