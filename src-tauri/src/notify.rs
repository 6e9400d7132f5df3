//! Desktop notifications: a session finished a turn, failed, or waits for you. Not for the
//! session the user is looking at, not when muted or turned off in the settings.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use switchboard_core::{AgentKind, Engine, PermissionRequest, Session, SessionStatus};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tracing::warn;

use crate::tray::TrayState;

/// Statuses remembered to spot transitions: one per session seen live, dropped when it
/// ends, so at most the live-session limit.
#[derive(Default)]
pub struct Watch {
    last: Mutex<HashMap<String, &'static str>>,
    /// The session open in the window (set by the UI), if any.
    pub focused: Mutex<Option<String>>,
}

/// A notification's title or body is cut to this many characters: a notification shows a
/// few lines at most, and an agent's error text can be any length.
pub const MAX_NOTIFICATION_CHARS: usize = 200;

/// `text` as a notification body: servers following the desktop notification spec render a
/// subset of HTML in the body (`<a>`, `<img>`, `<b>`), so an agent's text could show a link
/// or load an image. `&`, `<` and `>` are escaped as entities (with `<` escaped no tag can
/// open, so quotes need nothing). Control characters become spaces; the text is cut to
/// [`MAX_NOTIFICATION_CHARS`].
pub fn body_text(text: &str) -> String {
    escape(text, true)
}

/// `text` as a notification title: the spec's summary is plain text (no markup), so it is
/// only flattened to one line and cut, not escaped (an entity would show as typed).
pub fn title_text(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, markup: bool) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_NOTIFICATION_CHARS * 2));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_NOTIFICATION_CHARS {
            out.push('…');
            break;
        }
        match c {
            '&' if markup => out.push_str("&amp;"),
            '<' if markup => out.push_str("&lt;"),
            '>' if markup => out.push_str("&gt;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The notification a status change deserves, if any: (title, body), markup-escaped.
pub fn for_change(previous: Option<&str>, s: &Session) -> Option<(String, String)> {
    let title = title_of(s);
    match (&s.status, previous) {
        (SessionStatus::Idle, Some("running" | "compacting" | "waiting_input")) => Some((title, "finished a turn".into())),
        (SessionStatus::Error { message }, Some(p)) if p != "error" => Some((title, body_text(&format!("failed: {message}")))),
        _ => None,
    }
}

/// The notification for a new permission request: "Claude Code wants to run: npm test",
/// markup-escaped.
pub fn for_permission(s: &Session, r: &PermissionRequest) -> (String, String) {
    let agent = match s.agent {
        AgentKind::Claude => "Claude Code",
        AgentKind::Codex => "Codex",
        AgentKind::Gemini => "Gemini",
        AgentKind::Command => "The command",
    };
    (title_of(s), body_text(&format!("{agent} {}", r.gist)))
}

fn title_of(s: &Session) -> String {
    let folder = std::path::Path::new(&s.cwd).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| s.cwd.clone());
    title_text(&format!("{} — {folder}", s.title))
}

impl Watch {
    /// Records the new status; returns the previous one.
    pub fn observe(&self, s: &Session) -> Option<&'static str> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if s.status.is_live() {
            last.insert(s.id.clone(), s.status.name())
        } else {
            last.remove(&s.id)
        }
    }
}

/// Whether to show a notification about `session_id` now.
fn wanted<R: Runtime>(app: &AppHandle<R>, session_id: &str) -> bool {
    if app.try_state::<TrayState>().is_some_and(|t| t.muted.load(Ordering::Relaxed)) {
        return false;
    }
    if !app.try_state::<Engine>().and_then(|e| e.settings().ok()).map(|s| s.notifications).unwrap_or(true) {
        return false;
    }
    let looking = app.get_webview_window("main").is_some_and(|w| w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false));
    let focused = app.try_state::<Watch>().and_then(|w| w.focused.lock().ok().and_then(|f| f.clone()));
    !(looking && focused.as_deref() == Some(session_id))
}

pub fn show<R: Runtime>(app: &AppHandle<R>, session_id: &str, title: &str, body: &str) {
    if !wanted(app, session_id) {
        return;
    }
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        warn!(error = %e, "could not show a notification");
    }
}

/// Called for every session change.
pub fn session_changed<R: Runtime>(app: &AppHandle<R>, s: &Session) {
    let Some(watch) = app.try_state::<Watch>() else { return };
    let prev = watch.observe(s);
    if let Some((title, body)) = for_change(prev, s) {
        show(app, &s.id, &title, &body);
    }
}

/// Called for every permission change; notifies new pending requests.
pub fn permission_changed<R: Runtime>(app: &AppHandle<R>, r: &PermissionRequest) {
    if r.decision.is_some() {
        return;
    }
    let Some(s) = app.try_state::<Engine>().and_then(|e| e.find(&r.session_id).ok().flatten()) else { return };
    let (title, body) = for_permission(&s, r);
    show(app, &s.id, &title, &body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use switchboard_core::SessionConfig;

    fn s(status: SessionStatus) -> Session {
        let now = Utc::now();
        Session {
            status,
            ..Session::new(
                "claude_1".into(),
                AgentKind::Claude,
                "Fix the build".into(),
                "/home/me/api".into(),
                SessionConfig::default(),
                now,
            )
        }
    }

    #[test]
    fn turn_end_and_failure_notify_other_changes_do_not() {
        assert_eq!(for_change(Some("running"), &s(SessionStatus::Idle)), Some(("Fix the build — api".into(), "finished a turn".into())));
        assert_eq!(for_change(None, &s(SessionStatus::Idle)), None, "an idle start is not news");
        assert_eq!(for_change(Some("idle"), &s(SessionStatus::Running)), None);
        let failed = for_change(Some("running"), &s(SessionStatus::Error { message: "API Error: 529".into() })).unwrap();
        assert_eq!(failed.1, "failed: API Error: 529");
        assert_eq!(for_change(Some("error"), &s(SessionStatus::Error { message: "x".into() })), None);
    }

    #[test]
    fn a_permission_request_names_the_agent_and_the_gist() {
        let r = PermissionRequest {
            session_id: "claude_1".into(),
            request_id: "r".into(),
            tool_name: "Bash".into(),
            input: serde_json::json!({"command": "npm test"}),
            description: None,
            gist: "wants to run: npm test".into(),
            asked_at: Utc::now(),
            decision: None,
            decided_at: None,
            decided_by: None,
            proposed_rule: None,
        };
        assert_eq!(for_permission(&s(SessionStatus::WaitingInput), &r).1, "Claude Code wants to run: npm test");
    }

    #[test]
    fn agent_text_in_titles_and_bodies_cannot_be_markup() {
        let mut session = s(SessionStatus::Error { message: "see <a href=\"https://evil.example\">here</a> & <img src=x>".into() });
        session.title = "<b>bold</b> 'q'".into();
        let (title, body) = for_change(Some("running"), &session).unwrap();
        assert_eq!(title, "<b>bold</b> 'q' — api", "the title is plain text by the spec: shown as typed");
        assert_eq!(body, "failed: see &lt;a href=\"https://evil.example\"&gt;here&lt;/a&gt; &amp; &lt;img src=x&gt;");
        let r = PermissionRequest {
            session_id: "claude_1".into(),
            request_id: "r".into(),
            tool_name: "Bash".into(),
            input: serde_json::json!({}),
            description: None,
            gist: "wants to run: echo <img src=http://x/p.png>".into(),
            asked_at: Utc::now(),
            decision: None,
            decided_at: None,
            decided_by: None,
            proposed_rule: None,
        };
        let (_, body) = for_permission(&session, &r);
        assert_eq!(body, "Claude Code wants to run: echo &lt;img src=http://x/p.png&gt;");
        assert!(!body.contains('<'));
    }

    #[test]
    fn long_or_control_laden_text_is_cut_and_flattened() {
        let long = body_text(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_NOTIFICATION_CHARS + 1);
        assert_eq!(body_text("a\u{1b}]0;title\u{7}b\nc"), "a ]0;title b c");
        assert_eq!(title_text("a\nb"), "a b");
    }

    #[test]
    fn the_watch_remembers_live_sessions_only() {
        let w = Watch::default();
        assert_eq!(w.observe(&s(SessionStatus::Running)), None);
        assert_eq!(w.observe(&s(SessionStatus::Idle)), Some("running"));
        assert_eq!(w.observe(&s(SessionStatus::Ended)), Some("idle"));
        assert!(w.last.lock().unwrap().is_empty());
    }
}
