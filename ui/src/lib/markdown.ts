/**
 * Assistant Markdown → safe HTML.
 *
 * `marked` renders (GFM); raw HTML in the Markdown is shown as text, not
 * interpreted, and images become their alt text (no remote content). The
 * result then goes through DOMPurify, which removes anything executable
 * (`<script>`, `on*=` handlers, `javascript:` URLs), styles (the CSP would
 * refuse them anyway) and embedded content.
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    image({ text }: Tokens.Image): string {
      return `<span class="md-image">[image${text ? `: ${escapeHtml(text)}` : ""}]</span>`;
    },
  },
});

const FORBID_TAGS = [
  "style",
  "script",
  "img",
  "picture",
  "source",
  "video",
  "audio",
  "iframe",
  "object",
  "embed",
  "form",
  "input",
  "button",
  "textarea",
  "select",
  "svg",
  "math",
  "link",
  "meta",
  "base",
];

let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  // Parsed once here instead of on every call.
  DOMPurify.setConfig({
    FORBID_TAGS,
    FORBID_ATTR: ["style", "id", "srcset", "src", "action", "formaction", "xlink:href"],
    ALLOW_DATA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
  });
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!/^(https?:|mailto:)/i.test(href)) node.removeAttribute("href");
      else {
        node.setAttribute("rel", "noopener noreferrer");
        node.setAttribute("title", href);
      }
      node.removeAttribute("target");
    }
  });
}

/** Removes everything that could run, style or load something. */
export function sanitizeHtml(html: string): string {
  configure();
  return DOMPurify.sanitize(html);
}

/** Text with nothing Markdown or HTML would read specially: one escaped paragraph. */
const PLAIN = /^[^*_`[\]#<>|~!\\&\n=+-]*$/;

/** Markdown to sanitized HTML, uncached. */
export function renderMarkdownUncached(text: string): string {
  // Most short assistant lines are plain prose: skip the parser and the sanitizer.
  if (PLAIN.test(text) && !/^\s*\d+[.)]\s/.test(text) && !/https?:|www\./i.test(text)) {
    const t = text.trim();
    return t === "" ? "" : `<p>${escapeHtml(t)}</p>`;
  }
  const html = marked.parse(text, { async: false });
  return sanitizeHtml(html);
}

const CACHE_MAX = 800;
const cache = new Map<string, string>();

/** Whether `text` was rendered already (so showing it as Markdown costs nothing). */
export function hasRendered(text: string): boolean {
  return cache.has(text);
}

/**
 * Markdown to sanitized HTML. Rows scrolled back into view render the same
 * text again, so results are kept (least recently used are dropped).
 */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const html = renderMarkdownUncached(text);
  cache.set(text, html);
  if (cache.size > CACHE_MAX) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return html;
}
