import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `check` passes, looking every `everyMs`. A check that throws counts as not yet (NATS
 * still reconnecting, say); after `timeoutMs` it fails, naming what it waited for and the last error.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: string | null = null;
  for (;;) {
    try {
      if (await check()) {
        return;
      }
    } catch (error) {
      lastError = error instanceof Error ? error.message : JSON.stringify(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError === null ? '' : ` (last error: ${lastError})`}`,
      );
    }
    await sleep(everyMs);
  }
}
