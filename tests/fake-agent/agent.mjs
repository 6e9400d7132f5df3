#!/usr/bin/env node
// Fake coding-agent CLI for Switchboard's runner tests and benchmarks.
// Plain Node ESM, standard library only. Every scenario is deterministic. See README.md.
//
// Rules this file follows:
// - Writes respect backpressure: a write() that returns false waits for 'drain'.
// - Nothing calls process.exit() while output is still queued. Stdout/stderr to a pipe are
//   asynchronous in Node (only ~64 KiB go out at once), so exiting early would lose data.
//   Scenarios either return and let the event loop drain, or wait for the write callback first.
// - EPIPE (the reader closed the pipe) ends the process quietly with code 141 (128 + SIGPIPE,
//   the shell convention; Node ignores the real SIGPIPE).

import { once } from 'node:events';

const USAGE = `usage: agent.mjs SCENARIO [options]

scenarios:
  normal                         stdout "hello from fake agent", stderr "a note on stderr", exit 0
  lines N [--size BYTES] [--rate PER_SEC] [--json [--big-every K] [--seed S]] [--total-bytes B]
        [--marker-every K --marker-tag T]
                                 N lines "line 1".."line N" (or Claude Code stream-json lines);
                                 every K-th line "marker <T>n<i> written <epoch ms>" instead
  timestamps N [--interval-ms M] N lines "ts <epoch ms with fraction>", one every M ms (default 100)
  slow N [--interval-ms M]       "tick 1".."tick N", one every M ms (default 100)
  crash                          stdout "about to crash", stderr "boom", exit 3
  garbage                        invalid UTF-8, NULs, CR, all 256 byte values, ANSI, no final newline
  huge-line BYTES                one line of BYTES 'a' characters, then "after"
  hang                           prints "hanging", never exits (default signal handling)
  ignore-term [--grandchild-inherits]
                                 ignores SIGTERM, spawns a SIGTERM-ignoring grandchild in the same
                                 process group, prints "grandchild <pid>" and "ready", hangs
  daemonize [--hang]             spawns a grandchild that leaves the process group and session
                                 (setsid) but keeps stdout and stderr, prints "grandchild <pid>"
                                 and "ready", then exits 0 (or, with --hang, hangs)
  echo-stdin                     "got: <line>" for each stdin line, exit 0 at end of stdin
  env NAME                       value of NAME (or "<unset>"), then "cwd <dir>"
  first-line                     prints "ready" and exits 0
`;

class UsageError extends Error {}

const out = process.stdout;
const err = process.stderr;

for (const stream of [out, err]) {
  stream.on('error', (e) => process.exit(e.code === 'EPIPE' ? 141 : 1));
}

/** Write with backpressure: resolves at once, or after 'drain' when the buffer is full. */
async function put(stream, chunk) {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** Write and wait until this chunk (and everything before it) was handed to the OS. */
function putAndFlush(stream, chunk) {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------
// Argument parsing

/**
 * positionals: [[name, type]]; flags: {name: type}. Types: 'int' (>= 0), 'pos' (number > 0),
 * 'num' (number >= 0), 'str', 'bool'. Accepts "--name value" and "--name=value".
 */
function parse(args, positionals, flags) {
  const o = {};
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const type = Object.hasOwn(flags, name) ? flags[name] : undefined;
      if (!type) throw new UsageError(`unknown option --${name}`);
      if (type === 'bool') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        o[name] = true;
        continue;
      }
      let val = eq < 0 ? args[++i] : a.slice(eq + 1);
      if (val === undefined) throw new UsageError(`--${name} needs a value`);
      o[name] = value(val, `--${name}`, type);
    } else {
      pos.push(a);
    }
  }
  if (pos.length !== positionals.length) {
    const want = positionals.map(([n]) => n).join(' ') || 'no arguments';
    throw new UsageError(`expected ${want}, got ${pos.length} argument(s)`);
  }
  positionals.forEach(([name, type], k) => {
    o[name] = value(pos[k], name, type);
  });
  return o;
}

function value(text, what, type) {
  if (type === 'str') return text;
  if (type === 'int') {
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new UsageError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
    }
    return Number(text);
  }
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (type === 'pos' && n === 0)) {
    throw new UsageError(`${what} must be a ${type === 'pos' ? 'positive' : 'non-negative'} number`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function normal(args) {
  parse(args, [], {});
  await put(out, 'hello from fake agent\n');
  await put(err, 'a note on stderr\n');
}

async function lines(args) {
  const o = parse(args, [['N', 'int']], {
    size: 'int',
    rate: 'pos',
    json: 'bool',
    'big-every': 'int',
    'total-bytes': 'int',
    seed: 'int',
    'marker-every': 'int',
    'marker-tag': 'str',
  });
  if (o['marker-every'] === 0) throw new UsageError('--marker-every must be at least 1');
  if ((o['marker-every'] === undefined) !== (o['marker-tag'] === undefined)) {
    throw new UsageError('--marker-every and --marker-tag go together');
  }
  if (o['marker-tag'] !== undefined && !/^[a-z0-9]+$/.test(o['marker-tag'])) {
    throw new UsageError('--marker-tag must be lower-case letters and digits');
  }
  if (o.json && o.size !== undefined) throw new UsageError('--size and --json do not mix');
  if (!o.json && (o['big-every'] !== undefined || o.seed !== undefined)) {
    throw new UsageError('--big-every and --seed need --json');
  }
  if (o['big-every'] === 0) throw new UsageError('--big-every must be at least 1');

  const totalBytes = o['total-bytes'];
  // With --total-bytes, N = 0 means "no line limit"; otherwise whichever limit comes first.
  const maxLines = totalBytes !== undefined && o.N === 0 ? Infinity : o.N;
  const maxBytes = totalBytes ?? Infinity;
  const plain = o.json ? jsonLines(o.seed ?? 1, o['big-every']) : plainLines(o.size);
  // A marker line is one word found nowhere else (for search benchmarks) and its write time.
  const every = o['marker-every'];
  const gen = every ? (i) => (i % every === 0 ? `marker ${o['marker-tag']}n${i} written ${Date.now()}\n` : plain(i)) : plain;
  const chunk = new Chunker();

  let i = 1;
  const more = () => i <= maxLines && chunk.total < maxBytes;

  if (o.rate === undefined) {
    while (more()) {
      const line = gen(i++);
      if (chunk.wouldOverflow(line)) await chunk.flush();
      chunk.add(line);
    }
    await chunk.flush(true);
    return;
  }

  // Rate-limited: line i is due at t0 + (i - 1) / rate seconds; lines already due are written in
  // one chunk (timers have ~1 ms resolution), so the long-run rate never exceeds --rate.
  const perLineMs = 1000 / o.rate;
  const t0 = performance.now();
  while (more()) {
    const allowed = Math.floor((performance.now() - t0) / perLineMs) + 1;
    while (i <= allowed && more()) {
      const line = gen(i++);
      if (chunk.wouldOverflow(line)) await chunk.flush();
      chunk.add(line);
    }
    await chunk.flush(!more());
    if (more()) await sleep(t0 + (i - 1) * perLineMs - performance.now());
  }
}

/**
 * Collects lines into 1 MiB Buffers and writes them to stdout. Lines are joined into strings of
 * about 16 Ki characters first and then UTF-8 encoded by Buffer#write, which also yields the byte
 * count (so `total` lags by at most one such string). Lines too long for a chunk are written on
 * their own.
 */
class Chunker {
  static SIZE = 1 << 20;
  static JOIN = 1 << 14;
  total = 0; // bytes encoded so far
  buf = Buffer.allocUnsafe(Chunker.SIZE);
  used = 0;
  pending = ''; // lines not encoded yet
  big = null; // a line too long for a chunk: it is the only thing in the next flush

  /**
   * True when add(line) needs a flush first: the line may not fit (a UTF-16 unit takes at most
   * 3 UTF-8 bytes), or a big line is pending.
   */
  wouldOverflow(line) {
    return (
      this.big !== null ||
      this.used + (this.pending.length + line.length) * 3 > this.buf.length
    );
  }

  add(line) {
    if (line.length * 3 > this.buf.length) {
      // wouldOverflow() was true, so the caller flushed and the chunk is empty.
      this.big = Buffer.from(line);
      this.total += this.big.length;
    } else {
      this.pending += line;
      if (this.pending.length >= Chunker.JOIN) this.encode();
    }
  }

  encode() {
    const n = this.buf.write(this.pending, this.used);
    this.pending = '';
    this.used += n;
    this.total += n;
  }

  /** Writes what was collected; with last = true waits until it was handed to the OS. */
  async flush(last = false) {
    if (this.pending) this.encode();
    let data = this.big ?? (this.used ? this.buf.subarray(0, this.used) : null);
    this.big = null;
    if (data) {
      // The queued Buffer may still be in use, so start a fresh one.
      this.buf = Buffer.allocUnsafe(Chunker.SIZE);
      this.used = 0;
      if (last) await putAndFlush(out, data);
      else await put(out, data);
    }
  }
}

function plainLines(size) {
  if (size === undefined) return (i) => `line ${i}\n`;
  // "line 7" + " " + "xxx…": the line without its "\n" is exactly `size` bytes (never truncated).
  const pad = ' ' + 'x'.repeat(Math.max(0, size - 1));
  return (i) => {
    const base = `line ${i}`;
    const room = size - base.length;
    return room > 0 ? base + pad.slice(0, room) + '\n' : base + '\n';
  };
}

// --- Claude Code stream-json lines -----------------------------------------------------------

/** mulberry32: small, fast, deterministic PRNG returning unsigned 32-bit integers. */
function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

// Words of at most 16 characters. Some need JSON escaping or are non-ASCII (all in the BMP).
const WORDS = (
  'the agent runner reads each line from stdout and stderr in its own process group ' +
  'I will now check the build it looks like tests pass but one fails because of a missing ' +
  'import in module config path file buffer channel parser handle error retry signal ' +
  'session window terminal output input queue event stream token cache update fix refactor ' +
  'function struct trait async await spawn kill wait exit code status result value ' +
  'let me run then compare with expected behaviour first second next finally also should ' +
  'could would this that these those small large quick careful naïve café façade → — ✓ ' +
  '日本語 Ünïcödé'
).split(' ').concat([
  '`cargo test`', '`src/main.rs`', '`Cargo.toml`', '`npm run build`', '"quoted"',
  'C:\\Users\\dev', 'tab\there', "it's", "don't", '<html>', '&amp;', '50%', '{"k": 1}',
]);

const PLAIN = WORDS.filter((w) => /^[a-z]+$/.test(w));

const COMMANDS = [
  ['ls -la src', 'List source files'],
  ['cargo test -p core --quiet', 'Run the core tests'],
  ['git status --short', 'Show working tree status'],
  ['grep -rn "TODO" src | head -20', 'Find TODO comments'],
  ['npm run build 2>&1 | tail -30', 'Build the UI'],
  ['cat package.json', 'Show package manifest'],
  ["find . -name '*.rs' | wc -l", 'Count Rust files'],
  ['rg --files | head -50', 'List tracked files'],
];

/**
 * Returns gen(i) -> one stream-json line (with "\n") for 1-based line number i.
 * Line kinds: with --big-every K, every K-th line is a user tool_result of ~1 MiB content;
 * otherwise every 10th line is an assistant Bash tool_use, the line after it is the user
 * tool_result for it, and all other lines are assistant text messages.
 */
function jsonLines(seed, bigEvery) {
  const rng = makeRng(seed);
  const int = (n) => Math.floor((rng() / 4294967296) * n);
  const rand = () => rng() / 4294967296;
  const pick = (arr) => arr[int(arr.length)];
  const id62 = (n) => {
    let s = '';
    for (let k = 0; k < n; k += 5) {
      let r = rng(); // 5 base-62 digits per 32 bits (62^5 < 2^32)
      for (let j = 0; j < 5 && k + j < n; j++, r = Math.floor(r / 62)) s += B62[r % 62];
    }
    return s;
  };
  const hex8 = () => rng().toString(16).padStart(8, '0');
  const uuid = () => {
    const a = hex8();
    const b = hex8();
    const c = hex8();
    return (
      `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${HEX[8 + (rng() & 3)]}${c.slice(1, 4)}-` +
      `${c.slice(4)}${hex8()}`
    );
  };

  const session = uuid();
  const baseTime = Date.UTC(2026, 0, 1, 9, 0, 0);
  let inputTokens = 1891;
  let cacheRead = 15118;
  let pendingToolId = null;

  // Text of 20..400 characters: sentences of random words, sometimes with a paragraph break.
  // (Target <= 380, plus at most one 16-character word, a 3-character separator and a ".".)
  const text = () => {
    const target = 20 + int(361);
    let s = '';
    let startOfSentence = true;
    while (s.trimEnd().length < target) {
      let w = pick(WORDS);
      if (startOfSentence) w = w[0].toUpperCase() + w.slice(1);
      s += w;
      startOfSentence = rand() < 0.12;
      if (startOfSentence) s += rand() < 0.1 ? '.\n\n' : pick(['. ', '. ', '. ', '? ', ': ']);
      else s += ' ';
    }
    s = s.trimEnd();
    return /[.?:]$/.test(s) ? s : s + '.';
  };

  const usage = () => {
    inputTokens += 1 + int(40);
    cacheRead += int(800);
    const cc = 1 + int(2000);
    return (
      `"usage":{"input_tokens":${inputTokens},"cache_creation_input_tokens":${cc},` +
      `"cache_read_input_tokens":${cacheRead},"output_tokens":${1 + int(60)},` +
      `"service_tier":"standard"}`
    );
  };

  const assistant = (contentJson) =>
    `{"type":"assistant","message":{"id":"msg_${id62(16)}","type":"message","role":"assistant",` +
    `"model":"claude-opus-4-8","content":[${contentJson}],"stop_reason":null,` +
    `"stop_sequence":null,${usage()},"context_management":null},"parent_tool_use_id":null,` +
    `"session_id":"${session}","uuid":"${uuid()}","request_id":"req_${id62(16)}"}\n`;

  // contentJson is an already JSON-encoded string; withResult adds the CLI's tool_use_result.
  const user = (i, toolId, contentJson, withResult) =>
    `{"type":"user","message":{"role":"user","content":[{"tool_use_id":"${toolId}",` +
    `"type":"tool_result","content":${contentJson},"is_error":false}]},` +
    `"parent_tool_use_id":null,"session_id":"${session}","uuid":"${uuid()}",` +
    `"timestamp":"${new Date(baseTime + i * 137).toISOString()}"` +
    (withResult
      ? `,"tool_use_result":{"stdout":${contentJson},"stderr":"","interrupted":false,` +
        `"isImage":false,"noOutputExpected":false}}\n`
      : '}\n');

  const toolOutput = () => {
    const n = 1 + int(30);
    let s = '';
    for (let k = 0; k < n; k++) {
      s += `src/${pick(PLAIN)}_${int(1000)}.rs:${1 + int(400)}: ${pick(WORDS)} ${pick(WORDS)}`;
      if (k < n - 1) s += '\n';
    }
    return s;
  };

  let bigBody = null; // JSON-encoded 1 MiB body without its opening quote, built on first use
  const bigContent = (i) => {
    if (bigBody === null) {
      let s = '';
      for (let k = 0; s.length < 1 << 20; k++) {
        s += `src/generated/file_${k}.rs:${(k % 997) + 1}:    let value_${k} = compute(${k}); // ${WORDS[k % WORDS.length]}\n`;
      }
      bigBody = JSON.stringify(s.slice(0, 1 << 20)).slice(1);
    }
    return JSON.stringify(`$ cat build-${i}.log\n`).slice(0, -1) + bigBody;
  };

  // Texts and tool outputs come from pools of pre-escaped JSON strings, filled on first use (so
  // small runs start fast and output stays deterministic); a repeat is a 1-in-2048 chance.
  const textPool = new Array(2048);
  const outputPool = new Array(256);
  const fromPool = (pool, make) => {
    const k = int(pool.length);
    return pool[k] ?? (pool[k] = JSON.stringify(make()));
  };

  return (i) => {
    if (bigEvery && i % bigEvery === 0) {
      const id = pendingToolId ?? `toolu_${id62(16)}`;
      pendingToolId = null;
      return user(i, id, bigContent(i), false);
    }
    if (i % 10 === 0) {
      pendingToolId = `toolu_${id62(16)}`;
      const [command, description] = pick(COMMANDS);
      return assistant(
        `{"type":"tool_use","id":"${pendingToolId}","name":"Bash","input":` +
          `{"command":${JSON.stringify(command)},"description":${JSON.stringify(description)}}}`,
      );
    }
    if (pendingToolId) {
      const id = pendingToolId;
      pendingToolId = null;
      return user(i, id, fromPool(outputPool, toolOutput), true);
    }
    return assistant(`{"type":"text","text":${fromPool(textPool, text)}}`);
  };
}

// ---------------------------------------------------------------------------------------------

/** Calls emit(i) for i = 1..n: the first at once, then every intervalMs (no drift). */
async function every(n, intervalMs, emit) {
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    if (i > 1) await sleep(t0 + (i - 1) * intervalMs - performance.now());
    await emit(i);
  }
}

async function timestamps(args) {
  const o = parse(args, [['N', 'int']], { 'interval-ms': 'num' });
  await every(o.N, o['interval-ms'] ?? 100, (i) =>
    put(out, `ts ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`),
  );
}

async function slow(args) {
  const o = parse(args, [['N', 'int']], { 'interval-ms': 'num' });
  await every(o.N, o['interval-ms'] ?? 100, (i) => put(out, `tick ${i}\n`));
}

async function crash(args) {
  parse(args, [], {});
  await putAndFlush(out, 'about to crash\n');
  await putAndFlush(err, 'boom\n');
  process.exit(3); // both writes are flushed
}

async function garbage(args) {
  parse(args, [], {});
  const all256 = Buffer.alloc(256);
  for (let b = 0; b < 256; b++) all256[b] = b;
  const parts = [
    'garbage start\n',
    // lone continuation / invalid start bytes, truncated 3-byte sequence, encoded surrogate,
    // overlong "/" encoding
    Buffer.from([0xff, 0xfe, 0x20, 0xc3, 0x28, 0x20, 0xe2, 0x82, 0x20, 0xed, 0xa0, 0x80, 0x20, 0xc0, 0xaf]),
    ' <- invalid utf-8\n',
    'nul\0in\0the\0middle\n',
    'crlf line\r\n',
    'progress 50%\rprogress 100%\n',
    'binary: ',
    all256,
    '\n',
    '\x1b[1;31mred bold\x1b[0m \x1b[32mgreen\x1b[0m\x1b[K\n',
    'valid utf-8: héllo → 日本語 🚀\n',
    'no trailing newline',
  ];
  await putAndFlush(err, Buffer.from([...Buffer.from('stderr junk: '), 0xff, 0xfe, 0x00, ...Buffer.from(' end\n')]));
  await putAndFlush(out, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
}

async function hugeLine(args) {
  const o = parse(args, [['BYTES', 'int']], {});
  const CHUNK = 1 << 20;
  const a = Buffer.alloc(Math.min(CHUNK, o.BYTES), 'a'); // reused: its content never changes
  for (let left = o.BYTES; left > 0; ) {
    const k = Math.min(left, CHUNK);
    await put(out, k === a.length ? a : a.subarray(0, k));
    left -= k;
  }
  await putAndFlush(out, '\nafter\n');
}

async function hang(args) {
  parse(args, [], {});
  await putAndFlush(out, 'hanging\n');
  setInterval(() => {}, 1 << 30);
}

async function ignoreTerm(args) {
  const o = parse(args, [], { 'grandchild-inherits': 'bool' });
  process.on('SIGTERM', () => {
    out.write('ignoring SIGTERM\n');
  });
  const { spawn } = await import('node:child_process');
  // The grandchild ignores SIGTERM, reports on fd 3 once its handler is installed, and lives at
  // most 1000 s (like `sleep 1000`) so a failed test cannot leak it forever.
  const code =
    "process.on('SIGTERM',()=>{});require('fs').writeSync(3,'ok\\n');setTimeout(()=>{},1000e3)";
  const io = o['grandchild-inherits'] ? 'inherit' : 'ignore';
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', io, io, 'pipe'] });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => reject(new Error(`grandchild exited early (${c ?? s})`)));
    child.stdio[3].once('data', resolve);
  });
  await putAndFlush(out, `grandchild ${child.pid}\nready\n`);
  setInterval(() => {}, 1 << 30);
}

async function daemonize(args) {
  const o = parse(args, [], { hang: 'bool' });
  const { spawn } = await import('node:child_process');
  // detached: the grandchild calls setsid(), so it is in neither our process group nor our
  // session, like a dev server that daemonizes; it keeps our stdout/stderr open. It reports
  // on fd 3 once it runs, and lives at most 1000 s so a failed test cannot leak it forever.
  const code = "require('fs').writeSync(3,'ok\\n');setTimeout(()=>{},1000e3)";
  const child = spawn(process.execPath, ['-e', code], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => reject(new Error(`grandchild exited early (${c ?? s})`)));
    child.stdio[3].once('data', resolve);
  });
  child.removeAllListeners('exit');
  child.stdio[3].destroy();
  child.unref();
  await putAndFlush(out, `grandchild ${child.pid}\nready\n`);
  if (o.hang) setInterval(() => {}, 1 << 30);
}

async function echoStdin(args) {
  parse(args, [], {});
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) await put(out, `got: ${line}\n`);
}

async function env(args) {
  const o = parse(args, [['NAME', 'str']], {});
  await put(out, `${process.env[o.NAME] ?? '<unset>'}\ncwd ${process.cwd()}\n`);
}

async function firstLine(args) {
  parse(args, [], {});
  await put(out, 'ready\n');
}

const SCENARIOS = {
  normal,
  lines,
  timestamps,
  slow,
  crash,
  garbage,
  'huge-line': hugeLine,
  hang,
  'ignore-term': ignoreTerm,
  daemonize,
  'echo-stdin': echoStdin,
  env,
  'first-line': firstLine,
};

const [scenario, ...rest] = process.argv.slice(2);
try {
  const run = Object.hasOwn(SCENARIOS, scenario ?? '') ? SCENARIOS[scenario] : undefined;
  if (!run) throw new UsageError(scenario ? `unknown scenario: ${scenario}` : 'missing scenario');
  await run(rest);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  await putAndFlush(err, `agent.mjs: ${e.message}\n${USAGE}`);
  process.exitCode = 2;
}
