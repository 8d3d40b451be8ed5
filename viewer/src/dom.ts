// DOM helpers shared by the panels. Everything that comes from files reaches the page as text nodes
// (textContent), never as HTML: these helpers are the only way the panels build elements.

/** A DOM element with text content and a class. */
export function elem<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** An element of index.html by id (the page's fixed skeleton; a missing one is a bug, reported by name). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer page: no #${id}`);
  return e as T;
}

/** A colour swatch and its label, as the legends and keys draw them. */
export function swatch(colour: string, label: string, round = false): HTMLElement[] {
  const sw = elem('span', '', 'swatch');
  sw.style.background = colour;
  if (round) sw.style.borderRadius = '50%';
  return [sw, elem('span', label)];
}

/**
 * Lets the browser paint (a loading indicator) before a long synchronous piece of work. A hidden tab paints no
 * frames, so a timer stands in after 100 ms: the work is never held up for longer.
 */
export function nextPaint(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      setTimeout(resolve, 0);
    };
    requestAnimationFrame(go);
    setTimeout(go, 100);
  });
}
