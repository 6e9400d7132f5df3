// The tray of the real app under Xvfb, with a StatusNotifier host (gtk-sni-tray-standalone)
// on a private D-Bus session: the icon registers, shows in the screen's tray bar, and turns
// to "needs attention" when a session fails. Also: a second launch exits and leaves the
// first instance running (single instance).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { claudeCliEnv, startDriver, Session } from './webdriver.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.SWITCHBOARD_BIN ?? join(root, 'target/debug/switchboard');
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-tray-'));
const work = mkdtempSync(join(tmpdir(), 'switchboard-tray-work-'));
const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

const host = spawn('gtk-sni-tray-standalone', ['--watcher', '--bottom', '--size', '40'], { stdio: ['ignore', 'ignore', 'pipe'] });
let hostErr = '';
host.stderr.on('data', (d) => { hostErr = (hostErr + d).slice(-2000); });
const driver = await startDriver();
after(async () => { host.kill('SIGKILL'); await driver.stop(); });

function registeredItems() {
  try {
    return execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.kde.StatusNotifierWatcher', '/StatusNotifierWatcher',
      'org.freedesktop.DBus.Properties.Get', 'string:org.kde.StatusNotifierWatcher', 'string:RegisteredStatusNotifierItems'], { encoding: 'utf8' });
  } catch { return ''; }
}

/** Fraction of the tray bar's pixels that have the attention colour (amber #f59e0b). Only
 *  the bar below the window (its bottom 20 px), and only amber counts: everything else is
 *  made black first (white parts of the window once counted as amber). */
function amberInBar(file) {
  execFileSync('import', ['-window', 'root', file]);
  const v = execFileSync('convert', [file, '-gravity', 'south', '-crop', '1280x20+0+0', '+repage', '-fuzz', '12%',
    '-fill', 'black', '+opaque', '#f59e0b', '-fill', 'white', '-opaque', '#f59e0b', '-format', '%[fx:mean]', 'info:'], { encoding: 'utf8' });
  return Number(v);
}

/** Whether the tray host owns the StatusNotifierWatcher name yet. */
function watcherUp() {
  try {
    const out = execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.kde.StatusNotifierWatcher'], { encoding: 'utf8' });
    return /boolean true/.test(out);
  } catch { return false; }
}

test('the tray icon registers, shows, and asks for attention when a session fails', async () => {
  // The host starts slowly on a loaded machine: the app registers its item with the
  // watcher at start-up, so wait for the watcher first.
  for (let i = 0; i < 300 && !watcherUp(); i++) await sleep(100);
  assert.ok(watcherUp(), `the tray host (gtk-sni-tray-standalone --watcher) did not start: ${hostErr}`);
  const s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=empty-state]');
    let items = '';
    for (let i = 0; i < 300 && !/StatusNotifierItem|\/org\/ayatana|:1\./.test(items); i++) { await sleep(100); items = registeredItems(); }
    assert.match(items, /string "/, `no tray item registered: ${items}`);
    await sleep(500);
    const before = amberInBar(join(tmpdir(), 'tray-before.png'));

    // A failing command: the tray switches to the attention icon.
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.chooseAgent('command');
    await s.type(await s.waitFor('[data-testid=field-program]'), 'sh');
    await s.type(await s.find('[data-testid=field-args]'), '-c "echo about to fail; exit 3"');
    await s.type(await s.find('[data-testid=field-cwd]'), work);
    await s.type(await s.find('[data-testid=field-title]'), 'Failing build');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    let after = before;
    for (let i = 0; i < 50 && after <= before; i++) { await sleep(200); after = amberInBar(join(shots, 'tray.png')); }
    assert.ok(after > before, `the tray icon did not change (amber ${before} → ${after})`);

    // A second launch on the same data dir hands over to this one and exits.
    const t0 = Date.now();
    const second = spawn(bin, ['--data-dir', dataDir], { stdio: 'ignore' });
    const code = await new Promise((resolve) => second.on('exit', (c) => resolve(c)));
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 15000);
    // The first instance is still there and answers: its list (Create opened the session's
    // own view) shows the one session.
    await s.exec("location.hash = '#/sessions'");
    await s.waitFor('[data-testid=session-row]');
    assert.equal((await s.texts('[data-testid=session-title]')).length, 1);
  } finally {
    // Closing the window only hides it to the tray: quit the app itself.
    try { execFileSync('pkill', ['-TERM', '-f', `--data-dir ${dataDir}`]); } catch {}
    await sleep(1500);
    await s.close().catch(() => {});
  }
});

// ---------------------------------------------------------------- the tray's menu over D-Bus

/** gdbus call on the session bus; returns its text output. */
function gdbus(dest, path, method, ...args) {
  return execFileSync('gdbus', ['call', '--session', '--dest', dest, '--object-path', path, '--method', method, '--', ...args], { encoding: 'utf8' });
}

/** Object paths under which `dest` implements `iface` (from D-Bus introspection). */
function objectsWith(dest, iface) {
  const out = execFileSync('gdbus', ['introspect', '--session', '--dest', dest, '--object-path', '/', '--recurse'], { encoding: 'utf8' });
  const found = [];
  let node = null;
  for (const line of out.split('\n')) {
    const n = /^\s*node (\S+) \{/.exec(line);
    if (n) node = n[1];
    else if (node && line.trim() === `interface ${iface} {`) found.push(node);
  }
  return found;
}

/**
 * The app's StatusNotifierItem and its exported menu's path, found as a tray host finds
 * them: the watcher lists the item (here only its bus name: libayatana-appindicator's item
 * lives at its own path, so look it up), and the item's `Menu` property names the menu.
 */
function appMenu() {
  const items = [...registeredItems().matchAll(/string "([^"]+)"/g)].map((m) => m[1]);
  for (const item of items) {
    const slash = item.indexOf('/');
    const dest = slash === -1 ? item : item.slice(0, slash);
    try {
      const paths = slash === -1 ? objectsWith(dest, 'org.kde.StatusNotifierItem') : [item.slice(slash)];
      for (const path of paths) {
        const out = gdbus(dest, path, 'org.freedesktop.DBus.Properties.Get', 'org.kde.StatusNotifierItem', 'Menu');
        const menu = /objectpath '([^']+)'/.exec(out)?.[1];
        if (menu && menu !== '/') return { dest, menu };
      }
    } catch {} // an item that went away
  }
  return null;
}

/** The menu's items as a tray host sees them (com.canonical.dbusmenu GetLayout): [{ id, label }]. */
function menuItems({ dest, menu }) {
  const out = gdbus(dest, menu, 'com.canonical.dbusmenu.GetLayout', '0', '-1', '[]');
  return [...out.matchAll(/\((\d+), \{([^{}]*)\}/g)]
    .map((m) => ({ id: Number(m[1]), label: /'label': <'((?:[^'\\]|\\.)*)'>/.exec(m[2])?.[1] ?? null }))
    .filter((i) => i.label !== null);
}

/** Activates the item whose label matches, as a tray host does when it is clicked. */
function clickItem(m, pattern) {
  const items = menuItems(m);
  const item = items.find((i) => pattern.test(i.label));
  assert.ok(item, `no menu item ${pattern} in ${JSON.stringify(items)}`);
  gdbus(m.dest, m.menu, 'com.canonical.dbusmenu.Event', String(item.id), 'clicked', '<int32 0>', '0');
}

/** Pids of our binary running on `dir`, from /proc. */
function appPidsOn(dir) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[0] === bin && argv.includes(dir);
    } catch { return false; }
  }).map(Number);
}

async function until(what, check, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try { last = await check(); if (last) return last; } catch (e) { last = e.message; }
    await sleep(100);
  }
  assert.fail(`${what} (last: ${JSON.stringify(last)})`);
}

test('the tray menu, driven over D-Bus like a tray host: a session item opens it, New session… the form, Show/Hide follows the window', async () => {
  for (let i = 0; i < 300 && !watcherUp(); i++) await sleep(100);
  assert.ok(watcherUp(), `the tray host did not start: ${hostErr}`);
  const data = mkdtempSync(join(tmpdir(), 'switchboard-traymenu-'));
  const s = await Session.start(driver.url, bin, ['--data-dir', data]);
  try {
    await s.waitFor('[data-testid=empty-state]');
    // A live session for the menu to list.
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.chooseAgent('command');
    await s.type(await s.waitFor('[data-testid=field-program]'), 'sleep');
    await s.type(await s.find('[data-testid=field-args]'), '300');
    await s.type(await s.find('[data-testid=field-cwd]'), work);
    await s.type(await s.find('[data-testid=field-title]'), 'Tray target');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    const id = await until('the new session is listed', async () => {
      const ls = JSON.parse(execFileSync(bin, ['--data-dir', data, 'ls', '--json'], { env: { ...process.env, DISPLAY: '' }, encoding: 'utf8' }));
      return ls.find((x) => x.title === 'Tray target')?.id;
    });
    // The form opens the new session once its create call returns (the CLI may list the row
    // before that): wait for it, then back to the list, so that opening it is the tray's doing.
    await s.waitFor(`[data-testid=session-detail][data-session-id="${id}"]`);
    await s.exec('location.hash = "#/sessions"');
    await until('the list shows', async () => (await s.findAll('[data-testid=session-detail]')).length === 0);

    const m = await until('the app exports its tray menu', () => appMenu());
    await until('the menu lists the session', () => menuItems(m).some((i) => i.label.startsWith('Tray target')));
    clickItem(m, /^Tray target/);
    const shown = await until('the session view opens', async () => {
      const [sid] = await s.exec('return [...document.querySelectorAll("[data-testid=session-detail]")].map(e => e.getAttribute("data-session-id"))');
      return sid ?? null;
    });
    assert.equal(shown, id);
    await sleep(300);
    execFileSync('import', ['-window', 'root', join(shots, 'tray-open-session.png')]);

    clickItem(m, /^New session/);
    await s.waitFor('[data-testid=new-session-dialog]');
    await until('the form is on screen', () =>
      s.exec('const r = document.querySelector("[data-testid=new-session-dialog]")?.getBoundingClientRect(); return !!r && r.width > 200 && r.height > 200'));
    await sleep(500); // let the opening transition finish before the screenshot
    execFileSync('import', ['-window', 'root', join(shots, 'tray-new-session.png')]);

    // Show/Hide says what it will do, after each change of the window.
    assert.ok(menuItems(m).some((i) => i.label === 'Hide window'), JSON.stringify(menuItems(m)));
    clickItem(m, /^Hide window$/);
    await until('the item reads "Show window" once the window hid', () => menuItems(m).some((i) => i.label === 'Show window'));
    clickItem(m, /^Show window$/);
    await until('and "Hide window" once it shows again', () => menuItems(m).some((i) => i.label === 'Hide window'));
  } finally {
    // Closing the window only hides it: quit the app we started (found by its data dir).
    for (const pid of appPidsOn(data)) { try { process.kill(pid, 'SIGTERM'); } catch {} }
    await sleep(1500);
    await s.close().catch(() => {});
  }
});

// ---------------------------------------------------------------- sessions run in a terminal

test('Claude Code run in a terminal: the tray counts it and lists it as running in a terminal; its item opens it', async () => {
  for (let i = 0; i < 300 && !watcherUp(); i++) await sleep(100);
  assert.ok(watcherUp(), `the tray host did not start: ${hostErr}`);
  const data = mkdtempSync(join(tmpdir(), 'switchboard-trayterm-'));
  // The real CLI's home (its transcripts in <home>/.claude/projects), and its project folder.
  const home = mkdtempSync(join(tmpdir(), 'switchboard-trayterm-home-'));
  const project = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-trayterm-project-')));
  const api = spawn('node', [join(root, 'tests/fake-api/server.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise((resolve) => createInterface({ input: api.stdout }).once('line', (l) => resolve(Number(l.split(' ')[1]))));
  const cliEnv = { ...process.env, ...claudeCliEnv(port, home), CLAUDE_CONFIG_DIR: join(home, '.claude') };
  // Claude Code kept open in a "terminal", outside Switchboard, taking its turns on stdin.
  const cli = spawn(join(root, 'tests/node_modules/.bin/claude'), ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose'], {
    cwd: project, env: cliEnv, stdio: ['pipe', 'pipe', 'ignore'],
  });
  const results = [];
  createInterface({ input: cli.stdout }).on('line', (l) => { if (l.includes('"type":"result"')) results.push(l); });
  const say = (text) => cli.stdin.write(JSON.stringify({ type: 'user', message: { role: 'user', content: text } }) + '\n');
  say('Refactor the config loader');
  await until('the first turn ends', () => results.length === 1, 60000);
  // The app follows the same Claude Code folder (the setting's default: $CLAUDE_CONFIG_DIR).
  const appDriver = await startDriver({ CLAUDE_CONFIG_DIR: join(home, '.claude') });
  const s = await Session.start(appDriver.url, bin, ['--data-dir', data]);
  try {
    await s.waitFor('[data-testid=session-row]');
    // A slow turn: the session runs, in its terminal, while the tray is read.
    say('Go slowly [[slow 400]]');
    const m = await until('the app exports its tray menu', () => appMenu());
    const labels = await until('the tray counts and lists the terminal session as running', () => {
      const l = menuItems(m).map((i) => i.label);
      return l.some((x) => /\(1 in a terminal\)/.test(x)) && l.some((x) => /^Refactor the config loader.*running in a terminal/.test(x)) ? l : null;
    }, 30000);
    assert.ok(labels.includes('1 running (1 in a terminal)'), JSON.stringify(labels));
    clickItem(m, /^Refactor the config loader/);
    await until('its session view opens, marked as a terminal session', async () =>
      (await s.exec('return document.querySelector("[data-testid=session-detail] [data-testid=copy-resume-command]") !== null')));
    await until('its first reply is shown', async () => /config loader|Refactor/.test(await s.exec('return document.querySelector("[data-testid=output-list]")?.innerText ?? ""')));
    await sleep(500);
    execFileSync('import', ['-window', 'root', join(shots, 'tray-terminal-session.png')]);
    // And the list marks it.
    await s.exec('location.hash = "#/sessions"');
    await s.waitFor('[data-testid=terminal-badge]');
  } finally {
    cli.kill('SIGTERM');
    api.stdin.end(); api.kill();
    for (const pid of appPidsOn(data)) { try { process.kill(pid, 'SIGTERM'); } catch {} }
    await sleep(1500);
    await s.close().catch(() => {});
    await appDriver.stop();
  }
});
