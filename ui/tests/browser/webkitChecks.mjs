// The checks webkit.mjs runs in WebKitGTK, by section (ONLY=<regex> picks sections). Each
// names the issue-14 item it covers; each failed on main before its fix.
export const sections = [
  [
    "sessions list",
    async (page, { check, fullOptions }) => {
      await page.open(fullOptions());
      await check("the sessions list renders in WebKitGTK", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 11");
      });
      await page.shot("webkit-sessions.png");
    },
  ],
  [
    "new session form",
    async (page, { check, assert, assertEq, fullOptions, KEY }) => {
      await page.open(fullOptions());
      await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 11");

      await check("new session, first launch: Claude Code is the agent (it is installed) and the prompt has the focus", async () => {
        await page.chord(KEY.Control, "n");
        await page.visible("[data-testid=new-session-dialog]");
        await page.waitFn("return document.querySelector('[data-testid=field-agent]').value === 'claude'", [], { what: "agent claude" });
        await page.waitFn("return document.activeElement && document.activeElement.dataset.testid === 'field-prompt'", [], { what: "prompt focused" });
      });

      await check("new session: Esc with a typed draft asks first; Cancel keeps the draft, Discard closes", async () => {
        await page.keys("Fix the flaky test");
        await page.keys(KEY.Escape);
        await page.visible("[data-testid=discard-draft]");
        assertEq(await page.count("[data-testid=new-session-dialog]"), 1, "the form is still open");
        await page.keys(KEY.Escape);
        await page.gone("[data-testid=discard-draft]");
        assertEq(await page.eval("return document.querySelector('[data-testid=field-prompt]').value"), "Fix the flaky test", "draft kept");
        await page.keys(KEY.Escape);
        await page.click("[data-testid=discard-draft]");
        await page.gone("[data-testid=new-session-dialog]");
      });

      await check("new session: a missing folder is said before Create, in plain words; the Recent list is not marked red", async () => {
        await page.chord(KEY.Control, "n");
        await page.visible("[data-testid=new-session-dialog]");
        await page.fill("[data-testid=field-cwd]", "/does/not/exist");
        await page.click("[data-testid=field-title]");
        await page.visible("[data-testid=field-error-cwd]");
        assertEq(await page.text("[data-testid=field-error-cwd]"), "The folder '/does/not/exist' does not exist.", "the folder's error");
        assertEq((await page.calls("create_session")).length, 0, "nothing created");
        const [cwd, recent] = await page.eval(
          "return ['field-cwd', 'recent-folders'].map(t => getComputedStyle(document.querySelector(`[data-testid=${t}]`)).borderTopColor)",
        );
        assert(cwd !== recent, `the folder is marked (${cwd}), the Recent list is not (${recent})`);
        await page.shot("webkit-new-session-folder.png");
      });

      await check("new session: a command session opens its detail after Create", async () => {
        await page.eval("const s = document.querySelector('[data-testid=field-agent]'); s.value = 'command'; s.dispatchEvent(new Event('change'))");
        await page.fill("[data-testid=field-program]", "bash");
        await page.fill("[data-testid=field-args]", '-c "echo hi"');
        await page.fill("[data-testid=field-cwd]", "/home/dev/src/switchboard");
        await page.click("[data-testid=create-session-submit]");
        await page.gone("[data-testid=new-session-dialog]");
        await page.visible("[data-testid=session-detail]");
      });
    },
  ],
  [
    "permission timeline",
    async (page, { check, fullOptions, ids }) => {
      await page.open(fullOptions(), { hash: `#/sessions/${ids.PERM_ID}` });
      await check("timeline: an Allow in the app shows as \"Allowed: Bash\", by you, in the app", async () => {
        await page.click("[data-testid=permission-allow]");
        await page.gone("[data-testid=permission-prompt]");
        await page.eval("location.hash = '#/tasks/ENG-1450'");
        await page.waitFn(
          "return [...document.querySelectorAll('[data-testid=timeline-event]')].some(e => /Allowed: Bash/.test(e.innerText) && /by you, in the app/.test(e.innerText))",
          [],
          { what: "the decision in the timeline" },
        );
        await page.shot("webkit-timeline-permission.png");
      });
    },
  ],
  [
    "screenshots",
    async (page, { check, fullOptions, ids, KEY }) => {
      await page.open(fullOptions(), { hash: `#/sessions/${ids.CLAUDE_ID}` });
      await check("screenshot: a transcript (the user's prompts, tools, the turn's end)", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=output-item]').length > 5");
        await page.shot("webkit-transcript.png");
      });
      await check("screenshot: the Ctrl-K switcher with results (not collapsed in WebKitGTK)", async () => {
        await page.chord(KEY.Control, "k");
        await page.visible("[data-testid=switcher-item]");
        const h = await page.eval("return document.querySelector('[data-testid=switcher-item]').getBoundingClientRect().height");
        if (!(h > 16)) throw new Error(`switcher rows are ${h}px high`);
        await page.shot("webkit-switcher.png");
        await page.keys(KEY.Escape);
      });
      await page.open(fullOptions(), { hash: `#/sessions/${ids.PERM_ID}` });
      await check("screenshot: a session waiting for approval offers Interrupt", async () => {
        await page.visible("[data-testid=permission-prompt]");
        await page.visible("[data-testid=interrupt-button]");
        await page.shot("webkit-waiting-interrupt.png");
      });
    },
  ],
  [
    "changes and landing",
    async (page, { check, assert, assertEq, fullOptions, ids, worktrees, orphans }) => {
      await page.open(fullOptions({ worktrees }), { hash: `#/sessions/${ids.ENDED_CLAUDE_ID}` });
      await check("the sessions list: branch, +/− and behind base by N", async () => {
        await page.eval("location.hash = '#/sessions'");
        await page.visible("[data-testid=behind-base]");
        assertEq(await page.text("[data-testid=behind-base]"), "↓4", "behind main by 4");
        await page.shot("webkit-sessions-worktree.png");
        await page.eval(`location.hash = '#/sessions/${ids.ENDED_CLAUDE_ID}'`);
        await page.visible("[data-testid=tab-changes]");
      });
      await check("the Changes tab: files with counts, a file's diff, checkpoints, Commit and Land", async () => {
        await page.click("[data-testid=tab-changes]");
        await page.waitFn("return document.querySelectorAll('[data-testid=changed-file]').length === 3");
        await page.waitFn("return /MAX_SKEW_SECS/.test(document.querySelector('[data-testid=file-diff]').innerText)", [], { what: "the diff" });
        assertEq(await page.count("[data-testid=checkpoint]"), 2, "checkpoints");
        assertEq(await page.text("[data-testid=land]"), "Land on main", "the land button names the base");
        assert((await page.text("[data-testid=changes-behind]")).includes("behind main by 4 commits"), "behind base shown");
        assertEq(
          await page.eval("return document.querySelector('[data-testid=commit-message]').value"),
          "Write release notes for v0.9",
          "the commit message is prefilled with the session's title, editable",
        );
        await page.shot("webkit-changes.png");
      });
      await check("a merge conflict: the message and the conflicting files, nothing changed", async () => {
        await page.click("[data-testid=land]");
        await page.visible("[data-testid=land-conflicts]");
        const text = await page.text("[data-testid=land-refusal]");
        assert(text.includes("conflicts with main in 2 file(s); nothing was changed"), text);
        assert(text.includes("src/token.rs") && text.includes("CHANGELOG.md"), text);
        assertEq((await page.calls("land_session")).at(-1), { method: "merge", id: ids.ENDED_CLAUDE_ID, message: null }, "land args");
        await page.shot("webkit-land-conflict.png");
      });
      await check("delete offers to remove the worktree and branch, warning of unmerged and uncommitted work", async () => {
        await page.click("[data-testid=tab-output]");
        await page.click("[data-testid=delete-button]");
        await page.visible("[data-testid=delete-worktree]");
        await page.visible("[data-testid=delete-worktree-warning]");
        const text = await page.text("[data-testid=delete-worktree-warning]");
        assert(text.includes("2 commits not in main") && text.includes("1 uncommitted file"), text);
        await page.shot("webkit-delete-worktree.png");
      });
      await page.open(fullOptions({ orphans }), { hash: "#/settings" });
      await check("Settings → Clean up lists worktrees whose sessions are gone and removes only the chosen", async () => {
        await page.click("[data-testid=find-orphans]");
        await page.waitFn("return document.querySelectorAll('[data-testid=orphan-worktree]').length === 2");
        const text = await page.text("[data-testid=worktree-cleanup]");
        assert(text.includes("2 uncommitted files would be lost") && text.includes("its repository is gone"), text);
        await page.eval("document.querySelector('[data-testid=worktree-cleanup]').scrollIntoView()");
        await page.shot("webkit-cleanup.png");
        await page.click("[data-testid=orphan-worktree] input");
        await page.click("[data-testid=remove-orphans]");
        await page.waitFn("return document.querySelectorAll('[data-testid=orphan-worktree]').length === 1");
        assertEq((await page.calls("remove_orphan_worktrees")).at(-1), { paths: [orphans[0].path] }, "only the chosen one");
      });
    },
  ],
];

