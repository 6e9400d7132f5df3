/**
 * xterm.js's DOM renderer sizes its rows and colours its cells with `<style>` elements it
 * writes at run time. The app's CSP (`style-src 'self'`, tauri.conf.json) refuses inline
 * style elements, so they would have no effect and the screen would be a jumble; rather than
 * open the CSP to every inline style, their text is mirrored into constructed style sheets
 * (`document.adoptedStyleSheets`), which the CSP does not govern.
 */

/**
 * Mirrors every `<style>` under `root` (now and as xterm adds, rewrites or removes them) into
 * the document's adopted style sheets. Returns the function that stops and removes them.
 */
export function mirrorStyles(root: Element, doc: Document = document): () => void {
  if (typeof CSSStyleSheet === "undefined" || !("adoptedStyleSheets" in doc)) return () => {};
  const sheets = new Map<HTMLStyleElement, { sheet: CSSStyleSheet; text: string }>();

  const sync = () => {
    const present = new Set(root.querySelectorAll("style"));
    let changed = false;
    for (const [el, entry] of sheets) {
      if (!present.has(el)) {
        sheets.delete(el);
        changed = true;
      } else if (entry.text !== (el.textContent ?? "")) {
        entry.text = el.textContent ?? "";
        entry.sheet.replaceSync(entry.text);
      }
    }
    for (const el of present) {
      if (sheets.has(el)) continue;
      const sheet = new CSSStyleSheet();
      const text = el.textContent ?? "";
      sheet.replaceSync(text);
      sheets.set(el, { sheet, text });
      changed = true;
    }
    if (changed) adopt();
  };

  // Ours are kept after the page's other adopted sheets, in their elements' order.
  let ours: CSSStyleSheet[] = [];
  const adopt = () => {
    const others = doc.adoptedStyleSheets.filter((s) => !ours.includes(s));
    ours = [...sheets.values()].map((e) => e.sheet);
    doc.adoptedStyleSheets = [...others, ...ours];
  };

  const observer = new MutationObserver(sync);
  observer.observe(root, { subtree: true, childList: true, characterData: true });
  sync();
  return () => {
    observer.disconnect();
    sheets.clear();
    adopt();
  };
}
