/**
 * One-line summaries of tool calls for the folded tool rows: the Bash
 * command, the file path, the search pattern… whatever the agent's tool is.
 */

export type ToolSummary = {
  /** The tool's name as shown (e.g. "Bash", "Edit"). */
  name: string;
  /** The one line that says what the call does; "" when nothing fits. */
  summary: string;
  /** Whether the summary is code-like (shown monospace). */
  mono: boolean;
};

type Input = Record<string, unknown>;

function str(input: Input, ...keys: string[]): string | null {
  for (const key of keys) {
    const v = input[key];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return null;
}

function firstLine(text: string, max = 240): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  const more = text.trim().includes("\n");
  const cut = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return more && !cut.endsWith("…") ? `${cut} …` : cut;
}

/** A path relative to the session's folder when it is inside it. */
export function relativePath(path: string, cwd: string | null | undefined): string {
  if (!cwd) return path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

function compactJson(value: unknown, max = 160): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? "";
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function summarizeTool(name: string, input: unknown, cwd?: string | null): ToolSummary {
  const obj: Input = input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Input) : {};
  const path = (p: string | null) => (p ? relativePath(p, cwd) : null);
  const n = name.toLowerCase();

  switch (n) {
    case "bash":
    case "shell":
    case "local_shell":
    case "run_shell_command":
    case "exec_command": {
      const cmd = obj["command"];
      const text = Array.isArray(cmd) ? cmd.map(String).join(" ") : typeof cmd === "string" ? cmd : str(obj, "cmd");
      if (text) return { name, summary: firstLine(shellStrip(text)), mono: true };
      break;
    }
    case "read":
    case "write":
    case "edit":
    case "multiedit":
    case "notebookedit":
    case "read_file":
    case "write_file":
    case "replace": {
      const p = path(str(obj, "file_path", "notebook_path", "path", "absolute_path"));
      if (p) {
        const range = typeof obj["offset"] === "number" ? `:${String(obj["offset"])}` : "";
        return { name, summary: `${p}${range}`, mono: true };
      }
      break;
    }
    case "glob":
    case "grep":
    case "search_file_content": {
      const pattern = str(obj, "pattern", "query");
      if (pattern) {
        const where = path(str(obj, "path", "glob", "include"));
        return { name, summary: where ? `${pattern}  in ${where}` : pattern, mono: true };
      }
      break;
    }
    case "ls":
    case "list_directory": {
      const p = path(str(obj, "path", "dir_path"));
      if (p) return { name, summary: p, mono: true };
      break;
    }
    case "webfetch":
    case "web_fetch": {
      const url = str(obj, "url", "prompt");
      if (url) return { name, summary: firstLine(url), mono: true };
      break;
    }
    case "websearch":
    case "google_web_search":
    case "web_search": {
      const q = str(obj, "query");
      if (q) return { name, summary: firstLine(q), mono: false };
      break;
    }
    case "task":
    case "agent": {
      const d = str(obj, "description", "prompt");
      if (d) return { name, summary: firstLine(d), mono: false };
      break;
    }
    case "todowrite": {
      const todos = obj["todos"];
      if (Array.isArray(todos)) {
        const done = todos.filter((t) => (t as Input | null)?.["status"] === "completed").length;
        return { name, summary: `${todos.length} todos, ${done} done`, mono: false };
      }
      break;
    }
    case "apply_patch": {
      const patch = str(obj, "input", "patch");
      const files = patch ? [...patch.matchAll(/^\*\*\* (?:Update|Add|Delete) File: (.+)$/gm)].map((m) => path(m[1] ?? "")) : [];
      if (files.length > 0) return { name, summary: files.join(", "), mono: true };
      break;
    }
    default:
      break;
  }

  // Unknown tool: its most telling string, else its arguments as JSON.
  const guess = str(obj, "command", "file_path", "path", "url", "query", "pattern", "description", "prompt");
  if (guess) return { name, summary: firstLine(guess), mono: true };
  const keys = Object.keys(obj);
  if (keys.length === 0) return { name, summary: "", mono: false };
  return { name, summary: compactJson(input), mono: true };
}

/** Codex wraps commands as ["bash", "-lc", "…"]: show the inner command. */
function shellStrip(text: string): string {
  const m = /^(?:ba|z)?sh -l?c (.+)$/s.exec(text);
  return m?.[1] ?? text;
}

/** The first line of a one-line result, or "N lines" / "empty", for a collapsed result. */
export function describeResult(content: string, cwd?: string | null): string {
  let text = content.replace(/\s+$/, "");
  if (cwd) text = text.split(cwd.endsWith("/") ? cwd : `${cwd}/`).join("");
  if (text === "") return "empty";
  // A Write's answer names the file the row already shows: say what happened, whole.
  if (/^File created successfully at: [^\n]+$/.test(text)) return "file created";
  const lines = text.split("\n").length;
  return lines === 1 ? firstLine(text, 120) : `${lines} lines`;
}

/** The input as readable text for the expanded row: the command or pretty JSON. */
export function formatToolInput(input: unknown): string {
  if (input !== null && typeof input === "object" && !Array.isArray(input)) {
    const obj = input as Input;
    const cmd = obj["command"];
    if (typeof cmd === "string" && Object.keys(obj).every((k) => ["command", "description", "timeout"].includes(k))) {
      return cmd;
    }
  }
  try {
    return JSON.stringify(input, null, 2) ?? "";
  } catch {
    return String(input);
  }
}

/**
 * Whether a tool call without a result waits for the person's approval rather than runs:
 * a pending request names the same tool with the same gist (the request carries no tool
 * call id, and its input may lack fields the call has, such as Bash's description).
 */
export function awaitsApproval(
  name: string,
  input: unknown,
  pending: ReadonlyArray<{ tool_name: string; input: unknown }>,
): boolean {
  const mine = summarizeTool(name, input).summary;
  return pending.some((r) => r.tool_name === name && summarizeTool(r.tool_name, r.input).summary === mine);
}
