// Browser smoke test of the built UI (ui/dist) against a mocked Tauri IPC.
//
//   cd ui && npm run build && node tests/browser/smoke.mjs
//
// Serves ui/dist on 127.0.0.1 (random port) with the app's strict CSP,
// drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) through
// playwright-core, and writes screenshots to docs/screenshots/.
// Prints "N passed, M failed" last and exits non-zero on any failure.

import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { installMockIpc } from "./mockIpc.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = resolve(here, "..", "..");
const distDir = join(uiDir, "dist");
const repoDir = resolve(uiDir, "..");
const shotsDir = join(repoDir, "docs", "screenshots");
const chromePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const FALLBACK_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

function appCsp() {
  try {
    const conf = JSON.parse(readFileSync(join(repoDir, "tauri.conf.json"), "utf8"));
    return conf?.app?.security?.csp || FALLBACK_CSP;
  } catch {
    return FALLBACK_CSP;
  }
}

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
    const msg = String(err?.message ?? err).split("\n").slice(0, 6).join("\n       ");
    console.log(`FAIL - ${name}\n       ${msg}`);
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

// ---------------------------------------------------------------- server

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

function startServer(csp) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url || "/", "http://localhost");
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith("/")) rel += "index.html";
      const file = normalize(join(distDir, rel));
      if (!file.startsWith(distDir + sep)) {
        res.writeHead(403).end();
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        "Content-Type": TYPES[extname(file)] || "application/octet-stream",
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolvePort) => {
    server.listen(0, "127.0.0.1", () => resolvePort({ server, port: server.address().port }));
  });
}

// ---------------------------------------------------------------- fixtures

function iso(minutesAgo) {
  return new Date(Date.now() - minutesAgo * 60_000).toISOString();
}

function fixture(id, minutesAgo, activityMinutesAgo, fields) {
  return {
    id,
    agent: "command",
    title: "",
    cwd: "/home/dev/src",
    status: { state: "running" },
    task_id: null,
    mcp_session_id: null,
    agent_session_id: null,
    service_session_id: null,
    config: {
      program: "bash",
      args: [],
      prompt: null,
      model: null,
      permission_mode: "default",
      max_turns: null,
      append_system_prompt: null,
      env: {},
      metadata: null,
    },
    created_at: iso(minutesAgo),
    last_activity: iso(activityMinutesAgo),
    expires_at: iso(-24 * 60),
    ended_at: null,
    message_count: 0,
    turns: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    last_error: null,
    pid: null,
    exit_code: null,
    last_response_at: null,
    launch_command: null,
    output_trimmed_through: 0,
    ...fields,
  };
}

const SEEDED = [
  fixture("s-01", 3, 0.2, {
    agent: "claude",
    title: "Fix flaky login test in auth service",
    cwd: "/home/dev/src/github.com/acme/platform/services/auth",
    task_id: "ENG-1421",
    input_tokens: 48_210,
    output_tokens: 6_904,
    cost_usd: 0.73,
  }),
  fixture("s-02", 12, 1, {
    agent: "codex",
    title: "Refactor billing module to use the new invoice API",
    cwd: "/home/dev/src/github.com/acme/platform/billing",
    status: { state: "waiting_input" },
    task_id: "ENG-1399",
    input_tokens: 122_400,
    output_tokens: 18_020,
    cost_usd: 2.41,
  }),
  fixture("s-03", 35, 20, {
    title: "npm run test -- --watch",
    cwd: "/home/dev/src/switchboard/ui",
    status: { state: "idle" },
    config: { ...fixture("x", 0, 0, {}).config, program: "npm", args: ["run", "test", "--", "--watch"] },
  }),
  fixture("s-04", 60 * 2, 60 * 2 - 5, {
    agent: "claude",
    title: "Upgrade the docs site to Astro 5",
    cwd: "/home/dev/src/docs",
    status: { state: "error", message: "Agent exited with status 1: rate limit exceeded" },
    last_error: "rate limit exceeded",
    input_tokens: 9_120,
    output_tokens: 880,
    cost_usd: 0.11,
  }),
  fixture("s-05", 60 * 26, 60 * 25, {
    title: "cargo build --release",
    cwd: "/home/dev/src/switchboard",
    status: { state: "ended" },
    ended_at: iso(60 * 25),
    exit_code: 0,
    last_response_at: null,
    launch_command: null,
    output_trimmed_through: 0,
    config: { ...fixture("x", 0, 0, {}).config, program: "cargo", args: ["build", "--release"] },
  }),
];

// Arrives as an event while list_sessions is still in flight.
const DURING_LOAD = fixture("s-00", 0.5, 0.1, {
  title: "echo hello",
  cwd: "/home/dev/src/switchboard",
  status: { state: "starting" },
  config: { ...fixture("x", 0, 0, {}).config, program: "echo", args: ["hello"] },
});

// ---------------------------------------------------------------- run

const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

async function main() {
  if (!existsSync(join(distDir, "index.html"))) {
    console.log(`ui/dist/index.html not found: run "npm run build" in ui/ first`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  if (!existsSync(chromePath)) {
    console.log(`Chromium not found at ${chromePath} (apt-get install chromium, or set CHROMIUM_PATH)`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  mkdirSync(shotsDir, { recursive: true });

  const csp = appCsp();
  const { server, port } = await startServer(csp);
  const base = `http://127.0.0.1:${port}/`;
  const browser = await chromium.launch({ executablePath: chromePath, headless: true, args: LAUNCH_ARGS });
  const pageErrors = [];

  async function openPage(mockOptions, { colorScheme = "light", width = 1200, height = 780 } = {}) {
    const context = await browser.newContext({
      viewport: { width, height },
      deviceScaleFactor: 1,
      colorScheme,
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(5000);
    page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(`console.error: ${msg.text()}`);
    });
    await page.addInitScript(installMockIpc, mockOptions);
    await page.goto(base);
    return { page, context };
  }

  const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

  try {
    // ----- 1. First start: no sessions.
    const { page, context } = await openPage({ sessions: [] });
    const dialog = byTestId(page, "new-session-dialog");
    const rows = byTestId(page, "session-row");

    await check("empty state is shown when there are no sessions", async () => {
      await byTestId(page, "empty-state").waitFor({ state: "visible" });
      const text = await byTestId(page, "empty-state").innerText();
      assert(/New session/.test(text), "empty state mentions New session");
      assert(text.includes("switchboard run --agent command --cwd . -- echo hello"), "empty state shows the CLI");
    });

    await check("top bar shows the name and 'No sessions'", async () => {
      assert((await page.locator("header h1").innerText()) === "Switchboard", "app name");
      assertEq((await byTestId(page, "status-counts").innerText()).trim(), "No sessions", "status counts");
    });

    await check("app subscribed to both events before listing", async () => {
      const cmds = await page.evaluate(() => window.__mock.calls.map((c) => c.cmd + (c.args.event ? `:${c.args.event}` : "")));
      const list = cmds.indexOf("list_sessions");
      assert(list > 0, `list_sessions called: ${cmds.join(", ")}`);
      assert(cmds.indexOf("plugin:event|listen:session-changed") < list, "listen session-changed before list");
      assert(cmds.indexOf("plugin:event|listen:session-deleted") < list, "listen session-deleted before list");
    });

    await page.screenshot({ path: join(shotsDir, "ui-empty.png") });

    await check("Ctrl+N opens the dialog with the first field focused", async () => {
      await page.keyboard.press("Control+n");
      await dialog.waitFor({ state: "visible" });
      const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
      assertEq(focused, "field-agent", "focused field");
      const opts = await byTestId(page, "field-agent").locator("option").evaluateAll((os) =>
        os.map((o) => `${o.value}:${o.disabled ? "off" : "on"}`),
      );
      assertEq(opts, ["command:on", "claude:off", "codex:off", "gemini:off"], "agent options");
    });

    await check("Esc closes the dialog", async () => {
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });

    await check("New session button opens the dialog", async () => {
      await byTestId(page, "new-session-button").click();
      await dialog.waitFor({ state: "visible" });
    });

    await check("submitting an empty form shows field errors", async () => {
      await byTestId(page, "field-cwd").fill("");
      await byTestId(page, "create-session-submit").click();
      await byTestId(page, "field-error-program").waitFor({ state: "visible" });
      await byTestId(page, "field-error-cwd").waitFor({ state: "visible" });
      const creates = await page.evaluate(() => window.__mock.calls.filter((c) => c.cmd === "create_session").length);
      assertEq(creates, 0, "create_session calls");
    });

    await check("an unclosed quote in Arguments is reported", async () => {
      await byTestId(page, "field-program").fill("bash");
      await byTestId(page, "field-args").fill('-c "echo hi');
      await byTestId(page, "field-error-args").waitFor({ state: "visible" });
      const text = await byTestId(page, "field-error-args").innerText();
      assert(/unclosed double quote/i.test(text), `args error text: ${text}`);
    });

    await check("a backend error with a field is shown under that field", async () => {
      await byTestId(page, "field-args").fill('-c "echo hi"');
      await byTestId(page, "field-cwd").fill("/does/not/exist");
      await byTestId(page, "create-session-submit").click();
      await byTestId(page, "field-error-cwd").waitFor({ state: "visible" });
      const text = await byTestId(page, "field-error-cwd").innerText();
      assertEq(text, "Folder does not exist: /does/not/exist", "cwd error");
      const sent = await page.evaluate(() => window.__mock.calls.filter((c) => c.cmd === "create_session").at(-1).args);
      assertEq(sent.request.config.args, ["-c", "echo hi"], "split args");
      assertEq(sent.request.agent, "command", "agent");
      assertEq(Object.keys(sent), ["request"], "argument object keys");
    });

    await check("a backend error given as a plain string is shown as the form error", async () => {
      await byTestId(page, "field-program").fill("crash");
      await byTestId(page, "field-cwd").fill("/tmp");
      await byTestId(page, "create-session-submit").click();
      await byTestId(page, "form-error").waitFor({ state: "visible" });
      const text = await byTestId(page, "form-error").innerText();
      assertEq(text.trim(), "spawn failed: No such file or directory (os error 2)", "form error");
    });

    await page.screenshot({ path: join(shotsDir, "ui-new-session.png") });

    await check("a valid form creates a session, closes the dialog and shows the row", async () => {
      await byTestId(page, "field-program").fill("bash");
      await byTestId(page, "field-args").fill(`-c "echo hi; sleep 1"`);
      await byTestId(page, "field-cwd").fill("/home/dev/src/switchboard");
      await byTestId(page, "field-title").fill("Say hi");
      await byTestId(page, "field-task").fill("ENG-7");
      await byTestId(page, "create-session-submit").click();
      await dialog.waitFor({ state: "detached" });
      await rows.first().waitFor({ state: "visible" });
      assertEq(await rows.count(), 1, "row count");
      assertEq(await rows.first().locator('[data-testid="session-title"]').innerText(), "Say hi", "title");
      const sent = await page.evaluate(() => window.__mock.calls.filter((c) => c.cmd === "create_session").at(-1).args.request);
      assertEq(sent.task_id, "ENG-7", "task_id sent");
      assertEq(sent.config.args, ["-c", "echo hi; sleep 1"], "args sent");
    });

    await check("the row goes to running via session-changed and counts update", async () => {
      await page.locator('[data-testid="session-row"][data-status="running"]').waitFor();
      assertEq((await byTestId(page, "status-counts").innerText()).trim(), "1 running", "counts");
      assert(!(await byTestId(page, "empty-state").isVisible()), "empty state hidden");
    });

    await check("a second session is listed first (newest first)", async () => {
      await page.keyboard.press("Control+n");
      await dialog.waitFor({ state: "visible" });
      assertEq(await byTestId(page, "field-cwd").inputValue(), "/home/dev/src/switchboard", "last folder prefilled");
      await byTestId(page, "field-program").fill("sleep");
      await byTestId(page, "field-args").fill("600");
      await byTestId(page, "field-program").press("Enter");
      await dialog.waitFor({ state: "detached" });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 2);
      const titles = await page.locator('[data-testid="session-title"]').allInnerTexts();
      assertEq(titles, ["sleep 600", "Say hi"], "titles in order");
    });

    await check("End ends a live session and hides its End button", async () => {
      const row = page.locator('[data-testid="session-row"]', { hasText: "Say hi" });
      await row.locator('[data-testid="session-end"]').click();
      await page.locator('[data-testid="session-row"][data-status="ended"]').waitFor();
      assertEq(await row.locator('[data-testid="session-end"]').count(), 0, "End buttons in ended row");
      await page.locator('[data-testid="session-row"][data-status="running"]').waitFor();
      assertEq((await byTestId(page, "status-counts").innerText()).trim(), "1 running · 1 ended", "counts");
    });

    await check("session-deleted removes the row", async () => {
      const id = await page.locator('[data-testid="session-row"][data-status="ended"]').getAttribute("data-session-id");
      await page.evaluate((sid) => window.__mock.remove(sid), id);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 1);
    });

    await check("a session started elsewhere appears live", async () => {
      await page.evaluate((s) => window.__mock.put(s), { ...DURING_LOAD, id: "from-cli", created_at: new Date().toISOString() });
      await page.locator('[data-testid="session-row"][data-session-id="from-cli"]').waitFor();
      assertEq(await rows.first().getAttribute("data-session-id"), "from-cli", "new session on top");
    });

    await check("no '[object Object]' anywhere", async () => {
      const text = await page.locator("body").innerText();
      assert(!text.includes("[object"), "found [object …] in the page");
    });

    await check("no CSP violations on the first page", async () => {
      const v = await page.evaluate(() => window.__mock.violations);
      assertEq(v, [], "CSP violations");
    });
    await context.close();

    // ----- 2. Start with sessions; one arrives by event during list_sessions.
    const second = await openPage({ sessions: SEEDED, listDelayMs: 400, emitDuringList: [DURING_LOAD] });
    const p2 = second.page;

    await check("an event during the initial list call is not lost", async () => {
      await p2.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 6);
      const ids = await p2.locator('[data-testid="session-row"]').evaluateAll((els) => els.map((e) => e.dataset.sessionId));
      assertEq(ids, ["s-00", "s-01", "s-02", "s-03", "s-04", "s-05"], "rows newest first");
    });

    await check("rows carry status, relative times, tokens, cost and End only when live", async () => {
      const statuses = await p2.locator('[data-testid="session-row"]').evaluateAll((els) => els.map((e) => e.dataset.status));
      assertEq(statuses, ["starting", "running", "waiting_input", "idle", "error", "ended"], "statuses");
      const first = p2.locator('[data-testid="session-row"][data-session-id="s-01"]');
      const text = await first.innerText();
      assert(text.includes("3 min ago"), `relative created time in: ${text}`);
      assert(text.includes("55.1k"), `tokens in: ${text}`);
      assert(text.includes("$0.73"), `cost in: ${text}`);
      const folderTitle = await first.locator("td[title^='/home/dev/src/github.com']").getAttribute("title");
      assertEq(folderTitle, "/home/dev/src/github.com/acme/platform/services/auth", "full path in title");
      const ends = await p2.locator('[data-testid="session-row"]').evaluateAll((els) =>
        els.map((e) => e.querySelector('[data-testid="session-end"]') !== null),
      );
      assertEq(ends, [true, true, true, true, false, false], "End buttons");
      assertEq(
        (await byTestId(p2, "status-counts").innerText()).trim(),
        "1 running · 1 waiting · 1 starting · 1 idle · 1 failed · 1 ended",
        "counts",
      );
    });

    await check("no horizontal overflow at 1200px", async () => {
      const over = await p2.evaluate(() => {
        const main = document.querySelector("main");
        return main.scrollWidth - main.clientWidth;
      });
      assert(over <= 0, `main overflows by ${over}px`);
    });

    await p2.screenshot({ path: join(shotsDir, "ui-sessions.png") });

    await check("no horizontal overflow at the minimum window width (720px)", async () => {
      await p2.setViewportSize({ width: 720, height: 480 });
      const over = await p2.evaluate(() => {
        const main = document.querySelector("main");
        return main.scrollWidth - main.clientWidth;
      });
      assert(over <= 0, `main overflows by ${over}px`);
    });
    await p2.screenshot({ path: join(shotsDir, "ui-sessions-narrow.png") });

    await check("no CSP violations on the second page", async () => {
      assertEq(await p2.evaluate(() => window.__mock.violations), [], "CSP violations");
    });
    await second.context.close();

    // ----- 3. Dark theme.
    const dark = await openPage({ sessions: [...SEEDED, DURING_LOAD] }, { colorScheme: "dark" });
    await check("dark theme follows the system", async () => {
      await dark.page.locator('[data-testid="session-row"]').first().waitFor();
      const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g).map(Number);
      assert(r + g + b < 120, `dark background, got ${bg}`);
    });
    await dark.page.screenshot({ path: join(shotsDir, "ui-sessions-dark.png") });
    await dark.context.close();

    await check("no page errors or console errors", async () => {
      assertEq(pageErrors, [], "errors");
    });
  } catch (err) {
    failed += 1;
    console.log(`FAIL - smoke test aborted: ${err?.stack ?? err}`);
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }

  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const guard = setTimeout(() => {
  console.log("FAIL - smoke test timed out after 120 s");
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 120_000);
guard.unref();

await main();
