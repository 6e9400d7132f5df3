import type { ErrorCode } from "./bindings/ErrorCode";
import type { IpcError } from "./bindings/IpcError";

/**
 * A backend error code (the generated `ErrorCode` union), or one of the page's own:
 * `no_backend` (not inside the app) and `error` (something that was not an `IpcError`).
 */
export type ApiErrorCode = ErrorCode | "no_backend" | "error";

/**
 * An error from a backend command, normalized to the backend's `IpcError`
 * shape. It is also a real `Error`, so it has a stack and prints well.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | null;

  constructor(code: ApiErrorCode, message: string, field: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.field = field;
  }

  toJSON(): Omit<IpcError, "code"> & { code: ApiErrorCode } {
    return { code: this.code, message: this.message, field: this.field };
  }
}

const UNKNOWN = "Unknown error";

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function fromObject(value: object): ApiError | null {
  const obj = value as Record<string, unknown>;
  if (!nonEmpty(obj["message"])) return null;
  // A code the backend sent is one of its ErrorCode names; anything else is kept as given.
  const code = (nonEmpty(obj["code"]) ? obj["code"] : "error") as ApiErrorCode;
  const field = nonEmpty(obj["field"]) ? obj["field"] : null;
  return new ApiError(code, obj["message"], field);
}

function describe(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== "{}" && json !== "null") return json;
  } catch {
    // Circular or otherwise unserializable: fall through.
  }
  const text = String(value);
  return text.startsWith("[object ") ? UNKNOWN : text;
}

/**
 * Turns anything a rejected `invoke` (or any other code) can throw into an
 * `ApiError` with a readable message: never `[object Object]`.
 */
export function toIpcError(value: unknown): ApiError {
  if (value instanceof ApiError) return value;

  if (typeof value === "string") {
    const text = value.trim();
    if (text.startsWith("{")) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === "object") {
          const err = fromObject(parsed);
          if (err) return err;
        }
      } catch {
        // Not JSON: use the text as it is.
      }
    }
    return new ApiError("error", text === "" ? UNKNOWN : text);
  }

  if (value instanceof Error) {
    return fromObject(value) ?? new ApiError("error", nonEmpty(value.name) ? value.name : UNKNOWN);
  }

  if (value !== null && typeof value === "object") {
    const err = fromObject(value);
    if (err) return err;
    return new ApiError("error", describe(value));
  }

  if (value === null || value === undefined) return new ApiError("error", UNKNOWN);
  return new ApiError("error", String(value));
}

/** The message to show a person for any thrown value. */
export function errorMessage(value: unknown): string {
  return toIpcError(value).message;
}
