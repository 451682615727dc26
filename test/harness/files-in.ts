/** The files ferry put in a run temp dir: its listing without the owner marker every run dir holds. */
import { readdir } from 'node:fs/promises';
import { RUN_TEMP_DIR_MARKER } from '../../engine/io/temp-dir.js';

export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== RUN_TEMP_DIR_MARKER);
}
