import { describe, expect, it } from "vitest";
import { ApiError, errorMessage, toIpcError } from "./errors";

describe("toIpcError", () => {
  it("keeps the backend's IpcError object", () => {
    const e = toIpcError({ code: "invalid_input", message: "Folder does not exist", field: "cwd" });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.toJSON()).toEqual({ code: "invalid_input", message: "Folder does not exist", field: "cwd" });
  });

  it("defaults a missing code and field", () => {
    expect(toIpcError({ message: "nope" }).toJSON()).toEqual({ code: "error", message: "nope", field: null });
  });

  it("handles plain strings", () => {
    expect(toIpcError("session not found").toJSON()).toEqual({
      code: "error",
      message: "session not found",
      field: null,
    });
  });

  it("parses a JSON string holding an IpcError", () => {
    const e = toIpcError('{"code":"not_found","message":"No such session","field":null}');
    expect(e.code).toBe("not_found");
    expect(e.message).toBe("No such session");
  });

  it("handles Error instances", () => {
    const e = toIpcError(new TypeError("Cannot read properties of undefined"));
    expect(e.message).toBe("Cannot read properties of undefined");
    expect(e.code).toBe("error");
  });

  it("returns ApiError instances unchanged", () => {
    const original = new ApiError("not_found", "y", "z");
    expect(toIpcError(original)).toBe(original);
  });

  it("never produces [object Object]", () => {
    const values: unknown[] = [{}, { foo: 1 }, null, undefined, 42, "", new Error(""), [1, 2]];
    for (const v of values) {
      const m = errorMessage(v);
      expect(m).not.toContain("[object");
      expect(m.length).toBeGreaterThan(0);
    }
    expect(errorMessage({ foo: 1 })).toBe('{"foo":1}');
    expect(errorMessage(null)).toBe("Unknown error");
    expect(errorMessage(42)).toBe("42");
  });

  it("survives circular objects", () => {
    const o: Record<string, unknown> = {};
    o["self"] = o;
    expect(errorMessage(o)).toBe("Unknown error");
  });
});
