//! The headless command line of the real binary.

use std::process::Command;

use serde_json::Value;
use switchboard_core::{Engine, EngineConfig, NewSession, SessionConfig};

use crate::support::{bin, temp_dir};

#[tokio::test]
async fn ls_json_prints_sessions_without_a_window() {
    let dir = temp_dir();
    let work = temp_dir();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
        let s = engine
            .create(NewSession {
                cwd: work.path().to_string_lossy().into(),
                title: Some("listed".into()),
                task_id: Some("task-7".into()),
                config: SessionConfig { program: Some("true".into()), ..Default::default() },
                ..Default::default()
            })
            .await
            .expect("create");
        engine.end(&s.id).await.expect("end");
    }
    // No DISPLAY: proves no window is opened.
    let out = Command::new(bin())
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["ls", "--json"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run switchboard");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["title"], "listed");
    assert_eq!(list[0]["task_id"], "task-7");
    assert_eq!(list[0]["agent"], "command");
    for field in ["id", "status", "cwd", "created_at", "last_activity", "expires_at", "ended_at", "message_count"] {
        assert!(list[0].get(field).is_some(), "missing {field}");
    }

    // Filters, and SWITCHBOARD_DATA_DIR in place of --data-dir.
    let out = Command::new(bin())
        .args(["ls", "--json", "--task", "other"])
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .output()
        .expect("run switchboard");
    assert!(out.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("json"), Value::Array(vec![]));
}

#[test]
fn ls_rejects_a_bad_filter_with_a_clear_message() {
    let dir = temp_dir();
    let out = Command::new(bin()).arg("--data-dir").arg(dir.path()).args(["ls", "--agent", "robot"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown agent 'robot'"), "{stderr}");
}

#[test]
fn data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = temp_dir();
    let dir = parent.path().join("data");
    let out = Command::new(bin()).arg("--data-dir").arg(&dir).args(["ls"]).output().expect("run");
    assert!(out.status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("switchboard.db")), 0o600);
}
