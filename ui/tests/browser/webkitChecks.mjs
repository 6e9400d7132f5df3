// The checks webkit.mjs runs in WebKitGTK, by section (ONLY=<regex> picks sections). Each
// names the issue-14 item it covers; each failed on main before its fix.
import { LONG_ID } from "./fixtures.mjs";

/** A subagent of the terminal session LONG_ID, imported as its child session. */
function withSubagent(options) {
  const parent = options.sessions.find((s) => s.id === LONG_ID);
  const child = {
    ...parent,
    id: "claude_01939e11e2aa",
    title: "Find every jest.mock call",
    agent_session_id: null,
    task_id: null,
    turns: 14,
    message_count: 2,
    input_tokens: 88_000,
    output_tokens: 4_100,
    cost_usd: 0.31,
    config: { ...parent.config, metadata: { subagent_of: LONG_ID, parent_agent_session_id: "long-1", subagent: "agent-a1f3" } },
  };
  return { ...options, sessions: [...options.sessions, child] };
}

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

      await check("a command session's header shows the command with its quotes", async () => {
        await page.waitFn("const h = document.querySelector('[data-testid=session-detail] h1.title'); return h && h.innerText.trim() === \"bash -c 'echo hi'\"", [], { what: "header bash -c 'echo hi'" });
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
      await check("screenshot: a transcript (the user's prompts, tools, the turn's end); \"Agent started\" once, not once per turn", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=output-item]').length > 5");
        // The fixture repeats the init right after the second prompt (as the CLI does every turn).
        const second = await page.waitFn("const e = [...document.querySelectorAll('[data-testid=output-item][data-kind=user_text]')].find(e => /regression test/.test(e.innerText)); return e && Number(e.dataset.seq)", [], { what: "the second prompt drawn" });
        await page.waitFn("return !!document.querySelector(`[data-testid=output-item][data-seq='${arguments[0] + 2}']`)", [second], { what: "the entries after it drawn" });
        const inits = await page.eval("return [...document.querySelectorAll('[data-testid=output-item][data-kind=system_init]')].map(e => Number(e.dataset.seq)).filter(s => s > arguments[0])", second);
        if (inits.length > 0) throw new Error(`"Agent started" drawn again after the second prompt (seq ${inits})`);
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
      await check("screenshot: a session waiting for approval offers Interrupt; its tool card says \"waiting for approval\", not running", async () => {
        await page.visible("[data-testid=permission-prompt]");
        await page.visible("[data-testid=interrupt-button]");
        await page.visible("[data-testid=tool-waiting]");
        await page.shot("webkit-waiting-interrupt.png");
      });
    },
  ],
  [
    "list rows and sidebar",
    async (page, { check, assert, assertEq, fullOptions, ids }) => {
      await page.open(fullOptions());
      await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 11");
      const note = (id) => page.eval("const e = document.querySelector(`[data-session-id='${arguments[0]}'] [data-testid=session-note]`); return e ? [e.innerText.trim(), e.title] : null", id);

      await check("list: a failed row shows its error in the row (one line, the full text as its tooltip)", async () => {
        const [text, title] = (await note(ids.FAILED_ID)) ?? [];
        assert(/^API Error: 429/.test(text ?? ""), `the failed row's note: ${text}`);
        assertEq(title, text, "the full text is the tooltip");
        const w = await page.eval("const n = document.querySelector(`[data-session-id='${arguments[0]}'] [data-testid=session-note]`); const r = n.getBoundingClientRect(); const c = n.closest('td').getBoundingClientRect(); return r.height > 0 && r.right <= c.right + 1 ? Math.min(r.width, c.right - r.left) : 0", ids.FAILED_ID);
        assert(w > 100, `the note is visible in its cell (${w}px)`);
        const h = await page.eval("return document.querySelector(`[data-session-id='${arguments[0]}']`).getBoundingClientRect().height", ids.FAILED_ID);
        assert(h < 48, `one line: the row is ${h}px high`);
      });

      await check("list: a waiting row says what it waits for (\"waiting: Bash …\")", async () => {
        await page.waitFn("return !!document.querySelector(`[data-session-id='${arguments[0]}'] [data-testid=session-note]`)", [ids.PERM_ID]);
        const [text] = (await note(ids.PERM_ID)) ?? [];
        assert(/^waiting: Bash npm install/.test(text ?? ""), `the waiting row's note: ${text}`);
      });

      await check("sidebar: \"1 failed\" is clickable and filters the list to failed sessions", async () => {
        await page.eval("location.hash = '#/metrics'");
        await page.click("[data-testid=sidebar-failed]");
        await page.waitFn("const rows = [...document.querySelectorAll('[data-testid=session-row]')]; return rows.length === 1 && rows[0].dataset.status === 'error'", [], { what: "only the failed row" });
        await page.shot("webkit-sessions-failed-filter.png");
        await page.click("[data-testid=clear-filters]");
      });

      await page.open(fullOptions(), { width: 800, height: 700 });
      await check("at 800 px the icon-only sidebar keeps the waiting and failed alerts", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 11");
        for (const id of ["sidebar-waiting", "sidebar-failed"]) {
          const w = await page.eval("const e = document.querySelector(`[data-testid=${arguments[0]}]`); return e ? e.getBoundingClientRect().width : 0", id);
          assert(w > 6, `${id} visible (${w}px)`);
        }
        await page.shot("webkit-sidebar-narrow.png");
      });
    },
  ],
  [
    "session detail",
    async (page, { check, assert, assertEq, sleep, fullOptions, ids }) => {
      await page.open(fullOptions(), { hash: `#/sessions/${ids.FAILED_ID}` });
      await check("a failed turn's API error is shown once (not in the banner, the reply and the error box)", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=output-item]').length > 5");
        const n = await page.eval("return document.body.innerText.split('Number of request tokens has exceeded').length - 1");
        assertEq(n, 1, "times the error's text is on the page");
        await page.shot("webkit-failed-once.png");
      });

      await page.open(fullOptions(), { hash: `#/sessions/${ids.COMMAND_ID}` });
      await check("a command session: no Raw output toggle to hide its lines; the entry count is the stored total", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=output-item][data-kind=line]').length > 0");
        assertEq(await page.count("[data-testid=raw-toggle]"), 0, "no Raw output toggle");
        const count = await page.text("[data-testid=output-count]");
        assert(!/hidden/.test(count), `nothing hidden: ${count}`);
        const last = await page.eval("return Math.max(...[...document.querySelectorAll('[data-testid=output-item]')].map(e => Number(e.dataset.seq)))");
        assert(new RegExp(`^${last.toLocaleString("en-US")} entries`).test(count), `count ${count} is the stored total (${last})`);
        await page.shot("webkit-command-output.png");
      });

      await page.open(fullOptions(), { hash: `#/sessions/${ids.CLAUDE_ID}` });
      await check("duration ticks every second while the session runs", async () => {
        await page.visible("[data-testid=session-duration]");
        const a = await page.text("[data-testid=session-duration]");
        await sleep(2200);
        const b = await page.text("[data-testid=session-duration]");
        assert(a !== b, `duration stayed at ${a}`);
      });
    },
  ],
  [
    "settings",
    async (page, { check, assert, assertEq, fullOptions }) => {
      await page.open(fullOptions(), { hash: "#/settings" });
      const edit = async (v) => {
        await page.visible("[data-testid=settings-max-live]");
        await page.eval("const e = document.querySelector('[data-testid=settings-max-live]'); e.value = arguments[0]; e.dispatchEvent(new Event('input', { bubbles: true }))", v);
      };
      await check("settings: leaving with unsaved edits asks Save / Discard / Stay; Stay keeps the edit", async () => {
        await edit("17");
        await page.click("[data-testid=nav-sessions]");
        await page.visible("[data-testid=settings-leave-dialog]");
        assertEq(await page.count("[data-testid=settings-view]"), 1, "still in Settings");
        await page.shot("webkit-settings-leave.png");
        await page.click("[data-testid=leave-stay]");
        await page.gone("[data-testid=settings-leave-dialog]");
        assertEq(await page.eval("return document.querySelector('[data-testid=settings-max-live]').value"), "17", "the edit is kept");
        assertEq(await page.eval("return location.hash"), "#/settings", "the address stays");
      });
      await check("settings: Discard leaves without saving; Save saves, then leaves", async () => {
        await page.click("[data-testid=nav-metrics]");
        await page.click("[data-testid=leave-discard]");
        await page.gone("[data-testid=settings-view]");
        assertEq((await page.calls("save_settings")).length, 0, "nothing saved");
        await page.click("[data-testid=nav-settings]");
        await edit("18");
        await page.eval("location.hash = '#/sessions'");
        await page.click("[data-testid=leave-save]");
        await page.gone("[data-testid=settings-view]");
        const saves = await page.calls("save_settings");
        assertEq(saves.length, 1, "saved once");
        assertEq(saves[0].settings.max_live_sessions, 18, "the edit saved");
        assert(/^#\/sessions/.test(await page.eval("return location.hash")), "then left to the sessions");
      });
    },
  ],
  [
    "sessions list keys",
    async (page, { check, assert, assertEq, fullOptions, KEY }) => {
      await page.open(fullOptions());
      await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 11");
      await check("list: Delete on the selected row asks, deletes, selects the next row; the notice does not push the view down", async () => {
        const [first, second, third] = await page.eval("return [...document.querySelectorAll('[data-testid=session-row]')].slice(0, 3).map(r => r.dataset.sessionId)");
        const top = () => page.eval("return document.querySelector('[data-testid=session-list]').getBoundingClientRect().top");
        const before = await top();
        await page.eval("document.querySelector(`[data-session-id='${arguments[0]}']`).focus()", second);
        await page.keys(KEY.Delete);
        await page.visible("[data-testid=confirm-delete]");
        assertEq((await page.calls("delete_session")).length, 0, "nothing deleted before confirming");
        await page.click("[data-testid=confirm-delete]");
        await page.gone(`[data-session-id='${second}']`);
        assertEq((await page.calls("delete_session")).map((a) => a.id), [second], "the selected session deleted");
        await page.waitFn("return document.activeElement && document.activeElement.dataset.sessionId === arguments[0]", [third], { what: "the next row selected" });
        await page.visible("[data-testid=notice]");
        assert(/^Deleted /.test(await page.text("[data-testid=notice]")), "the Deleted notice");
        const after = await top();
        assertEq(after, before, "the list's top (the notice is an overlay)");
        assert(first !== third, "rows differ");
        await page.shot("webkit-sessions-deleted.png");
      });
    },
  ],
  [
    "cut texts",
    async (page, { check, assert, fullOptions, ids }) => {
      const whole = (css) => page.eval("const e = document.querySelector(arguments[0]); return e ? [e.scrollWidth <= e.clientWidth + 1, e.innerText.trim()] : [false, null]", css);
      await page.open(fullOptions(), { hash: "#/settings", width: 900, height: 700 });
      await check("settings: the detected Claude path is a detected value, said whole; the input's placeholder is not a path", async () => {
        await page.visible("[data-testid=detected-claude]");
        const placeholder = await page.eval("return document.querySelector('[data-testid=settings-path-claude]').placeholder");
        assert(!placeholder.includes("/"), `placeholder: ${placeholder}`);
        const [fits, text] = await whole("[data-testid=detected-claude] .mono");
        assert(fits && text === "/home/dev/.local/bin/claude", `the path whole: ${text} (${fits})`);
        assert(/Detected:/.test(await page.text("[data-testid=detected-claude]")), "says Detected:");
        await page.shot("webkit-settings-detected.png");
      });
      await check("metrics: \"reported by the agents\" is not cut, at 1440 to 800 px", async () => {
        for (const width of [1440, 1280, 1100, 1000, 900, 800]) {
          await page.open(fullOptions(), { hash: "#/metrics", width, height: 700 });
          await page.visible("[data-testid=metric-cost] .sub");
          const [fits, text] = await whole("[data-testid=metric-cost] .sub");
          assert(fits && text === "reported by the agents", `at ${width} px: ${text} (whole: ${fits})`);
          // Nor with a wider font (the real app's): the line wraps, it is never cut with an ellipsis.
          const ws = await page.eval("return getComputedStyle(document.querySelector('[data-testid=metric-cost] .sub')).whiteSpace");
          assert(ws !== "nowrap", `the line may wrap (white-space: ${ws})`);
          if (width === 1100) await page.shot("webkit-metrics-cards.png");
        }
      });
      await page.open(fullOptions(), { hash: `#/sessions/${ids.CLAUDE_ID}`, width: 900, height: 700 });
      await check("a tool call's result summary, if cut, has the whole text as its tooltip", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=output-item]').length > 5");
        const bad = await page.eval("return [...document.querySelectorAll('.tool .state, [data-tool] .state')].filter(e => e.scrollWidth > e.clientWidth + 1 && e.title !== e.innerText.trim()).map(e => e.innerText)");
        assert(bad.length === 0, `cut without a tooltip: ${bad}`);
        const edits = await page.eval("return [...document.querySelectorAll('[data-tool=Edit] .state')].map(e => e.title)");
        assert(edits.some((t) => /has been updated/.test(t)), `the Edit's result as its tooltip: ${edits}`);
      });
    },
  ],
  [
    "empty state",
    async (page, { check, assertEq }) => {
      const exe = "/home/dev/Applications/Switchboard.AppImage";
      await page.open({ sessions: [], appInfo: { version: "0.1.0", data_dir: "/d", log_dir: "/d/logs", exe, cli: exe } });
      await check("empty state: the CLI hint uses the app's own path when switchboard is not on PATH", async () => {
        await page.visible("[data-testid=empty-cli]");
        await page.waitFn("return document.querySelector('[data-testid=empty-cli]').innerText.startsWith(arguments[0])", [exe], { what: "the full path" });
        assertEq(await page.text("[data-testid=empty-cli]"), `${exe} run --agent command --cwd . -- echo hello`, "the hint");
        const cut = await page.eval("const e = document.querySelector('[data-testid=empty-cli]'); return e.scrollWidth > e.clientWidth + 1");
        assertEq(cut, false, "the command is cut (scrolls)");
        await page.shot("webkit-empty-state.png");
      });
    },
  ],
  [
    "permission outcome",
    async (page, { check, assertEq, fullOptions, ids }) => {
      await page.open(fullOptions(), { hash: `#/sessions/${ids.PERM_ID}` });
      await check("transcript: after Allow, the \"Permission asked to use Bash\" line says \"allowed by you\"", async () => {
        await page.visible("[data-testid=permission-prompt]");
        assertEq(await page.count("[data-testid=permission-outcome]"), 0, "nothing said while pending");
        await page.click("[data-testid=permission-allow]");
        await page.gone("[data-testid=permission-prompt]");
        await page.waitFn("const e = document.querySelector('[data-testid=output-item][data-kind=permission_asked] [data-testid=permission-outcome]'); return e && e.innerText.trim() === 'allowed by you'", [], { what: "allowed by you" });
        await page.shot("webkit-permission-outcome.png");
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
  [
    "terminal sessions",
    async (page, { check, assert, assertEq, fullOptions }) => {
      await page.open(withSubagent(fullOptions()));
      await check("the list marks the sessions run in terminals (a subagent's too)", async () => {
        await page.waitFn("return document.querySelectorAll('[data-testid=session-row]').length === 12");
        assertEq(await page.count("[data-testid=terminal-badge]"), 2, "the terminal session and its subagent");
        await page.shot("webkit-terminal-sessions.png");
      });
      await check("a subagent's session links to the session it ran in, and that one back to it", async () => {
        await page.eval("location.hash = '#/sessions/claude_01939e11e2aa'");
        await page.visible("[data-testid=subagent-parent]");
        assert((await page.text("[data-testid=subagent-parent]")).includes("Overnight: port the test suite"), "names the parent");
        await page.shot("webkit-subagent-child.png");
        await page.click("[data-testid=subagent-parent] button");
        await page.waitFn(`return location.hash === '#/sessions/${LONG_ID}'`, [], { what: "the parent opened" });
        await page.visible("[data-testid=subagent-children]");
        assertEq(await page.text("[data-testid=subagent-children] button"), "Find every jest.mock call", "lists its subagent");
        assertEq(await page.count("[data-testid=subagent-parent]"), 0, "the parent is no one's child");
        await page.click("[data-testid=subagent-children] button");
        await page.waitFn("return location.hash === '#/sessions/claude_01939e11e2aa'", [], { what: "back to the child" });
      });
      await page.open(fullOptions(), { hash: "#/settings" });
      await check("Settings: Claude Code's folder is set here (absolute, or empty for ~/.claude), applied at once", async () => {
        await page.eval("document.querySelector('[data-testid=settings-terminal-claude-dir]').scrollIntoView({ block: 'center' })");
        assert((await page.text("[data-testid=settings-terminal-when]")).includes("at once"), "says when it applies");
        await page.fill("[data-testid=settings-terminal-claude-dir]", "claude-home");
        await page.click("[data-testid=settings-save]");
        await page.visible('[data-testid="field-error-terminal_sessions.claude_dir"]');
        assertEq((await page.calls("save_settings")).length, 0, "a relative folder is not saved");
        await page.eval("const e = document.querySelector('[data-testid=settings-terminal-claude-dir]'); e.value = ''; e.dispatchEvent(new Event('input'))");
        await page.fill("[data-testid=settings-terminal-claude-dir]", "/opt/claude-home");
        await page.click("[data-testid=settings-save]");
        await page.visible("[data-testid=settings-saved]");
        assertEq((await page.calls("save_settings")).at(-1).settings.terminal_sessions.claude_dir, "/opt/claude-home", "saved");
        await page.shot("webkit-settings-terminal.png");
      });
    },
  ],
];
