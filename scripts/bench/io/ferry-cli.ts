/** How the scenarios start the built CLI: `node bin/ferry.js` (package.json `bin`), built by `npm run build`. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export function ferryCli(): { command: string; args: string[]; repo: string } {
  const bin = `${REPO}bin/ferry.js`;
  if (!existsSync(`${REPO}dist/cli/main.js`)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
  }
  return { command: process.execPath, args: [bin], repo: REPO };
}
