import { describe, expect, it } from "vitest";
import type { OutputItem } from "./bindings/OutputItem";
import { BODY_CHARS, SUBJECT_CHARS, commitMessage, lastReply } from "./commitMessage";

const item = (seq: number, view: OutputItem["view"]): OutputItem => ({ seq, ts: "2026-11-30T10:00:00Z", stream: "stdout", view });

describe("commit message", () => {
  it("is the title with the agent's last reply of the turn as its body", () => {
    const items = [
      item(1, { kind: "user_text", text: "Fix the token check" }),
      item(2, { kind: "assistant_text", text: "Looking at it." }),
      item(3, { kind: "assistant_text", text: "Fixed `validate`: an expiry equal to now is expired.\nAdded a test." }),
      item(4, { kind: "lifecycle", text: "Turn finished" }),
    ];
    expect(lastReply(items)).toBe("Fixed `validate`: an expiry equal to now is expired.\nAdded a test.");
    expect(commitMessage("Fix the token check", lastReply(items))).toBe(
      "Fix the token check\n\nFixed `validate`: an expiry equal to now is expired.\nAdded a test.",
    );
  });

  it("falls back to the title alone, or to the reply's first line without a title", () => {
    expect(commitMessage("  Add a --json flag ", null)).toBe("Add a --json flag");
    expect(lastReply([item(1, { kind: "user_text", text: "hi" })])).toBeNull();
    expect(commitMessage("", "## Added the flag\nIt prints JSON.")).toBe("Added the flag\n\nIt prints JSON.");
  });

  it("keeps the subject to a git subject's width and the body to a summary's length", () => {
    const m = commitMessage("x".repeat(100), "line\n".repeat(1_000));
    const [subject = "", , ...body] = m.split("\n");
    expect(subject.length).toBe(SUBJECT_CHARS);
    expect(subject.endsWith("…")).toBe(true);
    expect(body.join("\n").length).toBeLessThanOrEqual(BODY_CHARS + 2);
    expect(body.at(-1)).toBe("…");
  });
});
