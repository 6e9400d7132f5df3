// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync, mount, unmount } from "svelte";

const openUrl = vi.fn(async (_url: string) => {});
vi.mock("@tauri-apps/plugin-opener", () => ({ openUrl: (url: string) => openUrl(url) }));

import OutputEntry from "../components/OutputEntry.svelte";
import type { OutputItem } from "./bindings/OutputItem";
import { isWebLink, openLinkOnClick } from "./links";

function assistant(text: string): OutputItem {
  return { seq: 1, ts: "2026-01-01T00:00:00Z", stream: "stdout", view: { kind: "assistant_text", text } } as unknown as OutputItem;
}

function click(el: Element, init: MouseEventInit = {}): MouseEvent {
  const e = new MouseEvent("click", { bubbles: true, cancelable: true, ...init });
  el.dispatchEvent(e);
  return e;
}

describe("links in rendered Markdown", () => {
  let target: HTMLElement;
  let component: ReturnType<typeof mount> | undefined;

  beforeEach(() => {
    openUrl.mockClear();
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    target = document.createElement("div");
    document.body.appendChild(target);
  });
  afterEach(() => {
    if (component) unmount(component);
    component = undefined;
    target.remove();
  });

  function render(text: string): HTMLElement {
    component = mount(OutputEntry, { target, props: { item: assistant(text), expanded: false, onToggle: () => {} } });
    flushSync();
    return target;
  }

  it("a click on a web link opens it in the browser and does not navigate the window", () => {
    const root = render("See [the docs](https://example.com/docs?q=1) for **more**.");
    const a = root.querySelector(".md a");
    expect(a).not.toBeNull();
    const e = click(a!);
    expect(e.defaultPrevented).toBe(true);
    expect(openUrl).toHaveBeenCalledTimes(1);
    expect(openUrl).toHaveBeenCalledWith("https://example.com/docs?q=1");
  });

  it("a click inside a link (on its bold text) counts as a click on the link", () => {
    const root = render("[**bold link**](http://example.org/)");
    const e = click(root.querySelector(".md a strong")!);
    expect(e.defaultPrevented).toBe(true);
    expect(openUrl).toHaveBeenCalledWith("http://example.org/");
  });

  it("a middle click is cancelled and opens the link the same way", () => {
    const root = render("[x](https://example.com/m)");
    const e = new MouseEvent("auxclick", { bubbles: true, cancelable: true, button: 1 });
    root.querySelector(".md a")!.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
    expect(openUrl).toHaveBeenCalledWith("https://example.com/m");
  });

  it("links that are not web links are cancelled and not opened", () => {
    const root = render("[mail](mailto:a@example.com) and [js](javascript:alert(1))");
    for (const a of root.querySelectorAll(".md a")) {
      expect(click(a).defaultPrevented).toBe(true);
    }
    expect(openUrl).not.toHaveBeenCalled();
  });

  it("a click elsewhere in the text is left alone", () => {
    const root = render("just **words** here, [a link](https://example.com)");
    const e = click(root.querySelector(".md strong")!);
    expect(e.defaultPrevented).toBe(false);
    expect(openUrl).not.toHaveBeenCalled();
  });

  it("isWebLink and openLinkOnClick with an injected opener", () => {
    expect(isWebLink("https://a.b/")).toBe(true);
    expect(isWebLink("HTTP://a.b/")).toBe(true);
    expect(isWebLink("file:///etc/passwd")).toBe(false);
    expect(isWebLink("tauri://localhost/")).toBe(false);
    const a = document.createElement("a");
    a.setAttribute("href", "https://example.com/x");
    document.body.appendChild(a);
    const opened: string[] = [];
    let result: string | null = null;
    a.addEventListener("click", (e) => {
      result = openLinkOnClick(e, async (url) => {
        opened.push(url);
      });
    });
    const e = click(a);
    expect(e.defaultPrevented).toBe(true);
    expect(result).toBe("https://example.com/x");
    expect(opened).toEqual(["https://example.com/x"]);
    a.remove();
  });
});
