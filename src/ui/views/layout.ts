import { html, type SafeHtml } from './html.js';

/** What every status page has in common. */
export interface PageFrame {
  readonly title: string;
  /**
   * The service's root relative to the page ("./", "../../"): assets and API calls are addressed
   * from it, so the pages also work behind a proxy that mounts Hookpost under a path.
   */
  readonly root: string;
  /** The page's module under src/ui/client (without .js), or null for a page without script. */
  readonly script: string | null;
  readonly body: SafeHtml;
}

/** The whole document: no inline script or style, so the CSP can forbid both. */
export function layout(frame: PageFrame): string {
  return html`<!doctype html>
    <html lang="en" data-root="${frame.root}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${frame.title}</title>
        <link rel="stylesheet" href="${frame.root}ui/assets/hookpost.css" />
        ${
          frame.script === null
            ? null
            : html`<script type="module" src="${frame.root}ui/assets/client/${frame.script}.js"></script>`
        }
      </head>
      <body>
        ${frame.body}
      </body>
    </html>`.value;
}

/** A page that only says why it cannot show anything (an expired or foreign link, an unknown customer). */
export function messagePage(root: string, title: string, message: string): string {
  return layout({
    title: `${title} · Hookpost`,
    root,
    script: null,
    body: html`<main class="page">
      <h1>${title}</h1>
      <p class="notice notice-error" role="alert">${message}</p>
    </main>`,
  });
}
