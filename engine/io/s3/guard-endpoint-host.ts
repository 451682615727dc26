/**
 * Run-time half of the metadata-address guard (the config half is check-connection-rules.ts): a custom
 * endpoint's host name may resolve to 169.254.169.254 however harmless it looks (`instance-data`, a
 * DNS record pointing there, a rebinding attack). So before the first request of a client, the host is
 * resolved (all addresses) and refused if any is link-local or a metadata service; and every
 * connection the client opens resolves through the same check, so an answer that changes between the
 * check and the connect (DNS rebinding) is refused too. Nothing is sent to a refused address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { FerryError } from '../../errors/ferry-error.js';
import { isForbiddenAddress, isForbiddenHost } from '../../net/metadata-address.js';

const ERRNO_NOT_FOUND = 'ENOTFOUND';

/** All addresses a host name resolves to (tests inject their own; default: the system resolver). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export const resolveWithSystemDns: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface EndpointGuard {
  /** Resolves `hostname` once (per guard) and throws `S3_FORBIDDEN_ENDPOINT_ADDRESS` if it is refused. */
  check: (hostname: string) => Promise<void>;
  /** A `net` lookup that refuses forbidden addresses; for the http(s) agents of the client. */
  lookup: LookupFunction;
}

function forbidden(connection: string, hostname: string, address: string): FerryError {
  return new FerryError(
    'S3_FORBIDDEN_ENDPOINT_ADDRESS',
    `Connection "${connection}": the endpoint host ${hostname} resolves to ${address}, a link-local / instance-metadata address; ferry sends nothing there.`,
    {
      context: { connection, host: hostname, address },
      hint: 'Point the endpoint at an S3-compatible service, and check the DNS record of its host.',
    },
  );
}

async function addressesOf(hostname: string, resolveHost: HostResolver): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) ? [bare] : await resolveHost(bare);
}

export function createEndpointGuard(options: {
  connection: string;
  resolveHost: HostResolver;
}): EndpointGuard {
  const { connection, resolveHost } = options;
  const checked = new Map<string, Promise<void>>();
  const check = (hostname: string): Promise<void> => {
    let pending = checked.get(hostname);
    if (!pending) {
      pending = (async () => {
        if (isForbiddenHost(hostname)) throw forbidden(connection, hostname, hostname);
        let addresses: string[];
        try {
          addresses = await addressesOf(hostname, resolveHost);
        } catch {
          // Not resolvable now: the request itself fails with the resolver's error (S3_NETWORK), and
          // the connection lookup below checks again when it does resolve.
          checked.delete(hostname);
          return;
        }
        const bad = addresses.find(isForbiddenAddress);
        if (bad !== undefined) throw forbidden(connection, hostname, bad);
      })();
      checked.set(hostname, pending);
    }
    return pending;
  };
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    addressesOf(hostname, resolveHost).then(
      (all) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const addresses = all
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => entry.family !== 0 && (family === 0 || entry.family === family));
        const bad = addresses.find((entry) => isForbiddenAddress(entry.address));
        const first = addresses[0];
        if (bad !== undefined) callback(forbidden(connection, hostname, bad.address), '', 0);
        else if (first === undefined) {
          // Node's own errno code (not a ferry code): wrap-s3-error maps it to S3_NETWORK.
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: ERRNO_NOT_FOUND,
            hostname,
          });
          callback(error, '', 0);
        } else if (lookupOptions.all === true) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
  return { check, lookup };
}

/** http and https agents (keep-alive, as the SDK's own) whose connections go through `guard.lookup`. */
export function createGuardedAgents(guard: EndpointGuard): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, maxSockets: 50, lookup: guard.lookup };
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}

/**
 * Checks the endpoint's host before anything else happens to a request — before its credentials are
 * resolved (an assumed role is not even requested for a refused endpoint) — and each request's own host
 * (virtual-hosted style puts the bucket in it) before it is signed and sent.
 */
export function addEndpointGuard(client: S3Client, guard: EndpointGuard, endpointHost: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      await guard.check(endpointHost);
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'ferryEndpointGuard' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const hostname = (args.request as { hostname?: unknown } | undefined)?.hostname;
      if (typeof hostname === 'string') await guard.check(hostname);
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'ferryRequestHostGuard' },
  );
}
