import { Command } from 'commander';
import type { CustomerStatus } from '../../libs/domain/index.js';
import { loadConfig } from '../config/app-config.js';
import { withAdminClient, type AdminClient } from './admin-client.js';
import { customerOption, print } from './options.js';
import { formatStatus, formatStatusTable } from './status-format.js';

const PAGE = 1_000;

/** `hookpost status [--customer ID]`: one customer, or every customer, over NATS. */
export function statusCommand(): Command {
  return new Command('status')
    .description(
      "show a customer's queue status (<ns>.status), or every customer's (<ns>.status.list), over NATS",
    )
    .addOption(customerOption())
    .option('--json', 'print the reply as JSON')
    .action(async (options: { customer?: string; json?: boolean }) => {
      const config = loadConfig();
      const now = Date.now();
      await withAdminClient(config, async (client) => {
        if (options.customer !== undefined) {
          const status = await client.request<CustomerStatus>('status', { customerId: options.customer });
          print(options.json ? status : formatStatus(status, now), options.json);
          return;
        }
        const statuses = await listAll(client);
        print(options.json ? statuses : formatStatusTable(statuses, now), options.json);
      });
    });
}

/** Every page of `<ns>.status.list`. */
async function listAll(client: AdminClient): Promise<CustomerStatus[]> {
  const statuses: CustomerStatus[] = [];
  for (let after: string | null = null; ;) {
    const page: { customers: CustomerStatus[]; next: string | null } = await client.request('status.list', {
      limit: PAGE,
      ...(after === null ? {} : { after }),
    });
    statuses.push(...page.customers);
    if (page.next === null) {
      return statuses;
    }
    after = page.next;
  }
}
