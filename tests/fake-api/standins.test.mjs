// The stand-ins for the OpenAI Responses API (Codex) and the Gemini API in server.mjs, spoken to
// directly (the real CLIs are driven against them by src-tauri/core/tests/{codex,gemini}.rs).
// Run: `node --test tests/fake-api/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
let server;
let base;

before(async () => {
  server = spawn(process.execPath, [join(here, 'server.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
  base = `http://127.0.0.1:${/^LISTENING (\d+)$/.exec(line)[1]}`;
});
after(() => server.stdin.end());

const post = (path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

// SSE `data:` lines as JSON; a stream the server drops ends what was read so far.
async function events(res) {
  let text = '';
  try {
    text = await res.text();
  } catch {
    return null;
  }
  return text.split(/\r?\n/).filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
}

const codexInput = (prompt, extra = []) => [
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>x</environment_context>' }] },
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
  ...extra,
];
const codexTools = [{ type: 'function', name: 'exec_command' }];

test('responses: a reply, then response.completed with usage', async () => {
  const ev = await events(await post('/v1/responses', { model: 'm', stream: true, input: codexInput('say hi'), tools: codexTools }));
  const done = ev.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
  assert.deepEqual(done.map((i) => i.type), ['message']);
  assert.equal(done[0].content[0].text, 'FAKE-OK: say hi');
  assert.deepEqual(ev.at(-1).response.usage.input_tokens, 11);
});

test('responses: a tool call (reasoning first), then an answer with its output', async () => {
  let ev = await events(await post('/v1/responses', { stream: true, input: codexInput('[[tool:bash echo hi]]'), tools: codexTools }));
  const items = ev.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
  assert.deepEqual(items.map((i) => i.type), ['reasoning', 'function_call']);
  assert.equal(items[1].name, 'exec_command');
  assert.deepEqual(JSON.parse(items[1].arguments), { cmd: 'echo hi' });
  const output = { type: 'function_call_output', call_id: items[1].call_id, output: 'hi' };
  ev = await events(await post('/v1/responses', { stream: true, input: codexInput('[[tool:bash echo hi]]', [items[1], output]), tools: codexTools }));
  assert.equal(ev.find((e) => e.type === 'response.output_item.done').item.content[0].text, 'TOOL-DONE: hi');
});

test('responses: [[flaky 1]] drops the first stream, then completes', async () => {
  const body = { stream: true, input: codexInput('[[flaky 1]] x'), tools: codexTools };
  const first = await events(await post('/v1/responses', body));
  assert.ok(first === null || !first.some((e) => e.type === 'response.completed'));
  const second = await events(await post('/v1/responses', body));
  assert.equal(second.at(-1).type, 'response.completed');
});

const geminiBody = (prompt) => ({
  contents: [{ role: 'user', parts: [{ text: '<session_context>x</session_context>' }] }, { role: 'user', parts: [{ text: prompt }] }],
  tools: [{ functionDeclarations: [{ name: 'list_directory' }, { name: 'run_shell_command' }] }],
});

test('gemini: a streamed reply in pieces, the last with finishReason and usage', async () => {
  const ev = await events(await post('/v1beta/models/gem-x:streamGenerateContent?alt=sse', geminiBody('say hi')));
  assert.equal(ev.map((c) => c.candidates[0].content.parts[0].text).join(''), 'FAKE-OK: say hi');
  assert.equal(ev.at(-1).candidates[0].finishReason, 'STOP');
  assert.equal(ev.at(-1).usageMetadata.promptTokenCount, 13);
});

test('gemini: a tool call, a side request answered from its schema, a 429 that says when to retry', async () => {
  const ev = await events(await post('/v1beta/models/gem-x:streamGenerateContent?alt=sse', geminiBody('[[tool:bash echo hi]]')));
  assert.deepEqual(ev[0].candidates[0].content.parts[0].functionCall, { name: 'run_shell_command', args: { command: 'echo hi', description: 'fake tool call' } });
  const side = await (
    await post('/v1beta/models/lite:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'route' }] }],
      generationConfig: { responseJsonSchema: { type: 'OBJECT', properties: { complexity_score: { type: 'INTEGER' }, why: { type: 'STRING' } } } },
    })
  ).json();
  assert.deepEqual(JSON.parse(side.candidates[0].content.parts[0].text), { complexity_score: 10, why: 'fake' });
  const res = await post('/v1beta/models/gem-x:streamGenerateContent?alt=sse', geminiBody('[[flaky 1 429]] y'));
  assert.equal(res.status, 429);
  assert.equal((await res.json()).error.details[0].retryDelay, '0.2s');
  assert.equal((await post('/v1beta/models/gem-x:streamGenerateContent?alt=sse', geminiBody('[[flaky 1 429]] y'))).status, 200);
});
