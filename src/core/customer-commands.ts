import type { SecretRotated, WebhookSettings } from '../../libs/domain/index.js';
import type { CustomerActor } from '../../libs/runtime/index.js';

/**
 * An operator command for one customer, as plain JSON: it runs in the actor of the instance that
 * owns the customer, wherever it arrived (command-router.ts). Times are taken where it arrived.
 */
export type CustomerCommand =
  | {
      readonly kind: 'configure';
      readonly at: number;
      readonly settings: WebhookSettings;
      readonly secret: string;
    }
  | { readonly kind: 'rotate'; readonly secret: string; readonly overlapMs: number }
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'refresh'; readonly at: number }
  | { readonly kind: 'purge'; readonly throughId?: number };

/** What each command answers. */
export interface CommandResults {
  configure: undefined;
  rotate: SecretRotated['data'];
  retry: undefined;
  refresh: undefined;
  purge: number[];
}

/** Carries a command out in the customer's actor. */
export async function executeCommand(actor: CustomerActor, command: CustomerCommand): Promise<unknown> {
  switch (command.kind) {
    case 'configure':
      // A PUT sets the one secret there is: a rotation's previous one stops signing at once.
      return actor.record(
        [{ type: 'WebhookConfigured', at: command.at, data: { settings: command.settings } }],
        {
          secrets: { current: command.secret, previous: null },
        },
      );
    case 'rotate':
      return actor.rotateSecret(command.secret, command.overlapMs);
    case 'retry':
      return actor.record([{ type: 'RetryRequested', at: command.at, data: {} }]);
    case 'refresh':
      return actor.record([{ type: 'FailuresCleared', at: command.at, data: {} }]);
    case 'purge':
      return actor.purge(command.throughId);
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}
