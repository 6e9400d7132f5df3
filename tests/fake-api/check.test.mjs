// Drives the real Claude Code CLI (pinned in tests/package.json) against the fake API in
// server.mjs, fully offline. Run: `npm ci --prefix tests && node --test tests/fake-api/`.
// Set CLAUDE_BIN to use another CLI, FAKE_API_CHECK_DUMP=1 to print every CLI line (cut to 400
// characters) to stderr, FAKE_API_CHECK_DUMP_FILE=PATH to append every line in full to PATH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, realpathSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const claudeBin = process.env.CLAUDE_BIN ?? join(here, '..', 'node_modules', '.bin', 'claude');
const dump = process.env.FAKE_API_CHECK_DUMP === '1';
const dumpFile = process.env.FAKE_API_CHECK_DUMP_FILE;
const TURN_TIMEOUT = 25000;
const TEST_OPTS = { timeout: 30000 };
const live = new Set(); // every CLI process group started, killed in after() and at exit

const scratch = mkdtempSync(join(tmpdir(), 'fake-api-check-'));
let server;
let port;

// ---------------------------------------------------------------------------------------------

function lineReader(stream, onLine) {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  return rl;
}

async function startServer() {
  const child = spawn(process.execPath, [join(here, 'server.mjs'), '--port', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr = [];
  child.stderr.on('data', (d) => stderr.push(d));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake API did not print LISTENING')), 10000);
    let first = true;
    lineReader(child.stdout, (line) => {
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const m = /^LISTENING (\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
    child.on('exit', (code) => reject(new Error(`fake API exited ${code}: ${Buffer.concat(stderr)}`)));
  });
  return { child, port, stderr };
}

async function requests() {
  const res = await fetch(`http://127.0.0.1:${port}/__requests`);
  return res.json();
}

// One CLI process: its stdout lines parsed as JSON, waited on in order.
class Cli {
  constructor({ args = [], env = {} } = {}) {
    this.sessionId = randomUUID();
    this.home = mkdtempSync(join(scratch, 'home-'));
    this.cwd = realpathSync(mkdtempSync(join(scratch, 'cwd-')));
    this.lines = [];
    this.pos = 0;
    this.waiters = [];
    this.stderr = '';
    this.child = spawn(
      claudeBin,
      [
        '-p',
        '--output-format', 'stream-json',
        '--verbose',
        '--input-format', 'stream-json',
        '--session-id', this.sessionId,
        '--max-turns', '5',
        ...args,
      ],
      {
        cwd: this.cwd,
        detached: true, // own process group: the whole tree is killed in close()
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: this.home,
          ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
          ANTHROPIC_API_KEY: 'sk-test',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_MAX_RETRIES: '0',
          ...env,
        },
      },
    );
    live.add(this);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      }),
    );
    this.child.stdin.on('error', () => {});
    this.child.stderr.on('data', (d) => {
      this.stderr += d;
    });
    lineReader(this.child.stdout, (line) => {
      if (dump) process.stderr.write(`  < ${line.slice(0, 400)}\n`);
      if (dumpFile) appendFileSync(dumpFile, `< ${line}\n`);
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        value = { type: '__unparsed', line };
      }
      this.lines.push(value);
      this.wake();
    });
    this.child.on('exit', () => {
      this.done = true;
      this.wake();
    });
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(value) {
    if (dump) process.stderr.write(`  > ${JSON.stringify(value)}\n`);
    if (dumpFile) appendFileSync(dumpFile, `> ${JSON.stringify(value)}\n`);
    this.child.stdin.write(JSON.stringify(value) + '\n');
  }

  sendUser(text) {
    this.send({ type: 'user', message: { role: 'user', content: text } });
  }

  // The next line (from the read position on) that matches `pred`; the read position moves past it.
  async next(pred, what = 'line', timeout = TURN_TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
      while (this.pos < this.lines.length) {
        const line = this.lines[this.pos++];
        if (pred(line)) return line;
      }
      if (this.done) throw new Error(`CLI exited before ${what}; stderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(this.lines).slice(-2000)}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  result() {
    return this.next((l) => l.type === 'result', 'result');
  }

  // Every line read so far from `from` on.
  since(from) {
    return this.lines.slice(from);
  }

  // Closes stdin, waits for the exit (killing the group if it hangs) and returns the exit status.
  async close(timeout = 10000) {
    this.child.stdin.end();
    let timer;
    const status = await Promise.race([
      this.exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeout))),
    ]);
    clearTimeout(timer);
    this.killGroup();
    if (status) return status;
    return { ...(await this.exited), hung: true };
  }

  killGroup() {
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {}
  }
}

// Runs `fn` with a fresh CLI and always cleans the CLI's process group up.
async function withCli(opts, fn) {
  const cli = new Cli(opts);
  try {
    return await fn(cli);
  } finally {
    cli.killGroup();
    await cli.exited;
  }
}

function textOf(message) {
  const c = message?.content;
  if (typeof c === 'string') return c;
  return (c ?? []).filter((b) => b.type === 'text').map((b) => b.text).join('');
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  assert.ok(existsSync(claudeBin), `no CLI at ${claudeBin}: run npm ci in tests/`);
  ({ child: server, port } = await startServer());
});

process.on('exit', () => {
  for (const cli of live) cli.killGroup();
});

after(async () => {
  for (const cli of live) cli.killGroup();
  await Promise.all([...live].map((cli) => cli.exited));
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.on('exit', r));
    server.stdin.end(); // the server exits when its stdin closes
    const t = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  rmSync(scratch, { recursive: true, force: true });
});

test('plain reply: result has usage, cost and our session id', TEST_OPTS, async () => {
  await withCli({}, async (cli) => {
    cli.sendUser('Say hello.');
    const init = await cli.next((l) => l.type === 'system' && l.subtype === 'init', 'init');
    assert.equal(init.session_id, cli.sessionId);
    const assistant = await cli.next((l) => l.type === 'assistant', 'assistant');
    assert.equal(textOf(assistant.message), 'Hello from the fake API.');
    const result = await cli.result();
    assert.equal(result.subtype, 'success');
    assert.equal(result.is_error, false);
    assert.equal(result.result, 'Hello from the fake API.');
    assert.equal(result.num_turns, 1);
    assert.ok(result.total_cost_usd > 0, `total_cost_usd ${result.total_cost_usd}`);
    assert.ok(result.usage.output_tokens > 0);
    assert.ok(result.usage.input_tokens > 0);
    assert.equal(result.session_id, cli.sessionId);
    const status = await cli.close();
    assert.equal(status.code, 0);
    // The transcript lands where DESIGN.md says.
    const project = cli.cwd.replace(/[^A-Za-z0-9]/g, '-');
    assert.ok(existsSync(join(cli.home, '.claude', 'projects', project, `${cli.sessionId}.jsonl`)));
  });
});

test('second turn on the same process', TEST_OPTS, async () => {
  await withCli({}, async (cli) => {
    cli.sendUser('First turn.');
    const first = await cli.result();
    assert.equal(first.is_error, false);
    const mark = cli.lines.length;
    cli.sendUser('Second turn.');
    const second = await cli.result();
    assert.equal(second.is_error, false);
    assert.equal(second.result, 'Hello from the fake API.');
    assert.equal(second.session_id, cli.sessionId);
    const init2 = cli.since(mark).find((l) => l.type === 'system' && l.subtype === 'init');
    assert.ok(init2, 'each turn starts with system/init');
    assert.equal(init2.session_id, cli.sessionId);
    assert.equal((await cli.close()).code, 0);
  });
});

test('Bash tool use in bypassPermissions', TEST_OPTS, async () => {
  await withCli({ args: ['--permission-mode', 'bypassPermissions'], env: { IS_SANDBOX: '1' } }, async (cli) => {
    cli.sendUser('Run this: [[tool:bash echo fake-tool-$((40+2))]]');
    const use = await cli.next(
      (l) => l.type === 'assistant' && l.message.content.some((b) => b.type === 'tool_use'),
      'tool_use',
    );
    const block = use.message.content.find((b) => b.type === 'tool_use');
    assert.equal(block.name, 'Bash');
    assert.equal(block.input.command, 'echo fake-tool-$((40+2))');
    const toolResult = await cli.next(
      (l) => l.type === 'user' && Array.isArray(l.message.content) && l.message.content.some((b) => b.type === 'tool_result'),
      'tool_result',
    );
    const tr = toolResult.message.content.find((b) => b.type === 'tool_result');
    assert.equal(tr.tool_use_id, block.id);
    assert.notEqual(tr.is_error, true);
    assert.match(JSON.stringify(tr.content), /fake-tool-42/);
    const result = await cli.result();
    assert.equal(result.is_error, false);
    assert.equal(result.num_turns, 2);
    assert.match(result.result, /^Tool said: fake-tool-42/);
    assert.equal((await cli.close()).code, 0);
  });
});

test('API error 529 is a result with is_error and exit code 1', TEST_OPTS, async () => {
  await withCli({}, async (cli) => {
    cli.sendUser('Please fail [[error 529]]');
    const result = await cli.result();
    assert.equal(result.is_error, true);
    assert.equal(result.api_error_status, 529);
    assert.ok(result.result.length > 0);
    const status = await cli.close();
    assert.equal(status.code, 1);
  });
});

test('after an API error the process stays up and answers the next turn', TEST_OPTS, async () => {
  await withCli({}, async (cli) => {
    cli.sendUser('[[error 500]]');
    const failed = await cli.result();
    assert.equal(failed.is_error, true);
    assert.equal(failed.api_error_status, 500);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cli.done, undefined, 'stdin is open: the CLI waits for the next turn');
    cli.sendUser('Try again.');
    const ok = await cli.result();
    assert.equal(ok.is_error, false);
    assert.equal(ok.result, 'Hello from the fake API.');
    // The exit code follows the last result.
    assert.equal((await cli.close()).code, 0);
  });
});

test('interrupt by control request; the process answers the next turn', TEST_OPTS, async () => {
  await withCli({ args: ['--include-partial-messages'] }, async (cli) => {
    cli.sendUser('Go slowly [[slow 50]]');
    await cli.next(
      (l) => l.type === 'stream_event' && l.event?.type === 'content_block_delta',
      'first stream_event delta',
    );
    const start = Date.now();
    cli.send({ type: 'control_request', request_id: 'r1', request: { subtype: 'interrupt' } });
    const mark = cli.pos;
    const response = await cli.next((l) => l.type === 'control_response', 'control_response');
    assert.equal(response.response.subtype, 'success');
    assert.equal(response.response.request_id, 'r1');
    cli.pos = mark;
    const result = await cli.result();
    assert.equal(result.subtype, 'error_during_execution');
    assert.ok(Date.now() - start < 4000, 'the interrupt stops the stream well before its 5 s end');
    cli.sendUser('After the interrupt.');
    const next = await cli.result();
    assert.equal(next.subtype, 'success');
    assert.equal(next.result, 'Hello from the fake API.');
    assert.equal((await cli.close()).code, 0);
  });
});

test('permission prompt over stdio: can_use_tool, allow, file written', TEST_OPTS, async () => {
  await withCli({ args: ['--permission-prompt-tool', 'stdio'] }, async (cli) => {
    cli.send({ type: 'control_request', request_id: 'init1', request: { subtype: 'initialize' } });
    const init = await cli.next((l) => l.type === 'control_response', 'initialize response');
    assert.equal(init.response.subtype, 'success');
    assert.equal(init.response.request_id, 'init1');
    const target = join(cli.cwd, 'note.txt');
    cli.sendUser(`Write it: [[tool:write ${target} hello from the fake API]]`);
    const ask = await cli.next(
      (l) => l.type === 'control_request' && l.request?.subtype === 'can_use_tool',
      'can_use_tool',
    );
    assert.equal(ask.request.tool_name, 'Write');
    assert.equal(ask.request.input.file_path, target);
    assert.equal(ask.request.input.content, 'hello from the fake API');
    assert.equal(existsSync(target), false, 'nothing is written before the answer');
    cli.send({
      type: 'control_response',
      response: {
        subtype: 'success',
        request_id: ask.request_id,
        response: { behavior: 'allow', updatedInput: ask.request.input },
      },
    });
    const result = await cli.result();
    assert.equal(result.is_error, false);
    assert.equal(result.result, `Wrote ${target}.`);
    assert.equal(readFileSync(target, 'utf8'), 'hello from the fake API');
    assert.deepEqual(result.permission_denials, []);
    assert.equal((await cli.close()).code, 0);
  });
});

test('permission prompt over stdio: deny', TEST_OPTS, async () => {
  await withCli({ args: ['--permission-prompt-tool', 'stdio'] }, async (cli) => {
    cli.send({ type: 'control_request', request_id: 'init1', request: { subtype: 'initialize' } });
    await cli.next((l) => l.type === 'control_response', 'initialize response');
    const target = join(cli.cwd, 'denied.txt');
    cli.sendUser(`[[tool:write ${target} nope]]`);
    const ask = await cli.next(
      (l) => l.type === 'control_request' && l.request?.subtype === 'can_use_tool',
      'can_use_tool',
    );
    cli.send({
      type: 'control_response',
      response: { subtype: 'success', request_id: ask.request_id, response: { behavior: 'deny', message: 'Not today.' } },
    });
    const result = await cli.result();
    assert.match(result.result, /^Write was refused: .*Not today\./s);
    assert.equal(result.permission_denials.length, 1);
    assert.equal(result.permission_denials[0].tool_name, 'Write');
    assert.equal(existsSync(target), false);
    await cli.close();
  });
});

test('--max-turns exhaustion with [[loop]]', TEST_OPTS, async () => {
  await withCli({ args: ['--permission-mode', 'bypassPermissions', '--max-turns', '2'], env: { IS_SANDBOX: '1' } }, async (cli) => {
    cli.sendUser('[[loop]]');
    const result = await cli.result();
    assert.equal(result.subtype, 'error_max_turns');
    assert.equal(result.is_error, true);
    assert.equal((await cli.close()).code, 1);
  });
});

test('a dropped stream ends in an error result', TEST_OPTS, async () => {
  await withCli({}, async (cli) => {
    cli.sendUser('[[disconnect]]');
    const result = await cli.result();
    assert.equal(result.is_error, true);
    assert.match(result.result, /^API Error: /);
    assert.equal((await cli.close()).code, 1);
    // The CLI retried the dropped stream without streaming.
    const tries = (await requests()).filter((r) => r.scenario === 'disconnect');
    assert.ok(tries.some((r) => r.stream === true), 'a streaming try');
    assert.ok(tries.some((r) => r.stream === false), 'a non-streaming retry');
  });
});

test('the fake API recorded what it served', TEST_OPTS, async () => {
  const seen = await requests();
  assert.ok(Array.isArray(seen) && seen.length > 0);
  assert.ok(seen.some((r) => r.path.startsWith('/v1/messages') && r.tools && r.scenario === 'bash'));
  assert.ok(seen.some((r) => r.scenario === 'error'));
  const unknown = seen.filter((r) => r.scenario === 'unknown');
  assert.deepEqual(unknown, [], 'the CLI called nothing the fake API does not know');
  const counts = {};
  for (const r of seen) counts[r.scenario] = (counts[r.scenario] ?? 0) + 1;
  console.log('requests by scenario:', JSON.stringify(counts));
});
