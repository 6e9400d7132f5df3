/**
 * Shell-style argument splitting for the "Arguments" field.
 *
 * Follows POSIX shell word splitting closely enough for a command line typed
 * by a person, without any expansion (no globbing, no variables, no `~`):
 *
 * - unquoted whitespace separates arguments;
 * - '...' is taken literally (no escapes inside);
 * - "..." is literal except that a backslash escapes `"`, `\`, `$` and `` ` ``;
 * - outside quotes a backslash makes the next character literal;
 * - quotes can be glued to other text: `--name="a b"` → `--name=a b`;
 * - `""` and `''` produce an empty argument.
 */
export type SplitResult =
  | { ok: true; args: string[] }
  | { ok: false; error: string; position: number };

const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', "\\", "$", "`"]);

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
}

export function splitArgs(input: string): SplitResult {
  const args: string[] = [];
  let current = "";
  // True once the current word has started, even if it is still empty
  // (so that `""` yields an empty argument).
  let inWord = false;
  let i = 0;
  const n = input.length;

  while (i < n) {
    const ch = input.charAt(i);

    if (isSpace(ch)) {
      if (inWord) {
        args.push(current);
        current = "";
        inWord = false;
      }
      i += 1;
      continue;
    }

    if (ch === "'") {
      const close = input.indexOf("'", i + 1);
      if (close === -1) {
        return {
          ok: false,
          error: `Unclosed single quote (') at position ${i + 1}.`,
          position: i,
        };
      }
      current += input.slice(i + 1, close);
      inWord = true;
      i = close + 1;
      continue;
    }

    if (ch === '"') {
      const start = i;
      i += 1;
      let closed = false;
      while (i < n) {
        const c = input.charAt(i);
        if (c === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (c === "\\" && i + 1 < n && DOUBLE_QUOTE_ESCAPABLE.has(input.charAt(i + 1))) {
          current += input.charAt(i + 1);
          i += 2;
          continue;
        }
        current += c;
        i += 1;
      }
      if (!closed) {
        return {
          ok: false,
          error: `Unclosed double quote (") at position ${start + 1}.`,
          position: start,
        };
      }
      inWord = true;
      continue;
    }

    if (ch === "\\") {
      if (i + 1 < n) {
        const next = input.charAt(i + 1);
        // A backslash-newline is a line continuation, as in a shell.
        if (next !== "\n") current += next;
        inWord = inWord || next !== "\n";
        i += 2;
      } else {
        // A trailing backslash has nothing to escape: keep it literally.
        current += ch;
        inWord = true;
        i += 1;
      }
      continue;
    }

    current += ch;
    inWord = true;
    i += 1;
  }

  if (inWord) args.push(current);
  return { ok: true, args };
}

/** Renders arguments back into a string that `splitArgs` parses to the same list. */
export function joinArgs(args: readonly string[]): string {
  return args
    .map((arg) => {
      if (arg === "") return "''";
      if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
      return `'${arg.replace(/'/g, `'\\''`)}'`;
    })
    .join(" ");
}

/**
 * The empty state's CLI example, with the program as the app says to call it (`switchboard`
 * when that is on PATH, else the app's own full path, quoted as needed); null: not known yet.
 */
export function cliHint(program: string | null): string {
  return `${joinArgs([program || "switchboard"])} run --agent command --cwd . -- echo hello`;
}
