import type { CustomerQueueState, SecretRotated, WebhookSettings } from '../../libs/domain/index.js';
import type { CustomerActor } from '../../libs/runtime/index.js';
import { ApiError } from './api-error.js';
import type { RetryThrottle } from './retry-throttle.js';

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

/**
 * Retry at the customer's owner (so one allowance per customer, whichever instance it arrived at):
 * a Retry that would change nothing (the head has not failed, or an earlier Retry's attempt has not
 * ended yet) records nothing; the others take one from the customer's allowance, else a 429.
 */
export class RetryGate {
  /** Customers whose RetryRequested is being appended: a Retry meanwhile has nothing to add. */
  private readonly recording = new Set<string>();

  constructor(private readonly throttle: RetryThrottle) {}

  async retry(actor: CustomerActor, at: number): Promise<void> {
    const { customerId } = actor;
    if (this.recording.has(customerId) || !awaitsBackoff(actor.state)) {
      return;
    }
    const waitMs = this.throttle.take(customerId);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw ApiError.rateLimited(
        `too many Retries for customer ${customerId}: try again in ${seconds} s (the head is retried on its own schedule meanwhile)`,
        seconds,
      );
    }
    this.recording.add(customerId);
    try {
      await actor.record([{ type: 'RetryRequested', at, data: {} }]);
    } finally {
      this.recording.delete(customerId);
    }
  }
}

/** The head has failed and waits out its backoff, with no Retry asked for since its last attempt. */
function awaitsBackoff(state: CustomerQueueState): boolean {
  return state.attempts > 0 && state.retryRequestedAt === null;
}

/** Carries a command out in the customer's actor. */
export async function executeCommand(
  actor: CustomerActor,
  command: CustomerCommand,
  retries: RetryGate,
): Promise<unknown> {
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
      return retries.retry(actor, command.at);
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
