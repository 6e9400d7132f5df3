/**
 * Draws one file's unified diff (git's text, computed by git in the core) as HTML with
 * diff2html — line by line or side by side, with word-level changes — and colours its code
 * with highlight.js. diff2html escapes every line of the file before it becomes markup, and
 * highlight.js escapes what it wraps, so file contents never become markup of their own.
 *
 * Only highlight.js's core and the languages below are bundled (a few kB each), not its
 * 190 languages: a file in another language is drawn without colours.
 */
import { Diff2HtmlUI } from "diff2html/lib-esm/ui/js/diff2html-ui-base";
import { ColorSchemeType, OutputFormatType } from "diff2html/lib-esm/types";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import "diff2html/bundles/css/diff2html.min.css";
import "./diffTheme.css";
import type { DiffLayout } from "./diffView";

for (const [name, lang] of Object.entries({
  bash,
  c,
  cpp,
  css,
  go,
  ini,
  java,
  javascript,
  json,
  markdown,
  plaintext,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
})) {
  hljs.registerLanguage(name, lang);
}

/** File extensions diff2html does not map to one of the languages above by itself. */
const LANGUAGE_OF_EXTENSION = new Map<string, string>([
  ["svelte", "xml"],
  ["vue", "xml"],
  ["toml", "ini"],
  ["mjs", "javascript"],
  ["cjs", "javascript"],
  ["mts", "typescript"],
  ["cts", "typescript"],
  ["tsx", "typescript"],
  ["jsx", "javascript"],
  ["h", "c"],
  ["hpp", "cpp"],
  ["sh", "bash"],
  ["zsh", "bash"],
  ["yml", "yaml"],
  ["lock", "plaintext"],
]);

/**
 * Replaces `target`'s content with `text` (one file's `git diff`) drawn in `layout`, its
 * code coloured. The file's own header is left to the caller (it is drawn before the diff
 * is loaded).
 */
export function renderDiff(target: HTMLElement, text: string, layout: DiffLayout): void {
  const ui = new Diff2HtmlUI(
    target,
    text,
    {
      outputFormat: layout === "split" ? OutputFormatType.SIDE_BY_SIDE : OutputFormatType.LINE_BY_LINE,
      drawFileList: false,
      fileListToggle: false,
      fileContentToggle: false,
      stickyFileHeaders: false,
      smartSelection: false,
      synchronisedScroll: true,
      highlight: true,
      highlightLanguages: LANGUAGE_OF_EXTENSION,
      colorScheme: ColorSchemeType.AUTO,
    },
    hljs,
  );
  ui.draw();
}
