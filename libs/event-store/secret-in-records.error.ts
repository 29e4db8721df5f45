/**
 * A new secret would show up in the events or the projection written with it: in the endpoint's url,
 * its event types, or text Hookpost writes anyway (a field name such as `acceptAny2xx`). The secret is
 * stored only sealed, so the append is refused with nothing written; the caller chooses another.
 */
export class SecretInRecordsError extends Error {
  constructor() {
    super('the webhook secret must not appear in events or the projection');
    this.name = 'SecretInRecordsError';
  }
}
