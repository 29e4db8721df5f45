import { existsSync } from 'node:fs';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

let server: PrivatePostgres | undefined;

afterAll(async () => {
  await server?.destroy();
});

test('a private cluster can be stopped and started on the same port, keeping its data', async () => {
  server = await startPrivatePostgres();
  expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query('CREATE TABLE probe (id int PRIMARY KEY)');
  await client.query('INSERT INTO probe VALUES (1)');
  await client.end();

  await server.stop();
  expect(await server.isUp()).toBe(false);
  await server.start();
  expect(await server.isUp()).toBe(true);

  await server.stop('immediate'); // a crash: the committed row survives recovery
  await server.start();
  const again = new pg.Client({ connectionString: server.url });
  await again.connect();
  expect((await again.query('SELECT id FROM probe')).rows).toEqual([{ id: 1 }]);
  await again.end();

  const { dataDir } = server;
  await server.destroy();
  server = undefined;
  expect(existsSync(dataDir)).toBe(false);
}, 90_000);
