/**
 * `npx tsx scripts/bench-pgp.ts` — PGP streams: a large file is decrypted (and encrypted) with peak
 * memory that does not grow with the file. Each measurement runs in a fresh Node process importing
 * the built engine (dist/, `npm run build`), and reports its peak RSS (getrusage maxrss) and time.
 * The encrypted input is written by GnuPG (signed by the partner key, compressed as gpg does by
 * default) when `gpg` is installed, else by ferry itself. A report, not a test: it exits non-zero
 * only when a round trip does not give back the same bytes.
 *
 *   npx tsx scripts/bench-pgp.ts              200 MB and 400 MB of random bytes
 *   npx tsx scripts/bench-pgp.ts --mb 50      one size
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test', 'fixtures', 'pgp');
const PASSPHRASE = 'ferry-test-passphrase';

const { values } = parseArgs({ options: { mb: { type: 'string', multiple: true } } });
const sizes = (values.mb ?? ['200', '400']).map(Number);

/** The child: decrypt or encrypt one file with the built engine, print time and peak RSS. */
const CHILD = `
import { readFileSync } from 'node:fs';
const [mode, input, output, fixtures, passphrase] = process.argv.slice(1);
const { readPgpKeys } = await import(${JSON.stringify(join(ROOT, 'dist/io/pgp/read-keys.js'))});
const { decryptFile } = await import(${JSON.stringify(join(ROOT, 'dist/io/pgp/decrypt-file.js'))});
const { encryptFile } = await import(${JSON.stringify(join(ROOT, 'dist/io/pgp/encrypt-file.js'))});
const importedKb = process.resourceUsage().maxRSS;
const keyring = await readPgpKeys({
  connection: 'bench',
  privateKey: { label: 'private', data: readFileSync(fixtures + '/ferry-ed25519.sec.asc', 'utf8') },
  passphrase,
  publicKeys: [{ label: 'partner', data: readFileSync(fixtures + '/partner-ed25519.pub.asc', 'utf8') }],
});
const started = Date.now();
if (mode === 'decrypt') {
  await decryptFile({ inputPath: input, outputPath: output, keyring, requireSignature: true,
    maxBytes: 100 * 1024 ** 3, what: input, context: {} });
} else if (mode === 'encrypt') {
  await encryptFile({ inputPath: input, outputPath: output, recipients: [keyring.privateKeys[0].toPublic()],
    signingKey: keyring.privateKeys[0], armor: false, filename: 'bench', date: new Date(), context: {} });
}
console.log(JSON.stringify({ ms: Date.now() - started, importedKb, maxRssKb: process.resourceUsage().maxRSS }));
`;

function child(mode: 'decrypt' | 'encrypt' | 'idle', input: string, output: string) {
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', CHILD, mode, input, output, FIXTURES, PASSPHRASE],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`${mode} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ms: number;
    importedKb: number;
    maxRssKb: number;
  };
}

async function writeRandom(path: string, mb: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < mb; i++) if (!out.write(randomBytes(1024 * 1024))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function hasGpg(): boolean {
  return spawnSync('gpg', ['--version']).status === 0;
}

function gpgEncrypt(dir: string, input: string, output: string): void {
  const home = join(dir, 'gnupg');
  const base = [
    '--homedir',
    home,
    '--batch',
    '--yes',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    PASSPHRASE,
  ];
  mkdirSync(home, { recursive: true, mode: 0o700 });
  execFileSync(
    'gpg',
    [...base, '--import', join(FIXTURES, 'partner-ed25519.sec.asc'), join(FIXTURES, 'ferry-ed25519.pub.asc')],
    {
      stdio: 'ignore',
    },
  );
  execFileSync('gpg', [
    ...base,
    '--trust-model',
    'always',
    '--recipient',
    'ferry-ed25519@example.com',
    '--local-user',
    'partner-ed25519@example.com',
    '--sign',
    '--encrypt',
    '--output',
    output,
    input,
  ]);
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
}

const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-pgp-'));
let failed = false;
try {
  // Unlocking a gpg-exported key runs its iterated S2K (65 MB of hashing by default), which openpgp
  // does in one buffer: a one-off peak per run, not per file.
  const idle = child('idle', '', '');
  console.log(
    `node + openpgp: ${mib(idle.importedKb)} before the key is read; peak RSS with the key unlocked, no file: ${mib(idle.maxRssKb)}`,
  );
  for (const mb of sizes) {
    const plain = join(dir, `plain-${mb}`);
    await writeRandom(plain, mb);
    const encrypted = join(dir, `plain-${mb}.pgp`);
    let by = 'ferry';
    if (hasGpg()) {
      gpgEncrypt(dir, plain, encrypted);
      by = 'gpg (signed, compressed)';
    } else {
      child('encrypt', plain, encrypted);
    }
    const decrypted = join(dir, `decrypted-${mb}`);
    const d = child('decrypt', encrypted, decrypted);
    const same = (await sha256(plain)) === (await sha256(decrypted));
    console.log(
      `${mb} MB from ${by}: decrypt + verify ${(d.ms / 1000).toFixed(1)} s, peak RSS ${mib(d.maxRssKb)}` +
        `${same ? '' : '  ✗ OUTPUT DIFFERS'}`,
    );
    const e = child('encrypt', plain, join(dir, `ferry-${mb}.pgp`));
    console.log(
      `${mb} MB by ferry: encrypt + sign ${(e.ms / 1000).toFixed(1)} s, peak RSS ${mib(e.maxRssKb)}`,
    );
    failed ||= !same;
    await rm(join(dir, `ferry-${mb}.pgp`), { force: true });
    await Promise.all([plain, encrypted, decrypted].map((p) => rm(p, { force: true })));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
