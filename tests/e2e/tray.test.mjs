// The tray of the real app under Xvfb, with a StatusNotifier host (gtk-sni-tray-standalone)
// on a private D-Bus session: the icon registers, shows in the screen's tray bar, and turns
// to "needs attention" when a session fails. Also: a second launch exits and leaves the
// first instance running (single instance).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDriver, Session } from './webdriver.mjs';

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

/** Fraction of the tray bar's pixels that have the attention colour (amber #f59e0b). */
function amberInBar(file) {
  execFileSync('import', ['-window', 'root', file]);
  const v = execFileSync('convert', [file, '-gravity', 'south', '-crop', '1280x40+0+0', '+repage', '-fuzz', '12%',
    '-fill', 'white', '-opaque', '#f59e0b', '-fill', 'black', '+opaque', 'white', '-format', '%[fx:mean]', 'info:'], { encoding: 'utf8' });
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
    // The first instance is still there and answers.
    assert.equal((await s.texts('[data-testid=session-title]')).length, 1);
  } finally {
    // Closing the window only hides it to the tray: quit the app itself.
    try { execFileSync('pkill', ['-TERM', '-f', `--data-dir ${dataDir}`]); } catch {}
    await sleep(1500);
    await s.close().catch(() => {});
  }
});
