import { describe, expect, it } from "vitest";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import type { RuleScope } from "./bindings/RuleScope";
import { allowWithRule, draftFor, draftLabel, ruleFromDraft } from "./ruleEditor";

function request(tool_name: string, input: unknown, proposed_rule: RuleScope | null): PermissionRequest {
  return {
    session_id: "claude_1",
    request_id: "r1",
    tool_name,
    input,
    description: null,
    gist: "",
    asked_at: "2026-01-01T00:00:00Z",
    decision: null,
    decided_at: null,
    decided_by: null,
    proposed_rule,
  };
}

describe("the rule editor", () => {
  it("starts with the backend's proposal", () => {
    expect(draftFor(request("Bash", { command: "npm test -- --watch" }, { kind: "command", prefix: "npm test" }))).toEqual({ kind: "command", text: "npm test" });
    expect(draftFor(request("Write", { file_path: "/w/src/a.ts" }, { kind: "path", glob: "/w/src/**" }))).toEqual({ kind: "path", text: "/w/src/**" });
    expect(draftFor(request("WebFetch", { url: "https://x" }, { kind: "any_input" }))).toEqual({ kind: "any_input" });
    expect(draftFor(request("Bash", { command: "" }, null))).toBeNull();
  });

  it("saves the edited text as a rule of the same kind, trimmed", () => {
    expect(ruleFromDraft({ kind: "command", text: "  npm  " })).toEqual({ rule: { kind: "command", prefix: "npm" } });
    expect(ruleFromDraft({ kind: "path", text: "/w/**" })).toEqual({ rule: { kind: "path", glob: "/w/**" } });
    expect(ruleFromDraft({ kind: "any_input" })).toEqual({ rule: { kind: "any_input" } });
  });

  it("refuses an empty field before asking the backend", () => {
    expect(ruleFromDraft({ kind: "command", text: "   " })).toEqual({ error: "Name at least the program." });
    expect(ruleFromDraft({ kind: "path", text: "" })).toEqual({ error: "Name a path." });
  });

  it("labels what will be allowed and builds the decision", () => {
    expect(draftLabel("Bash", { kind: "command", text: "x" })).toBe("Allow Bash commands that start with");
    expect(draftLabel("Edit", { kind: "path", text: "x" })).toBe("Allow Edit on paths matching");
    expect(draftLabel("WebFetch", { kind: "any_input" })).toContain("every use of WebFetch");
    expect(allowWithRule({ command: "npm test" }, { kind: "command", prefix: "npm test" })).toEqual({
      behavior: "allow",
      updated_input: { command: "npm test" },
      always: true,
      rule: { kind: "command", prefix: "npm test" },
    });
  });
});
