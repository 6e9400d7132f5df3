// Checks for the fake agent (agent.mjs). Run: node --test tests/fake-agent/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));

/** Starts the agent directly (exercises the shebang and the executable bit). */
function start(args, options = {}) {
  return spawn(AGENT, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/**
 * Runs the agent to completion. Resolves {code, signal, stdout, stderr (Buffers), ms, chunks}
 * where chunks are [arrival ms, Buffer] for stdout.
 */
async function run(args, { input, timeoutMs = 10_000, ...options } = {}) {
  const t0 = performance.now();
  const child = start(args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...options });
  const out = [];
  const err = [];
  const chunks = [];
  child.stdout.on('data', (b) => {
    out.push(b);
    chunks.push([performance.now() - t0, b]);
  });
  child.stderr.on('data', (b) => err.push(b));
  if (input !== undefined) child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close' fires after the process exited and both pipes reached EOF.
  const [code, signal] = await once(child, 'close');
  clearTimeout(timer);
  return {
    code,
    signal,
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err),
    ms: performance.now() - t0,
    chunks,
  };
}

/** Resolves once the child's stdout contains `text` (accumulated); returns all stdout so far. */
function waitFor(child, text, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.stdout.off('data', onData);
      reject(new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`));
    }, timeoutMs);
    const onData = (b) => {
      seen += b;
      if (seen.includes(text)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout.on('data', onData);
  });
}

/** Process state letter from /proc/<pid>/stat, or null when the process is gone. */
function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

function procGroup(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const deadOrZombie = (pid) => {
  const s = procState(pid);
  return s === null || s === 'Z' || s === 'X';
};

async function until(predicate, timeoutMs, what) {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (b) => b.toString('utf8');

test('normal', async () => {
  const r = await run(['normal']);
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout), 'hello from fake agent\n');
  assert.equal(text(r.stderr), 'a note on stderr\n');
});

test('lines N', async () => {
  const r = await run(['lines', '5']);
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
  assert.equal(r.stderr.length, 0);
});

test('lines 0 prints nothing', async () => {
  const r = await run(['lines', '0']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, 0);
});

test('lines 100000 prints 100000 lines', async () => {
  const r = await run(['lines', '100000']);
  assert.equal(r.code, 0);
  const lines = text(r.stdout).split('\n');
  assert.equal(lines.pop(), ''); // ends with a newline
  assert.equal(lines.length, 100000);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `line ${i + 1}`) assert.fail(`line ${i + 1} is ${JSON.stringify(lines[i])}`);
  }
});

test('lines --marker-every puts a marker with its write time on every K-th line', async () => {
  const before = Date.now();
  const r = await run(['lines', '12', '--json', '--rate', '200', '--marker-every', '5', '--marker-tag', 's7']);
  assert.equal(r.code, 0);
  const lines = text(r.stdout).split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 12);
  lines.forEach((l, k) => {
    const m = /^marker s7n(\d+) written (\d+)$/.exec(l);
    if ((k + 1) % 5 === 0) {
      assert.ok(m, `line ${k + 1} is a marker: ${l}`);
      assert.equal(Number(m[1]), k + 1);
      assert.ok(Number(m[2]) >= before && Number(m[2]) <= Date.now(), `write time ${m[2]}`);
    } else {
      assert.ok(!m && JSON.parse(l).type, `line ${k + 1} is stream-json`);
    }
  });
  const bad = await run(['lines', '3', '--marker-every', '2']);
  assert.equal(bad.code, 2);
});

test('lines --size pads every line to exactly BYTES', async () => {
  const r = await run(['lines', '1000', '--size', '100']);
  assert.equal(r.code, 0);
  const lines = text(r.stdout).split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 1000);
  lines.forEach((l, k) => {
    assert.equal(l.length, 100);
    assert.match(l, new RegExp(`^line ${k + 1} x+$`));
  });
  // Never truncated: a size smaller than "line N" leaves the line as it is.
  assert.equal(text((await run(['lines', '2', '--size', '3'])).stdout), 'line 1\nline 2\n');
});

test('lines --size with lines longer than a write chunk', async () => {
  const r = await run(['lines', '3', '--size', String(3 << 20)]);
  assert.equal(r.code, 0);
  const lines = text(r.stdout).split('\n');
  assert.deepEqual(lines.map((l) => l.length), [3 << 20, 3 << 20, 3 << 20, 0]);
  assert.deepEqual(lines.slice(0, 3).map((l) => l.slice(0, 7)), ['line 1 ', 'line 2 ', 'line 3 ']);
});

test('lines --rate limits the rate', async () => {
  const r = await run(['lines', '20', '--rate', '100']);
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout).split('\n').length, 21);
  // Line 20 is due 190 ms after start; arrivals are spread out, not one burst.
  const last = r.chunks.at(-1)[0];
  const first = r.chunks[0][0];
  assert.ok(last - first >= 150, `lines arrived within ${last - first} ms`);
  assert.ok(r.chunks.length >= 5, `only ${r.chunks.length} chunks`);
});

const ENVELOPE_KEYS = ['type', 'message', 'parent_tool_use_id', 'session_id', 'uuid', 'request_id'];
const MESSAGE_KEYS = ['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage', 'context_management'];
const USAGE_KEYS = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'output_tokens', 'service_tier'];
const USER_KEYS = ['type', 'message', 'parent_tool_use_id', 'session_id', 'uuid', 'timestamp'];

test('lines --json: Claude Code stream-json lines', async () => {
  const r = await run(['lines', '30', '--json']);
  assert.equal(r.code, 0);
  const raw = text(r.stdout).split('\n');
  assert.equal(raw.pop(), '');
  assert.equal(raw.length, 30);
  const msgs = raw.map((l) => JSON.parse(l));
  const session = msgs[0].session_id;
  assert.match(session, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const uuids = new Set();
  msgs.forEach((m, k) => {
    const n = k + 1;
    assert.equal(m.session_id, session);
    assert.match(m.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    uuids.add(m.uuid);
    if (n % 10 === 1 && n > 1) {
      // tool_result for the tool_use on the line before
      assert.deepEqual(Object.keys(m), [...USER_KEYS, 'tool_use_result']);
      assert.equal(m.type, 'user');
      assert.deepEqual(Object.keys(m.message), ['role', 'content']);
      const [c] = m.message.content;
      assert.deepEqual(Object.keys(c), ['tool_use_id', 'type', 'content', 'is_error']);
      assert.equal(c.type, 'tool_result');
      assert.equal(c.is_error, false);
      assert.equal(c.tool_use_id, msgs[k - 1].message.content[0].id);
      assert.equal(m.tool_use_result.stdout, c.content);
      assert.ok(!Number.isNaN(Date.parse(m.timestamp)));
      return;
    }
    assert.deepEqual(Object.keys(m), ENVELOPE_KEYS);
    assert.equal(m.type, 'assistant');
    assert.equal(m.parent_tool_use_id, null);
    assert.match(m.request_id, /^req_[A-Za-z0-9]{16}$/);
    assert.deepEqual(Object.keys(m.message), MESSAGE_KEYS);
    assert.match(m.message.id, /^msg_[A-Za-z0-9]{16}$/);
    assert.equal(m.message.model, 'claude-opus-4-8');
    assert.equal(m.message.role, 'assistant');
    assert.equal(m.message.context_management, null);
    assert.deepEqual(Object.keys(m.message.usage), USAGE_KEYS);
    assert.equal(m.message.content.length, 1);
    const [c] = m.message.content;
    if (n % 10 === 0) {
      assert.equal(c.type, 'tool_use');
      assert.equal(c.name, 'Bash');
      assert.match(c.id, /^toolu_[A-Za-z0-9]{16}$/);
      assert.equal(typeof c.input.command, 'string');
      assert.equal(typeof c.input.description, 'string');
    } else {
      assert.deepEqual(Object.keys(c), ['type', 'text']);
      assert.equal(c.type, 'text');
      assert.ok(c.text.length >= 20 && c.text.length <= 400, `text length ${c.text.length}`);
    }
  });
  assert.equal(uuids.size, 30);
  const texts = msgs.filter((m) => m.message.content[0].type === 'text').map((m) => m.message.content[0].text);
  assert.ok(new Set(texts).size >= texts.length - 2, 'texts vary per line');

  // Deterministic, and --seed changes the content.
  assert.deepEqual((await run(['lines', '30', '--json'])).stdout, r.stdout);
  assert.notDeepEqual((await run(['lines', '30', '--json', '--seed', '2'])).stdout, r.stdout);
});

test('lines --json --total-bytes --big-every: valid JSON on every line', async () => {
  const r = await run(['lines', '0', '--json', '--total-bytes', '5000000', '--big-every', '50']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr.length, 0);
  assert.ok(r.stdout.length >= 5_000_000, `${r.stdout.length} bytes`);
  assert.ok(r.stdout.length < 5_000_000 + (2 << 20), `${r.stdout.length} bytes`);
  assert.equal(r.stdout.at(-1), 0x0a);
  const raw = text(r.stdout).split('\n');
  raw.pop();
  let big = 0;
  raw.forEach((l, k) => {
    let m;
    try {
      m = JSON.parse(l);
    } catch (e) {
      assert.fail(`line ${k + 1} is not JSON: ${e.message}: ${l.slice(0, 200)}`);
    }
    assert.ok(m.type === 'assistant' || m.type === 'user');
    if ((k + 1) % 50 === 0) {
      assert.equal(m.type, 'user');
      const c = m.message.content[0];
      assert.equal(c.type, 'tool_result');
      assert.ok(c.content.length >= 1 << 20 && c.content.length < (1 << 20) + 1000);
      big++;
    }
  });
  assert.ok(big >= 4, `${big} big lines`);
});

test('timestamps', async () => {
  const before = performance.timeOrigin + performance.now();
  const r = await run(['timestamps', '5', '--interval-ms', '30']);
  const after = performance.timeOrigin + performance.now();
  assert.equal(r.code, 0);
  const lines = text(r.stdout).trimEnd().split('\n');
  assert.equal(lines.length, 5);
  const ts = lines.map((l) => {
    assert.match(l, /^ts \d+\.\d{3}$/);
    return Number(l.slice(3));
  });
  assert.ok(ts[0] >= before - 50 && ts[4] <= after + 50, 'timestamps are wall-clock epoch ms');
  for (let k = 1; k < 5; k++) assert.ok(ts[k] - ts[k - 1] >= 20, `gap ${ts[k] - ts[k - 1]} ms`);
  // Four intervals of 30 ms: ~120 ms. The margin absorbs a loaded machine's late first tick
  // (CI once measured under 115 ms with seven builds on two cores); ticks sent too fast would
  // be far below it.
  assert.ok(ts[4] - ts[0] >= 100, `no drift below the interval: ${ts[4] - ts[0]} ms for 4 intervals`);
});

test('slow: ticks arrive one by one', async () => {
  const r = await run(['slow', '3', '--interval-ms', '60']);
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout), 'tick 1\ntick 2\ntick 3\n');
  assert.equal(r.chunks.length, 3, 'each tick is flushed on its own');
  assert.ok(r.chunks[2][0] - r.chunks[0][0] >= 100);
});

test('crash exits 3', async () => {
  const r = await run(['crash']);
  assert.equal(r.code, 3);
  assert.equal(text(r.stdout), 'about to crash\n');
  assert.equal(text(r.stderr), 'boom\n');
});

test('garbage', async () => {
  const r = await run(['garbage']);
  assert.equal(r.code, 0);
  const b = r.stdout;
  const all256 = Buffer.from(Array.from({ length: 256 }, (_, k) => k));
  assert.ok(b.includes(all256), 'all 256 byte values in a row');
  assert.ok(b.includes(Buffer.from([0xff, 0xfe])), 'invalid UTF-8');
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(b));
  assert.ok(b.includes(Buffer.from('nul\0in\0the\0middle\n')));
  assert.ok(b.includes(Buffer.from('crlf line\r\n')));
  assert.ok(b.includes(Buffer.from('\x1b[1;31m')));
  assert.ok(b.includes(Buffer.from('héllo → 日本語 🚀\n')));
  assert.ok(text(b).endsWith('\nno trailing newline'));
  assert.ok(r.stderr.includes(Buffer.from([0xff, 0xfe, 0x00])));
});

test('huge-line 10485760 gives one line of exactly that length', async () => {
  const r = await run(['huge-line', '10485760']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, 10485760 + '\nafter\n'.length);
  const nl = r.stdout.indexOf(0x0a);
  assert.equal(nl, 10485760);
  const line = r.stdout.subarray(0, nl);
  assert.ok(line.every((c) => c === 0x61), 'only "a"');
  assert.equal(text(r.stdout.subarray(nl)), '\nafter\n');
});

test('hang keeps running until signalled', async () => {
  const child = start(['hang']);
  try {
    await waitFor(child, 'hanging\n');
    await sleep(200);
    assert.equal(child.exitCode, null);
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    assert.equal(code, null);
    assert.equal(signal, 'SIGTERM');
  } finally {
    child.kill('SIGKILL');
  }
});

test('ignore-term survives SIGTERM; SIGKILL to the group kills it and the grandchild', async () => {
  const child = start(['ignore-term'], { detached: true });
  const exited = once(child, 'exit');
  let grandchild;
  try {
    const seen = await waitFor(child, 'ready\n');
    const m = /^grandchild (\d+)\nready\n$/.exec(seen);
    assert.ok(m, `unexpected output ${JSON.stringify(seen)}`);
    grandchild = Number(m[1]);
    assert.equal(procGroup(child.pid), child.pid, 'the agent leads its own group');
    assert.equal(procGroup(grandchild), child.pid, 'the grandchild is in that group');

    const ignoring = waitFor(child, 'ignoring SIGTERM\n');
    process.kill(-child.pid, 'SIGTERM');
    await ignoring;
    await sleep(300);
    assert.equal(child.exitCode, null, 'the agent survived SIGTERM');
    assert.ok(!deadOrZombie(grandchild), 'the grandchild survived SIGTERM');

    process.kill(-child.pid, 'SIGKILL');
    const [code, signal] = await exited;
    assert.equal(code, null);
    assert.equal(signal, 'SIGKILL');
    assert.ok(deadOrZombie(child.pid));
    // The grandchild is reparented and reaped by init (or left a zombie if nothing reaps it).
    await until(() => deadOrZombie(grandchild), 5000, `grandchild ${grandchild} still alive`);
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    if (grandchild && !deadOrZombie(grandchild)) {
      try {
        process.kill(grandchild, 'SIGKILL');
      } catch {}
    }
  }
});

test('daemonize: the grandchild leaves group and session but keeps stdout open', async () => {
  const child = start(['daemonize']);
  const exited = once(child, 'exit');
  let grandchild;
  try {
    const seen = await waitFor(child, 'ready\n');
    const m = /^grandchild (\d+)\nready\n$/.exec(seen);
    assert.ok(m, `unexpected output ${JSON.stringify(seen)}`);
    grandchild = Number(m[1]);
    const [code] = await exited;
    assert.equal(code, 0, 'the agent itself exits 0');
    assert.ok(!deadOrZombie(grandchild), 'the grandchild outlives it');
    assert.equal(procGroup(grandchild), grandchild, 'the grandchild leads a group of its own');
    // stdout stays open: no 'close' while the grandchild lives.
    const closed = once(child.stdout, 'close');
    const first = await Promise.race([closed.then(() => 'closed'), sleep(300).then(() => 'open')]);
    assert.equal(first, 'open');
    process.kill(grandchild, 'SIGKILL');
    await closed;
  } finally {
    if (grandchild && !deadOrZombie(grandchild)) {
      try {
        process.kill(grandchild, 'SIGKILL');
      } catch {}
    }
  }
});

test('echo-stdin', async () => {
  const r = await run(['echo-stdin'], { input: 'one\r\ntwo\n\nlast' });
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout), 'got: one\ngot: two\ngot: \ngot: last\n');
});

test('env and cwd', async () => {
  const cwd = realpathSync(tmpdir());
  const set = await run(['env', 'FAKE_AGENT_VAR'], { cwd, env: { ...process.env, FAKE_AGENT_VAR: 'a b=c' } });
  assert.equal(set.code, 0);
  assert.equal(text(set.stdout), `a b=c\ncwd ${cwd}\n`);
  const env = { ...process.env };
  delete env.FAKE_AGENT_VAR;
  const unset = await run(['env', 'FAKE_AGENT_VAR'], { cwd, env });
  assert.equal(text(unset.stdout), `<unset>\ncwd ${cwd}\n`);
});

test('first-line', async () => {
  const r = await run(['first-line']);
  assert.equal(r.code, 0);
  assert.equal(text(r.stdout), 'ready\n');
});

test('usage errors exit 2', async () => {
  for (const args of [[], ['nope'], ['lines'], ['lines', 'x'], ['lines', '3', '--bogus'], ['huge-line'], ['env']]) {
    const r = await run(args);
    assert.equal(r.code, 2, `args ${JSON.stringify(args)}`);
    assert.equal(r.stdout.length, 0);
    assert.match(text(r.stderr), /usage: agent\.mjs SCENARIO/);
  }
});

test('a closed stdout ends the agent quietly (EPIPE)', async () => {
  const child = start(['lines', '100000000']);
  await once(child.stdout, 'data');
  child.stdout.destroy();
  const [code] = await once(child, 'exit');
  assert.equal(code, 141);
});

test('the agent file is executable', () => {
  accessSync(AGENT, constants.X_OK);
  assert.match(readFileSync(AGENT, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});
