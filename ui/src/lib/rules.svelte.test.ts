import { describe, expect, it } from "vitest";
import type { PermissionRule } from "./bindings/PermissionRule";
import { RuleStore, type RuleSource } from "./rules.svelte";

function rule(id: number, label: string): PermissionRule {
  return { id, session_id: "s", tool_name: "Bash", scope: { kind: "command", prefix: label }, label: `Bash(${label}:*)`, request_id: `r${id}`, created_at: "2026-01-01T00:00:00Z" };
}

function source(initial: PermissionRule[], failRevoke = false): RuleSource & { list: RuleSource["list"] } {
  let rules = [...initial];
  return {
    list: async () => [...rules],
    revoke: async (_id, ruleId) => {
      if (failRevoke) throw { code: "invalid_input", message: `no rule ${ruleId}` };
      rules = rules.filter((r) => r.id !== ruleId);
      return null;
    },
  };
}

describe("RuleStore", () => {
  it("loads a session's rules and drops a revoked one", async () => {
    const store = new RuleStore();
    const src = source([rule(1, "npm test"), rule(2, "cargo build")]);
    await store.load(src, "s");
    expect(store.for("s").map((r) => r.label)).toEqual(["Bash(npm test:*)", "Bash(cargo build:*)"]);
    await store.revoke(src, "s", 1);
    expect(store.for("s").map((r) => r.id)).toEqual([2]);
    expect(store.error).toBeNull();
    expect(store.for("other")).toEqual([]);
  });

  it("keeps the backend's error when a revoke fails, and the list as the backend has it", async () => {
    const store = new RuleStore();
    const src = source([rule(1, "npm test")], true);
    await store.load(src, "s");
    await store.revoke(src, "s", 1);
    expect(store.error).toBe("no rule 1");
    expect(store.for("s").map((r) => r.id)).toEqual([1]);
  });
});
