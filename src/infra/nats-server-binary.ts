import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { MINIMUM_SERVER_VERSION } from '../../libs/queue/index.js';
import { packageRoot } from './package-root.js';

const run = promisify(execFile);

/** No nats-server new enough for Hookpost is installed and none could be fetched; the message says how to get one. */
export class NatsServerUnavailableError extends Error {
  override readonly name = 'NatsServerUnavailableError';
}

/**
 * The nats-server binary the embedded default starts: NATS_SERVER_BIN or `nats-server` on the PATH
 * when new enough, else a copy fetched before into `cacheDir` or the user's cache
 * (~/.cache/hookpost/nats-server), else one fetched now into `cacheDir` (default: the user's cache)
 * by scripts/modern-nats-server.sh, the script CI and the tests use.
 */
export async function modernNatsServer(
  binFromEnv: string | null,
  cacheDir: string | undefined,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<string> {
  const script = join(packageRoot(), 'scripts', 'modern-nats-server.sh');
  const env = { ...process.env, NATS_SERVER_BIN: binFromEnv ?? '' };
  const dirArg = cacheDir === undefined ? [] : [cacheDir];
  const found = await findWith(script, ['--no-fetch', ...dirArg], env);
  if ('path' in found) {
    return found.path;
  }
  logger.warn(
    { cacheDir: cacheDir ?? 'the user cache' },
    `no nats-server ${MINIMUM_SERVER_VERSION}+ on the PATH: fetching one into ${cacheDir ?? 'the user cache'} (once)`,
  );
  const fetched = await findWith(script, dirArg, env);
  if ('path' in fetched) {
    logger.info({ binary: fetched.path }, 'fetched a modern nats-server');
    return fetched.path;
  }
  throw new NatsServerUnavailableError(fetched.reason);
}

async function findWith(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ path: string } | { reason: string }> {
  try {
    const { stdout } = await run('bash', [script, ...args], { env, encoding: 'utf8' });
    return { path: stdout.trim() };
  } catch (error) {
    // The script's last stderr line is the one-line reason, starting "hookpost: ".
    const stderr = String((error as { stderr?: unknown }).stderr ?? error).trim();
    const reason = stderr.split('\n').at(-1) ?? stderr;
    return { reason: reason.replace(/^hookpost: /, '') };
  }
}
