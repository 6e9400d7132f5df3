// A minimal W3C WebDriver client over fetch, for WebKitWebDriver driving the real app.
// We talk to WebKitWebDriver directly: tauri-driver only proxies it on Linux, and its proxy
// dropped sessions on this machine (~15 %), while the direct connection never did.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The environment the real Claude Code CLI needs to talk to our fake API on `port`, with `home` as its HOME. */
export function claudeCliEnv(port, home, apiKey = 'sk-test') {
  return {
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
    ANTHROPIC_API_KEY: apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    HOME: home,
  };
}

/** Starts WebKitWebDriver on a free port; returns { url, stop }. */
export async function startDriver(env = {}) {
  const port = await freePort();
  const proc = spawn('WebKitWebDriver', [`--port=${port}`], {
    env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok) break;
    } catch {}
    await sleep(50);
  }
  return {
    url,
    stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); }),
  };
}

async function call(url, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new Error(`${method} ${path}: ${res.status} ${v.error ?? ''} ${v.message ?? JSON.stringify(json)}`);
  }
  return json.value;
}

export class Session {
  static async start(driverUrl, binary, args = []) {
    const value = await call(driverUrl, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args } } },
    });
    return new Session(driverUrl, value.sessionId);
  }
  constructor(url, id) { this.url = url; this.id = id; }
  cmd(method, path, body) { return call(this.url, method, `/session/${this.id}${path}`, body); }
  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }
  async findAll(css) {
    const v = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => e[ELEMENT]);
  }
  /** Waits until `css` matches (and `pred(text)` holds, when given); returns the element. */
  async waitFor(css, { timeout = 10000, text } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const el = await this.find(css);
        if (!text) return el;
        last = await this.text(el);
        if (text(last)) return el;
      } catch (e) { last = e.message; }
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${css} (last: ${last})`);
  }
  /** The trimmed textContent of every element matching `css`, in document order. */
  texts(css) {
    return this.exec('return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim())', [css]);
  }
  click(el) { return this.cmd('POST', `/element/${el}/click`, {}); }
  /**
   * Chooses the agent in the open New-session form, as a person would (a change event): the
   * form then keeps it, whatever the agent check that is still running finds installed.
   */
  async chooseAgent(agent) {
    await this.waitFor('[data-testid=field-agent]');
    await this.exec(`const a = document.querySelector('[data-testid=field-agent]'); a.value = arguments[0]; a.dispatchEvent(new Event('change', { bubbles: true }));`, [agent]);
  }
  async type(el, text) {
    await this.cmd('POST', `/element/${el}/clear`, {});
    if (text !== '') await this.cmd('POST', `/element/${el}/value`, { text });
  }
  text(el) { return this.cmd('GET', `/element/${el}/text`); }
  attr(el, name) { return this.cmd('GET', `/element/${el}/attribute/${name}`); }
  exec(script, args = []) { return this.cmd('POST', '/execute/sync', { script, args }); }
  /**
   * A PNG of the app's window as it is on the (virtual) screen. WebKitWebDriver's own
   * screenshot command hangs with WebKitGTK 2.50 under Xvfb, so we grab the X display with
   * ImageMagick and crop it to the window.
   */
  async screenshot(file, { pageOnly = false } = {}) {
    let { x, y, width, height } = await this.cmd('GET', '/window/rect');
    if (pageOnly) {
      // Just the page, below a browser's toolbar (MiniBrowser's, in the views' WebKitGTK checks).
      const inner = await this.exec('return [window.innerWidth, window.innerHeight]');
      y += height - inner[1];
      [width, height] = inner;
    }
    execFileSync('import', ['-window', 'root', '-crop', `${width}x${height}+${Math.max(0, x)}+${Math.max(0, y)}`, '+repage', file]);
  }
  close() { return call(this.url, 'DELETE', `/session/${this.id}`); }
}
