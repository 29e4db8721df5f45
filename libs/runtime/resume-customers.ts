import type { FeedSource, RuntimeLogger } from './ports.js';

/**
 * Start-up: every customer with messages in the stream gets a step, so its deliveries resume
 * without waiting for a new message. Each actor reads its own window after its cursor (batch
 * direct gets), activations paced by the host's permits; a customer whose messages are held (no
 * endpoint) only counts them, so other customers' held backlog does not delay a first delivery.
 * Call it after the feed started: a message published in between is then offered by the feed.
 */
export async function resumeCustomers(
  source: FeedSource,
  logger: RuntimeLogger,
  isCustomer: (token: string) => boolean,
  nudge: (customerId: string) => void,
): Promise<void> {
  const { customers } = await source.stored();
  const ids = [...customers.keys()].filter(isCustomer);
  logger.info({ customers: ids.length }, 'resuming customers with queued messages');
  ids.forEach(nudge);
}
