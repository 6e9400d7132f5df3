// The real app driving the real Claude Code CLI (pinned, tests/node_modules) against our
// fake Anthropic API on 127.0.0.1: start a session from the New-session form, approve a
// Bash command and a file write in the window, watch text and tool calls stream in, send a
// follow-up, see a slow reply typed live, interrupt, end, and read the task's log.
// Screenshots of the permission prompts, live typing and the session go to docs/screenshots/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from './webdriver.mjs';
import { appPids, bin, root, startClaudeDriver, until } from './claudeApp.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-claude-'));
const work = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-claude-work-')));
const home = mkdtempSync(join(tmpdir(), 'switchboard-claude-home-'));
const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

const { driver, stop } = await startClaudeDriver({ home });
after(stop);

const kinds = (s) => s.exec(`return [...document.querySelectorAll('[data-testid=output-item]')].map(e => e.getAttribute('data-kind'))`);
const status = (s) => s.exec(`return document.querySelector('[data-testid=session-header-status]')?.getAttribute('data-status')`);
const text = (s) => s.exec(`return document.querySelector('[data-testid=output-list]')?.innerText ?? ''`);

async function send(s, message) {
  await until('the send box is enabled', () => s.exec(`const b = document.querySelector('[data-testid=send-input]'); return b && !b.disabled`));
  await s.type(await s.find('[data-testid=send-input]'), message);
  await s.click(await s.find('[data-testid=send-button]'));
}

async function allowPending(s, shot) {
  await until('a permission prompt', () => s.exec(`return !!document.querySelector('[data-testid=permission-prompt]')`));
  assert.equal(await status(s), 'waiting_input');
  // Waiting is no dead end: the send box says what the agent waits for, and Interrupt is offered.
  const waiting = await s.exec(`return {
    interrupt: !!document.querySelector('[data-testid=interrupt-button]'),
    sendDisabled: document.querySelector('[data-testid=send-button]')?.disabled ?? null,
    note: document.querySelector('[data-testid=send-note]')?.innerText ?? '' }`);
  assert.ok(waiting.interrupt && waiting.sendDisabled === true && /waits for your answer/.test(waiting.note), JSON.stringify(waiting));
  if (shot) { await sleep(300); await s.screenshot(join(shots, shot)); }
  await s.click(await s.find('[data-testid=permission-allow]'));
  await until('the prompt is answered', () => s.exec(`return !document.querySelector('[data-testid=permission-prompt]')`));
}

test('a Claude Code session from the New-session form to its task log', async () => {
  const s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=empty-state]');
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.waitFor('[data-testid=new-session-dialog]');
    await s.exec(`const a = document.querySelector('[data-testid=field-agent]'); a.value = 'claude'; a.dispatchEvent(new Event('change', { bubbles: true }));`);
    await s.type(await s.waitFor('[data-testid=field-prompt]'), `Please create the marker file. [[tool:bash touch ${work}/made-by-claude]]`);
    await s.type(await s.find('[data-testid=field-cwd]'), work);
    await s.type(await s.find('[data-testid=field-title]'), 'Set up the project');
    await s.type(await s.find('[data-testid=field-task]'), 'TASK-7');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    await s.waitFor('[data-testid=session-detail]', { timeout: 15000 });

    // Bash: asks, we allow in the window, the command runs and the text streams in.
    await allowPending(s, 'permission-bash.png');
    await until('the turn ends', async () => (await status(s)) === 'idle');
    assert.ok(existsSync(join(work, 'made-by-claude')), 'the approved command ran');
    // The status event can arrive before the output batch that carries the turn's result
    // (output goes in 25 ms batches): wait for the result to be shown, do not race it.
    const k = await until('the turn result is shown', async () => {
      const k = await kinds(s);
      return k.includes('tool_use') && k.includes('assistant_text') && k.includes('turn_result') ? k : null;
    }, 10000);
    assert.ok(k.includes('user_text'), `the prompt is in the transcript: ${k}`);
    assert.match(await text(s), /Tool said:/);

    // A follow-up that writes a file: asks again with the path and the content.
    await send(s, `[[tool:write ${work}/notes.md # Notes from the agent]]`);
    await allowPending(s, 'permission-write.png');
    await until('the write turn ends', async () => (await status(s)) === 'idle');
    assert.equal(readFileSync(join(work, 'notes.md'), 'utf8'), '# Notes from the agent');
    // Idle can be shown before the last output batch (the final message, the result).
    await until('the write turn is shown whole', async () => s.exec(`return !document.querySelector('[data-testid=output-partial]')
      && document.querySelectorAll('[data-testid=output-item][data-kind=turn_result]').length === 2`), 10000);
    await s.screenshot(join(shots, 'session-claude.png'));

    // Live typing: a slow reply (40 deltas, 100 ms apart) shows as it is written, in one
    // growing bubble, before the turn ends; then its final message replaces it, once.
    await send(s, '[[slow 40]]');
    const typing = await until('part of the reply is shown while the turn runs', async () => {
      const t = await s.exec(`return {
        text: document.querySelector('[data-testid=output-partial]')?.innerText ?? '',
        bubbles: document.querySelectorAll('[data-testid=output-partial]').length,
        status: document.querySelector('[data-testid=session-header-status]')?.getAttribute('data-status') }`);
      return /chunk 3 /.test(t.text) ? t : null;
    }, 30000);
    assert.equal(typing.status, 'running', JSON.stringify(typing));
    assert.equal(typing.bubbles, 1, JSON.stringify(typing));
    assert.ok(!typing.text.includes('chunk 40.'), `only part of it yet: ${JSON.stringify(typing)}`);
    await sleep(600);
    await s.screenshot(join(shots, 'live-typing.png'));
    const later = await s.exec(`return document.querySelector('[data-testid=output-partial]')?.innerText ?? ''`);
    assert.ok(later.length > typing.text.length, `it grows: ${typing.text} → ${later}`);
    await until('the slow turn ends', async () => (await status(s)) === 'idle');
    const final = await until('the final message replaces the typed one', async () => {
      const f = await s.exec(`return {
        partial: document.querySelectorAll('[data-testid=output-partial]').length,
        text: document.querySelector('[data-testid=output-list]')?.innerText ?? '' }`);
      return f.partial === 0 && f.text.includes('chunk 40.') ? f : null;
    }, 10000);
    assert.equal(final.text.split('chunk 1 chunk 2 ').length - 1, 1, 'the reply is shown once');

    // A slow answer, interrupted mid-stream: the session is usable again.
    await send(s, '[[slow 100]]');
    await until('it is running', async () => (await status(s)) === 'running');
    await sleep(1200);
    await s.click(await s.find('[data-testid=interrupt-button]'));
    await until('the interrupted turn ends', async () => (await status(s)) === 'idle');

    // End: the agent process goes away; the session stays, ended.
    await s.click(await s.find('[data-testid=end-button]'));
    await until('ended', async () => (await status(s)) === 'ended');

    // The task view shows the log: created, commands sent, responses, the permissions, ended.
    await s.click(await s.find('[data-testid=nav-tasks]'));
    await s.waitFor('[data-testid=tasks-view]');
    await s.click(await s.waitFor('[data-testid=task-item]'));
    const events = await until('timeline events', async () => {
      const e = await s.exec(`return [...document.querySelectorAll('[data-testid=timeline-event]')].map(e => e.getAttribute('data-kind'))`);
      return e.includes('ended') ? e : null;
    });
    for (const kind of ['created', 'command_sent', 'response_received', 'ended']) assert.ok(events.includes(kind), `${kind} in ${events}`);
    // Permission decisions read as decisions (tool, what it was about), not as "Command sent".
    const timeline = await s.exec(`return document.querySelector('[data-testid=tasks-view]').innerText`);
    assert.match(timeline, /Allowed: Bash/, timeline);
    assert.match(timeline, /Allowed: Write/, timeline);
    await s.screenshot(join(shots, 'tasks-claude.png'));
  } finally {
    for (const pid of appPids(dataDir)) process.kill(pid, 'SIGTERM');
    await sleep(1500);
    await s.close().catch(() => {});
  }
});

// A session in its own worktree (issue 18): two turns change a Rust file and add a test; the
// Changes tab shows them highlighted, unified and side by side; each turn is a checkpoint on
// the task's timeline; main moves on in a conflicting way and landing is refused with the
// file named, both checkouts as they were; Restore (confirmed) puts turn 1's files back. Screenshots: e2e-changes-*.png, e2e-timeline-
// checkpoints.png, e2e-land-conflict.png.
test('a session in its own worktree: its changes, checkpoints and a refused landing', async () => {
  const repo = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-ws-repo-')));
  const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src/token.rs'), '/// Checks a token\'s times.\npub fn validate(now: i64, exp: i64) -> Result<(), String> {\n    if exp < now {\n        return Err("expired".into());\n    }\n    Ok(())\n}\n');
  writeFileSync(join(repo, 'README.md'), '# auth\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');

  const s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=new-session-button]', { timeout: 15000 });
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.waitFor('[data-testid=new-session-dialog]');
    await s.exec(`const a = document.querySelector('[data-testid=field-agent]'); a.value = 'claude'; a.dispatchEvent(new Event('change', { bubbles: true }));`);
    const rust = String.raw`/// Checks the times of a token: expired, or issued in the future beyond the skew.\npub fn validate(now: i64, iat: i64, exp: i64) -> Result<(), String> {\n    if exp < now {\n        return Err("expired".into());\n    }\n    if iat > now + MAX_SKEW_SECS {\n        return Err(format!("issued {} s in the future", iat - now));\n    }\n    Ok(())\n}\n\nconst MAX_SKEW_SECS: i64 = 60;\n`;
    await s.type(await s.waitFor('[data-testid=field-prompt]'), `Refuse tokens from the future. [[tool:bash printf '${rust}' > src/token.rs]]`);
    await s.type(await s.find('[data-testid=field-cwd]'), repo);
    await s.type(await s.find('[data-testid=field-title]'), 'Refuse tokens from the future');
    await until('Own worktree offered, on', () => s.exec(`const c = document.querySelector('[data-testid=field-worktree]'); return !!c && c.checked`), 10000);
    await s.type(await s.find('[data-testid=field-task]'), 'WS-1');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    await s.waitFor('[data-testid=session-detail]', { timeout: 15000 });
    await allowPending(s);
    await until('turn 1 ends', async () => (await status(s)) === 'idle');
    const test = String.raw`use auth::token::validate;\n\n#[test]\nfn a_token_from_the_future_is_refused() {\n    assert!(validate(1_000, 1_120, 2_000).is_err());\n}\n`;
    await send(s, `And a test. [[tool:bash mkdir -p tests && printf '${test}' > tests/future.rs]]`);
    await allowPending(s);
    await until('turn 2 ends', async () => (await status(s)) === 'idle');
    assert.equal(readFileSync(join(repo, 'src/token.rs'), 'utf8').includes('MAX_SKEW_SECS'), false, 'the main checkout is untouched');

    // The Changes tab: both files, drawn with colours; unified, then side by side.
    await s.click(await s.find('[data-testid=tab-changes]'));
    await until('two changed files', () => s.exec(`return document.querySelectorAll('[data-testid=changed-file]').length === 2`), 15000);
    await s.exec(`document.querySelector('[data-testid=layout-unified]').click()`);
    await until('the Rust diff drawn with colours', () => s.exec(`const d = document.querySelector('[data-testid=file-diff][data-path="src/token.rs"]'); return !!d && !!d.querySelector('.hljs-keyword') && /MAX_SKEW_SECS/.test(d.innerText)`), 15000);
    await sleep(300);
    await s.screenshot(join(shots, 'e2e-changes-unified.png'));
    await s.exec(`document.querySelector('[data-testid=layout-split]').click()`);
    await until('side by side', () => s.exec(`return document.querySelectorAll('[data-testid=file-diff][data-path="src/token.rs"] .d2h-file-side-diff').length === 2`), 10000);
    await sleep(300);
    await s.screenshot(join(shots, 'e2e-changes-split.png'));
    await s.exec(`document.querySelector('[data-testid=layout-unified]').click()`);
    const cps = await until('two checkpoints', () => s.exec(`const c = document.querySelectorAll('[data-testid=checkpoint]'); return c.length === 2 ? [...c].map(e => e.innerText) : null`), 10000);
    assert.ok(cps.some((t) => /after turn 1/.test(t)) && cps.some((t) => /after turn 2/.test(t)), JSON.stringify(cps));

    // main moves on, changing the same lines: landing is refused with the file named.
    writeFileSync(join(repo, 'src/token.rs'), '/// Checks a token\'s expiry.\npub fn validate(now: i64, exp: i64) -> Result<(), &\'static str> {\n    if exp <= now {\n        return Err("token expired");\n    }\n    Ok(())\n}\n');
    git('commit', '-q', '-am', 'main: a static error');
    const mainHead = git('rev-parse', 'HEAD');
    await s.click(await s.find('[data-testid=commit-work]'));
    await until('committed', () => s.exec(`return [...document.querySelectorAll('[data-testid=notice]')].some(n => /Committed/.test(n.innerText))`), 15000);
    // The tab reloads after a commit with its buttons disabled: Land is clicked once it is back.
    await until('Land enabled', () => s.exec(`const b = document.querySelector('[data-testid=land]'); return !!b && !b.disabled`), 15000);
    await s.click(await s.find('[data-testid=land]'));
    const refusal = await until('the conflict is shown', () => s.exec(`const r = document.querySelector('[data-testid=land-refusal]'); return r && r.querySelector('[data-testid=land-conflicts]') ? r.innerText : null`), 15000);
    assert.match(refusal, /src\/token\.rs/);
    assert.equal(git('rev-parse', 'HEAD'), mainHead, 'main did not move');
    assert.equal(git('status', '--porcelain'), '', 'the main checkout is clean');
    await s.exec(`document.querySelectorAll('[data-testid=notice] button').forEach((b) => b.click())`);
    await sleep(300);
    await s.screenshot(join(shots, 'e2e-land-conflict.png'));

    // Restore checkpoint 1 (after turn 1) from the tab: asked first, then the test file of
    // turn 2 is gone from the worktree; the state it replaced is checkpoint 3.
    const wt = git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9)).find((p) => p !== repo);
    assert.ok(wt && existsSync(join(wt, 'tests/future.rs')), `the worktree ${wt} has the test`);
    await s.exec(`[...document.querySelectorAll('[data-testid=checkpoint]')].find(e => /after turn 1/.test(e.innerText)).querySelector('[data-testid=checkpoint-restore]').click()`);
    await s.click(await s.waitFor('[data-testid=confirm-restore]'));
    await until('restored', () => s.exec(`return document.querySelectorAll('[data-testid=checkpoint]').length === 3`), 15000);
    assert.equal(existsSync(join(wt, 'tests/future.rs')), false, 'turn 2\'s file is gone');
    assert.match(readFileSync(join(wt, 'src/token.rs'), 'utf8'), /MAX_SKEW_SECS/, 'turn 1\'s change is there');

    // The task's timeline: a checkpoint after each turn.
    await s.click(await s.find('[data-testid=nav-tasks]'));
    await s.waitFor('[data-testid=tasks-view]');
    await s.click(await s.waitFor('[data-testid=task-item][data-task-id="WS-1"]'));
    const events = await until('checkpoints on the timeline', () => s.exec(`const e = [...document.querySelectorAll('[data-testid=timeline-event][data-kind=checkpoint]')].map(e => e.innerText); return e.length >= 3 ? e : null`), 15000);
    assert.ok(events.some((t) => /Checkpoint 1/.test(t) && /after turn 1/.test(t)), JSON.stringify(events));
    assert.ok(events.some((t) => /Restored checkpoint 1/.test(t)), JSON.stringify(events));
    await s.exec(`document.querySelectorAll('[data-testid=notice] button').forEach((b) => b.click())`);
    await s.exec(`document.querySelector('[data-testid=timeline-event][data-kind=checkpoint]').scrollIntoView({ block: 'center' })`);
    await sleep(300);
    await s.screenshot(join(shots, 'e2e-timeline-checkpoints.png'));
  } finally {
    for (const pid of appPids()) process.kill(pid, 'SIGTERM');
    await sleep(1500);
    await s.close().catch(() => {});
  }
});
