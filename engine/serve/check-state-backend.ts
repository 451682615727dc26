/**
 * Can the service reach its state backend? For the local backend: the state directory (or, before
 * the first run creates it, its nearest existing parent) is writable.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StateBackend } from '../config/model.js';

export async function checkStateBackend(state: StateBackend): Promise<{ ok: boolean; detail: string }> {
  if (state.kind !== 'local')
    return { ok: false, detail: `the ${state.kind} state backend is not supported yet` };
  let dir = state.directory;
  for (;;) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      if (!info.isDirectory()) return { ok: false, detail: `${dir} is not a directory` };
      try {
        await access(dir, constants.W_OK);
        return { ok: true, detail: 'local state directory is writable' };
      } catch {
        return { ok: false, detail: `${dir} is not writable` };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return { ok: false, detail: 'no existing parent directory' };
    dir = parent;
  }
}
