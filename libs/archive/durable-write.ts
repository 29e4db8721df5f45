import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** The suffix of a file being written; one left behind by a crash is removed by the next run. */
export const TEMPORARY_SUFFIX = '.tmp';

/**
 * Writes `name` in `dir` so that it is either absent or complete after any crash: written and
 * fsynced under a temporary name, renamed into place, then the directory fsynced.
 */
export async function writeDurably(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const temporary = join(dir, `${name}${TEMPORARY_SUFFIX}`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(dir, name));
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
