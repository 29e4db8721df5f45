import { isIP } from 'node:net';
import { Agent } from 'undici';
import { createGuardedLookup } from './ssrf-guard.js';

/**
 * An idle keep-alive connection is closed after at most 10 s, whatever the receiver offers (undici
 * would keep it up to 10 minutes): a burst over many customers of one origin opens hundreds of
 * connections, and an idle service should not hold them (docs/performance.md, H5). A customer
 * with steady traffic keeps its connection.
 */
const AGENT_OPTIONS = { keepAliveMaxTimeout: 10_000 } as const;

/** Options shared by every agent: whether the SSRF guard applies. */
export interface EgressAgentsOptions {
  allowPrivateTargets: boolean;
  /** Region name -> source (egress) addresses, from `parseRegions`. */
  regions: ReadonlyMap<string, readonly string[]>;
}

/**
 * One keep-alive undici Agent per egress source address (plus a default one), so connections are
 * pooled per origin and per source address; a region's addresses are used round-robin.
 */
export class EgressAgents {
  private readonly defaultAgent: Agent;
  private readonly byAddress = new Map<string, Agent>();
  private readonly regions: ReadonlyMap<string, readonly string[]>;
  private readonly nextIndex = new Map<string, number>();

  constructor(options: EgressAgentsOptions) {
    this.regions = options.regions;
    const guard = !options.allowPrivateTargets;
    this.defaultAgent = new Agent({
      ...AGENT_OPTIONS,
      connect: guard ? { lookup: createGuardedLookup({ guard }) } : {},
    });
    for (const addresses of options.regions.values()) {
      for (const address of addresses) {
        if (this.byAddress.has(address)) {
          continue;
        }
        // An IPv4 source cannot reach an IPv6 target (and vice versa): resolve only the matching family.
        const family = isIP(address) === 6 ? 6 : 4;
        this.byAddress.set(
          address,
          new Agent({
            ...AGENT_OPTIONS,
            localAddress: address,
            connect: { lookup: createGuardedLookup({ guard, family }) },
          }),
        );
      }
    }
  }

  /** The agent for a request: the default one without a region, undefined for an unknown region. */
  forRegion(region: string | null | undefined): Agent | undefined {
    if (region === null || region === undefined || region === '') {
      return this.defaultAgent;
    }
    const addresses = this.regions.get(region);
    if (addresses === undefined || addresses.length === 0) {
      return undefined;
    }
    const index = this.nextIndex.get(region) ?? 0;
    this.nextIndex.set(region, (index + 1) % addresses.length);
    const address = addresses[index % addresses.length];
    return address === undefined ? undefined : this.byAddress.get(address);
  }

  /** Closes every agent, letting in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.all([this.defaultAgent, ...this.byAddress.values()].map((agent) => agent.close()));
  }
}
