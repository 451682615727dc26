/**
 * main.ts lists every command with its summary and loads its module only when it runs; the summary
 * `ferry --help` shows must be the command's own, and each loader must give the command it names.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../engine/cli/main.js';

describe('command index', () => {
  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    '%s: loads itself, same summary',
    async (_, entry) => {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
    },
  );

  it('names are unique', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
