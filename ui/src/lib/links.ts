/**
 * Links in rendered Markdown (an agent's text) never navigate the app's
 * window: a click opens http(s) links in the desktop's browser and does
 * nothing else. The backend refuses every navigation away from the app too
 * (context-menu "Open Link", a dragged link): see `is_app_url` in app.rs.
 */
import { openExternal } from "./api";

/** Only web links leave the app, and only to the browser. */
export function isWebLink(href: string): boolean {
  return /^https?:\/\//i.test(href);
}

/**
 * Click handler for a container of rendered Markdown: a click on (or inside)
 * a link is cancelled, and a web link is handed to `open` (the browser).
 * Returns the URL opened, if any.
 */
export function openLinkOnClick(
  e: MouseEvent,
  open: (url: string) => Promise<void> = openExternal,
): string | null {
  const target = e.target as Element | null;
  const a = target?.closest?.("a");
  if (!a) return null;
  e.preventDefault();
  const href = a.getAttribute("href") ?? "";
  if (!isWebLink(href)) return null;
  void open(href).catch(() => {});
  return href;
}

/** A dragged link would navigate the window when dropped on it: not from here. */
export function preventLinkDrag(e: DragEvent): void {
  const target = e.target as Element | null;
  if (target?.closest?.("a")) e.preventDefault();
}
