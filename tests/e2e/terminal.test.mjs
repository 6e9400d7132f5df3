// Terminal mode in the real app: the interactive Claude Code CLI (pinned, tests/node_modules) in
// a PTY the app hosts, against our fake Anthropic API on 127.0.0.1. The New-session form starts
// it in Terminal mode; the CLI's own screen appears in the session's xterm; a prompt typed into
// the terminal reaches the CLI and its reply is drawn as it streams; End stops it and the
// terminal says so. The HOME is isolated and pre-seeded (onboarding done, the folder trusted, the
// key approved) so no first-run screen takes the keys. Screenshot: docs/screenshots/terminal-session.png.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from './webdriver.mjs';
import { appPids, bin, root, startClaudeDriver, until } from './claudeApp.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-term-'));
const work = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-term-work-')));
const home = mkdtempSync(join(tmpdir(), 'switchboard-term-home-'));
const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });
const KEY = 'sk-test-terminal-mode-0123456789';

// What the CLI reads at its start, so it goes straight to its prompt (see issue 17).
writeFileSync(
  join(home, '.claude.json'),
  JSON.stringify({
    hasCompletedOnboarding: true,
    projects: { [work]: { hasTrustDialogAccepted: true } },
    customApiKeyResponses: { approved: [KEY.slice(-20)], rejected: [] },
  }),
);

const { driver, stop } = await startClaudeDriver({ home, apiKey: KEY });
after(stop);

// The terminal's screen rows as text (xterm's DOM renderer: one div a row).
const screen = (s) => s.exec(`return document.querySelector('[data-testid=terminal] .xterm-rows')?.innerText ?? ''`);
const status = (s) => s.exec(`return document.querySelector('[data-testid=session-header-status]')?.getAttribute('data-status')`);
/** Keys to whatever has the focus (the terminal's hidden textarea), one by one, as typed. */
function keys(s, text) {
  const actions = [...text].flatMap((c) => [{ type: 'keyDown', value: c }, { type: 'keyUp', value: c }]);
  return s.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'kb', actions }] });
}

test('a terminal-mode Claude Code session: its screen in the window, typed into, ended', async () => {
  const s = await Session.start(driver.url, bin, ['--data-dir', dataDir]);
  try {
    await s.waitFor('[data-testid=empty-state]');
    await s.click(await s.find('[data-testid=new-session-button]'));
    await s.waitFor('[data-testid=new-session-dialog]');
    await s.chooseAgent('claude');
    await s.click(await s.waitFor('[data-testid=mode-terminal]'));
    assert.equal(await s.exec(`return document.querySelector('[data-testid=mode-terminal]').checked`), true);
    await s.type(await s.find('[data-testid=field-cwd]'), work);
    await s.type(await s.find('[data-testid=field-title]'), 'Terminal mode');
    await s.click(await s.find('[data-testid=create-session-submit]'));
    await s.waitFor('[data-testid=session-detail]', { timeout: 15000 });
    await s.waitFor('[data-testid=mode-badge]');
    assert.equal(await s.exec(`return document.querySelectorAll('[data-testid=send-input]').length`), 0, 'the terminal, not the send box');

    // The CLI's own screen, drawn in the window's terminal, which has the keyboard.
    await s.waitFor('[data-testid=terminal-pane][data-attached=true]', { timeout: 15000 });
    const first = await until('the CLI draws its prompt', async () => {
      const t = await screen(s);
      return /Claude Code|shortcuts|>/.test(t) && t.trim().length > 20 ? t : null;
    }, 60000);
    assert.ok(!/trust|Do you want to use this API key/i.test(first), `no first-run screen: ${first}`);
    // Claude Code draws in 24-bit colour: a cell's style attribute, applied under the app's CSP.
    const coloured = await s.exec(`return [...document.querySelectorAll('[data-testid=terminal] .xterm-rows span[style]')]
      .filter(e => /color/.test(e.getAttribute('style')) && getComputedStyle(e).color !== getComputedStyle(e.parentElement).color).length`);
    assert.ok(coloured > 0, 'the CLI\'s colours are drawn');
    await until('the terminal has the focus', () => s.exec(`return !!document.activeElement?.closest('[data-testid=terminal]')`), 10000);

    // A prompt typed into the terminal: the CLI shows it and streams the fake API's slow reply.
    await keys(s, '[[slow 60]]');
    await until('the typed prompt is on the screen', async () => (await screen(s)).includes('[[slow 60]]'), 15000);
    await keys(s, '\uE007');
    const mid = await until('the reply streams into the terminal', async () => {
      const t = await screen(s);
      return /chunk 3 /.test(t) ? t : null;
    }, 60000);
    assert.ok(!mid.includes('chunk 60.'), 'caught mid-turn');
    await sleep(400);
    await s.screenshot(join(shots, 'terminal-session.png'));
    await until('the whole reply', async () => (await screen(s)).includes('chunk 60.'), 60000);

    // End: the CLI goes away and the terminal says so.
    await s.click(await s.find('[data-testid=end-button]'));
    await until('ended', async () => ['ended', 'interrupted'].includes(await status(s)), 30000);
    await until('the terminal shows the end', async () => (await screen(s)).includes('[session ended'), 30000);
  } finally {
    for (const pid of appPids(dataDir)) process.kill(pid, 'SIGTERM');
    await sleep(1500);
    await s.close().catch(() => {});
  }
});

test('a Write in a terminal session waits for approval, shown in the terminal and in the app, allowed from the app', async () => {
  const approvalData = mkdtempSync(join(tmpdir(), 'switchboard-term-approval-'));
  const target = join(work, 'approved-in-the-app.md');
  const s = await Session.start(driver.url, bin, ['--data-dir', approvalData]);
  try {
    // Not an empty list when it runs after the test above: the app imports that session's
    // transcript from the shared HOME as a terminal session.
    await s.click(await s.waitFor('[data-testid=new-session-button]'));
    await s.waitFor('[data-testid=new-session-dialog]');
    await s.chooseAgent('claude');
    await s.click(await s.waitFor('[data-testid=mode-terminal]'));
    await s.type(await s.find('[data-testid=field-cwd]'), work);
    await s.type(await s.find('[data-testid=field-title]'), 'Terminal approval');
    // The default permission mode: a Write asks first. The fake API answers with a Write tool use.
    await s.type(await s.waitFor('[data-testid=field-prompt]'), `[[tool:write ${target} # Written after the app said yes]]`);
    await s.click(await s.find('[data-testid=create-session-submit]'));
    await s.waitFor('[data-testid=terminal-pane][data-attached=true]', { timeout: 15000 });

    // The CLI's own dialog in the terminal, and — within a second of it — the session waits
    // for input and the app's prompt shows below the terminal.
    await until('the CLI shows its permission dialog', async () => /Do you want to/.test(await screen(s)), 60000);
    const dialogAt = Date.now();
    await until('the header says waiting for input', async () => (await status(s)) === 'waiting_input', 5000);
    const waitingMs = Date.now() - dialogAt;
    await until('the app\'s permission prompt', () => s.exec(`return !!document.querySelector('[data-testid=permission-prompts] [data-testid=permission-prompt]')`), 5000);
    const shownMs = Date.now() - dialogAt;
    console.log(`terminal approval: waiting_input ${waitingMs} ms, the app's prompt ${shownMs} ms after the dialog showed in the terminal`);
    assert.ok(waitingMs < 1500, `waiting_input ${waitingMs} ms after the dialog`);
    const layout = await s.exec(`const t = document.querySelector('[data-testid=terminal-pane]').getBoundingClientRect();
      const p = document.querySelector('[data-testid=permission-prompts]').getBoundingClientRect();
      return { termBottom: t.bottom, termHeight: t.height, promptTop: p.top, promptBottom: p.bottom, promptHeight: p.height,
        viewport: window.innerHeight, text: document.querySelector('[data-testid=permission-prompts]').innerText }`);
    assert.ok(layout.termHeight > 100, `the terminal keeps its room: ${JSON.stringify(layout)}`);
    assert.ok(layout.promptTop >= layout.termBottom - 1, `the prompt is below the terminal: ${JSON.stringify(layout)}`);
    assert.ok(layout.promptHeight > 0 && layout.promptBottom <= layout.viewport + 1, `the prompt is in view: ${JSON.stringify(layout)}`);
    assert.match(layout.text, /Write/, layout.text);
    assert.ok(layout.text.includes('approved-in-the-app.md'), layout.text);
    assert.ok(!existsSync(target), 'nothing written before the answer');
    await sleep(400);
    await s.screenshot(join(shots, 'terminal-approval.png'));

    // Allow in the app: the CLI writes the file, its dialog closes, the prompt goes, the turn ends.
    await s.click(await s.find('[data-testid=permission-allow]'));
    await until('the file is written', () => existsSync(target), 15000);
    assert.equal(readFileSync(target, 'utf8'), '# Written after the app said yes');
    await until('the app\'s prompt is gone', () => s.exec(`return !document.querySelector('[data-testid=permission-prompt]')`), 10000);
    await until('the session runs again or is idle', async () => ['running', 'idle'].includes(await status(s)), 10000);
    await until('the turn ends', async () => (await status(s)) === 'idle', 30000);
    await until('the dialog left the terminal', async () => !/Do you want to/.test(await screen(s)), 10000);
  } finally {
    for (const pid of appPids(approvalData)) process.kill(pid, 'SIGTERM');
    await sleep(1500);
    await s.close().catch(() => {});
  }
});
