import { Command, InvalidArgumentError } from 'commander';
import { isEventType, parseTraceparent, traceFromHeaders } from '../../libs/domain/index.js';
import { traceHeaders } from '../../libs/queue/index.js';
import { loadConfig } from '../config/app-config.js';
import { withAdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { customerOption, print } from './options.js';

/**
 * `hookpost publish --customer ID --event TYPE --data JSON`: one message into the customer's queue.
 * A trace context comes from `--traceparent`/`--tracestate` or, as a script run inside a trace passes
 * it, from the TRACEPARENT and TRACESTATE variables (OpenTelemetry's environment carriers).
 */
export function publishCommand(): Command {
  return new Command('publish')
    .description("put a message into a customer's queue (NATS <ns>.publish); prints its webhookId")
    .addOption(customerOption().makeOptionMandatory())
    .requiredOption('--event <type>', 'the event type, 1-100 of A-Z 0-9 _ .', parseEventType)
    .option('--data <json>', 'the message data, a JSON object', parseData, {})
    .option('--idempotency-key <key>', 'the same key within the dedupe window returns the first webhookId')
    .option(
      '--traceparent <value>',
      'the W3C trace context to publish in (default: $TRACEPARENT)',
      parseTrace,
    )
    .option('--tracestate <value>', 'its tracestate (default: $TRACESTATE)')
    .option('--json', 'print the reply as JSON')
    .action(
      async (options: {
        customer: string;
        event: string;
        data: Record<string, unknown>;
        idempotencyKey?: string;
        traceparent?: string;
        tracestate?: string;
        json?: boolean;
      }) => {
        const body = {
          customerId: options.customer,
          event: options.event,
          data: options.data,
          ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        };
        const traceparent = options.traceparent ?? traceparentFromEnvironment(process.env.TRACEPARENT);
        const trace =
          traceparent === undefined
            ? undefined
            : traceFromHeaders(traceparent, options.tracestate ?? process.env.TRACESTATE);
        const headers = trace === undefined ? undefined : traceHeaders(trace);
        const reply = await withAdminClient(loadConfig(), (client) =>
          client.request<{ webhookId: number }>('publish', body, headers),
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

function parseTrace(value: string): string {
  if (parseTraceparent(value) === null) {
    throw new InvalidArgumentError('a traceparent is 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>');
  }
  return value;
}

/** TRACEPARENT as the option would take it; a malformed one is an error naming the variable. */
function traceparentFromEnvironment(value: string | undefined): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  if (parseTraceparent(value) === null) {
    throw new CliError(`TRACEPARENT is not a W3C traceparent: ${JSON.stringify(value.slice(0, 80))}`);
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
