// A fake Switchboard backend for the browser tests.
//
// `installMockIpc` runs in the page (via page.addInitScript) before the app
// loads. It sets up window.__TAURI_INTERNALS__ and
// window.__TAURI_EVENT_PLUGIN_INTERNALS__ the way @tauri-apps/api/mocks'
// mockIPC(…, { shouldMockEvents: true }) does, and implements every command
// of the backend's IPC surface with realistic behaviour (see
// src-tauri/src/commands.rs), the event plugin's listen/unlisten, the dialog
// plugin's open, and output subscriptions over a Channel: like Tauri, each
// message reaches the channel's callback as { index, message }, and the
// channel's end as { index, end: true }; like the backend, items go out in
// batches every 25 ms (at most 2000 per message), backfill first, then live,
// and { type: "end" } when the session's process is gone.
//
// It must be self-contained (it is serialized: run.mjs strips the types with esbuild
// and hands the function to page.addInitScript). The fixture data comes in
// `options` (see fixtures.mjs). window.__mock lets a test drive it.
//
// The commands are typed by the generated contract (src/lib/contract.ts): `npm run check`
// fails here when a command is added, an argument renamed or a result changed in Rust.

import type { ErrorCode } from "../../src/lib/bindings/ErrorCode";
import type { CommandArgs, CommandName, CommandResult } from "../../src/lib/contract";

/** Fixture data and the mock's own records: JSON shaped like the bindings, loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** One handler per command of the contract, taking its arguments, answering its result. */
type CommandHandlers = { [C in CommandName]: (args: CommandArgs<C>) => Promise<CommandResult<C>> };

export function installMockIpc(options: Loose): void {
  const BATCH_MS = 25;
  const BATCH_MAX = 2000;
  const LIVE = new Set(["starting", "running", "idle", "waiting_input", "compacting"]);

  const state: Loose = {
    listDelayMs: options.listDelayMs || 0,
    // Sessions to emit as session-changed while list_sessions is in flight.
    emitDuringList: options.emitDuringList || [],
    agents: options.agents || [
      { agent: "claude", installed: true, path: "/usr/local/bin/claude", source: "PATH", install_hint: "npm install -g @anthropic-ai/claude-code" },
      { agent: "codex", installed: true, path: "/usr/local/bin/codex", source: "PATH", install_hint: "npm install -g @openai/codex" },
      { agent: "gemini", installed: false, path: null, source: null, install_hint: "npm install -g @google/gemini-cli" },
      { agent: "command", installed: true, path: null, source: null, install_hint: "" },
    ],
    settings: options.settings || {
      agent_paths: { claude: null, codex: null, gemini: null },
      max_live_sessions: 16,
      idle_ttl_minutes: 60,
      retention_days: 30,
      session_output_mib: 2048,
      close_to_tray: true,
      notifications: true,
      autostart: false,
      tray_hint_shown: false,
      watch_terminal_sessions: true,
      terminal_sessions: { claude_dir: null, include: [], exclude: [], since_days: 0 },
      terminal_approval_hold_secs: 120,
      open_editor: [],
      open_terminal: [],
      default_mode: "headless",
    },
    appInfo: options.appInfo || { version: "0.1.0", data_dir: "/home/dev/.local/share/switchboard", log_dir: "/home/dev/.local/share/switchboard/logs", exe: "/usr/bin/switchboard", cli: "switchboard" },
    recent: options.recentFolders || [],
    usage: options.usage || [],
    dialogResult: options.dialogResult === undefined ? "/home/dev/src/picked-folder" : options.dialogResult,
    totalCreated: options.totalCreated || (options.sessions || []).length,
    replyDelayMs: options.replyDelayMs === undefined ? 300 : options.replyDelayMs,
  };

  const sessions = new Map<string, Loose>((options.sessions || []).map((s: Loose) => [s.id, s]));
  const outputs = new Map<string, Loose[]>(Object.entries(options.outputs || {}));
  // Sessions whose output is generated on demand: id → { count, tag, base }.
  const synthetic = new Map<string, Loose>();
  for (const [id, spec] of Object.entries<Loose>(options.synthetic || {})) {
    // `hits`: seq → the text of an assistant entry at that seq (what a search can find in it).
    synthetic.set(id, { count: spec.count, tag: spec.tag || id, base: Date.now() - spec.count * 100, hits: spec.hits || {} });
  }
  const taskEvents: Loose[] = [...(options.taskEvents || [])];
  // Like the backend's permission_rules::propose: the first two words of a command, the
  // file's folder and below, else any input.
  const propose = (tool: Loose, input: Loose) => {
    if (tool === "Bash") {
      const words = (String(input?.command ?? "").split(/[;&|`<>\n]/)[0] ?? "").split(/\s+/).filter(Boolean).slice(0, 2);
      return words.length ? { kind: "command", prefix: words.join(" ") } : null;
    }
    const path = input?.file_path ?? input?.notebook_path;
    if (typeof path === "string") return path.startsWith("/") ? { kind: "path", glob: `${path.slice(0, path.lastIndexOf("/"))}/**` } : null;
    return { kind: "any_input" };
  };
  const label = (tool: Loose, rule: Loose) => `${tool}(${rule.kind === "command" ? `${rule.prefix}:*` : rule.kind === "path" ? rule.glob : "*"})`;
  const permissionRequests = (options.permissions || []).map((r: Loose) => ({ proposed_rule: propose(r.tool_name, r.input), ...r }));
  /** Saved "Allow for this session" rules (all sessions). */
  const permissionRules: Loose[] = [];
  let nextRuleId = 1;
  let focused: string | null = null;
  let quitRequests = 0;
  const advised = new Set<string>(options.compactionAdvised || []);
  const worktrees: Record<string, Loose> = options.worktrees || {};
  const repoSetups = new Map<string, Loose>();
  let orphans: Loose[] = [...(options.orphans || [])];
  function worktreeOf(id: string): Loose {
    getOr404(id);
    const w = worktrees[id];
    if (!w) reject("invalid_input", "this session runs in its folder, not in a worktree of its own", "worktree");
    return w;
  }
  const calls: Loose[] = [];
  const callbacks = new Map<number, (data: Loose) => unknown>();
  const listeners = new Map<string, number[]>();
  const violations: string[] = [];
  const subscriptions = new Map<number, Loose>();
  let nextSub = 1;
  let nextEventId = 10_000;

  document.addEventListener("securitypolicyviolation", (e) => {
    violations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"} ${e.sourceFile || ""}:${e.lineNumber || ""}`);
  });

  const sleep = (ms: Loose) => new Promise((r) => setTimeout(r, ms));
  const now = () => new Date().toISOString();
  const clone = (v: Loose) => JSON.parse(JSON.stringify(v));

  function registerCallback(callback: Loose, once: Loose) {
    const id = window.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }

  function emit(event: Loose, payload: Loose) {
    for (const handler of [...(listeners.get(event) || [])]) {
      const cb = callbacks.get(handler);
      if (cb) cb({ event, id: handler, payload: clone(payload) });
    }
  }

  function put(session: Loose) {
    sessions.set(session.id, session);
    emit("session-changed", { session });
  }

  function update(id: Loose, fields: Loose) {
    const cur = sessions.get(id);
    if (!cur) return null;
    const next = { ...cur, ...fields, last_activity: now() };
    put(next);
    return next;
  }

  function reject(code: ErrorCode, message: string, field?: string | null): never {
    // The real backend rejects with exactly this object.
    throw { code, message, field: field === undefined ? null : field };
  }

  // Tauri rejects a call whose arguments lack a key with a plain string.
  function need<A extends object>(cmd: string, args: A, ...keys: (keyof A & string)[]) {
    for (const key of keys) {
      if (!(key in args)) throw `invalid args \`${key}\` for command \`${cmd}\`: command ${cmd} missing required key ${key}`;
    }
  }

  function getOr404(id: string): Loose {
    const s = sessions.get(id);
    if (!s) reject("not_found", `session ${id} not found`);
    return s;
  }

  function logTask(sessionId: Loose, kind: Loose, detail: Loose) {
    const s = sessions.get(sessionId);
    taskEvents.push({ id: nextEventId++, task_id: s ? s.task_id : null, session_id: sessionId, ts: now(), kind, detail });
  }

  // ------------------------------------------------------------ output

  const LOREM = [
    "Looking at how the retry loop handles a closed connection.",
    "The cache key ignores the **tenant id**, so two tenants can share an entry.",
    "Running the focused tests again with `--runInBand` to rule out ordering.",
    "That narrows it down to `SessionStore.finishLoad`; the snapshot is older than the event.",
    "I'll add a regression test first, then the fix:\n\n- keep events seen during the load\n- prefer the newer of two versions",
  ];

  function synthItem(spec: Loose, seq: Loose) {
    const ts = new Date(spec.base + seq * 100).toISOString();
    if (spec.hits?.[seq] !== undefined) return { seq, ts, stream: "stdout", view: { kind: "assistant_text", text: spec.hits[seq] } };
    if (seq === spec.count) {
      return { seq, ts, stream: "stdout", view: { kind: "assistant_text", text: `**${spec.tag}: end of history** (entry ${seq}).` } };
    }
    const r = seq % 25;
    let view;
    if (r === 0) {
      view = { kind: "turn_result", subtype: "success", is_error: false, num_turns: 1 + (seq % 7), duration_ms: 1000 + (seq % 9000), cost_usd: (seq % 100) / 400, input_tokens: 1200 + seq, output_tokens: 300 + (seq % 900), text: null, errors: [], api_error_status: null };
    } else if (r === 1) {
      view = { kind: "user_text", text: `${spec.tag} #${seq}: next step, please check the failing shard.` };
    } else if (r === 4 || r === 12) {
      view = { kind: "tool_use", id: `${spec.tag}-t${seq}`, name: "Bash", input: { command: `npm test -- --shard=${seq % 8}/8 --reporter=dot`, description: "Run one test shard" } };
    } else if (r === 5 || r === 13) {
      const failed = seq % 100 === 5;
      view = { kind: "tool_result", tool_use_id: `${spec.tag}-t${seq - 1}`, content: failed ? "Exit code 1\nFAIL src/shard.test.ts\n  ✕ handles reconnect (12 ms)" : `PASS shard ${seq % 8}\nTests: ${20 + (seq % 30)} passed`, is_error: failed };
    } else if (r === 8) {
      view = { kind: "tool_use", id: `${spec.tag}-r${seq}`, name: "Read", input: { file_path: `/home/dev/src/app/src/module${seq % 40}.ts` } };
    } else if (r === 9) {
      view = { kind: "tool_result", tool_use_id: `${spec.tag}-r${seq - 1}`, content: `1\texport function f${seq}() {\n2\t  return ${seq};\n3\t}\n`, is_error: false };
    } else if (r === 17) {
      view = { kind: "stderr", text: `warn: ${spec.tag} deprecated option --legacy at entry ${seq}` };
    } else {
      view = { kind: "assistant_text", text: `${spec.tag} #${seq}: ${LOREM[seq % LOREM.length]}` };
    }
    return { seq, ts, stream: view.kind === "stderr" ? "stderr" : "stdout", view };
  }

  function lastSeqOf(id: string): number {
    const spec = synthetic.get(id);
    const extra = outputs.get(id) || [];
    const lastExtra = extra.length ? extra[extra.length - 1].seq : 0;
    return Math.max(spec ? spec.count : 0, lastExtra);
  }

  /** Entries with seq in (after, before], ascending, at most limit. */
  // As the store's byte budget does (output::budget): an entry of 1 MiB or more is sent as its
  // first 16 KiB with `full_bytes` set; read_full_entry gives the whole.
  const LARGE_ENTRY = 1024 * 1024;
  const PREVIEW = 16 * 1024;
  function previewOf(item: Loose): Loose {
    const v = item.view;
    const field = v.kind === "tool_result" ? "content" : typeof v.text === "string" ? "text" : null;
    if (field === null) return item;
    const bytes = new TextEncoder().encode(v[field]).length;
    if (bytes < LARGE_ENTRY) return item;
    return { ...item, view: { ...v, [field]: v[field].slice(0, PREVIEW) }, full_bytes: bytes };
  }

  function range(id: string, after: number, limit: number, before: number = Infinity): Loose[] {
    return wholeRange(id, after, limit, before).map(previewOf);
  }

  function wholeRange(id: string, after: number, limit: number, before: number = Infinity): Loose[] {
    const out = [];
    const spec = synthetic.get(id);
    if (spec) {
      const to = Math.min(spec.count, before);
      for (let seq = Math.max(1, after + 1); seq <= to && out.length < limit; seq += 1) out.push(synthItem(spec, seq));
    }
    const list = outputs.get(id) || [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].seq <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && out.length < limit; i += 1) {
      if (list[i].seq > before) break;
      out.push(list[i]);
    }
    return out;
  }

  /** Adds entries to a session's output (views only; seqs are assigned). Returns them. */
  function appendOutput(id: string, views: Loose[]): Loose[] {
    const list = outputs.get(id) ?? [];
    outputs.set(id, list);
    let seq = lastSeqOf(id);
    const items = [];
    for (const view of views) {
      seq += 1;
      const stream = view.kind === "stderr" ? "stderr" : view.kind === "lifecycle" ? "system" : "stdout";
      const item = { seq, ts: now(), stream, view };
      list.push(item);
      items.push(item);
    }
    for (const sub of subscriptions.values()) if (sub.sessionId === id) schedule(sub);
    return items;
  }

  function channelSend(sub: Loose, payload: Loose) {
    const cb = callbacks.get(sub.channelId);
    const index = sub.index++;
    if (cb) cb({ index, ...payload });
  }

  function schedule(sub: Loose) {
    if (sub.timer || sub.closed) return;
    const wait = Math.max(0, sub.lastSent + BATCH_MS - performance.now());
    sub.timer = setTimeout(() => flush(sub), wait);
  }

  function flush(sub: Loose) {
    sub.timer = null;
    if (sub.closed) return;
    const items = range(sub.sessionId, sub.after, BATCH_MAX);
    if (items.length > 0) {
      sub.after = items[items.length - 1].seq;
      sub.lastSent = performance.now();
      sub.batches += 1;
      channelSend(sub, { message: { type: "items", items: clone(items), partial: null } });
    }
    if (sub.after < lastSeqOf(sub.sessionId)) {
      schedule(sub);
      return;
    }
    const s = sessions.get(sub.sessionId);
    if (!s || !LIVE.has(s.status.state)) {
      // The process is gone: end, then the channel closes.
      channelSend(sub, { message: { type: "end" } });
      channelSend(sub, { end: true });
      sub.closed = true;
      subscriptions.delete(sub.id);
    }
  }

  function subscribe(id: Loose, after: Loose, channel: Loose) {
    getOr404(id);
    const channelId = typeof channel === "object" && channel !== null ? channel.id : Number(String(channel).split(":")[1]);
    const sub: Loose = { id: nextSub++, sessionId: id, channelId, after, index: 0, timer: null, lastSent: 0, closed: false, batches: 0 };
    subscriptions.set(sub.id, sub);
    // Backfill starts at once, like the backend's first batch.
    sub.timer = setTimeout(() => flush(sub), 0);
    return sub.id;
  }

  function endSubscriptionsOf(id: Loose) {
    for (const sub of subscriptions.values()) if (sub.sessionId === id) schedule(sub);
  }

  // ------------------------------------------------------------ sessions

  function matchesFilter(s: Loose, f: Loose) {
    if (!f) return true;
    if (f.statuses && f.statuses.length > 0 && !f.statuses.includes(s.status.state)) return false;
    if (f.agent && s.agent !== f.agent) return false;
    if (f.task_id && s.task_id !== f.task_id) return false;
    if (f.search) {
      const q = f.search.toLowerCase();
      if (!s.title.toLowerCase().includes(q) && !s.cwd.toLowerCase().includes(q)) return false;
    }
    return true;
  }

  function listSessions(filter: Loose) {
    const list = [...sessions.values()].filter((s) => matchesFilter(s, filter));
    const key = filter && filter.sort === "last_activity" ? "last_activity" : "created_at";
    list.sort((a, b) => (a[key] < b[key] ? 1 : a[key] > b[key] ? -1 : a.id < b.id ? 1 : -1));
    const offset = (filter && filter.offset) || 0;
    const limit = (filter && filter.limit) || 10_000;
    return list.slice(offset, offset + limit);
  }

  let counter = 0;
  function newId(agent: Loose) {
    counter += 1;
    return `${agent}_${Date.now().toString(36)}${counter}`;
  }

  function agentInfo(agent: Loose) {
    return state.agents.find((a: Loose) => a.agent === agent);
  }

  /** A Claude-like turn: the answer streams in, then the turn's result. */
  function agentTurn(id: Loose, text: Loose, { first = false }: Loose = {}) {
    const s = sessions.get(id);
    if (!s) return;
    const views = [];
    if (first) {
      views.push({ kind: "lifecycle", text: `starting: ${s.agent} --output-format stream-json` });
      views.push({ kind: "system_init", model: s.config.model || "claude-sonnet-4-5", agent_session_id: `as-${id}`, cwd: s.cwd, permission_mode: s.config.permission_mode });
    }
    if (text) views.push({ kind: "user_text", text });
    appendOutput(id, views);
    setTimeout(() => {
      const cur = sessions.get(id);
      if (!cur || !LIVE.has(cur.status.state)) return;
      appendOutput(id, [
        { kind: "assistant_text", text: `On it. Looking at \`${cur.cwd}\` first.` },
        { kind: "tool_use", id: `${id}-ls-${Date.now()}`, name: "Bash", input: { command: "git status --short" } },
      ]);
      const toolId = (outputs.get(id) || []).slice(-1)[0].view.id;
      setTimeout(() => {
        const c2 = sessions.get(id);
        if (!c2 || !LIVE.has(c2.status.state)) return;
        appendOutput(id, [
          { kind: "tool_result", tool_use_id: toolId, content: " M src/login.ts\n?? notes.md", is_error: false },
          { kind: "assistant_text", text: "Done: the working tree has **one modified file**." },
          { kind: "turn_result", subtype: "success", is_error: false, num_turns: c2.turns + 1, duration_ms: 2400, cost_usd: c2.cost_usd + 0.04, input_tokens: 5200, output_tokens: 410, text: "Done", errors: [], api_error_status: null },
        ]);
        update(id, {
          status: { state: "idle" },
          turns: c2.turns + 1,
          message_count: c2.message_count + 1,
          input_tokens: c2.input_tokens + 5200,
          output_tokens: c2.output_tokens + 410,
          cost_usd: c2.cost_usd + 0.04,
          last_response_at: now(),
        });
        logTask(id, "response_received", { duration_ms: 2400, length: 48, subtype: "success", interrupted: false, message: null });
      }, state.replyDelayMs);
    }, state.replyDelayMs / 2);
  }

  function createSession(req: Loose) {
    const agent = req.agent || "command";
    const program = req.config && req.config.program;
    if (!req.cwd || !req.cwd.startsWith("/")) reject("invalid_input", `the folder must be an absolute path, not '${req.cwd || ""}'`, "cwd");
    if (req.cwd.startsWith("/does/not/exist")) reject("invalid_input", `The folder '${req.cwd}' does not exist.`, "cwd");
    if (agent === "command") {
      if (!program) reject("invalid_input", "program is required for the command agent", "program");
      if (program === "crash") throw "spawn failed: No such file or directory (os error 2)";
    } else {
      const info = agentInfo(agent);
      if (info && !info.installed) reject("invalid_input", `${agent} is not installed (or not on PATH). Install it with \`${info.install_hint}\`, or set its path in Settings.`, "agent");
      if (req.config.model === "bad-model") reject("invalid_input", "unknown model 'bad-model'", "model");
      for (const k of Object.keys(req.config.env || {})) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) reject("invalid_input", `invalid environment variable name '${k}'`, "env");
      }
      if (req.config.max_turns !== null && req.config.max_turns < 1) reject("invalid_input", "max turns must be at least 1", "max_turns");
    }
    if (req.task_id && !/^[A-Za-z0-9._:][A-Za-z0-9._:-]*$/.test(req.task_id)) {
      reject("invalid_input", `task id '${req.task_id}' may only contain letters, digits, '.', '_', ':' and '-', and cannot start with '-'`, "task_id");
    }
    const t = now();
    const session = {
      id: newId(agent),
      agent,
      title: req.title || (agent === "command" ? [program, ...req.config.args].join(" ") : (req.config.prompt || "New session").split("\n")[0].slice(0, 80)),
      cwd: req.cwd,
      status: { state: "starting" },
      task_id: req.task_id,
      mcp_session_id: req.mcp_session_id,
      agent_session_id: agent === "command" ? null : `as-${counter}`,
      service_session_id: req.service_session_id,
      config: req.config,
      created_at: t,
      last_activity: t,
      expires_at: new Date(Date.now() + 86400000).toISOString(),
      ended_at: null,
      message_count: 0,
      turns: 0,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      last_error: null,
      pid: 4242 + counter,
      exit_code: null,
      last_response_at: null,
      launch_command: agent === "command" ? [program, ...req.config.args].join(" ") : `${agent} -p --output-format stream-json`,
      output_trimmed_through: 0,
    };
    state.totalCreated += 1;
    if (!state.recent.includes(req.cwd)) state.recent.unshift(req.cwd);
    put(session);
    logTask(session.id, "created", { agent, cwd: req.cwd, title: session.title, mcp_session_id: null, initial_context: req.config.append_system_prompt });
    setTimeout(() => {
      const cur = sessions.get(session.id);
      if (cur && cur.status.state === "starting") {
        put({ ...cur, status: { state: "running" }, last_activity: now() });
        if (agent !== "command") agentTurn(session.id, req.config.prompt, { first: true });
        else appendOutput(session.id, [{ kind: "lifecycle", text: `started: ${session.launch_command}` }]);
      }
    }, 150);
    return clone(session);
  }

  function computeMetrics() {
    const by_status: Record<string, number> = {};
    const by_agent: Record<string, number> = {};
    let active = 0;
    let errors = 0;
    let input_tokens = 0;
    let output_tokens = 0;
    let cost_usd = 0;
    let endedN = 0;
    let endedMs = 0;
    for (const s of sessions.values()) {
      by_status[s.status.state] = (by_status[s.status.state] || 0) + 1;
      by_agent[s.agent] = (by_agent[s.agent] || 0) + 1;
      if (LIVE.has(s.status.state)) active += 1;
      if (s.status.state === "error") errors += 1;
      input_tokens += s.input_tokens;
      output_tokens += s.output_tokens;
      cost_usd += s.cost_usd;
      if (s.ended_at) {
        endedN += 1;
        endedMs += Date.parse(s.ended_at) - Date.parse(s.created_at);
      }
    }
    return {
      total: sessions.size,
      active,
      by_status,
      by_agent,
      errors,
      avg_duration_ms: endedN ? Math.round(endedMs / endedN) : 0,
      total_created: Math.max(state.totalCreated, sessions.size),
      input_tokens,
      output_tokens,
      cost_usd,
    };
  }

  function taskSummaries() {
    const counts = new Map();
    const latest = new Map();
    for (const s of sessions.values()) {
      if (!s.task_id) continue;
      counts.set(s.task_id, (counts.get(s.task_id) || 0) + 1);
      if (!latest.has(s.task_id) || latest.get(s.task_id) < s.last_activity) latest.set(s.task_id, s.last_activity);
    }
    return [...counts.entries()]
      .sort((a, b) => (latest.get(a[0]) < latest.get(b[0]) ? 1 : -1))
      .map(([task_id, n]) => ({ task_id, sessions: n }));
  }

  function validateSettings(s: Loose) {
    if (!(s.max_live_sessions >= 1 && s.max_live_sessions <= 10000)) reject("invalid_input", "the live session limit must be between 1 and 10000", "max_live_sessions");
    if (!(s.idle_ttl_minutes >= 1 && s.idle_ttl_minutes <= 43200)) reject("invalid_input", "the idle timeout must be between 1 minute and 30 days", "idle_ttl_minutes");
    if (!(s.retention_days >= 0 && s.retention_days <= 36500)) reject("invalid_input", "the retention must be at most 36500 days (0 keeps forever)", "retention_days");
    for (const agent of ["claude", "codex", "gemini"]) {
      const p = s.agent_paths[agent];
      if (p && !p.startsWith("/")) reject("invalid_input", `'${p}' must be an absolute path (or empty to find it)`, `agent_paths.${agent}`);
      if (p && p.includes("/missing/")) reject("invalid_input", `'${p}' is not an executable file`, `agent_paths.${agent}`);
    }
  }

  // The backend's commands, one handler each, typed by the generated contract: a command
  // added in Rust, a renamed argument or a changed result is a type error here.
  const commands: CommandHandlers = {
    list_sessions: async (args) => {
      need("list_sessions", args, "filter");
      const snapshot = clone(listSessions(args.filter));
      if (state.listDelayMs > 0) {
        const pending = state.emitDuringList.splice(0);
        setTimeout(() => pending.forEach(put), state.listDelayMs / 2);
        await sleep(state.listDelayMs);
      }
      return snapshot;
    },
    get_session: async (args) => {
      need("get_session", args, "id");
      return clone(getOr404(args.id));
    },
    create_session: async (args) => {
      need("create_session", args, "request");
      return createSession(args.request);
    },
    end_session: async (args) => {
      need("end_session", args, "id");
      const cur = getOr404(args.id);
      if (!LIVE.has(cur.status.state)) return clone(cur);
      const t = now();
      const ended = { ...cur, status: { state: "ended" }, ended_at: t, last_activity: t, exit_code: 0 };
      put(ended);
      logTask(args.id, "ended", { status: "ended" });
      appendOutput(args.id, [{ kind: "lifecycle", text: "stopped by the user" }]);
      endSubscriptionsOf(args.id);
      terminalEnd(args.id, 0);
      return clone(ended);
    },
    delete_session: async (args) => {
      need("delete_session", args, "id", "removeWorktree");
      getOr404(args.id);
      sessions.delete(args.id);
      outputs.delete(args.id);
      synthetic.delete(args.id);
      emit("session-deleted", { id: args.id });
      return null;
    },
    send_message: async (args) => {
      need("send_message", args, "id", "text");
      const cur = getOr404(args.id);
      if (!args.text.trim()) reject("invalid_input", "the message is empty", "text");
      if (cur.agent === "command") reject("invalid_input", "a command session does not take messages; start a new session instead", "agent");
      if (["running", "compacting", "starting"].includes(cur.status.state)) reject("invalid_input", "the agent is still working on the last message; wait for it or interrupt it", "text");
      const resumed = !LIVE.has(cur.status.state);
      const next = update(args.id, { status: { state: resumed ? "starting" : "running" }, ended_at: null, message_count: cur.message_count + 1 });
      logTask(args.id, "command_sent", { command: args.text, length: args.text.length });
      if (resumed) {
        setTimeout(() => {
          update(args.id, { status: { state: "running" } });
          agentTurn(args.id, args.text);
        }, 100);
      } else agentTurn(args.id, args.text);
      return clone(next);
    },
    interrupt_session: async (args) => {
      need("interrupt_session", args, "id");
      const cur = getOr404(args.id);
      if (!LIVE.has(cur.status.state)) return clone(cur);
      appendOutput(args.id, [{ kind: "lifecycle", text: "interrupt requested" }]);
      setTimeout(() => {
        appendOutput(args.id, [{ kind: "turn_result", subtype: "error_during_execution", is_error: true, num_turns: cur.turns, duration_ms: 900, cost_usd: cur.cost_usd, input_tokens: 0, output_tokens: 0, text: null, errors: ["Interrupted by the user"], api_error_status: null }]);
        update(args.id, { status: { state: "idle" } });
      }, 50);
      return clone(sessions.get(args.id));
    },
    resume_session: async (args) => {
      need("resume_session", args, "id", "prompt");
      const cur = getOr404(args.id);
      if (cur.agent === "command") reject("invalid_input", "a command session cannot be resumed; start a new one", "agent");
      if (LIVE.has(cur.status.state)) reject("invalid_input", "the session is already running", "status");
      const next = update(args.id, { status: { state: "starting" }, ended_at: null });
      appendOutput(args.id, [{ kind: "lifecycle", text: `resuming: ${cur.agent} --resume ${cur.agent_session_id}` }]);
      setTimeout(() => {
        update(args.id, { status: { state: args.prompt ? "running" : "idle" } });
        if (args.prompt) agentTurn(args.id, args.prompt);
      }, 100);
      return clone(next);
    },
    set_task: async (args) => {
      need("set_task", args, "id", "taskId");
      getOr404(args.id);
      const t = args.taskId;
      if (t !== null && !/^[A-Za-z0-9._:][A-Za-z0-9._:-]*$/.test(t)) {
        reject("invalid_input", `task id '${t}' may only contain letters, digits, '.', '_', ':' and '-', and cannot start with '-'`, "task_id");
      }
      return clone(update(args.id, { task_id: t }));
    },
    compaction_advised: async (args) => {
      need("compaction_advised", args, "id");
      getOr404(args.id);
      return advised.has(args.id);
    },
    compact_session: async (args) => {
      need("compact_session", args, "id");
      const cur = getOr404(args.id);
      if (cur.agent !== "claude") reject("invalid_input", `${cur.agent} sessions cannot be compacted`);
      const before = cur.status.state;
      update(args.id, { status: { state: "compacting" } });
      await sleep(200);
      advised.delete(args.id);
      appendOutput(args.id, [{ kind: "lifecycle", text: "conversation compacted" }]);
      return clone(update(args.id, { status: { state: before }, message_count: 0 }));
    },
    output_tail: async (args) => {
      need("output_tail", args, "id", "limit");
      getOr404(args.id);
      const last = lastSeqOf(args.id);
      return clone(range(args.id, Math.max(0, last - args.limit), args.limit));
    },
    read_output: async (args) => {
      need("read_output", args, "id", "afterSeq", "limit");
      getOr404(args.id);
      return clone(range(args.id, args.afterSeq, Math.min(args.limit, 10_000)));
    },
    read_output_around: async (args) => {
      need("read_output_around", args, "id", "seq", "before", "after");
      getOr404(args.id);
      const before = Math.min(args.before, 10_000);
      const older = before === 0 ? [] : range(args.id, Math.max(0, args.seq - 1 - before), before, args.seq - 1);
      return clone([...older, ...range(args.id, args.seq - 1, Math.min(args.after, 10_000) + 1)]);
    },
    read_full_entry: async (args) => {
      need("read_full_entry", args, "id", "seq");
      getOr404(args.id);
      const item = wholeRange(args.id, args.seq - 1, 1)[0];
      if (!item || item.seq !== args.seq) reject("not_found", `entry ${args.seq} of session ${args.id}`);
      return clone(item);
    },
    search: async (args) => {
      need("search", args, "query", "filter", "limit");
      const words: string[] = args.query.toLowerCase().split(/\s+/).filter(Boolean);
      const first = words[0];
      if (first === undefined) return reject("invalid_input", "give at least one word to search for", "query");
      // Like the store's search: every filter narrows (session, task, agent kind, written since).
      const f = args.filter;
      const since = f?.since ? Date.parse(f.since) : -Infinity;
      const wanted = (id: string) => {
        const s = sessions.get(id);
        return (!f?.session_id || f.session_id === id) && (!f?.task_id || s?.task_id === f.task_id) && (!f?.agent || s?.agent === f.agent);
      };
      // The entries added to the mock and synthetic sessions' `hits`, newest first; a hit when
      // their view holds every word.
      const candidates: [string, Loose][] = [];
      for (const [id, list] of outputs) for (const item of list) candidates.push([id, item]);
      for (const [id, spec] of synthetic) for (const seq of Object.keys(spec.hits)) candidates.push([id, synthItem(spec, Number(seq))]);
      const hits = [];
      for (const [id, item] of candidates) {
        if (!wanted(id) || Date.parse(item.ts) < since) continue;
        // What the store indexes: texts, tool names, inputs and results — not JSON keys.
        const v = item.view;
        const text = [v.text, v.content, v.name, v.input === undefined ? undefined : JSON.stringify(v.input)].filter((t) => typeof t === "string").join(" ");
        const lower = text.toLowerCase();
        if (!words.every((w: string) => lower.includes(w))) continue;
        const at = lower.indexOf(first);
        const s = sessions.get(id);
        hits.push({ session_id: id, title: s ? s.title : "", seq: item.seq, ts: item.ts, kind: item.view.kind,
          before: text.slice(Math.max(0, at - 60), at), matched: text.slice(at, at + first.length), after: text.slice(at + first.length, at + first.length + 60) });
      }
      hits.sort((a, b) => (a.ts < b.ts ? 1 : -1));
      return clone(hits.slice(0, args.limit));
    },
    subscribe_output: async (args) => {
      need("subscribe_output", args, "id", "afterSeq", "channel");
      return subscribe(args.id, args.afterSeq, args.channel);
    },
    unsubscribe_output: async (args) => {
      need("unsubscribe_output", args, "subscription");
      const sub = subscriptions.get(args.subscription);
      if (sub) {
        sub.closed = true;
        if (sub.timer) clearTimeout(sub.timer);
        subscriptions.delete(sub.id);
        channelSend(sub, { end: true });
      }
      return null;
    },
    pending_permissions: async (args) => {
      need("pending_permissions", args, "id");
      return clone(permissionRequests.filter((r: Loose) => r.decision === null && (args.id === null || r.session_id === args.id)));
    },
    decide_permission: async (args) => {
      need("decide_permission", args, "id", "requestId", "decision");
      const req = permissionRequests.find((r: Loose) => r.session_id === args.id && r.request_id === args.requestId);
      if (!req) reject("not_found", `permission request ${args.requestId} not found`);
      if (req.decision !== null) reject("invalid_input", "this request was answered already", "request_id");
      const d = args.decision;
      if (!["allow", "deny"].includes(d.behavior)) reject("invalid_input", `unknown decision '${d.behavior}'`, "decision");
      if (d.behavior === "allow" && d.always) {
        const rule = d.rule || req.proposed_rule;
        if (!rule) reject("invalid_input", "no rule to offer for this request; name one", "rule");
        if (rule.kind === "command" && /[;&|`<>\n]|\$\(/.test(rule.prefix)) reject("invalid_input", "the prefix may not contain shell control", "prefix");
        if (rule.kind === "path" && !rule.glob.startsWith("/")) reject("invalid_input", "the path must be absolute", "path");
        permissionRules.push({ id: nextRuleId++, session_id: args.id, tool_name: req.tool_name, scope: rule, label: label(req.tool_name, rule), request_id: req.request_id, created_at: now() });
        d.rule = rule;
      }
      req.decision = d;
      req.decided_at = now();
      req.decided_by = "app";
      emit("permission-changed", { request: req });
      // As the backend logs it (permissions.rs, log_decision).
      const word = d.behavior === "deny" ? `denied: ${d.message}` : d.behavior === "allow" && d.always ? `allowed; rule saved: ${label(req.tool_name, d.rule)}` : "allowed";
      logTask(args.id, "command_sent", { permission: word, tool: req.tool_name, gist: req.gist, request_id: req.request_id, by: "app" });
      if (d.behavior === "allow") {
        update(args.id, { status: { state: "running" } });
        setTimeout(() => {
          appendOutput(args.id, [
            { kind: "tool_result", tool_use_id: req.tool_use_id || req.request_id, content: "done", is_error: false },
            { kind: "assistant_text", text: `Ran \`${req.tool_name}\`${d.always ? " (allowed for this session)" : ""}.` },
          ]);
          update(args.id, { status: { state: "idle" } });
        }, 100);
      } else {
        appendOutput(args.id, [{ kind: "tool_result", tool_use_id: req.tool_use_id || req.request_id, content: `The user denied this tool use: ${"message" in d ? d.message : ""}`, is_error: true }]);
        update(args.id, { status: { state: "idle" } });
      }
      return clone(req);
    },
    permission_rules: async (args) => {
      need("permission_rules", args, "id");
      getOr404(args.id);
      return clone(permissionRules.filter((r) => r.session_id === args.id));
    },
    revoke_permission_rule: async (args) => {
      need("revoke_permission_rule", args, "id", "ruleId");
      const i = permissionRules.findIndex((r) => r.session_id === args.id && r.id === args.ruleId);
      if (i < 0) reject("invalid_input", `no rule ${args.ruleId} in session '${args.id}'`, "rule");
      permissionRules.splice(i, 1);
      return null;
    },
    set_focused_session: async (args) => {
      need("set_focused_session", args, "id");
      focused = args.id;
      return null;
    },
    metrics: async (args) => {
      return computeMetrics();
    },
    usage_by_day: async (args) => {
      need("usage_by_day", args, "days");
      return clone(state.usage.slice(-args.days));
    },
    tasks: async (args) => {
      return taskSummaries();
    },
    task_log: async (args) => {
      need("task_log", args, "taskId");
      return clone(taskEvents.filter((e) => e.task_id === args.taskId || (sessions.get(e.session_id) || {}).task_id === args.taskId));
    },
    session_log: async (args) => {
      need("session_log", args, "id");
      getOr404(args.id);
      return clone(taskEvents.filter((e) => e.session_id === args.id));
    },
    agents: async (args) => {
      await sleep(30);
      return clone(state.agents);
    },
    get_settings: async (args) => {
      return clone(state.settings);
    },
    save_settings: async (args) => {
      need("save_settings", args, "settings");
      validateSettings(args.settings);
      state.settings = clone(args.settings);
      for (const agent of ["claude", "codex", "gemini"]) {
        const p = args.settings.agent_paths[agent as "claude" | "codex" | "gemini"];
        const info = agentInfo(agent);
        if (p && info) Object.assign(info, { installed: true, path: p, source: "setting" });
      }
      return clone(state.settings);
    },
    check_folder: async (args) => {
      need("check_folder", args, "path");
      if (args.path.startsWith("/does/not/exist")) reject("invalid_input", `The folder '${args.path}' does not exist.`, "cwd");
      return null;
    },
    recent_folders: async (args) => {
      return clone(state.recent.slice(0, 12));
    },
    quit_app: async () => {
      // The page cannot be quit; the mock only counts the request.
      quitRequests += 1;
      return null;
    },
    app_info: async (args) => {
      return clone(state.appInfo);
    },
    // Mocked sessions run in their folder unless `options.worktrees` gives one (session id →
    // { workspace, changes, diffs: { path: text }, checkpoints, land: outcome, removal }); the
    // Rust tests cover real worktrees. A folder named `…/repo` probes as a repository on main.
    probe_repository: async (args) => (/\/repo\/?$/.test(args.cwd) ? { root: args.cwd.replace(/\/$/, ""), branch: "main" } : null),
    list_workspaces: async () => Object.values(worktrees).map((w) => clone(w.workspace)),
    session_changes: async (args) => clone(worktreeOf(args.id).changes),
    // `diffs` is keyed by path, or by "<to>:<path>" for a comparison's own texts; `compares`
    // by "<from>:<to>" (anything else compares as no difference).
    session_diff: async (args) => {
      const diffs = worktreeOf(args.id).diffs ?? {};
      return { path: args.path, text: diffs[`${args.to}:${args.path}`] ?? diffs[args.path ?? ""] ?? "", cut: false };
    },
    session_compare: async (args) => {
      need("session_compare", args, "id", "from", "to");
      const none = { from: args.from, to: args.to, files: [], files_cut: false, stats: { files: 0, added: 0, removed: 0, behind: 0 } };
      return clone(worktreeOf(args.id).compares?.[`${args.from}:${args.to}`] ?? none);
    },
    // Starts nothing: says which program the core would start; a configured program under
    // /nowhere/ is "not found", as the core says it (the Rust tests start real programs).
    open_session_in: async (args) => {
      need("open_session_in", args, "id", "target");
      worktreeOf(args.id);
      const set = args.target === "editor" ? state.settings.open_editor : args.target === "terminal" ? state.settings.open_terminal : [];
      if (set[0]?.startsWith("/nowhere/")) return reject("invalid_input", `'${set[0]}' was not found (nor on PATH); check Settings → Open in`, args.target);
      return set[0] ?? { editor: "/usr/bin/xdg-open", terminal: "/usr/bin/x-terminal-emulator", file_manager: "/usr/bin/xdg-open" }[args.target as string];
    },
    session_checkpoints: async (args) => clone(worktrees[args.id]?.checkpoints ?? []),
    // A restore records "before restoring checkpoint N" as the next checkpoint (the files are the Rust tests').
    restore_checkpoint: async (args) => {
      const w = worktreeOf(args.id);
      const cps = (w.checkpoints ??= []);
      if (!cps.some((c: Loose) => c.n === args.n)) return reject("invalid_input", `no checkpoint ${args.n}`, "checkpoint");
      const n = cps.length + 1;
      const before = { n, commit: "e".repeat(40), tree: "f".repeat(40), label: `before restoring checkpoint ${args.n}`, at: new Date().toISOString() };
      cps.push(before);
      return clone(before);
    },
    commit_work: async (args) => {
      worktreeOf(args.id);
      return "0123456789abcdef0123456789abcdef01234567";
    },
    land_session: async (args) => clone(worktreeOf(args.id).land ?? { method: args.method, landed: true, conflicts: [], message: "landed", commit: null }),
    removal_check: async (args) => clone(worktrees[args.id]?.removal ?? null),
    orphan_worktrees: async () => clone(orphans),
    get_repo_setup: async (args) => (/\/repo\/?$/.test(args.cwd) ? clone(repoSetups.get(args.cwd) ?? { copy_files: [], setup_command: null, worktree_dir: null }) : null),
    save_repo_setup: async (args) => {
      need("save_repo_setup", args, "cwd", "setup");
      repoSetups.set(args.cwd, clone(args.setup));
      return clone(args.setup);
    },
    remove_orphan_worktrees: async (args) => {
      need("remove_orphan_worktrees", args, "paths");
      for (const p of args.paths) {
        if (!orphans.some((o) => o.path === p)) reject("invalid_input", `${p} is not an orphaned worktree of Switchboard's`, "path");
      }
      orphans = orphans.filter((o) => !args.paths.includes(o.path));
      return clone(args.paths);
    },
    terminal_attach: (args) => terminalCommands.terminal_attach(args),
    terminal_detach: (args) => terminalCommands.terminal_detach(args),
    terminal_input: (args) => terminalCommands.terminal_input(args),
    terminal_resize: (args) => terminalCommands.terminal_resize(args),
  };

  // Tauri's own plugins the page uses (events, opener, dialog).
  async function plugin(cmd: string, args: Loose): Promise<unknown> {
    switch (cmd) {
      case "plugin:event|listen": {
        if (!listeners.has(args.event)) listeners.set(args.event, []);
        listeners.get(args.event)?.push(args.handler);
        return args.handler;
      }
      case "plugin:event|unlisten": {
        const list = listeners.get(args.event);
        if (list) {
          const i = list.indexOf(args.eventId);
          if (i !== -1) list.splice(i, 1);
        }
        return null;
      }
      case "plugin:opener|open_url": {
        // Links open in the desktop's browser; the mock only records the call.
        need(cmd, args, "url");
        if (!/^https?:\/\//i.test(String(args.url))) reject("invalid_input", "only http(s) links may be opened");
        return null;
      }
      case "plugin:dialog|open": {
        need(cmd, args, "options");
        if (!args.options || args.options.directory !== true) reject("invalid_input", "expected a folder picker");
        await sleep(20);
        return state.dialogResult;
      }
      default:
        // Like Tauri: an unknown command rejects with a plain string.
        throw `Unknown command: ${cmd}`;
    }
  }

  // ------------------------------------------------------------ terminal mode

  // A terminal-mode session's PTY, as the backend keeps it (options.terminals: id → { cols,
  // rows, screen, live }): the screen so far (sent base64 on attach), the channels attached
  // (each data chunk goes to every one), the size the CLI was last told. Typed input is
  // echoed back like a terminal in cooked mode, so the test sees its keys on the screen.
  const terminals = new Map<string, Loose>();
  for (const [id, t] of Object.entries<Loose>(options.terminals || {})) {
    terminals.set(id, { cols: t.cols || 80, rows: t.rows || 24, screen: t.screen || "", live: t.live !== false, channels: [], echo: t.echo !== false });
  }
  const utf8b64 = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  };
  const fromB64 = (b64: string) => new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  function terminalOf(id: string): Loose {
    const s = getOr404(id);
    const t = terminals.get(id);
    if (!t || s.config?.mode !== "terminal") reject("invalid_input", "this session does not run in a terminal", "mode");
    return t;
  }
  /** Bytes the CLI wrote: kept for the next attach (the last 256 KiB) and sent to every attached channel. */
  function terminalWrite(id: string, text: string) {
    const t = terminals.get(id);
    if (!t || !t.live) return;
    t.screen = (t.screen + text).slice(-256 * 1024);
    for (const ch of t.channels) channelSend(ch, { message: { kind: "data", data_b64: utf8b64(text) } });
  }
  function terminalEnd(id: string, code: number | null) {
    const t = terminals.get(id);
    if (!t || !t.live) return;
    t.live = false;
    for (const ch of t.channels) {
      channelSend(ch, { message: { kind: "ended", code } });
      channelSend(ch, { end: true });
    }
    t.channels = [];
  }
  /** The last viewer id handed out by terminal_attach. */
  let nextViewer = 0;
  /** Viewers attached to a terminal session (fed by terminalWrite). */
  const terminalViewers = (id: string) => terminals.get(id)?.channels.length ?? 0;
  const terminalCommands = {
    terminal_attach: async (args: CommandArgs<"terminal_attach">): Promise<CommandResult<"terminal_attach">> => {
      need("terminal_attach", args, "id", "onData");
      const t = terminalOf(args.id);
      const channelId = typeof args.onData === "object" && args.onData !== null ? args.onData.id : Number(String(args.onData).split(":")[1]);
      const viewer = t.live ? ++nextViewer : null;
      if (viewer !== null) t.channels.push({ channelId, index: 0, viewer });
      return { cols: t.cols, rows: t.rows, data_b64: utf8b64(t.screen), live: t.live, viewer };
    },
    terminal_detach: async (args: CommandArgs<"terminal_detach">): Promise<null> => {
      need("terminal_detach", args, "id", "viewer");
      const t = terminalOf(args.id);
      t.channels = t.channels.filter((ch: Loose) => ch.viewer !== args.viewer);
      return null;
    },
    terminal_input: async (args: CommandArgs<"terminal_input">): Promise<null> => {
      need("terminal_input", args, "id", "dataB64");
      const t = terminalOf(args.id);
      if (!t.live) reject("invalid_input", "the session's terminal has ended");
      const text = fromB64(args.dataB64);
      if (t.echo) setTimeout(() => terminalWrite(args.id, text.replace(/\r/g, "\r\n")), 5);
      return null;
    },
    terminal_resize: async (args: CommandArgs<"terminal_resize">): Promise<null> => {
      need("terminal_resize", args, "id", "cols", "rows");
      const t = terminalOf(args.id);
      if (!(args.cols >= 2 && args.cols <= 1000 && args.rows >= 1 && args.rows <= 500)) reject("invalid_input", `a terminal of ${args.cols}×${args.rows} is out of range`, "cols");
      t.cols = args.cols;
      t.rows = args.rows;
      return null;
    },
  };

  async function handle(cmd: string, args: Loose): Promise<unknown> {
    if (cmd in commands) return (commands[cmd as CommandName] as (a: Loose) => Promise<unknown>)(args);
    return plugin(cmd, args);
  }

  async function invoke(cmd: Loose, args: Loose) {
    calls.push({ cmd, args: clone(args || {}) });
    return handle(cmd, args || {});
  }

  const w = window as unknown as Record<string, unknown>;
  w.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback: registerCallback,
    unregisterCallback: (id: Loose) => callbacks.delete(id),
    runCallback: (id: Loose, data: Loose) => {
      const cb = callbacks.get(id);
      if (cb) cb(data);
    },
    callbacks,
    convertFileSrc: (path: Loose, protocol: Loose = "asset") => `${protocol}://localhost/${encodeURIComponent(path)}`,
    metadata: {
      currentWindow: { label: "main" },
      currentWebview: { windowLabel: "main", label: "main" },
    },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener: (_event: Loose, id: Loose) => callbacks.delete(id),
  };

  // A generator for streaming tests: realistic entries at `rate` a second.
  // Like an agent writing into the backend, it keeps its pace whatever the
  // page does: each tick adds every entry due by then (bigger batches when
  // the page is slow), and the subscription sends them in 25 ms batches.
  function stream(id: Loose, n: Loose, rate: Loose, tag: Loose) {
    const spec = { tag: tag || "live", base: Date.now(), count: Number.MAX_SAFE_INTEGER };
    const started = performance.now();
    let sent = 0;
    let k = lastSeqOf(id);
    return new Promise((resolveStream) => {
      const tick = () => {
        const due = Math.min(n, Math.max(1, Math.floor(((performance.now() - started) * rate) / 1000)));
        const views = [];
        while (sent < due) {
          sent += 1;
          k += 1;
          views.push(sent === n ? { kind: "assistant_text", text: `**${spec.tag}: stream done** (${n} entries)` } : synthItem(spec, k).view);
        }
        if (views.length > 0) appendOutput(id, views);
        if (sent < n) setTimeout(tick, BATCH_MS / 2);
        else resolveStream(lastSeqOf(id));
      };
      tick();
    });
  }

  w.__mock = {
    calls,
    violations,
    sessions,
    put,
    update,
    emit,
    appendOutput,
    stream,
    lastSeqOf,
    subscriptions,
    setDialogResult: (v: Loose) => (state.dialogResult = v),
    setAgents: (list: Loose) => (state.agents = list),
    advise: (id: Loose) => advised.add(id),
    focused: () => focused,
    quitRequests: () => quitRequests,
    permissions: permissionRequests,
    rules: permissionRules,
    /** The agent asks to use a tool: the session waits for the user. */
    ask(sessionId: Loose, toolName: Loose, input: Loose, gist: Loose) {
      const request = {
        session_id: sessionId,
        request_id: `perm-${Date.now().toString(36)}-${permissionRequests.length}`,
        tool_name: toolName,
        input,
        description: null,
        gist: gist || `wants to use ${toolName}`,
        asked_at: now(),
        decision: null,
        decided_at: null,
        decided_by: null,
        proposed_rule: propose(toolName, input),
      };
      permissionRequests.push(request);
      appendOutput(sessionId, [{ kind: "permission_asked", request_id: request.request_id, tool_name: toolName, input, description: null }]);
      update(sessionId, { status: { state: "waiting_input" } });
      emit("permission-changed", { request });
      return request.request_id;
    },
    remove(id: Loose) {
      sessions.delete(id);
      emit("session-deleted", { id });
    },
    listenerCount: (event: Loose) => (listeners.get(event) || []).length,
    terminals,
    terminalWrite,
    terminalViewers,
    terminalEnd,
  };
}
