import { describe, expect, it } from "vitest";
import { describeResult, formatToolInput, relativePath, summarizeTool, awaitsApproval } from "./tools";

describe("tool summaries", () => {
  it("shows the command, the path, the pattern", () => {
    expect(summarizeTool("Bash", { command: "npm test\n--watch", description: "x" })).toEqual({ name: "Bash", summary: "npm test …", mono: true });
    expect(summarizeTool("Read", { file_path: "/src/app/a.ts" }, "/src/app").summary).toBe("a.ts");
    expect(summarizeTool("Edit", { file_path: "/elsewhere/b.ts" }, "/src/app").summary).toBe("/elsewhere/b.ts");
    expect(summarizeTool("Grep", { pattern: "TODO", path: "/src/app/lib" }, "/src/app").summary).toBe("TODO  in lib");
    expect(summarizeTool("WebFetch", { url: "https://x.dev" }).summary).toBe("https://x.dev");
    expect(summarizeTool("TodoWrite", { todos: [{ status: "completed" }, { status: "pending" }] }).summary).toBe("2 todos, 1 done");
    expect(summarizeTool("shell", { command: ["bash", "-lc", "cargo test"] }).summary).toBe("cargo test");
    expect(summarizeTool("mcp__x__thing", { a: 1 }).summary).toBe('{"a":1}');
    expect(summarizeTool("Noop", {}).summary).toBe("");
  });

  it("describes results", () => {
    expect(describeResult("")).toBe("empty");
    expect(describeResult("ok\n")).toBe("ok");
    // A Write's answer repeats the path the row shows: said whole, not cut.
    expect(describeResult("File created successfully at: /home/dev/src/github.com/acme/platform/services/auth/src/very/long/path/regression.test.ts", "/elsewhere")).toBe("file created");
    expect(describeResult("a\nb\nc")).toBe("3 lines");
    expect(describeResult("The file /src/app/a.ts was updated", "/src/app")).toBe("The file a.ts was updated");
  });

  it("formats inputs", () => {
    expect(formatToolInput({ command: "ls -la", description: "list" })).toBe("ls -la");
    expect(formatToolInput({ file_path: "/a" })).toBe('{\n  "file_path": "/a"\n}');
    expect(relativePath("/a/b/c", "/a/b/")).toBe("c");
  });
});

describe("awaitsApproval", () => {
  it("tells a tool call that waits for approval from one that runs", () => {
    const pending = [{ tool_name: "Bash", input: { command: "npm install open@10 --save" } }];
    expect(awaitsApproval("Bash", { command: "npm install open@10 --save", description: "Add open" }, pending)).toBe(true);
    expect(awaitsApproval("Bash", { command: "npm test" }, pending)).toBe(false);
    expect(awaitsApproval("Bash", { command: "npm test" }, [])).toBe(false);
  });
});
