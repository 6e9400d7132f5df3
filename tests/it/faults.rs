//! Faults across processes, through the real binary: a CLI killed with -9.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{bin, temp_dir, wait_for};

fn ls(dir: &std::path::Path) -> Vec<Value> {
    let out = Command::new(bin()).arg("--data-dir").arg(dir).args(["ls", "--json"]).output().expect("ls");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).expect("json").as_array().cloned().unwrap_or_default()
}

fn running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rfind(')').map(|i| stat[i + 1..].split_whitespace().next().unwrap_or("Z").to_string()))
        .is_some_and(|s| s != "Z" && s != "X")
}

// Item 9: kill -9 of five `switchboard run`s. Whichever Switchboard opens the store next
// (here `ls`) stops their agents and marks the sessions Interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_command_settles_what_killed_cli_runs_left() {
    let dir = temp_dir();
    let work = temp_dir();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let child = Command::new(bin())
            .arg("--data-dir")
            .arg(dir.path())
            .args(["run", "--agent", "command", "--cwd"])
            .arg(work.path())
            .args(["--", "sleep", "1000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run");
        runs.push(child);
    }
    let pids: Vec<u64> = wait_for(Duration::from_secs(30), || {
        let list = ls(dir.path());
        let pids: Vec<u64> = list.iter().filter(|s| s["status"]["state"] == "running").filter_map(|s| s["pid"].as_u64()).collect();
        (pids.len() == 5).then_some(pids)
    })
    .await;
    // `ls` while the runs live leaves their sessions alone.
    assert!(pids.iter().all(|p| running(*p)));
    for mut r in runs {
        r.kill().expect("kill -9");
        r.wait().expect("reap");
    }
    let list = ls(dir.path());
    assert_eq!(list.len(), 5);
    for s in &list {
        assert_eq!(s["status"]["state"], "interrupted", "{s}");
        assert!(s["pid"].is_null());
    }
    for pid in pids {
        wait_for(Duration::from_secs(10), || (!running(pid)).then_some(())).await;
    }
}
