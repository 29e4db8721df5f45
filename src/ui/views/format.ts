import { html, type SafeHtml } from './html.js';

/** "45 s", "12 min", "5 h", "3 days": coarse on purpose, a status page is read at a glance. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) {
    return `${seconds} s`;
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) {
    return `${minutes} min`;
  }
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** How a moment reads relative to now: "12 s ago", "in 5 min", "due now". */
export function relativeText(at: number, now: number, direction: 'ago' | 'until'): string {
  if (direction === 'ago') {
    return `${formatDuration(now - at)} ago`;
  }
  return at <= now ? 'due now' : `in ${formatDuration(at - now)}`;
}

/**
 * A `<time>` that the page's clock keeps current (data-at, data-relative); the exact UTC time is in
 * its datetime and title, `fallback` is printed when there is no moment.
 */
export function relativeTime(
  at: number | null,
  now: number,
  direction: 'ago' | 'until',
  fallback: string,
): SafeHtml {
  if (at === null) {
    return html`<span>${fallback}</span>`;
  }
  const iso = new Date(at).toISOString();
  return html`<time
    datetime="${iso}"
    title="${iso.replace('T', ' ').slice(0, 19)} UTC"
    data-at="${at}"
    data-relative="${direction}"
    >${relativeText(at, now, direction)}</time
  >`;
}
