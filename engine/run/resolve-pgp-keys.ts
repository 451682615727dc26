/**
 * A connection's `pgp` settings → its keyring, at run time only: the private key and passphrase
 * references are resolved here (like S3 credentials in resolve-connection.ts) and go straight to
 * openpgp; public keys are read from their files. One keyring per connection per run.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Project } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { readPgpKeys, type PgpKeyAccess, type PgpKeyInput, type PgpKeyring } from '../io/pgp/read-keys.js';
import { resolveSecret } from './resolve-connection.js';

export function createPgpKeyAccess(context: { project: Project; env: NodeJS.ProcessEnv }): PgpKeyAccess {
  const keyrings = new Map<string, Promise<PgpKeyring>>();
  return (name: string) => {
    let keyring = keyrings.get(name);
    if (!keyring) {
      keyring = resolvePgpKeys(name, context);
      keyrings.set(name, keyring);
    }
    return keyring;
  };
}

export async function resolvePgpKeys(
  name: string,
  context: { project: Project; env: NodeJS.ProcessEnv },
): Promise<PgpKeyring> {
  const connection = context.project.connections[name];
  const pgp = connection?.pgp;
  if (!pgp) {
    throw new FerryError('PGP_NOT_CONFIGURED', `Connection "${name}" has no pgp keys.`, {
      context: { connection: name },
      hint: `Add pgp: {private_key, passphrase, public_keys} to connections.${name} in ferry.yaml.`,
    });
  }
  const secret = (field: string) => ({
    env: context.env,
    projectDir: context.project.directory,
    connection: name,
    field: `pgp.${field}`,
  });
  const publicKeys: PgpKeyInput[] = [];
  for (const [index, value] of pgp.publicKeys.entries()) {
    publicKeys.push(await readPublicKeyInput(name, index, value, context.project.directory));
  }
  return await readPgpKeys({
    connection: name,
    ...(pgp.privateKey
      ? {
          privateKey: {
            label: `pgp.private_key (${pgp.privateKey.ref})`,
            data: resolveSecret(pgp.privateKey, secret('private_key')),
          },
        }
      : {}),
    ...(pgp.passphrase ? { passphrase: resolveSecret(pgp.passphrase, secret('passphrase')) } : {}),
    publicKeys,
  });
}

/** Key text (a reference's value) as it is; anything else is a key file path relative to the project. */
async function readPublicKeyInput(
  connection: string,
  index: number,
  value: string,
  projectDir: string,
): Promise<PgpKeyInput> {
  // Key text (a reference's value) is used as it is — also when it is not a valid key, so the error
  // names the entry and never echoes its content (a binary key read through ${file:…} is garbage).
  if (value.includes('-----BEGIN PGP ') || /[\n\r\0]/.test(value) || value.length > 4096) {
    return { label: `pgp.public_keys[${index}]`, data: value };
  }
  const label = `pgp.public_keys[${index}] (${value})`;
  try {
    return { label, data: new Uint8Array(await readFile(resolve(projectDir, value))) };
  } catch (error) {
    throw new FerryError('PGP_KEY_UNREADABLE', `Connection "${connection}": ${label} cannot be read.`, {
      context: { connection, file: value },
      cause: error,
      hint: 'Give a key file path relative to ferry.yaml (gpg --armor --export KEYID > keys/partner.asc).',
    });
  }
}
