import { describe, expect, it } from "vitest";
import { describeTurnEnd, type TurnResultView, repeatsSessionError } from "./turnResult";

function result(fields: Partial<TurnResultView>): TurnResultView {
  return {
    kind: "turn_result",
    subtype: "success",
    is_error: false,
    num_turns: 1,
    duration_ms: 1000,
    cost_usd: 0.01,
    input_tokens: 10,
    output_tokens: 5,
    text: null,
    errors: [],
    api_error_status: null,
    ...fields,
  } as TurnResultView;
}

describe("describeTurnEnd", () => {
  it("a user's interrupt is a normal outcome", () => {
    expect(describeTurnEnd(result({ subtype: "error_during_execution", is_error: true }))).toEqual({ title: "Turn interrupted", tone: "muted", message: null });
  });
  it("an API error names its message, not the subtype 'success'", () => {
    const end = describeTurnEnd(result({ subtype: "success", is_error: true, text: "API Error: 500 Internal server error" }));
    expect(end).toEqual({ title: "Turn failed", tone: "error", message: "API Error: 500 Internal server error" });
  });
  it("a limit says which", () => {
    expect(describeTurnEnd(result({ subtype: "error_max_turns", is_error: true })).title).toBe("Turn failed: reached the turn limit");
  });
  it("a finished turn is done", () => {
    expect(describeTurnEnd(result({})).title).toBe("Turn done");
  });
});

describe("an API error is said once", () => {
  it("knows a reply or error box that only repeats the session's error", () => {
    const err = "API Error: 429 rate_limit_error: slow down";
    expect(repeatsSessionError(`${err}\n`, err)).toBe(true);
    expect(repeatsSessionError("Let me check.", err)).toBe(false);
    expect(repeatsSessionError(err, null)).toBe(false);
  });
});
