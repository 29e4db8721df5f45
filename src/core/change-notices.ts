import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * Core NATS subject on which a standing-by process says it ran a command on a customer (it appended
 * to the log), so the process that delivers reloads that customer instead of acting on stale state.
 */
export const changedSubject = (namespace: string): string => `${namespace}.internal.changed`;

/** Tells the delivering process (if any) that `customerId` changed; fire and forget. */
export function announceChange(nc: NatsConnection, namespace: string, customerId: string): void {
  nc.publish(changedSubject(namespace), customerId);
}

/** Calls `onChange(customerId)` for every announced change until the subscription is closed. */
export function listenForChanges(
  nc: NatsConnection,
  namespace: string,
  onChange: (customerId: string) => void,
): Subscription {
  return nc.subscribe(changedSubject(namespace), {
    callback: (error, message) => {
      if (error === null) {
        onChange(message.string());
      }
    },
  });
}
