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
    // The Changes tab's list between two checkpoints: only what the second turn did.
    let listed = e.compare(&s.id, &cps[0].commit, &cps[1].tree).await.unwrap();
    let paths: Vec<_> = listed.files.iter().map(|f| (f.path.as_str(), f.status, f.added, f.removed)).collect();
    assert_eq!(paths, [("two.txt", FileStatus::Added, 1, 0)]);
    assert_eq!((listed.stats.files, listed.stats.added, listed.stats.removed), (1, 1, 0));
    assert!(e.compare(&s.id, "HEAD", &cps[1].tree).await.is_err(), "only object ids are taken");

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
    assert_eq!(ch.stats.behind, 1, "main's new commit: behind base by 1");
    assert_eq!(e.workspace(&s.id).unwrap().unwrap().stats.map(|s| s.behind), Some(1), "stored for the sessions list");
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

// ---- Landing, deleting and cleaning up (real git; a shell command does the agent's work) ----

use switchboard_core::workspace::{LandMethod, RepoSetup};

/// A finished session in its own worktree of `root` whose agent ran `script` there.
async fn worked(e: &Engine, root: &Path, branch: &str, script: &str) -> (String, PathBuf) {
    let mut req = command(root, "sh", &["-c", script]);
    req.worktree = Some(WorktreeRequest { base: None, branch: Some(branch.into()) });
    let s = e.create(req).await.unwrap();
    assert_eq!(wait_final(e, &s.id).await.status, SessionStatus::Ended);
    let w = e.workspace(&s.id).unwrap().unwrap();
    (s.id, PathBuf::from(w.path))
}

fn commit_script(file: &str, text: &str) -> String {
    format!("printf '{text}\\n' > {file} && git add {file} && git commit -qm 'add {file}'")
}

#[tokio::test]
async fn merge_fast_forward_squash_and_merge_land_on_the_checked_out_base() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());

    // Fast-forward: main has not moved, so it moves to the branch's tip.
    let (a, wa) = worked(&e, &root, "land/a", &commit_script("a.txt", "a")).await;
    let out = e.land(&a, LandMethod::FastForward, None).await.unwrap();
    assert!(out.landed && out.conflicts.is_empty(), "{out:?}");
    assert_eq!(git(&root, &["rev-parse", "main"]), git(&wa, &["rev-parse", "HEAD"]));
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "a\n", "the main checkout's files follow");
    assert!(git(&root, &["status", "--porcelain"]).is_empty());
    assert_eq!(e.removal_check(&a).await.unwrap().unwrap().unmerged_commits, 0);

    // Squash: main moved on (a landed), so a fast-forward is refused and nothing moves.
    let (b, wb) = worked(&e, &root, "land/b", &format!("{} && {}", commit_script("b1.txt", "1"), commit_script("b2.txt", "2"))).await;
    std::fs::write(root.join("main.txt"), "m\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "main moves"]);
    let main_before = git(&root, &["rev-parse", "main"]);
    let err = e.land(&b, LandMethod::FastForward, None).await.unwrap_err();
    assert!(err.to_string().contains("fast-forward is not possible"), "{err}");
    assert_eq!(git(&root, &["rev-parse", "main"]), main_before);
    assert_eq!(e.removal_check(&b).await.unwrap().unwrap().unmerged_commits, 2);
    let out = e.land(&b, LandMethod::Squash, Some("Add b1 and b2")).await.unwrap();
    assert!(out.landed, "{out:?}");
    let tip = git(&root, &["rev-parse", "main"]);
    assert_eq!(git(&root, &["rev-list", "--parents", "-n1", "main"]), format!("{tip} {main_before}"), "one commit, one parent");
    assert_eq!(git(&root, &["log", "-1", "--format=%s%n%an", "main"]), "Add b1 and b2\nDev", "the user's identity");
    assert!(root.join("b1.txt").exists() && root.join("b2.txt").exists());
    assert_eq!(git(&wb, &["rev-parse", "HEAD"]), tip, "the session goes on from what was landed");
    assert_eq!(e.removal_check(&b).await.unwrap().unwrap().unmerged_commits, 0);
    assert!(git(&root, &["status", "--porcelain"]).is_empty() && git(&wb, &["status", "--porcelain"]).is_empty());

    // Merge: a merge commit with the branch as second parent.
    let (c, wc) = worked(&e, &root, "land/c", &commit_script("c.txt", "c")).await;
    let out = e.land(&c, LandMethod::Merge, None).await.unwrap();
    assert!(out.landed, "{out:?}");
    let parents = git(&root, &["rev-list", "--parents", "-n1", "main"]);
    assert!(parents.ends_with(&format!("{tip} {}", git(&wc, &["rev-parse", "HEAD"]))), "{parents}");
    assert_eq!(git(&root, &["log", "-1", "--format=%s", "main"]), "Merge branch 'land/c'");
    // Nothing left to land.
    let err = e.land(&c, LandMethod::Merge, None).await.unwrap_err();
    assert!(err.to_string().contains("nothing to land"), "{err}");
    assert!(e.session_log(&c).unwrap().iter().any(|t| t.kind == TaskEventKind::Landed));
}

#[tokio::test]
async fn a_base_not_checked_out_anywhere_is_moved_by_its_ref_only() {
    let (_keep, root) = repo();
    git(&root, &["branch", "develop"]);
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let mut req = command(&root, "sh", &["-c", &commit_script("d.txt", "d")]);
    req.worktree = Some(WorktreeRequest { base: Some("develop".into()), branch: Some("on-develop".into()) });
    let s = e.create(req).await.unwrap();
    wait_final(&e, &s.id).await;
    let before = state(&root);
    let out = e.land(&s.id, LandMethod::Squash, None).await.unwrap();
    assert!(out.landed, "{out:?}");
    assert_eq!(git(&root, &["show", "develop:d.txt"]), "d");
    assert_eq!(state(&root), before, "main and its checkout untouched");
}

#[tokio::test]
async fn rebase_replays_the_branch_onto_the_moved_base() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let (s, wt) = worked(&e, &root, "land/r", &format!("{} && {}", commit_script("r1.txt", "1"), commit_script("r2.txt", "2"))).await;
    std::fs::write(root.join("main.txt"), "m\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "main moves"]);
    let main = git(&root, &["rev-parse", "main"]);
    let before = state(&root);
    let out = e.land(&s, LandMethod::Rebase, None).await.unwrap();
    assert!(out.landed, "{out:?}");
    assert_eq!(git(&wt, &["rev-parse", "HEAD~2"]), main, "both commits now sit on main's tip");
    assert_eq!(git(&wt, &["log", "--format=%s", "-2"]), "add r2.txt\nadd r1.txt");
    assert!(wt.join("main.txt").exists());
    assert_eq!(state(&root), before, "a rebase does not touch the base or its checkout");
    assert_eq!(e.changes(&s).await.unwrap().stats.behind, 0, "no longer behind main");
    // Then a fast-forward is possible.
    assert!(e.land(&s, LandMethod::FastForward, None).await.unwrap().landed);
}

#[tokio::test]
async fn a_real_conflict_is_refused_with_its_files_and_nothing_changes_on_either_side() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let script = "printf 'from the session\\n' > README.md && printf 'x\\n' > other.txt && git commit -qam 'session edit' && git add other.txt && git commit -qm other";
    let (s, wt) = worked(&e, &root, "land/conflict", script).await;
    std::fs::write(root.join("README.md"), "from main\n").unwrap();
    git(&root, &["commit", "-q", "-am", "main edit"]);
    let (main_before, wt_before) = (state(&root), state(&wt));
    let refs_before = git(&root, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    for method in [LandMethod::Merge, LandMethod::Squash, LandMethod::Rebase] {
        let out = e.land(&s, method, None).await.unwrap();
        assert!(!out.landed, "{method:?}: {out:?}");
        assert_eq!(out.conflicts, vec!["README.md".to_string()], "{method:?}");
        assert!(out.message.contains("nothing was changed"), "{}", out.message);
        assert_eq!(state(&root), main_before, "{method:?}: the main checkout is as it was");
        assert_eq!(state(&wt), wt_before, "{method:?}: the session's worktree is as it was");
        assert_eq!(git(&root, &["for-each-ref", "--format=%(refname) %(objectname)"]), refs_before, "no ref moved");
        assert!(!wt.join(".git").is_dir() && git(&wt, &["status"]).contains("nothing to commit"), "no rebase or merge in progress");
    }
    assert_eq!(std::fs::read_to_string(root.join("README.md")).unwrap(), "from main\n");
}

#[tokio::test]
async fn uncommitted_changes_are_refused_with_the_reason_then_committed() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    // The session left its work uncommitted.
    let (s, wt) = worked(&e, &root, "land/dirty", "printf 'w\\n' > work.txt").await;
    let err = e.land(&s, LandMethod::Merge, None).await.unwrap_err();
    assert!(err.to_string().contains("uncommitted changes (work.txt): commit them first"), "{err}");
    let commit = e.commit_work(&s, "  Work from the session  ").await.unwrap();
    assert_eq!(git(&wt, &["log", "-1", "--format=%H %s %an"]), format!("{commit} Work from the session Dev"));
    assert!(e.commit_work(&s, "again").await.unwrap_err().to_string().contains("nothing to commit"));
    assert!(e.commit_work(&s, " ").await.is_err());

    // The user's main checkout has an uncommitted edit: refused, and it is kept as it was.
    std::fs::write(root.join("README.md"), "my own edit\n").unwrap();
    let before = state(&root);
    let err = e.land(&s, LandMethod::FastForward, None).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("(on main) has uncommitted changes (README.md)") && text.contains("nothing was changed"), "{text}");
    assert_eq!(state(&root), before);
    assert_eq!(std::fs::read_to_string(root.join("README.md")).unwrap(), "my own edit\n");
    // Once it is committed (or stashed), the landing goes through.
    git(&root, &["commit", "-q", "-am", "mine"]);
    assert!(e.land(&s, LandMethod::Merge, None).await.unwrap().landed);
    assert!(root.join("work.txt").exists());
}

#[tokio::test]
async fn deleting_warns_of_unmerged_work_and_removes_the_worktree_branch_and_checkpoints_when_asked() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let (s, wt) = worked(&e, &root, "del/work", &format!("{} && printf 'u\\n' > loose.txt", commit_script("kept.txt", "k"))).await;
    e.checkpoint(&s, "by hand").await.unwrap();
    let check = e.removal_check(&s).await.unwrap().unwrap();
    assert_eq!((check.exists, check.unmerged_commits, check.uncommitted_files), (true, 1, 1));
    e.delete_with_worktree(&s, true).await.unwrap();
    assert!(!wt.exists(), "the worktree is gone");
    assert!(git(&root, &["branch", "--list", "del/work"]).is_empty(), "and its branch");
    assert!(git(&root, &["for-each-ref", "refs/switchboard/"]).is_empty(), "and its checkpoints");
    assert!(e.orphan_worktrees().await.unwrap().is_empty());

    // Deleting without asking keeps everything: the worktree then shows in the clean-up list.
    let (t, wt2) = worked(&e, &root, "del/kept", &commit_script("k2.txt", "k")).await;
    e.delete(&t).await.unwrap();
    assert!(wt2.exists());
    let orphans = e.orphan_worktrees().await.unwrap();
    assert_eq!(orphans.len(), 1);
    assert_eq!((orphans[0].path.as_str(), orphans[0].branch.as_deref()), (wt2.to_str().unwrap(), Some("del/kept")));
}

#[tokio::test]
async fn clean_up_after_a_crash_finds_the_orphaned_worktree_and_startup_deletes_nothing() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let live_wt;
    {
        let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
        let (_live, wt) = worked(&e, &root, "crash/live", "true").await;
        live_wt = wt;
    }
    // A crash between `git worktree add` and the session's row: a worktree nobody knows.
    let lost = data.path().join("worktrees").join("app-0000").join("switchboard").join("lost-abc123");
    std::fs::create_dir_all(lost.parent().unwrap()).unwrap();
    git(&root, &["worktree", "add", "-q", "-b", "switchboard/lost-abc123", lost.to_str().unwrap(), "main"]);
    std::fs::write(lost.join("half.txt"), "unsaved\n").unwrap();
    let lost = lost.canonicalize().unwrap();

    // Restart: nothing is deleted on its own.
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    assert!(lost.exists() && live_wt.exists());
    let orphans = e.orphan_worktrees().await.unwrap();
    assert_eq!(orphans.len(), 1, "only the one no session works in: {orphans:?}");
    let o = &orphans[0];
    assert_eq!(o.path, lost.to_str().unwrap());
    assert_eq!((o.repo_root.as_deref(), o.branch.as_deref(), o.uncommitted_files), (root.to_str(), Some("switchboard/lost-abc123"), 1));
    assert!(lost.exists(), "listing removes nothing");

    let err = e.remove_orphan_worktrees(&[live_wt.to_string_lossy().into_owned()]).await.unwrap_err();
    assert!(matches!(err, Error::Invalid { field: "path", .. }), "a session's worktree is not an orphan: {err}");
    assert!(live_wt.exists());
    assert_eq!(e.remove_orphan_worktrees(std::slice::from_ref(&o.path)).await.unwrap(), vec![o.path.clone()]);
    assert!(!lost.exists());
    assert!(!git(&root, &["worktree", "list"]).contains("lost-abc123"));
    assert_eq!(git(&root, &["branch", "--list", "switchboard/lost-abc123"]), "switchboard/lost-abc123", "its branch is kept");
    assert!(e.orphan_worktrees().await.unwrap().is_empty());
}

#[tokio::test]
async fn setup_copies_the_chosen_files_and_runs_its_command_and_a_failing_command_creates_nothing() {
    let (_keep, root) = repo();
    // Ignored files a checkout does not bring.
    std::fs::write(root.join(".gitignore"), "build/\n.env*\n.claude/settings.local.json\n").unwrap();
    git(&root, &["commit", "-qam", "ignore env"]);
    std::fs::write(root.join(".env"), "TOKEN=1\n").unwrap();
    std::fs::write(root.join(".env.local"), "LOCAL=1\n").unwrap();
    std::fs::create_dir(root.join(".claude")).unwrap();
    std::fs::write(root.join(".claude/settings.local.json"), "{}\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let cwd = root.to_string_lossy().into_owned();
    assert!(e.save_repo_setup(&cwd, RepoSetup { copy_files: vec!["../x".into()], ..Default::default() }).await.is_err());
    let saved = e
        .save_repo_setup(
            &cwd,
            RepoSetup {
                copy_files: vec![".env*".into(), " .claude/settings.local.json ".into(), "missing.txt".into()],
                setup_command: Some("echo preparing; cat .env > prepared.txt; echo done >&2".into()),
                worktree_dir: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(saved.copy_files[1], ".claude/settings.local.json", "trimmed");
    assert_eq!(e.repo_setup(&cwd).await.unwrap().unwrap().1, saved);

    let (s, wt) = worked(&e, &root, "setup/ok", "cat prepared.txt").await;
    for f in [".env", ".env.local", ".claude/settings.local.json"] {
        assert_eq!(std::fs::read(wt.join(f)).unwrap(), std::fs::read(root.join(f)).unwrap(), "{f} copied");
    }
    assert_eq!(std::fs::read_to_string(wt.join("prepared.txt")).unwrap(), "TOKEN=1\n", "the command ran after the copy, in the worktree");
    let out: Vec<String> = e.output(&s, 0, 100).unwrap().into_iter().map(|o| o.payload).collect();
    let text = out.join("\n");
    assert!(text.contains("setup: copied .claude/settings.local.json, .env, .env.local"), "{text}");
    assert!(text.contains("exited with 0") && text.contains("preparing") && text.contains("done"), "{text}");
    assert!(text.find("preparing").unwrap() < text.find("TOKEN=1").unwrap(), "the setup's output comes before the agent's: {text}");

    // A failing setup command: a clear error, and no session, worktree or branch left.
    e.save_repo_setup(
        &cwd,
        RepoSetup {
            copy_files: vec![".env".into()],
            setup_command: Some("echo installing; echo 'npm ERR! missing' >&2; exit 3".into()),
            worktree_dir: None,
        },
    )
    .await
    .unwrap();
    let before = e.list(&SessionFilter::default()).unwrap().len();
    let mut req = command(&root, "true", &[]);
    req.worktree = Some(WorktreeRequest { base: None, branch: Some("setup/fails".into()) });
    let err = e.create(req).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(&err, Error::Invalid { field: "setup", .. }), "{err}");
    assert!(text.contains("exited with 3") && text.contains("npm ERR! missing") && text.contains("nothing was created"), "{text}");
    assert_eq!(e.list(&SessionFilter::default()).unwrap().len(), before, "no session");
    assert!(git(&root, &["branch", "--list", "setup/fails"]).is_empty(), "no branch");
    assert!(!git(&root, &["worktree", "list"]).contains("setup/fails"), "no worktree");
    assert!(e.orphan_worktrees().await.unwrap().is_empty(), "nothing left on disk");

    // Cleared: worktrees get nothing.
    e.save_repo_setup(&cwd, RepoSetup::default()).await.unwrap();
    let (_t, wt2) = worked(&e, &root, "setup/none", "true").await;
    assert!(!wt2.join(".env").exists());
}

#[tokio::test]
async fn a_repository_can_put_its_worktrees_in_a_folder_of_its_own_and_clean_up_finds_them_there() {
    let (keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let cwd = root.to_string_lossy().into_owned();
    assert!(e.save_repo_setup(&cwd, RepoSetup { worktree_dir: Some("~/wt".into()), ..Default::default() }).await.is_err());
    // Relative to the repository: a sibling folder.
    e.save_repo_setup(&cwd, RepoSetup { worktree_dir: Some("../app-worktrees".into()), ..Default::default() }).await.unwrap();
    let (s, wt) = worked(&e, &root, "place/here", "true").await;
    let place = keep.path().canonicalize().unwrap().join("app-worktrees");
    assert_eq!(wt, place.join("place/here"), "in the repository's folder");
    assert!(!data.path().join("worktrees").exists(), "not under the data dir");
    // A user's own worktree in that folder belongs to no session: listed, never removed unasked.
    e.delete(&s).await.unwrap();
    let orphans = e.orphan_worktrees().await.unwrap();
    assert_eq!(orphans.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(), [wt.to_str().unwrap()]);
    assert!(wt.exists());
    e.remove_orphan_worktrees(&[wt.to_string_lossy().into_owned()]).await.unwrap();
    assert!(!wt.exists());
    // The main checkout itself is never listed, though it is a worktree of the repository.
    e.save_repo_setup(&cwd, RepoSetup { worktree_dir: Some("..".into()), ..Default::default() }).await.unwrap();
    assert!(e.orphan_worktrees().await.unwrap().is_empty(), "the main checkout is not an orphan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_being_set_up_is_not_offered_for_clean_up() {
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let cwd = root.to_string_lossy().into_owned();
    e.save_repo_setup(&cwd, RepoSetup { setup_command: Some("touch started; sleep 2".into()), ..Default::default() }).await.unwrap();
    let mut req = command(&root, "true", &[]);
    req.worktree = Some(WorktreeRequest { base: None, branch: Some("slow/setup".into()) });
    let creating = tokio::spawn({
        let e = e.clone();
        async move { e.create(req).await }
    });
    // Wait until the setup runs in its worktree, then ask for leftovers.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let started = loop {
        let found: Vec<PathBuf> = walk_started(&data.path().join("worktrees"));
        if let Some(p) = found.into_iter().next() {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "the setup never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(started.exists());
    assert!(e.orphan_worktrees().await.unwrap().is_empty(), "a worktree being set up is not a leftover");
    let s = creating.await.unwrap().unwrap();
    assert!(e.workspace(&s.id).unwrap().is_some());
    assert!(e.orphan_worktrees().await.unwrap().is_empty());
}

/// The `started` files under `dir`, at any depth.
fn walk_started(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(walk_started(&p));
        } else if p.file_name().is_some_and(|n| n == "started") {
            found.push(p);
        }
    }
    found
}

/// A program at `dir/name` that writes its working directory and then its arguments, one a
/// line, to `out` (whole: written aside, then renamed). Copied into place by `cp`, never
/// written there by us: a descriptor of ours open for writing, inherited by another test
/// thread's fork, would make its exec fail with "Text file busy".
fn recorder(dir: &Path, name: &str, out: &Path) -> PathBuf {
    let src = dir.join(format!("{name}.src"));
    let out = out.display();
    std::fs::write(
        &src,
        format!("#!/bin/sh\n{{ pwd; for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }} > '{out}.part' && mv '{out}.part' '{out}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = dir.join(name);
    assert!(Command::new("cp").arg(&src).arg(&path).status().unwrap().success());
    path
}

/// The lines `recorder` wrote to `out`, once it has (the program runs on its own).
async fn recorded(out: &Path) -> Vec<String> {
    for _ in 0..500 {
        if let Ok(text) = std::fs::read_to_string(out) {
            return text.lines().map(String::from).collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} was never written", out.display());
}

#[tokio::test]
async fn open_in_starts_the_chosen_editor_and_terminal_in_the_worktree_and_says_when_one_is_missing() {
    use switchboard_core::open::OpenIn;
    let (_keep, root) = repo();
    let data = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let e = engine(data.path(), ManualClock::new(), EngineConfig::default());
    let mut req = command(&root, "sh", &["-c", "true"]);
    req.worktree = Some(WorktreeRequest::default());
    let s = e.create(req).await.unwrap();
    wait_final(&e, &s.id).await;
    let wt = e.workspace(&s.id).unwrap().unwrap().path;
    assert_ne!(Path::new(&wt), root.as_path());

    let (editor_out, terminal_out) = (bin.path().join("editor.out"), bin.path().join("terminal.out"));
    let editor = recorder(bin.path(), "my-editor", &editor_out);
    let terminal = recorder(bin.path(), "my-terminal", &terminal_out);
    let mut settings = e.settings().unwrap();
    settings.open_editor = vec![editor.to_string_lossy().into(), "--new-window".into()];
    settings.open_terminal = vec![terminal.to_string_lossy().into()];
    e.save_settings(&settings).unwrap();

    // The editor gets the worktree as its last argument; the terminal starts in it.
    assert_eq!(e.open_in(&s.id, OpenIn::Editor).await.unwrap(), editor.to_string_lossy());
    assert_eq!(recorded(&editor_out).await, [wt.as_str(), "--new-window", wt.as_str()]);
    assert_eq!(e.open_in(&s.id, OpenIn::Terminal).await.unwrap(), terminal.to_string_lossy());
    assert_eq!(recorded(&terminal_out).await, [wt.as_str()]);

    // A program that is not there: a clear error naming it and where to set another.
    settings.open_terminal = vec!["/nowhere/terminal".into()];
    e.save_settings(&settings).unwrap();
    let err = e.open_in(&s.id, OpenIn::Terminal).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("'/nowhere/terminal' was not found") && err.to_string().contains("Settings"), "{err}");
    // Its worktree removed behind its back: said so, nothing started.
    std::fs::remove_dir_all(&wt).unwrap();
    let err = e.open_in(&s.id, OpenIn::Editor).await.unwrap_err();
    assert!(err.to_string().contains("is not a folder"), "{err}");
}
