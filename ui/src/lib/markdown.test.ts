// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown, renderMarkdownUncached, sanitizeHtml } from "./markdown";

describe("markdown", () => {
  it("renders GFM: emphasis, code, lists, tables, links", () => {
    const html = renderMarkdownUncached(
      "**bold** and `code`\n\n```ts\nconst a = 1 < 2;\n```\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.com/x)",
    );
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("const a = 1 &lt; 2;");
    expect(html).toContain("<ol>");
    expect(html).toContain("<table>");
    expect(html).toMatch(/<a href="https:\/\/example.com\/x"[^>]*rel="noopener noreferrer"/);
  });

  it("never lets a script or an event handler through", () => {
    const hostile = [
      "<script>alert(1)</script>",
      '<img src=x onerror="alert(1)">',
      '<div onmouseover="alert(1)">hover</div>',
      "[click](javascript:alert(1))",
      '<a href="javascript:alert(1)">x</a>',
      "<svg><script>alert(1)</script></svg>",
      '<iframe src="https://evil.example"></iframe>',
      "![x](https://evil.example/track.png)",
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
      "text <style>body{display:none}</style> more",
    ];
    for (const input of hostile) {
      // What the page would get: parse the result and look at the elements.
      const root = document.createElement("div");
      root.innerHTML = renderMarkdownUncached(input);
      const all = [...root.querySelectorAll("*")];
      expect(root.querySelectorAll("script, img, iframe, svg, math, style, object, embed")).toHaveLength(0);
      expect(all.flatMap((el) => [...el.attributes].map((a) => a.name)).filter((n) => n.startsWith("on"))).toEqual([]);
      expect(all.filter((el) => /^\s*javascript:/i.test(el.getAttribute("href") ?? ""))).toEqual([]);
      expect(all.filter((el) => el.hasAttribute("style"))).toEqual([]);
    }
  });

  it("shows raw HTML in Markdown as text", () => {
    expect(renderMarkdownUncached("a <b>tag</b>")).toContain("&lt;b&gt;tag&lt;/b&gt;");
  });

  it("escapes plain text on the fast path", () => {
    expect(renderMarkdownUncached("just words")).toBe("<p>just words</p>");
    expect(renderMarkdownUncached("a < b & c")).not.toContain("< b");
  });

  it("the sanitizer alone strips what marked could not produce", () => {
    const out = sanitizeHtml('<p style="color:red" onclick="x()">hi<script>x()</script></p><a href="javascript:x()">l</a>');
    expect(out).toBe("<p>hi</p><a>l</a>");
  });

  it("caches results", () => {
    const a = renderMarkdown("**same**");
    expect(renderMarkdown("**same**")).toBe(a);
  });
});
