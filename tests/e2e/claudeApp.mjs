// What the real-app tests of Claude Code share: the fake Anthropic API on 127.0.0.1 and a
// WebDriver whose app (and so every CLI it starts) talks to it with an isolated HOME; the app's
// processes on a data dir; waiting for a condition.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { claudeCliEnv, startDriver } from './webdriver.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = process.env.SWITCHBOARD_BIN ?? join(root, 'target/debug/switchboard');

/**
 * Starts the fake API and a driver for the pinned Claude Code CLI against it (`home` as HOME,
 * `apiKey` as its key). `stop()` ends both.
 */
export async function startClaudeDriver({ home, apiKey = 'sk-test' }) {
  const api = spawn('node', [join(root, 'tests/fake-api/server.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise((resolve) => createInterface({ input: api.stdout }).once('line', (l) => resolve(Number(l.split(' ')[1]))));
  // The app inherits the driver's environment, and the CLI the app's.
  const driver = await startDriver({
    ...claudeCliEnv(port, home, apiKey),
    SWITCHBOARD_CLAUDE_BIN: join(root, 'tests/node_modules/.bin/claude'),
  });
  const stop = async () => { api.stdin.end(); api.kill(); await driver.stop(); };
  return { driver, port, stop };
}

/** The app's processes running on `dataDir`. */
export function appPids(dataDir) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { const a = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0'); return a[0] === bin && a.includes(dataDir); } catch { return false; }
  }).map(Number);
}

/** Waits until `fn` returns something truthy (checked every 100 ms); returns it, or fails saying `what`. */
export async function until(what, fn, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  assert.fail(`timed out: ${what} (last: ${JSON.stringify(last)})`);
}
