// The real app under Xvfb: create sessions through the UI, see them listed live, restart,
// see them again, and read them back with the headless CLI on the same data dir.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDriver, Session } from './webdriver.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.SWITCHBOARD_BIN ?? join(root, 'target/debug/switchboard');
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
const work = mkdtempSync(join(tmpdir(), 'switchboard-e2e-work-'));
const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

const driver = await startDriver();
after(() => driver.stop());

async function createThroughUi(s, { program, args, title, task }) {
  await s.click(await s.waitFor('[data-testid=new-session-button]'));
  await s.waitFor('[data-testid=new-session-dialog]');
  await s.chooseAgent('command');
  await s.type(await s.waitFor('[data-testid=field-program]'), program);
  await s.type(await s.find('[data-testid=field-args]'), args);
  await s.type(await s.find('[data-testid=field-cwd]'), work);
  await s.type(await s.find('[data-testid=field-title]'), title);
  if (task) await s.type(await s.find('[data-testid=field-task]'), task);
  await s.click(await s.find('[data-testid=create-session-submit]'));
  // The dialog closes and the row appears, pushed by the backend event.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const dialogs = await s.findAll('[data-testid=new-session-dialog]');
    if (dialogs.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // The new session opens; back to the list.
  await s.waitFor('[data-testid=session-detail]');
  await s.exec('location.hash = "#/sessions"');
  for (;;) {
    const titles = await s.texts('[data-testid=session-title]');
    if (titles.includes(title)) return titles;
    if (Date.now() > deadline) throw new Error(`row '${title}' not listed; have ${titles}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ls = () => JSON.parse(execFileSync(bin, ['--data-dir', dataDir, 'ls', '--json'], { env: { ...process.env, DISPLAY: '' } }));

/** Whether a process runs (a zombie does not) — read from /proc. */
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch { return false; }
}

/** Pids of the app processes running on our data dir. */
function appPids() {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[0] === bin && argv.includes(dataDir) && running(p);
    } catch { return false; }
  }).map(Number);
}

/** Waits until no process of the app on our data dir is left. */
async function appGone(timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (appPids().length === 0) return;
    if (Date.now() > deadline) assert.fail('the app did not exit');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function statusOf(s, title) {
  return s.exec(
    `const rows = [...document.querySelectorAll('[data-testid=session-row]')];
     const row = rows.find(r => r.querySelector('[data-testid=session-title]')?.textContent.trim() === arguments[0]);
     return row ? row.getAttribute('data-status') : null;`,
    [title],
  );
}

async function waitStatus(s, title, want, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let st;
  while (Date.now() < deadline) {
    st = await statusOf(s, title);
    if (st === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`session '${title}' status ${st}, wanted ${want}`);
}

test('create sessions in the UI, see them live, and keep them across a restart', async () => {
  let agentPid;
  let s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=empty-state]');
    await s.screenshot(join(shots, 'empty.png'));

    await createThroughUi(s, { program: 'sh', args: `-c "echo building; sleep 600"`, title: 'Long build', task: 'TASK-42' });
    await waitStatus(s, 'Long build', 'running');
    await createThroughUi(s, { program: 'sh', args: `-c "echo done"`, title: 'Quick check' });
    await waitStatus(s, 'Quick check', 'ended');
    await createThroughUi(s, { program: 'not-installed-tool', args: '', title: 'Missing tool' });
    await waitStatus(s, 'Missing tool', 'error');

    // A bad folder is refused at the field, and nothing is created.
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.chooseAgent('command');
    await s.type(await s.waitFor('[data-testid=field-program]'), 'true');
    await s.type(await s.find('[data-testid=field-cwd]'), '/no/such/folder');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    await s.waitFor('[data-testid=field-error-cwd]');
    const [cwdError] = await s.texts('[data-testid=field-error-cwd]');
    assert.match(cwdError, /does not exist/);
    await s.exec(`document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
                  document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await s.findAll('[data-testid=session-row]')).length, 3);
    await s.screenshot(join(shots, 'sessions.png'));

    // The Ctrl-K switcher shows its results in WebKitGTK (a flex list in a dialog with only a
    // max-height once collapsed to its padding here, while Chromium rendered it fine).
    await s.exec(`window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, bubbles: true }));`);
    await s.type(await s.waitFor('[data-testid=switcher-input]'), 'build');
    await s.waitFor('[data-testid=switcher-item]');
    const box = await s.exec(`const l = document.querySelector('#switcher-list').getBoundingClientRect();
      const i = document.querySelector('[data-testid=switcher-item]').getBoundingClientRect();
      return { list: l.height, item: i.height, itemVisible: i.top >= l.top && i.bottom <= l.bottom + 1 };`);
    assert.ok(box.list >= box.item && box.itemVisible, `switcher results are visible: ${JSON.stringify(box)}`);
    await s.screenshot(join(shots, 'switcher.png'));
    await s.exec(`window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));`);
    for (const until = Date.now() + 5000; (await s.findAll('[data-testid=switcher-item]')).length > 0;) {
      if (Date.now() > until) assert.fail('Escape did not close the switcher');
      await new Promise((r) => setTimeout(r, 50));
    }
    agentPid = ls().find((x) => x.title === 'Long build').pid;
    assert.ok(running(agentPid), 'the long build runs while the app is open');
  } catch (e) {
    await s.screenshot(join(tmpdir(), 'switchboard-e2e-failure.png')).catch(() => {});
    console.log('page text at failure:', await s.exec('return document.body.innerText').catch(() => '?'));
    throw e;
  }

  // Quit the app the way a desktop session does (SIGTERM): it stops what it started, and
  // those sessions become Interrupted (resumable) rather than orphaned.
  for (const pid of appPids()) process.kill(pid, 'SIGTERM');
  await appGone();
  await s.close().catch(() => {});
  assert.ok(!running(agentPid), `agent process ${agentPid} outlived the app`);

  // The CLI sees what the UI created, on the same data dir, without a window.
  const listed = ls();
  assert.deepEqual(listed.map((x) => x.title).sort(), ['Long build', 'Missing tool', 'Quick check']);
  const long = listed.find((x) => x.title === 'Long build');
  assert.equal(long.task_id, 'TASK-42');
  assert.equal(long.status.state, 'interrupted');
  assert.equal(listed.find((x) => x.title === 'Quick check').status.state, 'ended');
  assert.match(listed.find((x) => x.title === 'Missing tool').last_error, /no such program/);

  // Restart: everything is still listed. Start one more long job, then kill the app hard
  // (WebKitWebDriver ends the app with SIGKILL when the session closes), as a crash would.
  s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=session-row]');
    assert.deepEqual((await s.texts('[data-testid=session-title]')).sort(), ['Long build', 'Missing tool', 'Quick check']);
    await waitStatus(s, 'Long build', 'interrupted');
    await createThroughUi(s, { program: 'sleep', args: '600', title: 'Crash victim' });
    await waitStatus(s, 'Crash victim', 'running');
    agentPid = ls().find((x) => x.title === 'Crash victim').pid;
  } finally {
    for (const pid of appPids()) process.kill(pid, 'SIGKILL');
    await appGone();
    await s.close().catch(() => {});
  }

  // After the crash the next start stops the leftover agent and marks the session Interrupted.
  s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await waitStatus(s, 'Crash victim', 'interrupted');
    assert.ok(!running(agentPid), `agent process ${agentPid} left over from the crash is still running`);
    assert.equal((await s.texts('[data-testid=session-title]')).length, 4);
  } finally {
    // Closing the window only hides it to the tray: quit the app itself.
    for (const pid of appPids()) process.kill(pid, 'SIGTERM');
    await appGone();
    await s.close().catch(() => {});
  }
});
