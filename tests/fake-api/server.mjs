#!/usr/bin/env node
// A fake Anthropic Messages API for offline tests of the real Claude Code CLI, and stand-ins for the
// OpenAI Responses API (the Codex CLI) and the Gemini API (the Gemini CLI).
//
//   node tests/fake-api/server.mjs [--port 0] [--keep-alive]
//
// Listens on 127.0.0.1 only. The first line on stdout is exactly `LISTENING <port>`; all
// logging goes to stderr. Exits when stdin closes (unless --keep-alive), on SIGTERM or SIGINT.
// The behaviour is chosen by keywords in the latest user prompt: see README.md beside this file.
// Set FAKE_API_LOG_BODIES=1 to log every request body to stderr.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
function flag(name) {
  return args.includes(name);
}
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  const eq = args.find((a) => a.startsWith(name + '='));
  return eq ? eq.slice(name.length + 1) : fallback;
}
const port = Number(option('--port', '0'));
const logBodies = process.env.FAKE_API_LOG_BODIES === '1';
const SLOW_DELTA_MS = 100;
const MAX_RECORDED = 1000;
const MAX_BODY = 64 * 1024 * 1024;

function log(...parts) {
  process.stderr.write(`[fake-api] ${parts.join(' ')}\n`);
}

function id(prefix) {
  return prefix + randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
}

// ---------------------------------------------------------------------------------------------
// Reading the conversation

function blocksOf(message) {
  if (!message) return [];
  if (typeof message.content === 'string') return [{ type: 'text', text: message.content }];
  return Array.isArray(message.content) ? message.content : [];
}

// A text block the CLI adds on its own rather than one the user typed.
function isInjectedText(text) {
  const t = text.trim();
  return (
    t === '' ||
    t.startsWith('<system-reminder>') ||
    t.startsWith('[Request interrupted') ||
    t.startsWith('<command-') ||
    t.startsWith('<local-command-')
  );
}

// The text of the latest user prompt: the last user message that is not a tool_result turn,
// and inside it the last text block that the user typed.
function latestPrompt(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    const blocks = blocksOf(m);
    if (blocks.some((b) => b?.type === 'tool_result')) continue;
    const texts = blocks.filter((b) => b?.type === 'text' && typeof b.text === 'string').map((b) => b.text);
    for (let j = texts.length - 1; j >= 0; j--) {
      if (!isInjectedText(texts[j])) return texts[j];
    }
  }
  return '';
}

// The tool_result blocks of the last message, when it is a user tool_result turn.
function pendingToolResults(messages) {
  const last = messages[messages.length - 1];
  if (last?.role !== 'user') return [];
  return blocksOf(last).filter((b) => b?.type === 'tool_result');
}

function toolResultText(block) {
  const c = block?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.filter((b) => b?.type === 'text').map((b) => b.text).join('\n');
  return '';
}

const ERROR_TYPES = {
  400: ['invalid_request_error', 'Invalid request (fake API).'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (fake API).'],
  500: ['api_error', 'Internal server error (fake API).'],
  529: ['overloaded_error', 'Overloaded'],
};

function scenarioOf(prompt) {
  let m;
  if ((m = /\[\[error\s+(\d{3})\]\]/.exec(prompt))) return { name: 'error', status: Number(m[1]) };
  if (/\[\[disconnect\]\]/.test(prompt)) return { name: 'disconnect' };
  if (/\[\[loop\]\]/.test(prompt)) return { name: 'loop' };
  if ((m = /\[\[slow\s+(\d+)\]\]/.exec(prompt))) return { name: 'slow', n: Math.max(1, Math.min(10000, Number(m[1]))) };
  if ((m = /\[\[tool:bash\s+([\s\S]*?)\]\]/.exec(prompt))) return { name: 'bash', command: m[1].trim() };
  if ((m = /\[\[tool:write\s+(\S+)\s?([\s\S]*?)\]\]/.exec(prompt))) return { name: 'write', path: m[1], content: m[2] };
  return { name: 'default' };
}

// ---------------------------------------------------------------------------------------------
// Building replies: a reply is a list of content blocks plus a stop_reason.

const DEFAULT_TEXT = 'Hello from the fake API.';

// `chunk 1 chunk 2 … chunk N.`, one piece per chunk.
function slowChunks(n) {
  const chunks = [];
  for (let i = 1; i <= n; i++) chunks.push(`chunk ${i}${i === n ? '.' : ' '}`);
  return chunks;
}

function textReply(text, chunks) {
  return { content: [{ type: 'text', text }], chunks, stop_reason: 'end_turn' };
}

function toolReply(name, input, preface) {
  const content = [];
  if (preface) content.push({ type: 'text', text: preface });
  content.push({ type: 'tool_use', id: id('toolu_'), name, input });
  return { content, stop_reason: 'tool_use' };
}

function sideReply(body) {
  // Side requests (no tools): titles, topic checks, quota probes. Answer with something that
  // parses whichever way the CLI reads it.
  const sys = JSON.stringify(body.system ?? '');
  if (/isNewTopic/.test(sys)) return textReply('{"isNewTopic": false, "title": null}');
  if (/json/i.test(sys) && /title/i.test(sys)) return textReply('{"title": "Fake session"}');
  if (/title/i.test(sys)) return textReply('Fake session');
  return textReply('OK');
}

function replyFor(body, scenario) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const results = pendingToolResults(messages);
  switch (scenario.name) {
    case 'bash':
      if (results.length) return textReply(`Tool said: ${results.map(toolResultText).join('\n')}`);
      return toolReply('Bash', { command: scenario.command, description: 'Run the requested command' }, 'Running the command.');
    case 'write':
      if (results.length) {
        const r = results[results.length - 1];
        if (r.is_error) return textReply(`Write was refused: ${toolResultText(r)}`);
        return textReply(`Wrote ${scenario.path}.`);
      }
      return toolReply('Write', { file_path: scenario.path, content: scenario.content });
    case 'loop':
      return toolReply('Bash', { command: 'echo again', description: 'Echo again' });
    case 'slow': {
      const chunks = slowChunks(scenario.n);
      return textReply(chunks.join(''), chunks);
    }
    default:
      return textReply(DEFAULT_TEXT);
  }
}

// Token counts are rough (4 characters a token) but never zero, so the CLI reports usage and cost.
function estimateTokens(value) {
  const s = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(s.length / 4));
}

function usageFor(body, reply) {
  const input = estimateTokens({ s: body.system, m: body.messages, t: body.tools });
  const cached = Math.floor(input * 0.8);
  const created = Math.floor(input * 0.1);
  return {
    input_tokens: Math.max(1, input - cached - created),
    cache_creation_input_tokens: created,
    cache_read_input_tokens: cached,
    cache_creation: { ephemeral_5m_input_tokens: created, ephemeral_1h_input_tokens: 0 },
    output_tokens: estimateTokens(reply.content) + 5,
    service_tier: 'standard',
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

const recorded = [];
function record(entry) {
  recorded.push({ at: new Date().toISOString(), ...entry });
  if (recorded.length > MAX_RECORDED) recorded.splice(0, recorded.length - MAX_RECORDED);
}

function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': id('req_'),
    ...headers,
  });
  res.end(body);
}

function sendError(res, status, message) {
  const [type, fallback] = ERROR_TYPES[status] ?? ['api_error', 'Error (fake API).'];
  const headers = {};
  if (status === 429) headers['retry-after'] = '1';
  sendJson(res, status, { type: 'error', error: { type, message: message ?? fallback }, request_id: id('req_') }, headers);
}

function messageJson(body, reply) {
  return {
    id: id('msg_'),
    type: 'message',
    role: 'assistant',
    model: body.model ?? 'claude-fake',
    content: reply.content,
    stop_reason: reply.stop_reason,
    stop_sequence: null,
    usage: usageFor(body, reply),
  };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Streams `reply` as the real API does. With `dropAfter`, destroys the socket after the first
// delta instead of finishing.
async function stream(req, res, body, reply, { dropAfter = false } = {}) {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': id('req_'),
  });
  const send = (event, data) => {
    if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const msg = messageJson(body, reply);
  const usage = msg.usage;
  send('message_start', {
    type: 'message_start',
    message: {
      ...msg,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  let pinged = false;
  for (let index = 0; index < reply.content.length; index++) {
    const block = reply.content[index];
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (!pinged) {
        send('ping', { type: 'ping' });
        pinged = true;
      }
      const chunks = reply.chunks ?? splitText(block.text);
      for (let c = 0; c < chunks.length; c++) {
        if (closed) return;
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: chunks[c] } });
        if (dropAfter) {
          await sleep(50);
          res.socket?.destroy();
          return;
        }
        if (reply.chunks && c + 1 < chunks.length) await sleep(SLOW_DELTA_MS);
      }
    } else if (block.type === 'tool_use') {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      if (!pinged) {
        send('ping', { type: 'ping' });
        pinged = true;
      }
      const json = JSON.stringify(block.input);
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const part of splitString(json, 40)) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      }
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  if (closed) return;
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: reply.stop_reason, stop_sequence: null },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
    },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

function splitText(text) {
  // A few word-ish deltas, like the real API.
  const parts = text.match(/\S+\s*/g) ?? [text];
  const out = [];
  for (let i = 0; i < parts.length; i += 2) out.push(parts.slice(i, i + 2).join(''));
  return out.length ? out : [''];
}

function splitString(s, n) {
  const out = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}

async function handleMessages(req, res, body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  const prompt = latestPrompt(messages);
  const scenario = hasTools ? scenarioOf(prompt) : { name: 'side' };
  record({
    method: req.method,
    path: req.url,
    model: body.model ?? null,
    tools: hasTools,
    stream: body.stream === true,
    scenario: scenario.name,
    prompt: prompt.slice(0, 200),
  });
  log('POST', req.url, `model=${body.model}`, `tools=${hasTools}`, `stream=${body.stream === true}`, `scenario=${scenario.name}`);

  if (scenario.name === 'error') return sendError(res, scenario.status);
  const reply = scenario.name === 'side' ? sideReply(body) : replyFor(body, scenario);
  if (scenario.name === 'disconnect') {
    if (body.stream === true) return stream(req, res, body, reply, { dropAfter: true });
    req.socket.destroy();
    return;
  }
  if (body.stream === true) return stream(req, res, body, reply);
  if (reply.chunks) await sleep(Math.min(reply.chunks.length * SLOW_DELTA_MS, 20000));
  return sendJson(res, 200, messageJson(body, reply));
}

// ---------------------------------------------------------------------------------------------
// Stand-ins for the OpenAI Responses API (Codex) and the Gemini API (Gemini CLI). The same
// prompt keywords choose the behaviour; see README.md. Replies are `FAKE-OK: <prompt>`.

// How many requests each prompt has had, for `[[flaky N …]]`.
const attempts = new Map();
function attemptOf(prompt) {
  const n = (attempts.get(prompt) ?? 0) + 1;
  attempts.set(prompt, n);
  return n;
}

// `[[flaky N]]` / `[[flaky N STATUS]]`: the first N requests of this prompt fail (the stream is
// dropped, or the HTTP status), then it succeeds.
function flakyOf(prompt) {
  const m = /\[\[flaky\s+(\d+)(?:\s+(\d{3}|drop))?\]\]/.exec(prompt);
  return m ? { n: Number(m[1]), how: m[2] ?? 'drop' } : null;
}

function agentScenarioOf(prompt) {
  if (/\[\[empty\]\]/.test(prompt)) return { name: 'empty' };
  return scenarioOf(prompt);
}

function sseHeaders(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

// Codex: the input items of the Responses API.
function codexText(item) {
  return (Array.isArray(item?.content) ? item.content : [])
    .filter((c) => typeof c?.text === 'string')
    .map((c) => c.text)
    .join('\n');
}
function codexPrompt(input) {
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i];
    if (it?.type === 'message' && it.role === 'user') {
      const t = codexText(it).trim();
      if (t && !t.startsWith('<')) return t;
    }
  }
  return '';
}
function codexPendingOutput(input) {
  const last = input[input.length - 1];
  if (last?.type !== 'function_call_output' && last?.type !== 'custom_tool_call_output') return null;
  return typeof last.output === 'string' ? last.output : JSON.stringify(last.output ?? '');
}

function shQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

async function handleResponses(req, res, body) {
  const input = Array.isArray(body.input) ? body.input : [];
  const prompt = codexPrompt(input);
  const scenario = agentScenarioOf(prompt);
  const output = codexPendingOutput(input);
  const attempt = attemptOf(prompt);
  const flaky = flakyOf(prompt);
  record({ method: req.method, path: req.url, model: body.model ?? null, tools: true, stream: body.stream === true, scenario: scenario.name, prompt: prompt.slice(0, 200), attempt });
  log('POST', req.url, `model=${body.model}`, `scenario=${scenario.name}`, `attempt=${attempt}`);
  if (scenario.name === 'error') return sendError(res, scenario.status);
  if (flaky && attempt <= flaky.n && flaky.how !== 'drop') return sendError(res, Number(flaky.how));

  const items = [];
  let text = `FAKE-OK: ${prompt}`;
  const toolNames = (Array.isArray(body.tools) ? body.tools : []).map((t) => t?.name);
  if ((scenario.name === 'bash' || scenario.name === 'write') && output === null) {
    const cmd = scenario.name === 'bash' ? scenario.command : `printf '%s' ${shQuote(scenario.content)} > ${shQuote(scenario.path)}`;
    items.push({ type: 'reasoning', id: id('rs_'), summary: [{ type: 'summary_text', text: `**Running a command** fake plan: ${cmd}` }] });
    const args = toolNames.includes('exec_command') ? { cmd } : { command: ['bash', '-lc', cmd] };
    items.push({ type: 'function_call', id: id('fc_'), call_id: id('call_'), name: toolNames.includes('exec_command') ? 'exec_command' : 'shell', arguments: JSON.stringify(args) });
    text = null;
  } else if (output !== null) {
    text = `TOOL-DONE: ${output}`;
  } else if (scenario.name === 'empty') {
    text = '';
  }
  if (text !== null && text !== '') {
    items.push({ type: 'message', id: id('msg_'), role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
  }

  sseHeaders(res);
  const respId = id('resp_');
  let seq = 0;
  const send = (data) => res.write(`event: ${data.type}\ndata: ${JSON.stringify({ ...data, sequence_number: seq++ })}\n\n`);
  send({ type: 'response.created', response: { id: respId, object: 'response', status: 'in_progress', output: [] } });
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    send({ type: 'response.output_item.added', output_index: i, item: { ...item, ...(item.type === 'message' ? { content: [] } : {}) } });
    if (item.type === 'message') {
      const t = item.content[0].text;
      const half = Math.ceil(t.length / 2);
      for (const delta of [t.slice(0, half), t.slice(half)]) {
        send({ type: 'response.output_text.delta', item_id: item.id, output_index: i, content_index: 0, delta });
      }
      if (flaky && attempt <= flaky.n) {
        // Dropped before the response completes: Codex reconnects.
        await sleep(20);
        res.socket?.destroy();
        return;
      }
    }
    send({ type: 'response.output_item.done', output_index: i, item });
  }
  if (flaky && attempt <= flaky.n) {
    res.socket?.destroy();
    return;
  }
  const usage = { input_tokens: 11, input_tokens_details: { cached_tokens: 3 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 18 };
  send({ type: 'response.completed', response: { id: respId, object: 'response', status: 'completed', output: items, usage } });
  res.end();
}

// Gemini: `contents` of generateContent / streamGenerateContent.
function geminiPrompt(contents) {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (c?.role !== 'user') continue;
    const parts = Array.isArray(c.parts) ? c.parts : [];
    if (parts.some((p) => p?.functionResponse)) continue;
    const texts = parts.filter((p) => typeof p?.text === 'string').map((p) => p.text.trim());
    for (let j = texts.length - 1; j >= 0; j--) {
      // Not the CLI's own nudges ("[System: You previously returned an empty response…]").
      if (texts[j] && !texts[j].startsWith('<') && !texts[j].startsWith('[System:')) return texts[j];
    }
  }
  return '';
}
function geminiPendingResults(contents) {
  const last = contents[contents.length - 1];
  if (last?.role !== 'user') return [];
  return (Array.isArray(last.parts) ? last.parts : []).filter((p) => p?.functionResponse).map((p) => p.functionResponse);
}

// A JSON answer for the CLI's side requests (routing, next speaker, …): every field of the schema.
function fromSchema(schema, name = '') {
  const type = String(schema?.type ?? '').toUpperCase();
  if (type === 'OBJECT') {
    const out = {};
    for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = fromSchema(v, k);
    return out;
  }
  if (type === 'ARRAY') return [];
  if (type === 'INTEGER' || type === 'NUMBER') return 10;
  if (type === 'BOOLEAN') return false;
  if (Array.isArray(schema?.enum) && schema.enum.length) return schema.enum.includes('user') ? 'user' : schema.enum[0];
  if (/speaker/.test(name)) return 'user';
  if (/model/.test(name)) return 'flash';
  return 'fake';
}

const GEMINI_USAGE = { promptTokenCount: 13, candidatesTokenCount: 5, totalTokenCount: 18 };

function geminiError(res, status) {
  const names = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
  // A 429 says when to retry (RetryInfo), as the real API does: the CLI then waits that long
  // (0.2 s) instead of its 5 s backoff, which keeps the retry tests fast.
  const details = status === 429 ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.2s' }] : [];
  sendJson(res, status, { error: { code: status, message: `fake error ${status}`, status: names[status] ?? 'UNKNOWN', details } });
}

async function handleGemini(req, res, body, model, method) {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  const decls = (Array.isArray(body.tools) ? body.tools : []).flatMap((t) => t?.functionDeclarations ?? []).map((f) => f.name);
  const side = decls.length === 0;
  const prompt = geminiPrompt(contents);
  const scenario = side ? { name: 'side' } : agentScenarioOf(prompt);
  const attempt = side ? 0 : attemptOf(prompt);
  const flaky = side ? null : flakyOf(prompt);
  record({ method: req.method, path: req.url, model, tools: !side, stream: method === 'streamGenerateContent', scenario: scenario.name, prompt: prompt.slice(0, 200), attempt, offered: decls });
  log('POST', req.url, `scenario=${scenario.name}`, `attempt=${attempt}`);
  if (scenario.name === 'error') return geminiError(res, scenario.status);
  if (flaky && attempt <= flaky.n) return geminiError(res, flaky.how === 'drop' ? 503 : Number(flaky.how));

  let parts;
  if (side) {
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
    parts = [{ text: schema ? JSON.stringify(fromSchema(schema)) : 'OK' }];
  } else {
    const results = geminiPendingResults(contents);
    if (results.length) {
      parts = [{ text: `TOOL-DONE: ${JSON.stringify(results[results.length - 1].response ?? {})}` }];
    } else if (scenario.name === 'bash') {
      parts = decls.includes('run_shell_command')
        ? [{ functionCall: { name: 'run_shell_command', args: { command: scenario.command, description: 'fake tool call' } } }]
        : [{ functionCall: { name: 'list_directory', args: { dir_path: '.' } } }];
    } else if (scenario.name === 'write') {
      parts = decls.includes('write_file')
        ? [{ functionCall: { name: 'write_file', args: { file_path: scenario.path, content: scenario.content } } }]
        : [{ text: `NO-WRITE-TOOL: offered ${decls.join(',')}` }];
    } else if (scenario.name === 'empty') {
      parts = [];
    } else if (scenario.name === 'slow') {
      parts = slowChunks(scenario.n).map((text) => ({ text }));
    } else {
      parts = [{ text: `FAKE-OK: ${prompt}` }];
    }
  }
  const chunk = (p, last) => ({
    candidates: [{ content: { role: 'model', parts: p }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    ...(last ? { usageMetadata: GEMINI_USAGE } : {}),
    modelVersion: model,
  });
  if (method !== 'streamGenerateContent') {
    if (scenario.name === 'slow') await sleep(parts.length * SLOW_DELTA_MS);
    const text = parts.map((p) => p.text).join('');
    return sendJson(res, 200, chunk(scenario.name === 'slow' ? [{ text }] : parts, true));
  }
  if (scenario.name === 'slow') {
    // One SSE chunk per piece, SLOW_DELTA_MS apart: live typing can be seen.
    sseHeaders(res);
    let closed = false;
    res.on('close', () => (closed = true));
    for (let i = 0; i < parts.length && !closed; i++) {
      res.write(`data: ${JSON.stringify(chunk([parts[i]], i === parts.length - 1))}\r\n\r\n`);
      if (i + 1 < parts.length) await sleep(SLOW_DELTA_MS);
    }
    return res.end();
  }
  // Text in two pieces, as the real API streams it.
  const pieces = [];
  for (const p of parts) {
    if (typeof p.text === 'string' && p.text.length > 1) {
      const half = Math.ceil(p.text.length / 2);
      pieces.push([{ text: p.text.slice(0, half) }], [{ text: p.text.slice(half) }]);
    } else pieces.push([p]);
  }
  if (!pieces.length) pieces.push([]);
  sseHeaders(res);
  pieces.forEach((p, i) => res.write(`data: ${JSON.stringify(chunk(p, i === pieces.length - 1))}\r\n\r\n`));
  res.end();
}

async function readBody(req) {
  const parts = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    const raw = await readBody(req);
    if (logBodies && raw) log('body', req.method, req.url, raw);
    if (req.method === 'GET' && url.pathname === '/__requests') return sendJson(res, 200, recorded);
    if (req.method === 'POST' && url.pathname === '/v1/messages') {
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        return sendError(res, 400, 'Request body is not valid JSON.');
      }
      return await handleMessages(req, res, body);
    }
    if (req.method === 'POST' && url.pathname === '/v1/responses') {
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        return sendError(res, 400, 'Request body is not valid JSON.');
      }
      return await handleResponses(req, res, body);
    }
    const gm = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(url.pathname);
    if (req.method === 'POST' && gm) {
      let body = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      if (gm[2] === 'countTokens') return sendJson(res, 200, { totalTokens: estimateTokens(body.contents) });
      return await handleGemini(req, res, body, gm[1], gm[2]);
    }
    if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
      let body = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      record({ method: req.method, path: req.url, model: body.model ?? null, tools: Array.isArray(body.tools) && body.tools.length > 0, scenario: 'count_tokens' });
      return sendJson(res, 200, { input_tokens: estimateTokens({ s: body.system, m: body.messages, t: body.tools }) });
    }
    if (req.method === 'HEAD' || (req.method === 'GET' && url.pathname === '/')) {
      record({ method: req.method, path: req.url, model: null, tools: false, scenario: 'probe' });
      return sendJson(res, 200, {});
    }
    record({ method: req.method, path: req.url, model: null, tools: false, scenario: 'unknown' });
    log('unknown request:', req.method, req.url);
    return sendError(res, 404, `Not found: ${req.method} ${url.pathname} (fake API)`);
  } catch (err) {
    log('handler error:', err?.stack ?? err);
    if (!res.headersSent) sendError(res, 500);
    else res.destroy();
  }
});

server.keepAliveTimeout = 5000;

function shutdown(code) {
  server.close();
  server.closeAllConnections?.();
  process.exit(code);
}

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
server.on('error', (err) => {
  log('listen error:', err.message);
  process.exit(2);
});

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
if (!flag('--keep-alive')) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
}
