// A fake Switchboard backend for the browser smoke test.
//
// `installMockIpc` runs in the page (via page.addInitScript) before the app
// loads. It sets up window.__TAURI_INTERNALS__ and
// window.__TAURI_EVENT_PLUGIN_INTERNALS__ the way @tauri-apps/api/mocks'
// mockIPC(…, { shouldMockEvents: true }) does, and implements the commands
// the UI uses: list_sessions, create_session, end_session, plus the event
// plugin's listen/unlisten. It must be self-contained (it is serialized).
//
// window.__mock lets the test drive it: emit events, inspect calls, delay
// the list call, emit an event while the list call is in flight.

export function installMockIpc(options) {
  const seed = options.sessions || [];
  const state = {
    listDelayMs: options.listDelayMs || 0,
    // Sessions to emit as session-changed while list_sessions is in flight.
    emitDuringList: options.emitDuringList || [],
  };
  const sessions = new Map(seed.map((s) => [s.id, s]));
  const calls = [];
  const callbacks = new Map();
  const listeners = new Map();
  const violations = [];

  document.addEventListener("securitypolicyviolation", (e) => {
    violations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"} ${e.sourceFile || ""}:${e.lineNumber || ""}`);
  });

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const now = () => new Date().toISOString();
  const clone = (v) => JSON.parse(JSON.stringify(v));

  function registerCallback(callback, once) {
    const id = window.crypto.getRandomValues(new Uint32Array(1))[0];
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }

  function emit(event, payload) {
    for (const handler of [...(listeners.get(event) || [])]) {
      const cb = callbacks.get(handler);
      if (cb) cb({ event, id: handler, payload: clone(payload) });
    }
  }

  function put(session) {
    sessions.set(session.id, session);
    emit("session-changed", { session });
  }

  function reject(code, message, field) {
    // The real backend rejects with exactly this object.
    throw { code, message, field: field === undefined ? null : field };
  }

  let counter = 0;
  function newId() {
    counter += 1;
    return `sess-${Date.now().toString(36)}-${counter}`;
  }

  async function handle(cmd, args) {
    switch (cmd) {
      case "plugin:event|listen": {
        if (!listeners.has(args.event)) listeners.set(args.event, []);
        listeners.get(args.event).push(args.handler);
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
      case "list_sessions": {
        const snapshot = clone([...sessions.values()]);
        if (state.listDelayMs > 0) {
          const pending = state.emitDuringList.splice(0);
          setTimeout(() => pending.forEach(put), state.listDelayMs / 2);
          await sleep(state.listDelayMs);
        }
        return snapshot;
      }
      case "create_session": {
        const req = args.request;
        const program = req.config && req.config.program;
        if (!req.cwd || !req.cwd.startsWith("/")) reject("invalid_input", "cwd must be an absolute path", "cwd");
        if (req.cwd.startsWith("/does/not/exist")) {
          reject("invalid_input", `Folder does not exist: ${req.cwd}`, "cwd");
        }
        if (!program) reject("invalid_input", "program is required for the command agent", "program");
        if (program === "crash") {
          // Some failures come back as a bare string.
          throw "spawn failed: No such file or directory (os error 2)";
        }
        const t = now();
        const session = {
          id: newId(),
          agent: req.agent || "command",
          title: req.title || [program, ...req.config.args].join(" "),
          cwd: req.cwd,
          status: { state: "starting" },
          task_id: req.task_id,
          mcp_session_id: req.mcp_session_id,
          agent_session_id: null,
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
          launch_command: null,
          output_trimmed_through: 0,
        };
        put(session);
        setTimeout(() => {
          const cur = sessions.get(session.id);
          if (cur && cur.status.state === "starting") {
            put({ ...cur, status: { state: "running" }, last_activity: now() });
          }
        }, 150);
        return clone(session);
      }
      case "end_session": {
        const cur = sessions.get(args.id);
        if (!cur) reject("not_found", `No session with id ${args.id}`);
        const t = now();
        const ended = { ...cur, status: { state: "ended" }, ended_at: t, last_activity: t, exit_code: 0 };
        put(ended);
        return clone(ended);
      }
      default:
        reject("unknown_command", `Unknown command: ${cmd}`);
    }
    return null;
  }

  async function invoke(cmd, args) {
    calls.push({ cmd, args: clone(args || {}) });
    return handle(cmd, args || {});
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback: registerCallback,
    unregisterCallback: (id) => callbacks.delete(id),
    runCallback: (id, data) => {
      const cb = callbacks.get(id);
      if (cb) cb(data);
    },
    callbacks,
    convertFileSrc: (path, protocol = "asset") => `${protocol}://localhost/${encodeURIComponent(path)}`,
    metadata: {
      currentWindow: { label: "main" },
      currentWebview: { windowLabel: "main", label: "main" },
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener: (_event, id) => callbacks.delete(id),
  };

  window.__mock = {
    calls,
    violations,
    sessions,
    put,
    emit,
    remove(id) {
      sessions.delete(id);
      emit("session-deleted", { id });
    },
    listenerCount: (event) => (listeners.get(event) || []).length,
  };
}
