/**
 * Checks the browser tests run inside the page on each screen (`page.evaluate(overflowProblems)`),
 * computed from what the browser laid out and painted: horizontal overflow, text contrast from
 * computed colours, and accessible names. Each returns a list of problems, empty when there is
 * none. Each function is self-contained, as `page.evaluate` sends only its source; the few DOM
 * types they use are declared here, as the tests are not type-checked against the DOM.
 */

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
  height: number;
}

interface PageElement {
  tagName: string;
  textContent: string | null;
  outerHTML: string;
  scrollWidth: number;
  clientWidth: number;
  parentElement: PageElement | null;
  childNodes: Iterable<{ nodeType: number; textContent: string | null }>;
  labels?: Iterable<{ textContent: string | null }> | null;
  getBoundingClientRect(): Box;
  checkVisibility(options: Record<string, boolean>): boolean;
  closest(selector: string): PageElement | null;
  classList: { contains(name: string): boolean } & Iterable<string>;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

interface PageWindow {
  innerWidth: number;
  document: {
    activeElement: PageElement | null;
    body: PageElement;
    documentElement: { scrollWidth: number };
    querySelectorAll(selector: string): Iterable<PageElement>;
    getElementById(id: string): PageElement | null;
  };
  getComputedStyle(el: PageElement): Record<string, string>;
}

/** What goes past the viewport's sides: the page's scroll width, any element's box, any scroller. */
export function overflowProblems(): string[] {
  {
    const { document, getComputedStyle, innerWidth: width } = globalThis as unknown as PageWindow;
    const problems: string[] = [];
    const name = (el: PageElement) =>
      `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${
        (el.textContent ?? "").trim().slice(0, 30)
      }"`;
    const scroll = document.documentElement.scrollWidth;
    if (scroll > width) problems.push(`page scrolls sideways: ${scroll} > ${width}`);
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > width + 0.5 || box.left < -0.5) {
        problems.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}`);
      }
      const style = getComputedStyle(el);
      if (/auto|scroll/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return problems;
  }
}

/**
 * Text contrast below 4.5:1 (the colour against the effective background, through the
 * ancestors' backgrounds and opacity), and controls with no accessible name.
 */
export function auditProblems(): string[] {
  {
    const { document, getComputedStyle } = globalThis as unknown as PageWindow;
    type Rgba = [number, number, number, number];
    const parse = (text: string): Rgba => {
      const n = text.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
      return [n[0], n[1], n[2], n[3] ?? 1];
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1) as Rgba;
    };
    const luminance = ([r, g, b]: Rgba) => {
      const f = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: PageElement): Rgba => {
      const layers: Rgba[] = [];
      for (let at: PageElement | null = el; at; at = at.parentElement) {
        const color = parse(getComputedStyle(at).backgroundColor);
        if (color[3] > 0) layers.push(color);
        if (color[3] >= 1) break;
      }
      return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    const opacity = (el: PageElement) => {
      let value = 1;
      for (let at: PageElement | null = el; at; at = at.parentElement) {
        value *= Number(getComputedStyle(at).opacity);
      }
      return value;
    };
    const problems: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim());
      if (!own || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) {
        continue;
      }
      const box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || el.closest("[disabled], .visually-hidden")) continue;
      const back = background(el);
      const fg = parse(getComputedStyle(el).color);
      const shown = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], back);
      const [hi, lo] = [luminance(shown), luminance(back)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) {
        problems.push(`contrast ${ratio.toFixed(2)} of "${el.textContent!.trim().slice(0, 30)}"`);
      }
    }
    const controls = "button, input:not([type=hidden]), textarea, select, a[href], [role=tab]";
    for (const el of document.querySelectorAll(controls)) {
      const labelled = el.getAttribute("aria-labelledby")?.split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
      const labels = [...(el.labels ?? [])].map((l) => l.textContent).join(" ");
      const images = [...el.querySelectorAll("img[alt]")].map((i) => i.getAttribute("alt"));
      const name = [
        el.getAttribute("aria-label"),
        labelled,
        labels,
        el.getAttribute("title"),
        el.textContent,
        ...images,
      ].map((text) => text?.trim() ?? "").find((text) => text.length > 0);
      if (!name) problems.push(`no accessible name: ${el.outerHTML.slice(0, 80)}`);
    }
    return problems;
  }
}

/** The focused control, and whether it shows a focus outline (a hidden file input: its label). */
export function focusShown(): { what: string; outline: boolean } | null {
  const { document, getComputedStyle } = globalThis as unknown as PageWindow;
  const active = document.activeElement;
  if (!active || active === document.body) return null;
  const shown = active.classList.contains("visually-hidden") ? active.closest("label")! : active;
  const style = getComputedStyle(shown);
  return {
    what: `${active.tagName} ${active.textContent?.trim().slice(0, 20) ?? ""}`,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}
