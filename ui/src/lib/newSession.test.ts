import { describe, expect, it } from "vitest";
import { buildNewSession, emptyForm, formFieldOf, isAbsolutePath } from "./newSession";

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

  it("refuses agents that are not available yet", () => {
    const r = buildNewSession({ ...emptyForm("/x"), agent: "claude", program: "sh" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.agent).toBeDefined();
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
    expect(formFieldOf("model")).toBeNull();
    expect(formFieldOf(null)).toBeNull();
  });
});
