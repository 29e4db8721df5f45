import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isSupportedServer, MINIMUM_SERVER_VERSION } from '../../libs/queue/server-version.js';
import { variablesTheServiceReads } from '../support/config-variables.js';
import { natsServerBin } from '../support/nats-server.js';

// No Docker engine runs where the tests do, so the compose files and the Dockerfile are checked for
// what can go stale without one: names that point nowhere, a nats image older than Hookpost
// accepts, a nats-server config the server refuses, and settings Hookpost does not read.

/** The parts of a compose file these checks read (the Compose Specification's names). */
interface Service {
  readonly image?: string;
  readonly build?: string;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly configs?: readonly { readonly source: string; readonly target: string }[];
  readonly volumes?: readonly string[];
  readonly depends_on?: Readonly<Record<string, unknown>>;
}

interface ComposeFile {
  readonly services: Readonly<Record<string, Service>>;
  readonly configs?: Readonly<Record<string, { readonly content?: string }>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

function load(file: string): ComposeFile {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

const isNats = (service: Service) => service.image?.startsWith('nats:') === true;
const isHookpost = (service: Service) => service.build !== undefined;

/** A volume entry's named volume ('name:/path'); null for a bind mount ('./dir:/path'). */
function namedVolume(entry: string): string | null {
  const source = entry.split(':')[0]!;
  return source.startsWith('.') || source.startsWith('/') ? null : source;
}

describe.each(['docker-compose.yml', 'docker-compose.cluster.yml'])('%s', (file) => {
  const compose = load(file);
  const services = Object.entries(compose.services);
  const nats = services.filter(([, service]) => isNats(service));
  const hookposts = services.filter(([, service]) => isHookpost(service));

  test('has nats-server and Hookpost services', () => {
    expect(nats.length).toBeGreaterThan(0);
    expect(hookposts.length).toBeGreaterThan(0);
  });

  test('every service, config and volume a service names is declared', () => {
    const undeclared = services.flatMap(([name, service]) => [
      ...Object.keys(service.depends_on ?? {})
        .filter((other) => compose.services[other] === undefined)
        .map((other) => `${name}: depends_on ${other}`),
      ...(service.configs ?? [])
        .filter(({ source }) => compose.configs?.[source] === undefined)
        .map(({ source }) => `${name}: config ${source}`),
      ...(service.volumes ?? [])
        .map(namedVolume)
        .filter((volume) => volume !== null && !(volume in (compose.volumes ?? {})))
        .map((volume) => `${name}: volume ${volume}`),
    ]);
    expect(undeclared).toEqual([]);
  });

  test(`its nats image is on a release line Hookpost accepts (${MINIMUM_SERVER_VERSION} or newer)`, () => {
    for (const [name, { image }] of nats) {
      const [, line] = /^nats:(\d+\.\d+)/.exec(image!) ?? [];
      // A tag like 2.12 pulls that line's newest patch release.
      const newestOfLine = `${line}.${Number.MAX_SAFE_INTEGER}`;
      expect({ name, image, accepted: line !== undefined && isSupportedServer(newestOfLine) }).toEqual({
        name,
        image,
        accepted: true,
      });
    }
  });

  test('nats-server accepts each node config as the service starts it, with sync_interval: always', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookpost-compose-'));
    try {
      for (const [name, service] of nats) {
        const args = service.command ?? [];
        const path = args[args.indexOf('--config') + 1];
        const source = service.configs?.find(({ target }) => target === path)?.source;
        const content = source === undefined ? undefined : compose.configs?.[source]?.content;
        expect({ name, configFromCompose: content !== undefined }).toEqual({ name, configFromCompose: true });
        // A lone `$NAME` is Compose's, filled from the host's environment; `$$NAME` reaches
        // nats-server as `$NAME`, which it reads from the node's environment.
        expect({ name, composeVariables: content!.match(/(?<!\$)\$(?!\$)\S*/g) ?? [] }).toEqual({
          name,
          composeVariables: [],
        });
        const conf = join(dir, `${name}.conf`);
        writeFileSync(conf, content!.replaceAll('$$', '$'));
        execFileSync(natsServerBin(), ['-t', '-c', conf], {
          env: { PATH: process.env.PATH, ...service.environment },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        expect(content).toMatch(/^\s*sync_interval:\s*always\s*$/m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Hookpost is given only settings it reads, and NATS_URL names this file's nats services", () => {
    const known = variablesTheServiceReads();
    for (const [name, { environment = {} }] of hookposts) {
      expect({ name, unknown: Object.keys(environment).filter((key) => !known.has(key)) }).toEqual({
        name,
        unknown: [],
      });
      // Unset, it would look for NATS inside its own container.
      expect({ name, natsUrl: environment.NATS_URL !== undefined }).toEqual({ name, natsUrl: true });
      const hosts = environment.NATS_URL!.split(',').map((url) => new URL(url).hostname);
      expect(hosts.filter((host) => !nats.some(([natsName]) => natsName === host))).toEqual([]);
      expect(Number(environment.HOOKPOST_STREAM_REPLICAS ?? 1)).toBeLessThanOrEqual(nats.length);
    }
  });
});

test("the Dockerfile's image sets only settings Hookpost reads, and starts the built service", () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const set = [...finalStage.matchAll(/^ENV (.+)$/gm)].flatMap(([, pairs]) =>
    pairs!.split(/\s+/).map((pair) => pair.split('=')[0]!),
  );
  expect(set.length).toBeGreaterThan(0);
  const known = variablesTheServiceReads();
  // NODE_ENV is Node's and its packages' convention, not a Hookpost setting.
  expect(set.filter((name) => name !== 'NODE_ENV' && !known.has(name))).toEqual([]);
  expect(finalStage).toMatch(/^CMD \["node", "dist\/src\/main\.js", "serve"\]$/m);
});
