/**
 * Where a notification may go: never to a link-local or instance-metadata address (a webhook URL or an
 * SMTP host that resolves to 169.254.169.254 would hand the request, and for SMTP the password, to
 * whoever answers there). Config checks the host as written (check-notify-rules.ts); this resolves it at
 * send time and ferry then connects to the checked address itself, so a DNS answer that changes in
 * between (rebinding) cannot redirect the connection.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { FerryError } from '../errors/ferry-error.js';
import { isForbiddenAddress, isForbiddenHost } from '../net/metadata-address.js';

/** All addresses of a host name (tests inject one; default: the system resolver). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export const resolveWithSystemDns: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** The address to connect to for `hostname`: the first it resolves to, after every one was checked. */
export async function resolveTargetAddress(
  hostname: string,
  options: { target: string; resolveHost?: HostResolver },
): Promise<{ address: string; family: 4 | 6 }> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const refuse = (address: string) =>
    new FerryError(
      'NOTIFY_FORBIDDEN_ADDRESS',
      `Notification target "${options.target}": its host resolves to ${address}, a link-local / instance-metadata address; ferry sends nothing there.`,
      {
        context: { target: options.target, address },
        hint: 'Point the target at your receiver or mail server, and check the DNS record of its host.',
      },
    );
  if (isForbiddenHost(bare)) throw refuse(bare);
  let addresses: string[];
  if (isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = await (options.resolveHost ?? resolveWithSystemDns)(bare);
    } catch (error) {
      throw new FerryError(
        'NOTIFY_NETWORK',
        `Notification target "${options.target}": its host does not resolve.`,
        {
          context: { target: options.target, errno: (error as NodeJS.ErrnoException).code ?? 'unknown' },
          cause: error,
          retryable: true,
          hint: 'Check the host name and the DNS of the machine ferry runs on.',
        },
      );
    }
  }
  const bad = addresses.find(isForbiddenAddress);
  if (bad !== undefined) throw refuse(bad);
  const first = addresses.find((a) => isIP(a) !== 0);
  if (first === undefined) {
    throw new FerryError(
      'NOTIFY_NETWORK',
      `Notification target "${options.target}": its host has no address.`,
      {
        context: { target: options.target },
        retryable: true,
      },
    );
  }
  return { address: first, family: isIP(first) === 6 ? 6 : 4 };
}
