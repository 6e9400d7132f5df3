/**
 * What the Changes tab needs to know of diff drawing before drawing one: the layouts, the
 * size past which a file's diff waits to be asked for, and the renderer (diff2html and
 * highlight.js, ~150 kB) loaded on first use as a chunk of its own, not with the app.
 */

/** How a diff is laid out: one column with − and + lines, or old and new side by side. */
export type DiffLayout = "unified" | "split";

/** A file's diff longer than this many lines is drawn only when asked: it would take seconds. */
export const HUGE_DIFF_LINES = 3000;

let renderer: Promise<typeof import("./diffRender")> | null = null;

/** The renderer module, loaded once. */
export function loadRenderer(): Promise<typeof import("./diffRender")> {
  renderer ??= import("./diffRender").catch((err: unknown) => {
    renderer = null;
    throw err;
  });
  return renderer;
}
