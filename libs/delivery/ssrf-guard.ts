import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Ranges a customer endpoint may resolve to; everything else ipaddr.js classifies (loopback, private,
 * link-local, CGNAT, multicast, reserved, documentation, Teredo, ...) is refused. An allowlist, so a
 * range ipaddr.js learns later is refused until someone decides otherwise.
 */
const ALLOWED_IPV4_RANGES: ReadonlySet<string> = new Set(['unicast', 'as112', 'amt']);
const ALLOWED_IPV6_RANGES: ReadonlySet<string> = new Set(['unicast', 'as112v6', 'amt']);

/** IPv6 forms whose last 32 bits are an IPv4 address the packet ends up at: judge that address. */
const EMBEDS_IPV4_IN_LOW_BITS: readonly [ipaddr.IPv6, number][] = [
  [ipaddr.IPv6.parse('::ffff:0:0'), 96], // IPv4-mapped
  [ipaddr.IPv6.parse('::ffff:0:0:0'), 96], // RFC 6145 IPv4-translated
  [ipaddr.IPv6.parse('64:ff9b::'), 96], // RFC 6052 well-known NAT64 prefix
  [ipaddr.IPv6.parse('::'), 96], // deprecated IPv4-compatible (also holds :: and ::1)
];
const SIX_TO_FOUR: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2002::'), 16];

/** Error raised when a target resolves to an address the SSRF guard refuses; names the address. */
export class ForbiddenAddressError extends Error {
  /** Stable code, so callers can recognise the refusal through undici's error wrapping. */
  readonly code = 'ERR_HOOKPOST_FORBIDDEN_ADDRESS';

  constructor(readonly address: string) {
    super(`forbidden address ${address}`);
    this.name = 'ForbiddenAddressError';
  }
}

function isForbiddenIPv4(address: ipaddr.IPv4): boolean {
  return !ALLOWED_IPV4_RANGES.has(address.range());
}

function ipv4From(bytes: readonly number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4([bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0]);
}

function isForbiddenIPv6(address: ipaddr.IPv6): boolean {
  const bytes = address.toByteArray();
  if (EMBEDS_IPV4_IN_LOW_BITS.some((cidr) => address.match(cidr))) {
    // :: and ::1 sit in the IPv4-compatible block; as IPv4 they read 0.0.0.0 and 0.0.0.1, both refused.
    return isForbiddenIPv4(ipv4From(bytes.slice(12, 16)));
  }
  if (address.match(SIX_TO_FOUR)) {
    return isForbiddenIPv4(ipv4From(bytes.slice(2, 6)));
  }
  return !ALLOWED_IPV6_RANGES.has(address.range());
}

/**
 * True when an IP address must not be a webhook target (SSRF): loopback, private, link-local, CGNAT,
 * multicast, reserved, unique-local, and IPv6 forms wrapping such an IPv4. Unparseable input is refused.
 */
export function isForbiddenAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) {
    return true;
  }
  const address = ipaddr.parse(ip);
  return address.kind() === 'ipv4'
    ? isForbiddenIPv4(address as ipaddr.IPv4)
    : isForbiddenIPv6(address as ipaddr.IPv6);
}

/** Options for {@link createGuardedLookup}. */
export interface GuardedLookupOptions {
  /** Refuse forbidden addresses (false only where private targets are allowed). */
  guard: boolean;
  /** Only resolve this family, e.g. to match a region's IPv4 source address. */
  family?: 4 | 6;
}

/**
 * Builds a `dns.lookup`-compatible function for undici's `connect.lookup`: resolves every address and
 * fails naming the first forbidden one, so the check runs at connect time, after DNS (rebinding-safe).
 */
export function createGuardedLookup(options: GuardedLookupOptions): LookupFunction {
  return (hostname, lookupOptions: LookupOptions, callback) => {
    const family = options.family ?? lookupOptions.family ?? 0;
    dnsLookup(hostname, { ...lookupOptions, family, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, []);
        return;
      }
      const forbidden = options.guard
        ? addresses.find((entry) => isForbiddenAddress(entry.address))
        : undefined;
      if (forbidden !== undefined) {
        callback(new ForbiddenAddressError(forbidden.address), []);
        return;
      }
      const first = addresses[0];
      if (lookupOptions.all === true) {
        callback(null, addresses);
      } else if (first === undefined) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}
