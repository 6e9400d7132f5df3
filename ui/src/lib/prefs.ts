/** Small UI preferences kept in localStorage (never required to work). */
const LAST_CWD = "switchboard.lastCwd";

export function loadLastCwd(): string {
  try {
    return localStorage.getItem(LAST_CWD) ?? "";
  } catch {
    return "";
  }
}

export function saveLastCwd(cwd: string): void {
  try {
    localStorage.setItem(LAST_CWD, cwd);
  } catch {
    // Storage unavailable: nothing to remember.
  }
}
