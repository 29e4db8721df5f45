import { readFile } from 'node:fs/promises';

/** A file the status pages load: the stylesheet, and the browser modules compiled from src/ui. */
export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

// Only these: the pages' scripts (client/) and the views they share with the server (views/).
// Anything else under dist/ (server code, config) is never served.
const ASSET_PATH = /^(?:hookpost\.css|(?:client|views)\/[a-z][a-z-]*(?:\.view)?\.js)$/;

const cache = new Map<string, Promise<UiAsset | null>>();

/**
 * Reads `path` relative to this module, i.e. from dist/src/ui after `npm run build` (swc compiles
 * the modules and copies the stylesheet); null when it is not an asset. Kept in memory once read.
 */
export function uiAsset(path: string): Promise<UiAsset | null> {
  if (!ASSET_PATH.test(path)) {
    return Promise.resolve(null);
  }
  let asset = cache.get(path);
  if (asset === undefined) {
    const source = path === 'hookpost.css' ? 'assets/hookpost.css' : path;
    asset = readFile(new URL(`./${source}`, import.meta.url)).then(
      (body) => ({
        body,
        contentType: path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      }),
      () => null,
    );
    cache.set(path, asset);
  }
  return asset;
}
