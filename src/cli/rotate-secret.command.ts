import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_ROTATION_OVERLAP_SECONDS } from '../../libs/domain/index.js';
import { loadConfig } from '../config/app-config.js';
import type { RotationView } from '../webhooks/webhook.service.js';
import { withAdminClient } from './admin-client.js';
import { customerOption, print } from './options.js';

/**
 * `hookpost rotate-secret --customer ID [--overlap SECONDS]`: a generated secret replaces the
 * customer's one, which keeps signing after it for the overlap. The new secret is printed once.
 */
export function rotateSecretCommand(): Command {
  return new Command('rotate-secret')
    .description(
      "replace a customer's webhook secret with a generated one; the old one still signs during the overlap (NATS <ns>.secret.rotate)",
    )
    .addOption(customerOption().makeOptionMandatory())
    .option(
      '--overlap <seconds>',
      `how long the old secret keeps signing, 0-${MAX_ROTATION_OVERLAP_SECONDS}`,
      parseOverlap,
      DEFAULT_ROTATION_OVERLAP_SECONDS,
    )
    .option('--json', 'print the reply as JSON')
    .action(async (options: { customer: string; overlap: number; json?: boolean }) => {
      const rotated = await withAdminClient(loadConfig(), (client) =>
        client.request<RotationView>('secret.rotate', {
          customerId: options.customer,
          overlapSeconds: options.overlap,
        }),
      );
      const expires = new Date(rotated.previousSecretExpiresAt).toISOString();
      print(
        options.json
          ? rotated
          : [
              `new secret (shown once): ${rotated.secret ?? '(not returned)'}`,
              `the previous secret (…${rotated.previousSecretLast4}) signs too until ${expires}`,
            ].join('\n'),
        options.json,
      );
    });
}

function parseOverlap(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds > MAX_ROTATION_OVERLAP_SECONDS) {
    throw new InvalidArgumentError(
      `an overlap is a whole number of seconds, 0-${MAX_ROTATION_OVERLAP_SECONDS}`,
    );
  }
  return seconds;
}
