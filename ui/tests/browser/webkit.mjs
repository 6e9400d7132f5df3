// The views' checks in WebKitGTK, the engine the app runs in (Chromium, which run.mjs drives,
// renders some layouts differently: the Ctrl-K switcher's list collapsed only in WebKit).
//
//   cd ui && npm run build && npm run test:webkit     (make test runs it as a suite)
//
// Serves ui/dist on 127.0.0.1 with the app's CSP and the same mocked backend as run.mjs
// (mockIpc.ts + fixtures.mjs), injected as a same-origin script before the app's module, and
// drives WebKitGTK's MiniBrowser through WebKitWebDriver (tests/e2e/webdriver.mjs). Screenshots
// go to docs/screenshots/webkit-*.png (grabbed from the X display with ImageMagick's `import`).
// Prints "N passed, M failed" last and exits non-zero on any failure.
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import { startDriver, Session } from "../../../tests/e2e/webdriver.mjs";
import { CLAUDE_ID, COMMAND_ID, ENDED_CLAUDE_ID, FAILED_ID, PERM_ID, WORKTREES, ORPHANS, bigWorktrees, fullOptions } from "./fixtures.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = resolve(here, "..", "..");
const distDir = join(uiDir, "dist");
const repoDir = resolve(uiDir, "..");
const shotsDir = join(repoDir, "docs", "screenshots");
const only = process.env.ONLY ? new RegExp(process.env.ONLY, "i") : null;
const MINIBROWSER = process.env.MINIBROWSER_PATH || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

const mockSource = transformSync(readFileSync(join(here, "mockIpc.ts"), "utf8"), {
  loader: "ts",
  format: "esm",
  target: "es2022",
}).code.replace(/^export /gm, "");

const csp = (() => {
  try {
    return JSON.parse(readFileSync(join(repoDir, "tauri.conf.json"), "utf8")).app.security.csp;
  } catch {
    return "default-src 'self'; script-src 'self'; style-src 'self'";
  }
})();

// ---------------------------------------------------------------- checks

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL - ${name}\n       ${String(err?.message ?? err).split("\n").slice(0, 8).join("\n       ")}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2" };
// The mock's options for the next page load (one page at a time).
let mockOptions = {};

function startServer() {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url || "/", "http://localhost");
      if (url.pathname === "/__mock.js") {
        res.writeHead(200, { "Content-Type": TYPES[".js"], "Cache-Control": "no-store" });
        res.end(`${mockSource}\ninstallMockIpc(${JSON.stringify(mockOptions)});\n`);
        return;
      }
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith("/")) rel += "index.html";
      const file = normalize(join(distDir, rel));
      if (!file.startsWith(distDir + sep)) return void res.writeHead(403).end();
      let body = await readFile(file);
      // A classic script runs before the app's module script: the mock is in place first.
      if (rel.endsWith("index.html")) body = body.toString().replace("<head>", '<head><script src="/__mock.js"></script>');
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream", "Content-Security-Policy": csp, "Cache-Control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, port: server.address().port })));
}

// ---------------------------------------------------------------- page helpers

/** The page, driven through WebDriver: small helpers over Session in the page's terms. */
class Page {
  constructor(s, base) {
    this.s = s;
    this.base = base;
  }
  async open(options, { hash = "", width = 1280, height = 800 } = {}) {
    mockOptions = options;
    await this.s.cmd("POST", "/window/rect", { width, height });
    await this.s.cmd("POST", "/url", { url: `${this.base}?t=${Date.now()}${hash}` });
    await this.waitFn("return !!document.querySelector('.app, #app > *')");
  }
  eval(body, ...args) {
    return this.s.exec(body, args);
  }
  /** Waits until the script `body` returns a truthy value; returns it. */
  async waitFn(body, args = [], { timeout = 6000, what = body } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await this.s.exec(body, args);
        if (last) return last;
      } catch (e) {
        last = e.message;
      }
      await sleep(40);
    }
    throw new Error(`timed out: ${what} (last: ${JSON.stringify(last)})`);
  }
  visible(css) {
    return this.waitFn("const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0", [css], { what: `visible ${css}` });
  }
  gone(css) {
    return this.waitFn("return !document.querySelector(arguments[0])", [css], { what: `gone ${css}` });
  }
  text(css) {
    return this.eval("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null", css);
  }
  texts(css) {
    return this.eval("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css);
  }
  count(css) {
    return this.eval("return document.querySelectorAll(arguments[0]).length", css);
  }
  async click(css) {
    await this.visible(css);
    // Centred first: a toast in the bottom corner must not take a click meant for a button
    // near the bottom of the page ("element click intercepted").
    await this.eval("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })", css);
    await this.s.click(await this.s.find(css));
  }
  async fill(css, value) {
    await this.visible(css);
    await this.s.type(await this.s.find(css), value);
  }
  /** Sends keys to the focused element (WebDriver key codes: "\uE00C" is Escape). */
  keys(text) {
    const actions = [...text].flatMap((c) => [{ type: "keyDown", value: c }, { type: "keyUp", value: c }]);
    return this.s.cmd("POST", "/actions", { actions: [{ type: "key", id: "kb", actions }] });
  }
  async chord(mod, key) {
    const actions = [{ type: "keyDown", value: mod }, { type: "keyDown", value: key }, { type: "keyUp", value: key }, { type: "keyUp", value: mod }];
    await this.s.cmd("POST", "/actions", { actions: [{ type: "key", id: "kb", actions }] });
  }
  focusedTestId() {
    return this.eval("return document.activeElement && document.activeElement.getAttribute('data-testid')");
  }
  calls(cmd) {
    return this.eval("return window.__mock.calls.filter(c => c.cmd === arguments[0]).map(c => c.args)", cmd);
  }
  async shot(name) {
    await sleep(150);
    await this.s.screenshot(join(shotsDir, name), { pageOnly: true });
  }
}

export const KEY = { Escape: "\uE00C", Enter: "\uE007", Up: "\uE013", Down: "\uE015", Delete: "\uE017", Control: "\uE009", Shift: "\uE008" };

// ---------------------------------------------------------------- run

if (!existsSync(join(distDir, "index.html"))) {
  console.log('ui/dist/index.html not found: run "npm run build" in ui/ first\n0 passed, 1 failed');
  process.exit(1);
}
mkdirSync(shotsDir, { recursive: true });
const { server, port } = await startServer();
// The page gets the locale the app gives its own WebKit (src-tauri/src/lib.rs, run_gui): under
// a C/POSIX locale navigator.language is not a language tag and Intl (uPlot's number format
// among others) throws, so the app falls back to en_US.UTF-8 — and so does this suite.
const locale = ["LC_ALL", "LC_MESSAGES", "LANG"].map((k) => process.env[k]).find((v) => v);
const cLocale = !locale || locale === "C" || locale === "POSIX" || locale.startsWith("C.");
const driver = await startDriver(cLocale ? { LANG: "en_US.UTF-8", LC_ALL: "" } : {});
let s;
try {
  s = await Session.start(driver.url, MINIBROWSER, ["--automation"]);
  const page = new Page(s, `http://127.0.0.1:${port}/`);
  const section = (name) => !only || only.test(name);
  const { sections } = await import("./webkitChecks.mjs");
  for (const [name, run] of sections) {
    if (section(name)) await run(page, { check, assert, assertEq, sleep, KEY, fullOptions, worktrees: WORKTREES, bigWorktrees, orphans: ORPHANS, ids: { CLAUDE_ID, ENDED_CLAUDE_ID, COMMAND_ID, FAILED_ID, PERM_ID } });
  }
} catch (e) {
  failed += 1;
  console.log(`FAIL - harness: ${e.stack || e}`);
} finally {
  if (s) await s.close().catch(() => {});
  await driver.stop();
  server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
