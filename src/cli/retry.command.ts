import { Command } from 'commander';
import type { CustomerStatus } from '../../libs/domain/index.js';
import { loadConfig } from '../config/app-config.js';
import { withAdminClient } from './admin-client.js';
import { customerOption, print } from './options.js';
import { formatStatus } from './status-format.js';

/** `hookpost retry --customer ID`: the head of the customer's queue is attempted now, ignoring the backoff. */
export function retryCommand(): Command {
  return new Command('retry')
    .description("attempt the head of a customer's queue now, ignoring the backoff (NATS <ns>.retry)")
    .addOption(customerOption().makeOptionMandatory())
    .option('--json', 'print the status reply as JSON')
    .action(async (options: { customer: string; json?: boolean }) => {
      const status = await withAdminClient(loadConfig(), (client) =>
        client.request<CustomerStatus>('retry', { customerId: options.customer }),
      );
      print(options.json ? status : `retry requested\n${formatStatus(status, Date.now())}`, options.json);
    });
}
