import { describe, expect, it } from "vitest";
import type { AgentInfo } from "./bindings/AgentInfo";
import {
  basePlaceholder,
  branchNameError,
  buildNewSession,
  defaultAgent,
  emptyForm,
  formFieldOf,
  hasDraft,
  isAbsolutePath,
  parseEnv,
  permissionHint,
  worktreeDefault,
  parseCopyFiles,
  repoSetupOf,
  setupChanged,
} from "./newSession";

const AGENTS: AgentInfo[] = [
  { agent: "claude", installed: true, path: "/bin/claude", source: "PATH", install_hint: "npm install -g @anthropic-ai/claude-code" },
  { agent: "gemini", installed: false, path: null, source: null, install_hint: "npm install -g @google/gemini-cli" },
];

describe("buildNewSession", () => {
  it("builds the create_session request for the command agent", () => {
    const r = buildNewSession({
      ...emptyForm(),
      program: " bash ",
      args: '-c "echo hi"',
      cwd: "/tmp/project ",
      title: "  Say hi ",
      taskId: "",
    });
    expect(r).toEqual({
      ok: true,
      request: {
        agent: "command",
        cwd: "/tmp/project",
        title: "Say hi",
        task_id: null,
        mcp_session_id: null,
        service_session_id: null,
        worktree: null,
        config: {
          program: "bash",
          args: ["-c", "echo hi"],
          prompt: null,
          model: null,
          permission_mode: "default",
          max_turns: null,
          append_system_prompt: null,
          env: {},
          metadata: null,
          mode: "headless",
        },
      },
    });
  });

  it("reports missing required fields", () => {
    const r = buildNewSession(emptyForm());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(Object.keys(r.errors).sort()).toEqual(["cwd", "program"]);
    }
  });

  it("reports an unclosed quote in the arguments", () => {
    const r = buildNewSession({ ...emptyForm("/x"), program: "sh", args: "-c 'oops" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.args).toMatch(/unclosed single quote/i);
  });

  it("requires an absolute folder", () => {
    for (const cwd of ["relative/dir", "./x", "~/src"]) {
      const r = buildNewSession({ ...emptyForm(cwd), program: "sh" });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.cwd).toBeDefined();
    }
  });

  it("refuses an agent that is not installed, naming the install command", () => {
    const r = buildNewSession({ ...emptyForm("/x"), agent: "gemini" }, AGENTS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.agent).toMatch(/npm install -g @google\/gemini-cli/);
  });

  it("builds an agent request: prompt, model, permission mode, max turns, system prompt, env", () => {
    const r = buildNewSession(
      {
        ...emptyForm("/src/app", "claude"),
        program: "ignored",
        prompt: "Fix the test\n",
        model: " sonnet ",
        permissionMode: "acceptEdits",
        maxTurns: "25",
        systemPrompt: "Be brief.",
        env: "# comment\nexport DEBUG=1\nNAME='a b'\n\n",
      },
      AGENTS,
    );
    expect(r.ok && r.request.config).toEqual({
      program: null,
      args: [],
      prompt: "Fix the test\n",
      model: "sonnet",
      permission_mode: "acceptEdits",
      max_turns: 25,
      append_system_prompt: "Be brief.",
      env: { DEBUG: "1", NAME: "a b" },
      metadata: null,
      mode: "headless",
    });
  });

  it("defaults max turns to 10, and allows no limit", () => {
    expect(emptyForm().maxTurns).toBe("10");
    const r = buildNewSession({ ...emptyForm("/x", "claude"), maxTurns: "" });
    expect(r.ok && r.request.config.max_turns).toBeNull();
    const bad = buildNewSession({ ...emptyForm("/x", "claude"), maxTurns: "0" });
    expect(bad.ok).toBe(false);
  });
});

describe("mode", () => {
  const mode = (r: ReturnType<typeof buildNewSession>) => (r.ok ? (r.request.config as { mode?: string }).mode : "invalid");

  it("a terminal Claude session asks for the interactive CLI, with no turn limit (-p only)", () => {
    const r = buildNewSession({ ...emptyForm("/x", "claude"), mode: "terminal", maxTurns: "25" }, AGENTS);
    expect(mode(r)).toBe("terminal");
    expect(r.ok && r.request.config.max_turns).toBeNull();
  });

  it("other agents always run headless, whatever the form held", () => {
    expect(mode(buildNewSession({ ...emptyForm("/x", "codex"), mode: "terminal" }, AGENTS))).toBe("headless");
    expect(mode(buildNewSession({ ...emptyForm("/x", "command"), program: "bash", mode: "terminal" }))).toBe("headless");
  });
});

describe("isAbsolutePath", () => {
  it("accepts POSIX, drive and UNC paths", () => {
    expect(isAbsolutePath("/")).toBe(true);
    expect(isAbsolutePath("C:\\x")).toBe(true);
    expect(isAbsolutePath("d:/x")).toBe(true);
    expect(isAbsolutePath("\\\\server\\share")).toBe(true);
    expect(isAbsolutePath("x/y")).toBe(false);
  });
});

describe("formFieldOf", () => {
  it("maps backend field names to form fields", () => {
    expect(formFieldOf("cwd")).toBe("cwd");
    expect(formFieldOf("task_id")).toBe("task_id");
    expect(formFieldOf("config.program")).toBe("program");
    expect(formFieldOf("config.args[2]")).toBe("args");
    expect(formFieldOf("model")).toBe("model");
    expect(formFieldOf("config.env")).toBe("env");
    expect(formFieldOf("system_prompt")).toBe("append_system_prompt");
    expect(formFieldOf("status")).toBeNull();
    expect(formFieldOf(null)).toBeNull();
  });
});

describe("parseEnv", () => {
  it("reads KEY=VALUE lines and reports the first bad one", () => {
    expect(parseEnv("A=1\nB==2\n  C = x")).toEqual({ ok: false, error: expect.stringMatching(/Line 3/) });
    expect(parseEnv("A=1\nB==2")).toEqual({ ok: true, env: { A: "1", B: "=2" } });
    expect(parseEnv("1A=x")).toEqual({ ok: false, error: expect.stringMatching(/Line 1: “1A” is not a valid name/) });
    expect(parseEnv("JUSTNAME")).toEqual({ ok: false, error: "Line 1: expected KEY=VALUE." });
    expect(parseEnv("A=1\nA=2")).toEqual({ ok: false, error: "Line 2: A is set twice." });
    expect(parseEnv("")).toEqual({ ok: true, env: {} });
  });
});

describe("permissionHint", () => {
  it("says what a mode means for the agent", () => {
    expect(permissionHint("claude", "default")).toBe("Asks before edits and commands");
    expect(permissionHint("codex", "plan")).toMatch(/read-only sandbox/i);
    expect(permissionHint("gemini", "default")).toMatch(/read-only tools/i);
    expect(permissionHint("gemini", "acceptEdits")).toMatch(/no commands/);
  });
});

describe("defaultAgent", () => {
  const claude = (installed: boolean): AgentInfo[] => [{ agent: "claude", installed, path: null, source: null, install_hint: "" }];
  it("starts a first-time user on Claude Code when it is installed", () => {
    expect(defaultAgent(null, claude(true))).toBe("claude");
    expect(defaultAgent(null, claude(false))).toBe("command");
    expect(defaultAgent(null, null)).toBe("command");
  });
  it("keeps the agent used last", () => {
    expect(defaultAgent("command", claude(true))).toBe("command");
    expect(defaultAgent("codex", claude(true))).toBe("codex");
  });
});

describe("hasDraft", () => {
  it("is a draft once something is typed; a prefilled folder is not", () => {
    expect(hasDraft(emptyForm("/home/me"))).toBe(false);
    expect(hasDraft({ ...emptyForm("/home/me"), prompt: "Fix the test" })).toBe(true);
    expect(hasDraft({ ...emptyForm(), program: "bash" })).toBe(true);
  });
});

describe("the worktree fields", () => {
  const repo = { root: "/home/me/app", branch: "main" };
  const form = { ...emptyForm("/home/me/app"), program: "make" };

  it("ask for a worktree only inside a repository, with empty fields left to the backend", () => {
    const on = buildNewSession({ ...form, worktree: true }, null, repo);
    expect(on.ok && on.request.worktree).toEqual({ base: null, branch: null });
    const named = buildNewSession({ ...form, worktree: true, base: " develop ", branch: " fix/login " }, null, repo);
    expect(named.ok && named.request.worktree).toEqual({ base: "develop", branch: "fix/login" });
    // Unticked, or not a repository (a stale tick from another folder): the folder itself.
    expect(buildNewSession({ ...form, worktree: false, branch: "x" }, null, repo)).toMatchObject({ ok: true, request: { worktree: null } });
    expect(buildNewSession({ ...form, worktree: true }, null, null)).toMatchObject({ ok: true, request: { worktree: null } });
  });

  it("refuse a branch name git would refuse, before Create", () => {
    for (const bad of ["has space", "a..b", "-rf", "x.lock", "x~1", "@{-1}", "a:b", "trailing/", "dir/.hidden", "end."]) {
      expect(branchNameError(bad), bad).not.toBeNull();
      const r = buildNewSession({ ...form, worktree: true, branch: bad }, null, repo);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(Object.keys(r.errors)).toEqual(["branch"]);
    }
    for (const good of ["", "fix/login-2", "switchboard/feature_x", "v1.2"]) expect(branchNameError(good), good).toBeNull();
    // Not checked when no worktree is asked for.
    expect(buildNewSession({ ...form, worktree: false, branch: "has space" }, null, repo).ok).toBe(true);
  });

  it("start ticked in a repository unless the person turned it off there, never elsewhere", () => {
    expect(worktreeDefault(repo, null)).toBe(true);
    expect(worktreeDefault(repo, false)).toBe(false);
    expect(worktreeDefault(repo, true)).toBe(true);
    expect(worktreeDefault(null, true)).toBe(false);
    expect(basePlaceholder(repo)).toBe("main");
    expect(basePlaceholder({ root: "/r", branch: null })).toBe("");
  });

  it("map the backend's worktree errors to the fields", () => {
    expect(formFieldOf("worktree.branch")).toBe("branch");
    expect(formFieldOf("worktree.base")).toBe("base");
    expect(formFieldOf("worktree")).toBe("worktree");
  });
});

describe("the repository setup fields", () => {
  it("read one path or glob a line (or comma-separated) and an optional command", () => {
    expect(parseCopyFiles(" .env\n\n.env.local, .claude/settings.local.json \n")).toEqual([".env", ".env.local", ".claude/settings.local.json"]);
    expect(repoSetupOf("", "  ")).toEqual({ copy_files: [], setup_command: null, worktree_dir: null });
    expect(repoSetupOf(".env", " npm ci ", " ../wt ")).toEqual({ copy_files: [".env"], setup_command: "npm ci", worktree_dir: "../wt" });
  });

  it("are saved only when they changed", () => {
    const stored = { copy_files: [".env"], setup_command: "npm ci", worktree_dir: null };
    expect(setupChanged(stored, repoSetupOf(".env", "npm ci"))).toBe(false);
    expect(setupChanged(stored, repoSetupOf(".env\n.env.local", "npm ci"))).toBe(true);
    expect(setupChanged(stored, repoSetupOf(".env", ""))).toBe(true);
    expect(setupChanged(stored, repoSetupOf(".env", "npm ci", "/srv/wt"))).toBe(true);
    expect(setupChanged(null, repoSetupOf("", ""))).toBe(false);
  });
});
