import { isIP } from 'node:net';

/**
 * Parses `HOOKPOST_REGIONS` (`eu=10.0.0.5,10.0.0.6;uae=10.1.0.7`) into region -> source addresses,
 * the egress IPs a customer can allowlist. Empty or absent means no regions; bad input throws.
 */
export function parseRegions(spec: string | undefined): Map<string, string[]> {
  const regions = new Map<string, string[]>();
  if (spec === undefined || spec.trim() === '') {
    return regions;
  }
  for (const rawEntry of spec.split(';')) {
    const entry = rawEntry.trim();
    if (entry === '') {
      continue; // tolerate a trailing ';'
    }
    const eq = entry.indexOf('=');
    const name = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new Error(
        `HOOKPOST_REGIONS: expected "name=ip[,ip...]" (name of letters, digits, _ or -), got "${entry}"`,
      );
    }
    if (regions.has(name)) {
      throw new Error(`HOOKPOST_REGIONS: region "${name}" is defined twice`);
    }
    const addresses = entry
      .slice(eq + 1)
      .split(',')
      .map((address) => address.trim());
    for (const address of addresses) {
      if (address === '') {
        throw new Error(`HOOKPOST_REGIONS: region "${name}" has an empty address in "${entry}"`);
      }
      if (isIP(address) === 0) {
        throw new Error(`HOOKPOST_REGIONS: region "${name}" has "${address}", which is not an IP address`);
      }
    }
    regions.set(name, addresses);
  }
  return regions;
}
