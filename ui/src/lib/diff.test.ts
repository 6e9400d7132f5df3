import { describe, expect, it } from "vitest";
import { diffLines } from "./diff";

describe("diffLines", () => {
  it("classes headers, hunks, additions, removals and context", () => {
    const text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n keep\n-old\n+new\n";
    expect(diffLines(text).lines.map((l) => l.kind)).toEqual(["meta", "meta", "meta", "hunk", "ctx", "del", "add"]);
  });

  it("never reads the file headers as added or removed lines", () => {
    const { lines } = diffLines("diff --git a/a b/a\n--- a/a\n+++ b/a\n");
    expect(lines.every((l) => l.kind === "meta")).toBe(true);
  });
});
