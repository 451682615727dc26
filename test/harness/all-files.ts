/** Every file under a directory, recursively, as paths: what a secret-egress test greps. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}
