import { Command, InvalidArgumentError } from 'commander';
import { isEventType } from '../../libs/domain/index.js';
import { loadConfig } from '../config/app-config.js';
import { withAdminClient } from './admin-client.js';
import { customerOption, print } from './options.js';

/** `hookpost publish --customer ID --event TYPE --data JSON`: one message into the customer's queue. */
export function publishCommand(): Command {
  return new Command('publish')
    .description("put a message into a customer's queue (NATS <ns>.publish); prints its webhookId")
    .addOption(customerOption().makeOptionMandatory())
    .requiredOption('--event <type>', 'the event type, 1-100 of A-Z 0-9 _ .', parseEventType)
    .option('--data <json>', 'the message data, a JSON object', parseData, {})
    .option('--idempotency-key <key>', 'the same key within the dedupe window returns the first webhookId')
    .option('--json', 'print the reply as JSON')
    .action(
      async (options: {
        customer: string;
        event: string;
        data: Record<string, unknown>;
        idempotencyKey?: string;
        json?: boolean;
      }) => {
        const body = {
          customerId: options.customer,
          event: options.event,
          data: options.data,
          ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        };
        const reply = await withAdminClient(loadConfig(), (client) =>
          client.request<{ webhookId: number }>('publish', body),
        );
        print(options.json ? reply : `accepted: webhookId ${reply.webhookId}`, options.json);
      },
    );
}

function parseEventType(value: string): string {
  if (!isEventType(value)) {
    throw new InvalidArgumentError('an event type is 1-100 characters of A-Z, 0-9, _ and .');
  }
  return value;
}

function parseData(value: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidArgumentError('the data must be a JSON object');
  }
  return data as Record<string, unknown>;
}
