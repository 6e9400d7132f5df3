//! Who a process is, across pid reuse and reboots: its pid, its start time (clock ticks
//! since boot, `/proc/PID/stat` field 22) and the boot it started in
//! (`/proc/sys/kernel/random/boot_id`). A pid alone can name a different process after a
//! crash; the three together cannot.

use serde::{Deserialize, Serialize};

/// A process as recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    /// The OS process id; alone it may name another process after a crash (see the module doc).
    pub pid: u32,
    /// None when it could not be read (the process had already gone).
    pub start: Option<u64>,
    /// None when the system does not tell (no /proc).
    pub boot: Option<String>,
}

impl ProcessId {
    /// The identity of a running process, read now.
    pub fn of(pid: u32) -> ProcessId {
        ProcessId { pid, start: start_time(pid), boot: boot_id() }
    }

    /// This Switchboard process.
    pub fn me() -> ProcessId {
        ProcessId::of(std::process::id())
    }

    /// Whether the process recorded here is still running: same boot, same pid, same start
    /// time, and not a zombie. A record without a start time is never taken for alive —
    /// signalling it could hit a stranger that reused the pid.
    pub fn is_alive(&self) -> bool {
        let Some(start) = self.start else { return false };
        if let (Some(recorded), Some(now)) = (self.boot.as_deref(), boot_id()) {
            if recorded != now {
                return false;
            }
        }
        start_time(self.pid) == Some(start) && !is_zombie(self.pid)
    }
}

/// When `pid` started, in clock ticks since boot; None if it is gone.
pub fn start_time(pid: u32) -> Option<u64> {
    crate::runner::process_start_time(pid)
}

/// This boot's id; it changes at every reboot.
pub fn boot_id() -> Option<String> {
    static BOOT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    })
    .clone()
}

fn is_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let Some(close) = stat.rfind(')') else { return false };
    matches!(stat[close + 1..].split_whitespace().next(), Some("Z" | "X"))
}
