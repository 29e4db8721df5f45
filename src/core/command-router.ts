import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { isOwnershipError, NoEndpointError, type ActorHost } from '../../libs/runtime/index.js';
import type { PartitionOwnership } from '../../libs/ownership/index.js';
import { ApiError } from './api-error.js';
import {
  executeCommand,
  type CommandResults,
  type CustomerCommand,
  type RetryGate,
} from './customer-commands.js';
import { toApiError } from './to-api-error.js';

/** Core NATS subject every instance listens on; only the customer's owner answers. */
export const commandSubject = (namespace: string): string => `${namespace}.internal.command`;

/** One try's wait for the owner's answer. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Pause before asking again when no instance owns the customer (a handover in progress). */
const RETRY_PAUSE_MS = 200;

type Reply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly moved: true }
  | { readonly noEndpoint: true }
  | {
      readonly error: {
        readonly status: number;
        readonly code: string;
        readonly message: string;
        readonly details?: unknown;
      };
    };

interface RouterLogger {
  warn(obj: object, msg?: string): void;
}

/**
 * Runs a customer's commands at its owner: here when this instance owns it, else a request on the
 * command subject, answered by the owner alone. A handover moves the owner between two tries; an
 * instance that lost the customer while running a command answers "moved" (its append was fenced,
 * so nothing was written) and the command is asked again until 2 × lease has passed.
 */
export class CommandRouter {
  private subscription: Subscription | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly host: ActorHost,
    /** Null with the SQLite log: this instance owns every customer. */
    private readonly ownership: PartitionOwnership | null,
    private readonly deadlineMs: number,
    private readonly logger: RouterLogger,
    private readonly retries: RetryGate,
  ) {}

  /** Answers the commands for customers this instance owns. */
  listen(): void {
    if (this.ownership === null) {
      return;
    }
    this.subscription = this.nc.subscribe(commandSubject(this.namespace), {
      callback: (error, message) => {
        if (error !== null) {
          return;
        }
        const { customerId, command } = message.json<{ customerId: string; command: CustomerCommand }>();
        if (this.ownership?.fence(customerId) === null) {
          return; // not ours: the owner answers
        }
        void this.runHere(customerId, command).then((reply) => message.respond(JSON.stringify(reply)));
      },
    });
  }

  /** Runs the command at the customer's owner and returns its result. */
  async run<K extends CustomerCommand['kind']>(
    customerId: string,
    command: Extract<CustomerCommand, { kind: K }>,
  ): Promise<CommandResults[K]> {
    const deadline = Date.now() + this.deadlineMs;
    for (;;) {
      if (this.ownership === null || this.ownership.fence(customerId) !== null) {
        try {
          return (await this.host.command(customerId, (actor) =>
            executeCommand(actor, command, this.retries),
          )) as CommandResults[K];
        } catch (error) {
          if (!isOwnershipError(error)) {
            throw error;
          }
        }
      } else {
        const reply = await this.ask(customerId, command);
        if ('ok' in reply) {
          return reply.result as CommandResults[K];
        }
        if ('noEndpoint' in reply) {
          throw new NoEndpointError(customerId);
        }
        if ('error' in reply) {
          throw new ApiError(reply.error.status, reply.error.code, reply.error.message, reply.error.details);
        }
      }
      if (Date.now() >= deadline) {
        throw new ApiError(
          503,
          'OWNER_UNAVAILABLE',
          'no instance owns this customer right now (a handover or an outage); nothing was changed, try again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  async close(): Promise<void> {
    await this.subscription?.drain().catch(() => undefined);
  }

  private async runHere(customerId: string, command: CustomerCommand): Promise<Reply> {
    try {
      const result = await this.host.command(customerId, (actor) =>
        executeCommand(actor, command, this.retries),
      );
      return { ok: true, result: result ?? null };
    } catch (error) {
      if (isOwnershipError(error)) {
        return { moved: true };
      }
      if (error instanceof NoEndpointError) {
        return { noEndpoint: true };
      }
      const { status, code, message, details } = toApiError(error);
      return { error: { status, code, message, ...(details === undefined ? {} : { details }) } };
    }
  }

  private async ask(customerId: string, command: CustomerCommand): Promise<Reply> {
    try {
      const message = await this.nc.request(
        commandSubject(this.namespace),
        JSON.stringify({ customerId, command }),
        {
          timeout: REQUEST_TIMEOUT_MS,
        },
      );
      return message.json<Reply>();
    } catch (error) {
      this.logger.warn({ customerId, err: String(error) }, 'no owner answered a command; asking again');
      return { moved: true };
    }
  }
}
