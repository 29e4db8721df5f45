import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { spawnOwned } from './owned-process.js';

/** Debian's chromium package (CI installs it in .ci/run); HOOKPOST_TEST_CHROMIUM overrides. */
const CHROMIUM = process.env.HOOKPOST_TEST_CHROMIUM ?? '/usr/bin/chromium';
const READY_TIMEOUT_MS = 20_000;

/** A headless Chromium driven through playwright-core, with its own fresh profile. */
export interface TestBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts Chromium as a child process this test owns (it dies with the test process, like the
 * nats-server helper's) and connects playwright-core to it over CDP. Playwright's own launch()
 * would hide the process, so a crashed test could leave a browser behind.
 */
export async function startBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'hookpost-chromium-'));
  const owned = spawnOwned(CHROMIUM, [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    `--user-data-dir=${profile}`,
    '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0',
    'about:blank',
  ]);
  try {
    const browser = await chromium.connectOverCDP(await debuggingUrl(profile, owned.exited, owned.stderr), {
      timeout: READY_TIMEOUT_MS,
    });
    return {
      browser,
      async close() {
        // The process first: disconnecting from a browser that is gone never waits.
        await owned.terminate('SIGTERM', 5_000);
        await browser.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await owned.terminate('SIGKILL');
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Chromium writes its DevTools port and path to <profile>/DevToolsActivePort once it listens. */
async function debuggingUrl(profile: string, exited: () => boolean, stderr: () => string): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (exited()) {
      throw new Error(`chromium (${CHROMIUM}) exited before it listened:\n${stderr()}`);
    }
    const [port, path] = (await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => ''))
      .trim()
      .split('\n');
    if (port && path) {
      return `ws://127.0.0.1:${port}${path}`;
    }
    await sleep(50);
  }
  throw new Error(`chromium did not listen within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
}
