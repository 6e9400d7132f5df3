/**
 * xterm.js's DOM renderer sizes its rows and colours its cells with `<style>` elements it
 * writes at run time, and gives cells in 24-bit colour (what Claude Code's theme uses) a
 * `style` attribute. The app's CSP (`style-src 'self'`, tauri.conf.json) refuses both inline
 * forms, so they would have no effect: a jumbled screen without its colours. Rather than open
 * the CSP to inline styles, the `<style>` texts are mirrored into constructed style sheets
 * (`document.adoptedStyleSheets`) and the `style` attributes are applied through the CSSOM
 * (`element.style.cssText`), neither of which the CSP governs.
 */

/**
 * Mirrors every `<style>` under `root` (now and as xterm adds, rewrites or removes them) into
 * the document's adopted style sheets, and applies every `style` attribute under it. Returns
 * the function that stops and removes the sheets.
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

  // The attribute as last applied, per element: applying re-serializes it (a mutation of its
  // own, which must not loop).
  const applied = new WeakMap<Element, string>();
  const apply = (el: Element) => {
    const text = el.getAttribute("style");
    if (text === null || applied.get(el) === text || !(el instanceof HTMLElement)) return;
    el.style.cssText = text;
    applied.set(el, el.getAttribute("style") ?? "");
  };
  const applyWithin = (node: Node) => {
    if (!(node instanceof Element)) return;
    apply(node);
    for (const el of node.querySelectorAll("[style]")) apply(el);
  };

  const observer = new MutationObserver((mutations) => {
    let styles = false;
    for (const m of mutations) {
      if (m.type === "attributes") apply(m.target as Element);
      else {
        for (const n of m.addedNodes) applyWithin(n);
        // A <style>'s text, or a <style> added or removed.
        styles ||= m.type === "characterData" || m.target.nodeName === "STYLE" || [...m.addedNodes, ...m.removedNodes].some((n) => n.nodeName === "STYLE");
      }
    }
    if (styles) sync();
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["style"] });
  sync();
  applyWithin(root);
  return () => {
    observer.disconnect();
    sheets.clear();
    adopt();
  };
}
