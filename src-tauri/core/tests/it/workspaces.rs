//! Workspaces against the real git: a worktree per session, what each changed, checkpoints
//! after each turn and restoring them; the real Claude Code CLI (against the fake API)
//! writes the files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use switchboard_core::workspace::{FileStatus, WorktreeRequest};
use switchboard_core::*;

use crate::support::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).env("LC_ALL", "C").output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository on `main` with one commit (README.md) and an ignored `build/`.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir(&root).unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["config", "user.email", "dev@example.com"]);
    git(&root, &["config", "user.name", "Dev"]);
    std::fs::write(root.join("README.md"), "hello\n").unwrap();
    std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "first"]);
    let root = root.canonicalize().unwrap();
    (dir, root)
}

/// What `git status` and the index say about a checkout: must not move under our feet.
fn state(root: &Path) -> (String, String, String) {
    (git(root, &["status", "--porcelain", "--untracked-files=all"]), git(root, &["ls-files", "--stage"]), git(root, &["rev-parse", "HEAD"]))
}

fn in_worktree(api: &FakeApi, cwd: &Path, home: &Path) -> NewSession {
    let mut req = claude_session(api, cwd, home, None);
    req.config.permission_mode = PermissionMode::AcceptEdits;
    req.worktree = Some(WorktreeRequest::default());
    req
}

const TURN: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claude_sessions_in_one_repository_each_change_only_their_own_worktree() {
    let (_keep, root) = repo();
    let before = state(&root);
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let api = FakeApi::start();
    let e = claude_engine(data.path(), EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() });

    let a = e.create(in_worktree(&api, &root, home.path())).await.unwrap();
    let b = e.create(in_worktree(&api, &root, home.path())).await.unwrap();
    let (wa, wb) = (e.workspace(&a.id).unwrap().unwrap(), e.workspace(&b.id).unwrap().unwrap());
    assert_ne!(wa.branch, wb.branch);
    assert!(wa.branch.starts_with("switchboard/"), "{}", wa.branch);
    assert_eq!((wa.base.as_str(), wa.repo_root.as_str()), ("main", root.to_str().unwrap()));
    assert!(Path::new(&wa.path).starts_with(data.path().join("worktrees")), "under the data dir: {}", wa.path);
    assert_eq!(a.cwd, wa.path, "the agent runs in its worktree");

    // Both at once: each told to write its own file in its own worktree.
    let fa = Path::new(&wa.path).join("from-a.txt");
    let fb = Path::new(&wb.path).join("from-b.txt");
    let (pa, pb) = (format!("[[tool:write {} written by a]]", fa.display()), format!("[[tool:write {} written by b]]", fb.display()));
    let (ra, rb) = tokio::join!(e.send(&a.id, &pa, TURN), e.send(&b.id, &pb, TURN));
    ra.unwrap();
    rb.unwrap();
    assert_eq!(std::fs::read_to_string(&fa).unwrap(), "written by a");
    assert_eq!(std::fs::read_to_string(&fb).unwrap(), "written by b");
    assert!(!Path::new(&wa.path).join("from-b.txt").exists() && !Path::new(&wb.path).join("from-a.txt").exists());
    assert!(!root.join("from-a.txt").exists() && !root.join("from-b.txt").exists());
    assert_eq!(state(&root), before, "the main checkout is untouched");

    for (id, name, text) in [(&a.id, "from-a.txt", "written by a"), (&b.id, "from-b.txt", "written by b")] {
        let ch = e.changes(id).await.unwrap();
        let files: Vec<(&str, FileStatus, u64, u64)> = ch.files.iter().map(|f| (f.path.as_str(), f.status, f.added, f.removed)).collect();
        assert_eq!(files, vec![(name, FileStatus::Added, 1, 0)], "exactly its own file");
        assert_eq!((ch.stats.files, ch.stats.added, ch.stats.removed), (1, 1, 0));
        let diff = e.diff(id, &ch.merge_base, &ch.tree, Some(name)).await.unwrap();
        assert!(diff.text.contains(&format!("+++ b/{name}")) && diff.text.contains(&format!("+{text}")), "{}", diff.text);
        // The turn left a checkpoint and the list's stats.
        let cps = e.checkpoints(id).await.unwrap();
        assert_eq!(cps.iter().map(|c| (c.n, c.label.as_str())).collect::<Vec<_>>(), vec![(1, "after turn 1")]);
        assert_eq!(e.workspace(id).unwrap().unwrap().stats.map(|s| s.files), Some(1));
    }
    e.end(&a.id).await.unwrap();
    e.end(&b.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_after_each_turn_restore_to_turn_one_and_back() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let api = FakeApi::start();
    let e = claude_engine(data.path(), EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() });
    let s = e.create(in_worktree(&api, &root, home.path())).await.unwrap();
    let w = e.workspace(&s.id).unwrap().unwrap();
    let wt = PathBuf::from(&w.path);
    // An ignored file: never in a checkpoint, never touched by a restore.
    std::fs::create_dir(wt.join("build")).unwrap();
    std::fs::write(wt.join("build/out.bin"), "ignored").unwrap();

    e.send(&s.id, &format!("[[tool:write {} one]]", wt.join("one.txt").display()), TURN).await.unwrap();
    let wt_index = state(&wt);
    e.send(&s.id, &format!("[[tool:write {} two]]", wt.join("two.txt").display()), TURN).await.unwrap();
    let cps = e.checkpoints(&s.id).await.unwrap();
    assert_eq!(cps.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["after turn 1", "after turn 2"]);
    let files = git(&wt, &["ls-tree", "-r", "--name-only", &cps[1].commit]);
    assert_eq!(files.lines().collect::<Vec<_>>(), [".gitignore", "README.md", "one.txt", "two.txt"], "untracked in, ignored out");
    // Nothing of the user's moved: the branch, the index (both files still untracked), no stash.
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), w.base_commit);
    assert_eq!(state(&wt).1, wt_index.1, "the index is untouched");
    assert!(git(&wt, &["stash", "list"]).is_empty());
    let between = e.diff(&s.id, &cps[0].tree, &cps[1].tree, None).await.unwrap();
    assert!(between.text.contains("+++ b/two.txt") && !between.text.contains("one.txt"), "{}", between.text);

    // Restore to turn 1: two.txt goes; the state it replaced is checkpoint 3.
    let undo = e.restore_checkpoint(&s.id, 1).await.unwrap();
    assert_eq!((undo.n, undo.label.as_str()), (3, "before restoring checkpoint 1"));
    assert!(wt.join("one.txt").exists() && !wt.join("two.txt").exists());
    assert_eq!(std::fs::read_to_string(wt.join("build/out.bin")).unwrap(), "ignored");
    assert_eq!(e.changes(&s.id).await.unwrap().files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["one.txt"]);
    // And back.
    e.restore_checkpoint(&s.id, 3).await.unwrap();
    assert_eq!(std::fs::read_to_string(wt.join("two.txt")).unwrap(), "two");
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), w.base_commit, "the branch never moved");
    let log = e.session_log(&s.id).unwrap();
    assert_eq!(
        log.iter().filter(|t| t.kind == TaskEventKind::Checkpoint).count(),
        4,
        "2 turns + 2 before-restores on the timeline: {log:?}"
    );
    assert!(e.restore_checkpoint(&s.id, 99).await.is_err());
    e.end(&s.id).await.unwrap();
}

#[tokio::test]
async fn changes_count_committed_uncommitted_and_untracked_work_against_the_merge_base() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    // The agent commits one file, edits another, leaves a third untracked and a binary.
    let script = "printf 'x\\ny\\n' > committed.txt && git add committed.txt && git -c user.email=a@b -c user.name=A commit -qm c \
                  && printf 'hello\\nmore\\n' > README.md && printf 'u\\n' > untracked.txt && printf '\\0\\1\\2' > blob.bin";
    let mut req = command(&root, "sh", &["-c", script]);
    req.worktree = Some(WorktreeRequest { base: None, branch: Some("feature/count".into()) });
    let s = e.create(req).await.unwrap();
    assert_eq!(wait_final(&e, &s.id).await.status, SessionStatus::Ended);
    // Meanwhile main moves on: the merge-base, not main's tip, is what the work is counted from.
    std::fs::write(root.join("main-only.txt"), "m\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "on main"]);

    let ch = e.changes(&s.id).await.unwrap();
    assert_eq!(ch.branch, "feature/count");
    let files: Vec<(&str, FileStatus, u64, u64, bool)> =
        ch.files.iter().map(|f| (f.path.as_str(), f.status, f.added, f.removed, f.binary)).collect();
    assert_eq!(
        files,
        vec![
            ("README.md", FileStatus::Modified, 1, 0, false),
            ("blob.bin", FileStatus::Added, 0, 0, true),
            ("committed.txt", FileStatus::Added, 2, 0, false),
            ("untracked.txt", FileStatus::Added, 1, 0, false),
        ]
    );
    assert_eq!((ch.stats.files, ch.stats.added, ch.stats.removed), (4, 4, 0));
    let all = e.diff(&s.id, &ch.merge_base, &ch.tree, None).await.unwrap();
    assert!(all.text.contains("Binary files /dev/null and b/blob.bin differ") && !all.text.contains("main-only"), "{}", all.text);
    assert!(e.diff(&s.id, "HEAD", &ch.tree, None).await.is_err(), "only object ids are taken");
    assert!(e.diff(&s.id, &ch.merge_base, &ch.tree, Some("../etc/passwd")).await.is_err());
}

#[tokio::test]
async fn a_folder_outside_git_runs_as_before_and_cannot_ask_for_a_worktree() {
    let data = tempfile::tempdir().unwrap();
    let plain = tempfile::tempdir().unwrap();
    let cwd = plain.path().canonicalize().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    assert_eq!(switchboard_core::workspace::probe(&cwd).await.unwrap(), None);
    let s = e.create(command(&cwd, "sh", &["-c", "echo hi > f.txt"])).await.unwrap();
    assert_eq!(wait_final(&e, &s.id).await.status, SessionStatus::Ended);
    assert_eq!(s.cwd, cwd.to_str().unwrap());
    assert!(cwd.join("f.txt").exists());
    assert_eq!(e.workspace(&s.id).unwrap(), None);
    assert!(e.checkpoints(&s.id).await.unwrap().is_empty());
    assert_eq!(e.changes(&s.id).await.unwrap_err().kind(), ErrorCode::InvalidInput);
    assert!(!data.path().join("worktrees").exists());

    let mut req = command(&cwd, "true", &[]);
    req.worktree = Some(WorktreeRequest::default());
    let err = e.create(req).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid { field: "worktree", .. }), "{err}");
    assert_eq!(e.list(&SessionFilter::default()).unwrap().len(), 1, "nothing stored");
}

#[tokio::test]
async fn branch_names_and_bases_are_validated_and_a_refusal_creates_nothing() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let branches = || git(&root, &["branch", "--format=%(refname:short)"]);
    let with = |base: Option<&str>, branch: Option<&str>| {
        let mut req = command(&root, "true", &[]);
        req.worktree = Some(WorktreeRequest { base: base.map(String::from), branch: branch.map(String::from) });
        req
    };
    for bad in ["has space", "a..b", "-rf", "ends.lock", "x~1", "@{-1}", "tab\there", "colon:x", "trailing/"] {
        let err = e.create(with(None, Some(bad))).await.unwrap_err();
        assert!(matches!(&err, Error::Invalid { field: "worktree.branch", .. }), "{bad}: {err}");
    }
    let err = e.create(with(None, Some("main"))).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = e.create(with(Some("no-such-branch"), None)).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid { field: "worktree.base", .. }), "{err}");
    assert_eq!(branches(), "main", "no branch left behind");
    assert!(e.list(&SessionFilter::default()).unwrap().is_empty());
    assert!(e.workspaces().unwrap().is_empty());

    // A good name, from a subfolder: the agent starts in the same subfolder of its worktree.
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/x"), "x").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "sub"]);
    let mut req = command(&root.join("sub"), "true", &[]);
    req.worktree = Some(WorktreeRequest { base: Some("main".into()), branch: Some("fix/login-2".into()) });
    let s = e.create(req).await.unwrap();
    let w = e.workspace(&s.id).unwrap().unwrap();
    assert_eq!(w.branch, "fix/login-2");
    assert_eq!(s.cwd, format!("{}/sub", w.path));
    assert!(branches().lines().any(|b| b == "fix/login-2"));
}
