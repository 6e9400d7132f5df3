import { describe, expect, it } from "vitest";
import { joinArgs, splitArgs } from "./args";

function ok(input: string): string[] {
  const r = splitArgs(input);
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.args;
}

describe("splitArgs", () => {
  it("returns no arguments for empty or blank input", () => {
    expect(ok("")).toEqual([]);
    expect(ok("   \t ")).toEqual([]);
  });

  it("splits on runs of whitespace", () => {
    expect(ok("a b  c\td\n e")).toEqual(["a", "b", "c", "d", "e"]);
    expect(ok("  --flag  value ")).toEqual(["--flag", "value"]);
  });

  it("keeps double-quoted text together", () => {
    expect(ok('-c "echo hi"')).toEqual(["-c", "echo hi"]);
  });

  it("keeps single-quoted text literally", () => {
    expect(ok("-c 'echo \"hi\" $HOME \\n'")).toEqual(["-c", 'echo "hi" $HOME \\n']);
  });

  it("handles escapes inside double quotes", () => {
    expect(ok('"say \\"hi\\"" "back\\\\slash" "\\$x" "keep\\n"')).toEqual([
      'say "hi"',
      "back\\slash",
      "$x",
      "keep\\n",
    ]);
  });

  it("handles backslash escapes outside quotes", () => {
    expect(ok("a\\ b c\\\"d")).toEqual(["a b", 'c"d']);
  });

  it("keeps a trailing backslash", () => {
    expect(ok("a\\")).toEqual(["a\\"]);
  });

  it("joins quoted and unquoted parts of one word", () => {
    expect(ok('--name="a b" x\'y z\'w')).toEqual(["--name=a b", "xy zw"]);
  });

  it("produces empty arguments for empty quotes", () => {
    expect(ok(`"" '' a`)).toEqual(["", "", "a"]);
  });

  it("does not expand anything", () => {
    expect(ok("~ $HOME *.ts")).toEqual(["~", "$HOME", "*.ts"]);
  });

  it("reports an unclosed double quote with its position", () => {
    const r = splitArgs('-c "echo hi');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/unclosed double quote/i);
      expect(r.error).toContain("position 4");
      expect(r.position).toBe(3);
    }
  });

  it("reports an unclosed single quote", () => {
    const r = splitArgs("echo 'it");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/unclosed single quote/i);
  });

  it("treats an escaped quote as not opening a quote", () => {
    expect(ok('\\"a')).toEqual(['"a']);
  });
});

describe("joinArgs", () => {
  it("round-trips through splitArgs", () => {
    const cases = [["-c", "echo hi"], ["it's", 'say "x"', ""], ["plain", "--a=b", "/p/q.ts"]];
    for (const args of cases) expect(ok(joinArgs(args))).toEqual(args);
  });
});

describe("cliHint", () => {
  it("uses the program the app names: switchboard on PATH, else its full path, quoted", async () => {
    const { cliHint } = await import("./args");
    expect(cliHint("switchboard")).toBe("switchboard run --agent command --cwd . -- echo hello");
    expect(cliHint("/opt/Switchboard/switchboard")).toBe("/opt/Switchboard/switchboard run --agent command --cwd . -- echo hello");
    expect(cliHint("/home/me/My Apps/switchboard")).toBe("'/home/me/My Apps/switchboard' run --agent command --cwd . -- echo hello");
    expect(cliHint(null)).toBe("switchboard run --agent command --cwd . -- echo hello");
  });
});
