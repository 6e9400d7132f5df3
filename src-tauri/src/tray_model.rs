//! What the tray shows, as a pure function of the sessions: the summary line, the icon,
//! the tooltip and the session items. No Tauri here, so every state mix is unit-tested.

use chrono::{DateTime, Duration, Utc};
use switchboard_core::{Session, SessionOrigin, SessionStatus};

/// Sessions listed in the tray menu at most.
pub const MAX_TRAY_SESSIONS: usize = 10;

/// A failure keeps the tray asking for attention this long after it happened.
pub const FAILURE_ATTENTION: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIcon {
    /// Nothing is running.
    Idle,
    /// Agents are working.
    Running,
    /// A session waits for you or failed recently.
    Attention,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayItem {
    /// The menu item id: `open:<session id>`.
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub running: usize,
    pub waiting: usize,
    pub failed: usize,
    /// "2 running · 1 waiting · 1 failed", or "No sessions running".
    pub summary: String,
    pub tooltip: String,
    pub icon: TrayIcon,
    pub items: Vec<TrayItem>,
    pub muted: bool,
}

impl TrayModel {
    /// `live` are the live sessions, most recent activity first; `recent_failures` the
    /// sessions that failed (any age; only the last [`FAILURE_ATTENTION`] count).
    pub fn build(live: &[Session], recent_failures: &[Session], muted: bool, now: DateTime<Utc>) -> TrayModel {
        let running = live
            .iter()
            .filter(|s| matches!(s.status, SessionStatus::Running | SessionStatus::Starting | SessionStatus::Compacting))
            .count();
        let waiting = live.iter().filter(|s| s.status == SessionStatus::WaitingInput).count();
        let failed = recent_failures
            .iter()
            .filter(|s| matches!(s.status, SessionStatus::Error { .. }) && s.ended_at.is_some_and(|t| now - t <= FAILURE_ATTENTION))
            .count();
        // Claude Code run in a terminal (followed, not run by Switchboard) counts too, and says so.
        let in_terminals = live
            .iter()
            .filter(|s| s.origin == SessionOrigin::Terminal && matches!(s.status, SessionStatus::Running | SessionStatus::Starting))
            .count();
        let mut parts = Vec::new();
        if running > 0 && in_terminals > 0 {
            parts.push(format!("{running} running ({in_terminals} in {})", if in_terminals == 1 { "a terminal" } else { "terminals" }));
        } else if running > 0 {
            parts.push(format!("{running} running"));
        }
        if waiting > 0 {
            parts.push(format!("{waiting} waiting"));
        }
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        let idle = live.len() - running - waiting;
        if idle > 0 {
            parts.push(format!("{idle} idle"));
        }
        let summary = if parts.is_empty() { "No sessions running".to_string() } else { parts.join(" · ") };
        let icon = if waiting > 0 || failed > 0 {
            TrayIcon::Attention
        } else if running > 0 {
            TrayIcon::Running
        } else {
            TrayIcon::Idle
        };
        let items = live.iter().take(MAX_TRAY_SESSIONS).map(|s| TrayItem { id: format!("open:{}", s.id), label: item_label(s) }).collect();
        let tooltip = format!("Switchboard — {summary}{}", if muted { " (notifications muted)" } else { "" });
        TrayModel { running, waiting, failed, summary, tooltip, icon, items, muted }
    }
}

fn item_label(s: &Session) -> String {
    let mark = match s.status {
        SessionStatus::WaitingInput => "⏸ waiting",
        SessionStatus::Running | SessionStatus::Starting | SessionStatus::Compacting => "▶ running",
        _ => "· idle",
    };
    let mark = if s.origin == SessionOrigin::Terminal && mark == "▶ running" { "▶ running in a terminal" } else { mark };
    let title: String = s.title.chars().take(48).collect();
    let folder = std::path::Path::new(&s.cwd).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{title} — {folder} ({mark})")
}

/// What Quit does: leave at once, or ask first because agents are still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitPlan {
    ExitNow,
    /// Ask "end N running sessions and quit?" (they are stopped and can be resumed).
    AskFirst {
        live: usize,
    },
}

pub fn quit_plan(live_with_process: usize) -> QuitPlan {
    if live_with_process == 0 {
        QuitPlan::ExitNow
    } else {
        QuitPlan::AskFirst { live: live_with_process }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::{AgentKind, SessionConfig};

    fn s(id: &str, status: SessionStatus, ended_hours_ago: Option<i64>, now: DateTime<Utc>) -> Session {
        Session {
            status,
            ended_at: ended_hours_ago.map(|h| now - Duration::hours(h)),
            ..Session::new(id.into(), AgentKind::Claude, format!("Fix {id}"), format!("/home/me/{id}-repo"), SessionConfig::default(), now)
        }
    }

    #[test]
    fn nothing_running_is_idle() {
        let m = TrayModel::build(&[], &[], false, Utc::now());
        assert_eq!((m.summary.as_str(), m.icon), ("No sessions running", TrayIcon::Idle));
        assert!(m.items.is_empty());
        assert_eq!(m.tooltip, "Switchboard — No sessions running");
    }

    #[test]
    fn running_sessions_show_as_running() {
        let now = Utc::now();
        let live = [s("a", SessionStatus::Running, None, now), s("b", SessionStatus::Idle, None, now)];
        let m = TrayModel::build(&live, &[], false, now);
        assert_eq!(m.summary, "1 running · 1 idle");
        assert_eq!(m.icon, TrayIcon::Running);
        assert_eq!(m.items[0], TrayItem { id: "open:a".into(), label: "Fix a — a-repo (▶ running)".into() });
    }

    #[test]
    fn sessions_running_in_terminals_are_counted_and_marked() {
        let now = Utc::now();
        let terminal = |id| Session { origin: SessionOrigin::Terminal, ..s(id, SessionStatus::Running, None, now) };
        let live = [terminal("t"), s("a", SessionStatus::Running, None, now)];
        let m = TrayModel::build(&live, &[], false, now);
        assert_eq!(m.summary, "2 running (1 in a terminal)");
        assert_eq!(m.items[0].label, "Fix t — t-repo (▶ running in a terminal)");
        let m = TrayModel::build(&[terminal("t"), terminal("u")], &[], false, now);
        assert_eq!(m.summary, "2 running (2 in terminals)");
    }

    #[test]
    fn waiting_or_failed_asks_for_attention() {
        let now = Utc::now();
        let live = [s("a", SessionStatus::Running, None, now), s("b", SessionStatus::WaitingInput, None, now)];
        let m = TrayModel::build(&live, &[], true, now);
        assert_eq!(m.summary, "1 running · 1 waiting");
        assert_eq!(m.icon, TrayIcon::Attention);
        assert!(m.tooltip.ends_with("(notifications muted)"));
        let failed = [s("c", SessionStatus::Error { message: "x".into() }, Some(2), now)];
        let m = TrayModel::build(&[], &failed, false, now);
        assert_eq!((m.summary.as_str(), m.icon, m.failed), ("1 failed", TrayIcon::Attention, 1));
    }

    #[test]
    fn old_failures_no_longer_ask_for_attention() {
        let now = Utc::now();
        let failed = [s("c", SessionStatus::Error { message: "x".into() }, Some(25), now)];
        let m = TrayModel::build(&[], &failed, false, now);
        assert_eq!((m.failed, m.icon), (0, TrayIcon::Idle));
    }

    #[test]
    fn at_most_ten_sessions_are_listed() {
        let now = Utc::now();
        let live: Vec<Session> = (0..15).map(|i| s(&format!("s{i}"), SessionStatus::Idle, None, now)).collect();
        let m = TrayModel::build(&live, &[], false, now);
        assert_eq!(m.items.len(), MAX_TRAY_SESSIONS);
        assert_eq!(m.items[0].id, "open:s0");
        assert_eq!(m.summary, "15 idle");
    }

    #[test]
    fn quit_asks_only_when_agents_run() {
        assert_eq!(quit_plan(0), QuitPlan::ExitNow);
        assert_eq!(quit_plan(3), QuitPlan::AskFirst { live: 3 });
    }
}
