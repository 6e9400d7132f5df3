// The real app driving the real Claude Code CLI (pinned, tests/node_modules) against our
// fake Anthropic API on 127.0.0.1: start a session from the New-session form, approve a
// Bash command and a file write in the window, watch text and tool calls stream in, send a
// follow-up, see a slow reply typed live, interrupt, end, and read the task's log.
// Screenshots of the permission prompts, live typing and the session go to docs/screenshots/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { claudeCliEnv, startDriver, Session } from './webdriver.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.SWITCHBOARD_BIN ?? join(root, 'target/debug/switchboard');
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-claude-'));
const work = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-claude-work-')));
const home = mkdtempSync(join(tmpdir(), 'switchboard-claude-home-'));
const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

const api = spawn('node', [join(root, 'tests/fake-api/server.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
const port = await new Promise((resolve) => createInterface({ input: api.stdout }).once('line', (l) => resolve(Number(l.split(' ')[1]))));
// The app inherits the driver's environment, and the CLI the app's.
const driver = await startDriver({
  ...claudeCliEnv(port, home),
  SWITCHBOARD_CLAUDE_BIN: join(root, 'tests/node_modules/.bin/claude'),
});
after(async () => { api.stdin.end(); api.kill(); await driver.stop(); });

function appPids() {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { const a = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'); return a[0] === bin && a.includes(dataDir); } catch { return false; }
  }).map(Number);
}

async function until(what, fn, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  assert.fail(`timed out: ${what} (last: ${JSON.stringify(last)})`);
}

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
    for (const pid of appPids()) process.kill(pid, 'SIGTERM');
    await sleep(1500);
    await s.close().catch(() => {});
  }
});
