import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a process started with `env` imported of the packages asked about. */
export interface ImportRecorder {
  /** Settings for the process (NODE_OPTIONS and where to write). */
  readonly env: Record<string, string>;
  /** The resolved URLs of the modules it imported from those packages, so far. */
  imported(): string[];
}

/**
 * Records which modules of a package a Node process imports, through a module resolve hook that
 * `--import` registers before the program starts. The test sees the real process's imports; nothing
 * in Hookpost knows it is watched.
 */
export function recordImports(packagePrefix: string): ImportRecorder {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-imports-'));
  const record = join(dir, 'imported.txt');
  writeFileSync(record, '');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes(${JSON.stringify(`/node_modules/${packagePrefix}`)})) {
    appendFileSync(${JSON.stringify(record)}, result.url + '\\n');
  }
  return result;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(register).href}` },
    imported: () => readFileSync(record, 'utf8').split('\n').filter(Boolean),
  };
}
