// Realistic data for the mocked backend: sessions in every state, a Claude
// conversation with Markdown, tool calls (one failing), retries and a turn
// result; a failed session; a command's output; task logs; 30 days of usage.

export function iso(minutesAgo) {
  return new Date(Date.now() - minutesAgo * 60_000).toISOString();
}

const BASE_CONFIG = {
  program: null,
  args: [],
  prompt: null,
  model: null,
  permission_mode: "default",
  max_turns: null,
  append_system_prompt: null,
  env: {},
  metadata: null,
};

export function fixture(id, minutesAgo, activityMinutesAgo, fields = {}) {
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
    config: { ...BASE_CONFIG, program: "bash" },
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
    origin: "switchboard",
    ...fields,
  };
}

function agentConfig(fields) {
  return { ...BASE_CONFIG, program: null, ...fields };
}

// ------------------------------------------------------------ the walking-skeleton set

export const SEEDED = [
  fixture("s-01", 3, 0.2, {
    agent: "claude",
    title: "Fix flaky login test in auth service",
    cwd: "/home/dev/src/github.com/acme/platform/services/auth",
    task_id: "ENG-1421",
    input_tokens: 48_210,
    output_tokens: 6_904,
    cost_usd: 0.73,
    config: agentConfig({ model: "claude-sonnet-4-5", permission_mode: "acceptEdits", max_turns: 10 }),
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
    config: agentConfig({ model: "gpt-5-codex" }),
  }),
  fixture("s-03", 35, 20, {
    title: "npm run test -- --watch",
    cwd: "/home/dev/src/switchboard/ui",
    status: { state: "idle" },
    config: { ...BASE_CONFIG, program: "npm", args: ["run", "test", "--", "--watch"] },
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
    ended_at: iso(60 * 2 - 5),
    agent_session_id: "3f0c2b1e-docs",
    config: agentConfig({ model: "claude-opus-4-1" }),
  }),
  fixture("s-05", 60 * 26, 60 * 25, {
    title: "cargo build --release",
    cwd: "/home/dev/src/switchboard",
    status: { state: "ended" },
    ended_at: iso(60 * 25),
    exit_code: 0,
    config: { ...BASE_CONFIG, program: "cargo", args: ["build", "--release"] },
  }),
];

// Arrives as an event while list_sessions is still in flight.
export const DURING_LOAD = fixture("s-00", 0.5, 0.1, {
  title: "echo hello",
  cwd: "/home/dev/src/switchboard",
  status: { state: "starting" },
  config: { ...BASE_CONFIG, program: "echo", args: ["hello"] },
});

// ------------------------------------------------------------ the full set

export const CLAUDE_ID = "claude_0193a1f0c2d4";
export const CODEX_ID = "codex_0193a1e9aa10";
export const FAILED_ID = "claude_0193a0c7be55";
export const COMMAND_ID = "command_0193a1f3d001";
export const ENDED_CLAUDE_ID = "claude_01939ff02a77";
export const LONG_ID = "claude_01939e11e100";
export const LIVE_ID = "claude_0193a1f4ee01";
export const GEMINI_ID = "gemini_01939c0d0aa1";
export const PERM_ID = "claude_0193a1f5aa02";

const AUTH = "/home/dev/src/github.com/acme/platform/services/auth";

export const FULL_SESSIONS = [
  fixture(CLAUDE_ID, 14, 0.3, {
    agent: "claude",
    title: "Fix flaky login test in auth service",
    cwd: AUTH,
    task_id: "ENG-1421",
    status: { state: "running" },
    agent_session_id: "9b2f6c1d-7a40-4e0b-9d3c-2a6f1e8b5c77",
    message_count: 3,
    turns: 9,
    input_tokens: 48_210,
    output_tokens: 6_904,
    cost_usd: 0.7342,
    pid: 48121,
    launch_command: "claude -p --output-format stream-json --verbose --permission-mode acceptEdits --model claude-sonnet-4-5",
    config: agentConfig({ prompt: "The login test in services/auth is flaky on CI. Find out why and fix it.", model: "claude-sonnet-4-5", permission_mode: "acceptEdits", max_turns: 10 }),
  }),
  fixture(CODEX_ID, 42, 2, {
    agent: "codex",
    title: "Refactor billing module to use the new invoice API",
    cwd: "/home/dev/src/github.com/acme/platform/billing",
    status: { state: "waiting_input" },
    task_id: "ENG-1399",
    agent_session_id: "codex-7d1e",
    message_count: 7,
    turns: 14,
    input_tokens: 122_400,
    output_tokens: 18_020,
    cost_usd: 2.41,
    config: agentConfig({ model: "gpt-5-codex", permission_mode: "acceptEdits" }),
  }),
  fixture(COMMAND_ID, 35, 0.5, {
    title: "npm run test -- --watch",
    cwd: "/home/dev/src/switchboard/ui",
    status: { state: "running" },
    pid: 47002,
    launch_command: "npm run test -- --watch",
    config: { ...BASE_CONFIG, program: "npm", args: ["run", "test", "--", "--watch"] },
  }),
  fixture(LIVE_ID, 5, 0.1, {
    agent: "claude",
    title: "Stream: migrate event bus to typed channels",
    cwd: "/home/dev/src/github.com/acme/platform/events",
    status: { state: "running" },
    task_id: "ENG-1433",
    agent_session_id: "live-1",
    input_tokens: 8_400,
    output_tokens: 1_210,
    cost_usd: 0.09,
    config: agentConfig({ model: "claude-sonnet-4-5", permission_mode: "default", max_turns: 10 }),
  }),
  fixture(PERM_ID, 9, 0.8, {
    agent: "claude",
    title: "Add OAuth device flow to the CLI",
    cwd: "/home/dev/src/github.com/acme/cli",
    status: { state: "waiting_input" },
    task_id: "ENG-1450",
    agent_session_id: "perm-1",
    message_count: 1,
    turns: 3,
    input_tokens: 21_400,
    output_tokens: 2_050,
    cost_usd: 0.21,
    config: agentConfig({ model: "claude-sonnet-4-5", permission_mode: "default", max_turns: 10 }),
  }),
  fixture(FAILED_ID, 60 * 2, 60 * 2 - 5, {
    agent: "claude",
    title: "Upgrade the docs site to Astro 5",
    cwd: "/home/dev/src/docs",
    status: { state: "error", message: "API Error: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit" },
    last_error: "rate limit exceeded",
    task_id: "DOCS-88",
    agent_session_id: "3f0c2b1e-docs",
    input_tokens: 9_120,
    output_tokens: 880,
    cost_usd: 0.11,
    turns: 2,
    ended_at: iso(60 * 2 - 5),
    exit_code: 1,
    config: agentConfig({ model: "claude-opus-4-1" }),
  }),
  fixture(ENDED_CLAUDE_ID, 60 * 5, 60 * 4, {
    agent: "claude",
    title: "Write release notes for v0.9",
    cwd: "/home/dev/src/github.com/acme/platform",
    status: { state: "ended" },
    task_id: "ENG-1421",
    agent_session_id: "51ab-notes",
    message_count: 4,
    turns: 6,
    input_tokens: 31_050,
    output_tokens: 4_480,
    cost_usd: 0.38,
    ended_at: iso(60 * 4),
    exit_code: 0,
    config: agentConfig({ model: "claude-sonnet-4-5", permission_mode: "plan" }),
  }),
  fixture("command_01939f00b002", 60 * 26, 60 * 25, {
    title: "cargo build --release",
    cwd: "/home/dev/src/switchboard",
    status: { state: "ended" },
    ended_at: iso(60 * 25),
    exit_code: 0,
    config: { ...BASE_CONFIG, program: "cargo", args: ["build", "--release"] },
  }),
  fixture(GEMINI_ID, 60 * 30, 60 * 29, {
    agent: "gemini",
    title: "Summarize open incidents",
    cwd: "/home/dev/src/github.com/acme/runbooks",
    status: { state: "interrupted" },
    agent_session_id: "gem-1",
    turns: 3,
    input_tokens: 14_900,
    output_tokens: 2_300,
    cost_usd: 0.05,
    ended_at: iso(60 * 29),
    config: agentConfig({ model: "gemini-2.5-pro" }),
  }),
  fixture(LONG_ID, 60 * 50, 60 * 40, {
    agent: "claude",
    title: "Overnight: port the test suite to vitest (100k entries)",
    cwd: "/home/dev/src/github.com/acme/legacy-web",
    status: { state: "ended" },
    // Run in a terminal, imported from ~/.claude/projects.
    origin: "terminal",
    task_id: "ENG-1300",
    agent_session_id: "long-1",
    message_count: 620,
    turns: 1_204,
    input_tokens: 9_400_000,
    output_tokens: 1_120_000,
    cost_usd: 48.2,
    ended_at: iso(60 * 40),
    config: agentConfig({ model: "claude-sonnet-4-5", permission_mode: "bypassPermissions", max_turns: 2000 }),
  }),
  fixture("codex_01939a0e0c33", 60 * 72, 60 * 70, {
    agent: "codex",
    title: "Add rate limiting to the public API",
    cwd: "/home/dev/src/github.com/acme/platform/gateway",
    status: { state: "expired" },
    task_id: "ENG-1399",
    agent_session_id: "codex-rl",
    turns: 5,
    input_tokens: 40_100,
    output_tokens: 5_900,
    cost_usd: 0.62,
    ended_at: iso(60 * 70),
    config: agentConfig({ model: "gpt-5-codex" }),
  }),
];

// ------------------------------------------------------------ output

let seqCounter = 0;
function item(minutesAgo, view, stream = "stdout") {
  seqCounter += 1;
  return { seq: seqCounter, ts: iso(minutesAgo), stream, view };
}

function claudeConversation() {
  seqCounter = 0;
  const test = `${AUTH}/src/login.test.ts`;
  return [
    item(14, { kind: "lifecycle", text: "starting: claude -p --output-format stream-json --verbose --permission-mode acceptEdits" }, "system"),
    item(14, { kind: "system_init", model: "claude-sonnet-4-5", agent_session_id: "9b2f6c1d-7a40-4e0b-9d3c-2a6f1e8b5c77", cwd: AUTH, permission_mode: "acceptEdits" }),
    item(14, { kind: "raw", text: '{"type":"system","subtype":"hook_response","hook_name":"SessionStart"}' }),
    item(14, { kind: "user_text", text: "The login test in services/auth is flaky on CI. Find out why and fix it." }),
    item(13.9, { kind: "assistant_text", text: "I'll start by running the test a few times to reproduce the flake, then read it." }),
    item(13.8, { kind: "tool_use", id: "toolu_01", name: "Bash", input: { command: "npx vitest run src/login.test.ts --repeat 20", description: "Run the login test 20 times" } }),
    item(13.2, { kind: "tool_result", tool_use_id: "toolu_01", content: "Exit code 1\n\n FAIL  src/login.test.ts > login > rejects an expired token (run 7)\nAssertionError: expected 200 to be 401\n ❯ src/login.test.ts:42:31\n\n Test Files  1 failed (1)\n      Tests  1 failed | 39 passed (40)", is_error: true }),
    item(13.1, { kind: "stderr", text: "npm warn config production Use `--omit=dev` instead." }, "stderr"),
    item(13.0, { kind: "tool_use", id: "toolu_02", name: "Read", input: { file_path: test, offset: 30, limit: 30 } }),
    item(12.9, { kind: "tool_result", tool_use_id: "toolu_02", content: "30\tdescribe(\"login\", () => {\n31\t  it(\"rejects an expired token\", async () => {\n32\t    const token = sign({ sub: \"u1\", iat: Math.floor(Date.now() / 1000) - 3600 });\n33\t    const res = await login(token);\n34\t    expect(res.status).toBe(401);\n35\t  });\n36\t});", is_error: false }),
    item(12.7, {
      kind: "assistant_text",
      text: [
        "Found it. The test builds a token that is **exactly one hour old**, and the server's check is `now - iat > 3600`:",
        "",
        "```ts",
        "const token = sign({ sub: \"u1\", iat: Math.floor(Date.now() / 1000) - 3600 });",
        "```",
        "",
        "When the two `Date.now()` calls fall in the same second, the token is *not* expired yet and the server answers `200`. That happens about 1 run in 20 on CI.",
        "",
        "The fix:",
        "",
        "1. Freeze the clock with `vi.useFakeTimers()` so both sides see the same time.",
        "2. Make the token clearly expired (`- 7200`) instead of on the boundary.",
      ].join("\n"),
    }),
    item(12.5, { kind: "tool_use", id: "toolu_03", name: "Edit", input: { file_path: test, old_string: "Math.floor(Date.now() / 1000) - 3600", new_string: "Math.floor(Date.now() / 1000) - 7200" } }),
    item(12.4, { kind: "tool_result", tool_use_id: "toolu_03", content: `The file ${test} has been updated.`, is_error: false }),
    item(12.3, { kind: "api_retry", attempt: 1, max_retries: 10, error: "overloaded_error: Overloaded" }),
    item(12.0, { kind: "tool_use", id: "toolu_04", name: "Bash", input: { command: "npx vitest run src/login.test.ts --repeat 50", description: "Check the fix" } }),
    item(11.2, { kind: "tool_result", tool_use_id: "toolu_04", content: " ✓ src/login.test.ts (100 tests) 2841ms\n\n Test Files  1 passed (1)\n      Tests  100 passed (100)", is_error: false }),
    item(11.0, {
      kind: "assistant_text",
      text: [
        "Fixed: 50 repeated runs pass.",
        "",
        "| | Before | After |",
        "|---|---|---|",
        "| Failures in 20 runs | 1 | 0 |",
        "| Token age | 3600 s (boundary) | 7200 s |",
        "",
        "See the [vitest docs on fake timers](https://vitest.dev/api/vi.html#vi-usefaketimers) for details.",
      ].join("\n"),
    }),
    item(11.0, { kind: "turn_result", subtype: "success", is_error: false, num_turns: 9, duration_ms: 184_300, cost_usd: 0.7342, input_tokens: 48_210, output_tokens: 6_904, text: "Fixed: 50 repeated runs pass.", errors: [], api_error_status: null }),
    item(0.4, { kind: "user_text", text: "Great. Now also add a regression test for a token issued in the future." }),
    // The CLI reports its init again at every turn: the same process, drawn once.
    item(0.4, { kind: "system_init", model: "claude-sonnet-4-5", agent_session_id: "9b2f6c1d-7a40-4e0b-9d3c-2a6f1e8b5c77", cwd: AUTH, permission_mode: "acceptEdits" }),
    item(0.35, { kind: "assistant_text", text: "Adding a test for a token whose `iat` is in the future — the server should reject it with `401` too." }),
    item(0.3, { kind: "tool_use", id: "toolu_05", name: "Bash", input: { command: "npx vitest run src/login.test.ts -t future" } }),
  ];
}

function failedConversation() {
  seqCounter = 0;
  return [
    item(120, { kind: "lifecycle", text: "starting: claude -p --output-format stream-json --model claude-opus-4-1" }, "system"),
    item(120, { kind: "system_init", model: "claude-opus-4-1", agent_session_id: "3f0c2b1e-docs", cwd: "/home/dev/src/docs", permission_mode: "default" }),
    item(120, { kind: "user_text", text: "Upgrade the docs site to Astro 5 and fix whatever breaks." }),
    item(119, { kind: "assistant_text", text: "Let me check the current Astro version and the integrations in use." }),
    item(119, { kind: "tool_use", id: "t1", name: "Grep", input: { pattern: "\"astro\"", path: "/home/dev/src/docs/package.json" } }),
    item(119, { kind: "tool_result", tool_use_id: "t1", content: '  "astro": "^4.16.18",', is_error: false }),
    item(118, { kind: "api_retry", attempt: 3, max_retries: 10, error: "rate_limit_error" }),
    // The Claude CLI answers an API error with the error as its reply.
    item(116, { kind: "assistant_text", text: "API Error: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit" }),
    item(116, { kind: "turn_result", subtype: "error", is_error: true, num_turns: 2, duration_ms: 240_000, cost_usd: 0.11, input_tokens: 9_120, output_tokens: 880, text: null, errors: ["API Error: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit"], api_error_status: 429 }),
    item(115, { kind: "lifecycle", text: "exited with status 1" }, "system"),
  ];
}

function commandOutput() {
  seqCounter = 0;
  const lines = [
    "> switchboard-ui@0.1.0 test",
    "> vitest --watch",
    "",
    " DEV  v3.2.7 /home/dev/src/switchboard/ui",
    "",
    " ✓ src/lib/args.test.ts (14 tests) 9ms",
    " ✓ src/lib/output.test.ts (11 tests) 31ms",
    " ✓ src/lib/sessions.test.ts (18 tests) 12ms",
  ];
  const out = [item(35, { kind: "lifecycle", text: "started: npm run test -- --watch (pid 47002)" }, "system")];
  for (const l of lines) out.push(item(34, { kind: "line", text: l }));
  out.push(item(34, { kind: "stderr", text: "(node:47002) ExperimentalWarning: VM Modules is an experimental feature" }, "stderr"));
  out.push(item(1, { kind: "line", text: " Test Files  8 passed (8)" }));
  out.push(item(1, { kind: "line", text: "      Tests  66 passed (66)" }));
  out.push(item(0.5, { kind: "line", text: " PASS  Waiting for file changes..." }));
  return out;
}

function shortConversation(model) {
  seqCounter = 0;
  return [
    item(60, { kind: "system_init", model, agent_session_id: "x", cwd: "/home/dev/src", permission_mode: "default" }),
    item(60, { kind: "user_text", text: "Write the release notes for v0.9 from the merged PRs." }),
    item(59, { kind: "tool_use", id: "g1", name: "Bash", input: { command: "gh pr list --state merged --limit 40 --json title,number" } }),
    item(59, { kind: "tool_result", tool_use_id: "g1", content: "[{\"number\":412,\"title\":\"Tray icon shows live counts\"}, …]", is_error: false }),
    item(58, { kind: "assistant_text", text: "## v0.9\n\n- **Tray**: live counts in the tray icon (#412)\n- **CLI**: `switchboard ls --json` (#405)\n- Fixes: resume after a crash keeps the conversation (#398)" }),
    item(58, { kind: "turn_result", subtype: "success", is_error: false, num_turns: 6, duration_ms: 61_000, cost_usd: 0.38, input_tokens: 31_050, output_tokens: 4_480, text: null, errors: [], api_error_status: null }),
    item(57, { kind: "lifecycle", text: "exited with status 0" }, "system"),
  ];
}

export const OUTPUTS = {
  [PERM_ID]: (() => {
    seqCounter = 0;
    return [
      item(9, { kind: "system_init", model: "claude-sonnet-4-5", agent_session_id: "perm-1", cwd: "/home/dev/src/github.com/acme/cli", permission_mode: "default" }),
      item(9, { kind: "user_text", text: "Add the OAuth device flow to `acme login`, behind a --device flag." }),
      item(8.5, { kind: "assistant_text", text: "I'll add a `--device` flag and a polling loop against `/oauth/device/token`. First the dependency:" }),
      item(8.4, { kind: "tool_use", id: "perm_t1", name: "Bash", input: { command: "npm install open@10 --save", description: "Add the 'open' package" } }),
      item(0.8, { kind: "permission_asked", request_id: "req_01", tool_name: "Bash", input: { command: "npm install open@10 --save" }, description: "Add the 'open' package" }),
    ];
  })(),
  [CLAUDE_ID]: claudeConversation(),
  [FAILED_ID]: failedConversation(),
  [COMMAND_ID]: commandOutput(),
  [ENDED_CLAUDE_ID]: (() => {
    const out = shortConversation("claude-sonnet-4-5");
    // Hostile Markdown: nothing of it may run.
    out.splice(5, 0, {
      seq: 0,
      ts: iso(58),
      stream: "stdout",
      view: {
        kind: "assistant_text",
        text: 'Checked the changelog. <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> [click](javascript:window.__xss=3) ![logo](https://example.com/logo.png)\n\n<div onmouseover="window.__xss=4">hover</div>',
      },
    });
    return out.map((x, i) => ({ ...x, seq: i + 1 }));
  })(),
  [CODEX_ID]: shortConversation("gpt-5-codex"),
  [LIVE_ID]: (() => {
    seqCounter = 0;
    return [
      item(5, { kind: "system_init", model: "claude-sonnet-4-5", agent_session_id: "live-1", cwd: "/home/dev/src/github.com/acme/platform/events", permission_mode: "default" }),
      item(5, { kind: "user_text", text: "Migrate the event bus to typed channels." }),
    ];
  })(),
};

// ------------------------------------------------------------ task logs

let eventId = 0;
function ev(taskId, sessionId, minutesAgo, kind, detail) {
  eventId += 1;
  return { id: eventId, task_id: taskId, session_id: sessionId, ts: iso(minutesAgo), kind, detail };
}

export const TASK_EVENTS = [
  ev("ENG-1421", ENDED_CLAUDE_ID, 300, "created", { agent: "claude", cwd: "/home/dev/src/github.com/acme/platform", title: "Write release notes for v0.9" }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 299, "command_sent", { command: "Write the release notes for v0.9 from the merged PRs.", length: 54 }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 298, "response_received", { duration_ms: 61_000, length: 1_482, subtype: "success", interrupted: false, message: null }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 297.9, "checkpoint", { n: 1, label: "after turn 1", commit: "a".repeat(40) }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 290, "command_sent", { command: "Add a regression test for a token issued in the future.", length: 56 }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 288, "response_received", { duration_ms: 118_000, length: 904, subtype: "success", interrupted: false, message: null }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 287.9, "checkpoint", { n: 2, label: "after turn 2", commit: "c".repeat(40) }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 270, "checkpoint", { n: 3, label: "before restoring checkpoint 1", commit: "e".repeat(40), restored: 1 }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 265, "checkpoint", { n: 4, label: "before restoring checkpoint 3", commit: "f".repeat(40), restored: 3 }),
  ev("ENG-1421", ENDED_CLAUDE_ID, 240, "ended", { status: "ended" }),
  ev("ENG-1421", CLAUDE_ID, 14, "created", { agent: "claude", cwd: AUTH, title: "Fix flaky login test in auth service" }),
  ev("ENG-1421", CLAUDE_ID, 14, "command_sent", { command: "The login test in services/auth is flaky on CI. Find out why and fix it.", length: 74 }),
  ev("ENG-1421", CLAUDE_ID, 12.3, "error", { message: "overloaded_error: Overloaded (retrying, attempt 1 of 10)", api_error_status: 529, duration_ms: 1_900 }),
  ev("ENG-1421", CLAUDE_ID, 11, "response_received", { duration_ms: 184_300, length: 2_931, subtype: "success", interrupted: false, message: null }),
  ev("ENG-1421", CLAUDE_ID, 0.4, "command_sent", { command: "Great. Now also add a regression test for a token issued in the future.", length: 72 }),
  ev("ENG-1399", CODEX_ID, 42, "created", { agent: "codex", cwd: "/home/dev/src/github.com/acme/platform/billing", title: "Refactor billing module to use the new invoice API" }),
  ev("ENG-1399", CODEX_ID, 41, "command_sent", { command: "Move billing/invoices.ts to the v2 invoice API; keep the public types.", length: 70 }),
  ev("ENG-1399", CODEX_ID, 30, "response_received", { duration_ms: 640_000, length: 8_204 }),
  ev("DOCS-88", FAILED_ID, 120, "created", { agent: "claude", cwd: "/home/dev/src/docs", title: "Upgrade the docs site to Astro 5" }),
  ev("DOCS-88", FAILED_ID, 120, "command_sent", { command: "Upgrade the docs site to Astro 5 and fix whatever breaks.", length: 57 }),
  ev("DOCS-88", FAILED_ID, 116, "error", { message: "API Error: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit", api_error_status: 429, duration_ms: 240_000 }),
  ev("DOCS-88", FAILED_ID, 115, "ended", { status: "error" }),
];

// ------------------------------------------------------------ usage

export function usageDays(days = 30) {
  const out = [];
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  for (let i = days - 1; i >= 0; i -= 1) {
    const day = new Date(today - i * 86_400_000).toISOString().slice(0, 10);
    const weekday = new Date(today - i * 86_400_000).getUTCDay();
    if (weekday === 0 || (i > 20 && i % 5 === 0)) continue; // quiet days: missing from the backend's answer
    const wave = 0.6 + 0.4 * Math.sin(i / 3.3) + (i % 7) / 10;
    const sessions = Math.round(3 + wave * 6);
    const input = Math.round(180_000 * wave + (i % 4) * 40_000);
    const output = Math.round(input * (0.11 + (i % 3) * 0.02));
    out.push({ day, sessions, input_tokens: input, output_tokens: output, cost_usd: Math.round((input * 3 + output * 15) / 10_000) / 100 });
  }
  return out;
}

export const AGENTS = [
  { agent: "claude", installed: true, path: "/home/dev/.local/bin/claude", source: "PATH", install_hint: "npm install -g @anthropic-ai/claude-code" },
  { agent: "codex", installed: true, path: "/home/dev/.nvm/versions/node/v22.12.0/bin/codex", source: "login shell PATH", install_hint: "npm install -g @openai/codex" },
  { agent: "gemini", installed: false, path: null, source: null, install_hint: "npm install -g @google/gemini-cli" },
  { agent: "command", installed: true, path: null, source: null, install_hint: "" },
];

export const PERMISSIONS = [
  {
    session_id: PERM_ID,
    request_id: "req_01",
    tool_use_id: "perm_t1",
    tool_name: "Bash",
    input: { command: "npm install open@10 --save", description: "Add the 'open' package" },
    description: "Add the 'open' package",
    gist: "wants to run: npm install open@10 --save",
    asked_at: iso(0.8),
    decision: null,
    decided_at: null,
    decided_by: null,
  },
];

export function fullOptions(extra = {}) {
  return {
    permissions: PERMISSIONS.map((p) => ({ ...p })),
    sessions: FULL_SESSIONS,
    outputs: OUTPUTS,
    synthetic: { [LONG_ID]: { count: 100_000, tag: "hist" } },
    taskEvents: TASK_EVENTS,
    compactionAdvised: [CLAUDE_ID],
    agents: AGENTS,
    usage: usageDays(30),
    totalCreated: 57,
    recentFolders: [
      AUTH,
      "/home/dev/src/github.com/acme/platform/billing",
      "/home/dev/src/switchboard",
      "/home/dev/src/docs",
    ],
    ...extra,
  };
}

// A worktree for the ended Claude session (the Changes tab, landing): `fullOptions({ worktrees: WORKTREES })`.
const WT_BRANCH = "switchboard/future-iat-c2d4";
const DIFF_TOKEN = `diff --git a/src/token.rs b/src/token.rs
index 3b18e51..a9c2f04 100644
--- a/src/token.rs
+++ b/src/token.rs
@@ -40,9 +40,15 @@ pub fn validate(token: &Token, now: i64) -> Result<Claims> {
     let claims = decode(token)?;
     if claims.exp < now {
         return Err(Error::Expired);
     }
-    Ok(claims)
+    // A token issued in the future is refused (clock skew up to 60 s is tolerated).
+    if claims.iat > now + MAX_SKEW_SECS {
+        return Err(Error::NotYetValid { iat: claims.iat, now });
+    }
+    Ok(claims)
 }
+
+const MAX_SKEW_SECS: i64 = 60;
`;
const DIFF_TEST = `diff --git a/tests/future_iat.rs b/tests/future_iat.rs
new file mode 100644
index 0000000..5d1e2b7
--- /dev/null
+++ b/tests/future_iat.rs
@@ -0,0 +1,33 @@
+//! Tokens issued in the future are refused, beyond the tolerated clock skew.
+use auth::token::{validate, Error, Token};
+
+const NOW: i64 = 1_700_000_000;
+
+fn token(iat: i64) -> Token {
+    Token::sign(&Claims { sub: "ada".into(), iat, exp: iat + 3600 }, b"secret")
+}
+
+#[test]
+fn a_token_from_the_future_is_refused() {
+    let err = validate(&token(NOW + 120), NOW).unwrap_err();
+    assert!(matches!(err, Error::NotYetValid { iat, now } if iat == NOW + 120 && now == NOW));
+}
+
+#[test]
+fn a_small_skew_is_tolerated() {
+    // 59 s ahead: a server whose clock runs a little fast.
+    assert!(validate(&token(NOW + 59), NOW).is_ok());
+}
+
+#[test]
+fn the_skew_limit_is_inclusive() {
+    assert!(validate(&token(NOW + 60), NOW).is_ok());
+    assert!(validate(&token(NOW + 61), NOW).is_err());
+}
+
+#[test]
+fn expired_tokens_are_still_refused_first() {
+    let old = token(NOW - 7200);
+    let err = validate(&old, NOW).unwrap_err();
+    assert_eq!(err, Error::Expired, "expiry is checked before the issue time");
+}
`;
const DIFF_CHANGELOG = `diff --git a/CHANGELOG.md b/CHANGELOG.md
index 77a1c0e..c3f9b12 100644
--- a/CHANGELOG.md
+++ b/CHANGELOG.md
@@ -1,6 +1,6 @@
 # Changelog
 
 ## Unreleased
-- Nothing yet.
+- **Security:** tokens with an issue time in the future are refused (\`MAX_SKEW_SECS\` = 60).
 
 ## 0.8.2
`;
export const WORKTREES = {
  [ENDED_CLAUDE_ID]: {
    workspace: {
      session_id: ENDED_CLAUDE_ID,
      repo_root: AUTH,
      base: "main",
      base_commit: "4f1c2a9e0b7d3c5a8e6f1029384756abcdef0123",
      branch: WT_BRANCH,
      path: `/home/dev/.local/share/switchboard/worktrees/auth-1a2b3c4d/${WT_BRANCH}`,
      created_at: iso(14),
      stats: { files: 3, added: 41, removed: 2, behind: 4 },
    },
    changes: {
      branch: WT_BRANCH,
      base: "main",
      merge_base: "4f1c2a9e0b7d3c5a8e6f1029384756abcdef0123",
      tree: "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807",
      files: [
        { path: "src/token.rs", old_path: null, status: "modified", added: 7, removed: 1, binary: false },
        { path: "tests/future_iat.rs", old_path: null, status: "added", added: 33, removed: 0, binary: false },
        { path: "CHANGELOG.md", old_path: null, status: "modified", added: 1, removed: 1, binary: false },
      ],
      files_cut: false,
      stats: { files: 3, added: 41, removed: 2, behind: 4 },
    },
    diffs: {
      "src/token.rs": DIFF_TOKEN,
      "tests/future_iat.rs": DIFF_TEST,
      "CHANGELOG.md": DIFF_CHANGELOG,
      [`${"d".repeat(40)}:tests/future_iat.rs`]: DIFF_TEST,
    },
    // Checkpoint 1 → 2 (their trees): the second turn added the test.
    compares: {
      [`${"b".repeat(40)}:${"d".repeat(40)}`]: {
        from: "b".repeat(40),
        to: "d".repeat(40),
        files: [{ path: "tests/future_iat.rs", old_path: null, status: "added", added: 33, removed: 0, binary: false }],
        files_cut: false,
        stats: { files: 1, added: 33, removed: 0, behind: 0 },
      },
    },
    checkpoints: [
      { n: 1, commit: "a".repeat(40), tree: "b".repeat(40), label: "after turn 1", at: iso(10) },
      { n: 2, commit: "c".repeat(40), tree: "d".repeat(40), label: "after turn 2", at: iso(4) },
    ],
    land: {
      method: "merge",
      landed: false,
      conflicts: ["src/token.rs", "CHANGELOG.md"],
      message: `${WT_BRANCH} conflicts with main in 2 file(s); nothing was changed`,
      commit: null,
    },
    removal: { exists: true, unmerged_commits: 2, uncommitted_files: 1 },
  },
};

// Worktrees whose sessions are gone (Settings → Clean up): `fullOptions({ orphans: ORPHANS })`.
export const ORPHANS = [
  {
    path: "/home/dev/.local/share/switchboard/worktrees/auth-1a2b3c4d/switchboard/retry-login-9f31aa",
    repo_root: AUTH,
    branch: "switchboard/retry-login-9f31aa",
    uncommitted_files: 2,
  },
  {
    path: "/home/dev/.local/share/switchboard/worktrees/billing-77e0c1d2/switchboard/lost-0c8e21",
    repo_root: null,
    branch: null,
    uncommitted_files: 0,
  },
];

// A change of 5,000 lines across 200 files (25 per file: 12 removed, 13 added, in TypeScript
// with context), for the Changes tab's responsiveness check: `fullOptions({ worktrees: bigWorktrees(...) })`.
export function bigWorktrees(files = 200, linesPerFile = 25) {
  const base = WORKTREES[ENDED_CLAUDE_ID];
  const list = [];
  const diffs = {};
  const removed = Math.floor(linesPerFile / 2);
  const added = linesPerFile - removed;
  for (let i = 0; i < files; i += 1) {
    const path = `src/modules/module_${String(i).padStart(3, "0")}.ts`;
    list.push({ path, old_path: null, status: "modified", added, removed, binary: false });
    const body = [];
    for (let j = 0; j < removed; j += 1) body.push(`-export const value${j} = compute(${j}, "old ${i}");`);
    for (let j = 0; j < added; j += 1) body.push(`+export const value${j}: number = compute(${j}, "new ${i}") * ${j + 1};`);
    diffs[path] = [
      `diff --git a/${path} b/${path}`,
      "index 1111111..2222222 100644",
      `--- a/${path}`,
      `+++ b/${path}`,
      `@@ -1,${removed + 6} +1,${added + 6} @@`,
      `import { compute } from "../compute";`,
      "",
      `// Module ${i}: values for the report.`,
      ...body,
      "",
      `export default { name: "module ${i}" };`,
      `// end of module ${i}`,
    ]
      .map((l, k) => (k >= 5 && !l.startsWith("+") && !l.startsWith("-") ? ` ${l}` : l))
      .join("\n") + "\n";
  }
  const stats = { files, added: added * files, removed: removed * files, behind: 0 };
  return {
    [ENDED_CLAUDE_ID]: {
      ...base,
      workspace: { ...base.workspace, stats },
      changes: { ...base.changes, files: list, stats },
      diffs,
      compares: {},
    },
  };
}

// ------------------------------------------------------------ terminal mode

export const TERMINAL_ID = "claude_0193a1f6c0de";
const TERM_CWD = "/home/dev/src/github.com/acme/platform/exporter";
export const TERMINAL_SESSION = fixture(TERMINAL_ID, 6, 0.1, {
  agent: "claude",
  title: "Add a --json flag to the export command",
  cwd: TERM_CWD,
  status: { state: "running" },
  task_id: "ENG-1460",
  agent_session_id: "6f1c2a4e-93b1-4c55-9d0e-2b7f0c1a9e31",
  input_tokens: 21_480,
  output_tokens: 2_310,
  cost_usd: 0.18,
  turns: 3,
  pid: 48211,
  config: agentConfig({ mode: "terminal", prompt: "Add a --json flag to the export command" }),
});

// What Claude Code's interactive screen looks like mid-turn (colours as its default theme
// draws them: 256-colour accents, 16-colour diff lines), CRLF as a PTY sends it.
const E = "\x1b[";
export const TERMINAL_SCREEN = [
  // Bracketed paste on, as the CLI asks.
  `${E}?2004h${E}38;5;174m╭────────────────────────────────────────────────────╮${E}39m`,
  `${E}38;5;174m│${E}39m ${E}38;5;174m✻${E}39m Welcome to ${E}1mClaude Code${E}22m!                         ${E}38;5;174m│${E}39m`,
  `${E}38;5;174m│${E}39m                                                    ${E}38;5;174m│${E}39m`,
  `${E}38;5;174m│${E}39m   ${E}2m/help for help, /status for your current setup${E}22m   ${E}38;5;174m│${E}39m`,
  `${E}38;5;174m│${E}39m   ${E}2mcwd: ${TERM_CWD.slice(0, 43)}${E}22m ${E}38;5;174m│${E}39m`,
  `${E}38;5;174m╰────────────────────────────────────────────────────╯${E}39m`,
  "",
  `${E}2m>${E}22m Add a --json flag to the export command`,
  "",
  `${E}37m●${E}39m I'll add the flag. Let me read the command first.`,
  "",
  `${E}32m●${E}39m ${E}1mRead${E}22m(src/cli/export.rs)`,
  `  ⎿  Read ${E}1m120${E}22m lines (ctrl+r to expand)`,
  "",
  `${E}32m●${E}39m ${E}1mUpdate${E}22m(src/cli/export.rs)`,
  `  ⎿  Updated src/cli/export.rs with ${E}1m6${E}22m additions and ${E}1m1${E}22m removal`,
  `      41  ${E}41m${E}97m-    let format = Format::Csv;${E}0m`,
  `      41  ${E}42m${E}30m+    let format = if args.json { Format::Json } else { Format::Csv };${E}0m`,
  `      42  ${E}42m${E}30m+    // See https://docs.rs/serde_json for the writer.${E}0m`,
  "",
  `${E}32mGreen means the flag parses.${E}39m`,
  `${E}38;2;215;119;87m✻ Claude's own orange (24-bit colour)${E}39m`,
  "",
].join("\r\n");

/** The mocked backend with a terminal-mode session whose PTY shows `TERMINAL_SCREEN`. */
export function terminalOptions(extra = {}) {
  return fullOptions({
    sessions: [...FULL_SESSIONS, TERMINAL_SESSION],
    outputs: {
      ...OUTPUTS,
      [TERMINAL_ID]: (() => {
        seqCounter = 0;
        return [
          item(6, { kind: "user_text", text: "Add a --json flag to the export command" }),
          item(5.9, { kind: "assistant_text", text: "I'll add the flag. Let me read the command first." }),
        ];
      })(),
    },
    terminals: { [TERMINAL_ID]: { cols: 100, rows: 30, screen: TERMINAL_SCREEN } },
    ...extra,
  });
}

// ------------------------------------------------------------ large entries (store v2 previews)

/** The tail of the 1.2 MiB line, only drawn once the whole entry is loaded. */
export const BIG_LINE_END = "END-OF-THE-BIG-LINE";
/**
 * A command whose last line is 1.2 MiB and a Claude session whose last tool result is 1.5 MiB:
 * the mock sends both as 16 KiB previews with `full_bytes` (as the store does).
 */
export function largeEntryOptions() {
  const base = fullOptions();
  const cmd = OUTPUTS[COMMAND_ID];
  const line = { seq: cmd.length + 1, ts: iso(0.2), stream: "stdout", view: { kind: "line", text: `BIG ${"0123456789abcdef".repeat(78_643)}${BIG_LINE_END}` } };
  const conv = OUTPUTS[ENDED_CLAUDE_ID];
  const n = conv.length;
  const use = { seq: n + 1, ts: iso(0.3), stream: "stdout", view: { kind: "tool_use", id: "big1", name: "Bash", input: { command: "cat build.log" } } };
  const result = { seq: n + 2, ts: iso(0.2), stream: "stdout", view: { kind: "tool_result", tool_use_id: "big1", content: `${"build step ok\n".repeat(112_347)}BUILD-LOG-END`, is_error: false } };
  return { ...base, outputs: { ...base.outputs, [COMMAND_ID]: [...cmd, line], [ENDED_CLAUDE_ID]: [...conv, use, result] } };
}
