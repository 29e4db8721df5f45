import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../infra/package-root.js';

/** The package version, for the User-Agent and the CLI. */
export const packageVersion: string = (
  JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
).version;
