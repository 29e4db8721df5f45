import pg from 'pg';

/** How the ping's connection shows in pg_stat_activity. */
export const PING_APPLICATION_NAME = 'hookpost-health';
/** A ping that has not answered by then has failed; its connection is replaced. */
const PING_TIMEOUT_MS = 5_000;

/**
 * The health check's ping on a PostgreSQL connection of its own: through the pool it queued
 * behind every request's queries, and a burst made a healthy database look down. The connection
 * opens at the first ping; one that fails or times out is closed and the next ping opens another.
 */
export class OwnConnectionPing {
  private client: Promise<pg.Client> | null = null;

  constructor(private readonly databaseUrl: string) {}

  async ping(): Promise<void> {
    const opening = (this.client ??= this.connect());
    try {
      await (await opening).query('SELECT 1');
    } catch (error) {
      this.drop(opening);
      throw error;
    }
  }

  async close(): Promise<void> {
    const opening = this.client;
    this.client = null;
    await opening?.then((client) => client.end()).catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: PING_APPLICATION_NAME,
      connectionTimeoutMillis: PING_TIMEOUT_MS,
      query_timeout: PING_TIMEOUT_MS,
    });
    const opening = client.connect().then(() => client);
    // A connection the server or the network drops errors here; the next ping opens a new one.
    client.on('error', () => this.drop(opening));
    return opening;
  }

  private drop(opening: Promise<pg.Client>): void {
    if (this.client === opening) {
      this.client = null;
    }
    void opening.then((client) => client.end()).catch(() => undefined);
  }
}
