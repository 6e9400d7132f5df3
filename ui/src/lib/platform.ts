export function isMac(): boolean {
  if (typeof navigator === "undefined") return false;
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/** The label of the primary modifier: "⌘" on macOS, "Ctrl" elsewhere. */
export function modKey(): string {
  return isMac() ? "⌘" : "Ctrl";
}

/** True for Ctrl+<key> or Cmd+<key> without Shift/Alt. */
export function isModShortcut(e: KeyboardEvent, key: string): boolean {
  return (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === key;
}
