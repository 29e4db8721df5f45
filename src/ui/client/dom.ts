import { relativeText } from '../views/format.js';
import type { SafeHtml } from '../views/html.js';

/** Small DOM helpers the two pages share. */

/** The element with this id; a page without it is a bug in the page, so fail loudly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) {
    throw new Error(`the page has no #${id}`);
  }
  return element as T;
}

const rendered = new WeakMap<Element, string>();

/**
 * Replaces the element's content only when the markup changed, apart from the text of relative
 * times (the clock keeps those current): a poll that changes nothing leaves the DOM (focus,
 * selection, what a screen reader is reading) alone.
 */
export function renderInto(element: Element, markup: SafeHtml): void {
  const key = markup.value.replace(/(<time[^>]*>)[^<]*(<\/time\s*>)/g, '$1$2');
  if (rendered.get(element) !== key) {
    rendered.set(element, key);
    element.innerHTML = markup.value;
  }
}

/** Keeps every `<time data-at data-relative>` reading right ("12 s ago", "in 5 min"), once a second. */
export function startClock(): void {
  const tick = () => {
    const now = Date.now();
    for (const element of document.querySelectorAll<HTMLElement>('time[data-at]')) {
      const direction = element.dataset.relative === 'until' ? 'until' : 'ago';
      const text = relativeText(Number(element.dataset.at), now, direction);
      if (element.textContent !== text) {
        element.textContent = text;
      }
    }
  };
  tick();
  setInterval(tick, 1_000);
}

/** Shows a button's outcome in the page's polite live region. */
export function announce(element: HTMLElement, text: string, kind: 'ok' | 'error'): void {
  element.textContent = text;
  element.classList.toggle('notice-error', kind === 'error');
  element.classList.toggle('notice-ok', kind === 'ok');
}
