/**
 * An unexpected exception (a bug, not a configuration problem) must end in exit 70 with a request
 * to report it and the stack trace, never a bare crash. loadProject is replaced by one that throws
 * a plain Error, so `ferry validate` hits the path a real bug would take.
 */
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../engine/cli/main.js';
import type { Output } from '../../../engine/cli/output.js';

vi.mock('../../../engine/project/load-project.js', () => ({
  loadProject: () => {
    throw new Error('simulated bug in the loader');
  },
}));

function capture(): Output & { out: string; err: string } {
  const output = {
    out: '',
    err: '',
    color: false,
    stdout: (text: string) => void (output.out += text),
    stderr: (text: string) => void (output.err += text),
  };
  return output;
}

describe('runCli on an internal error', () => {
  it('exits 70 and asks for a bug report with the trace', async () => {
    const output = capture();
    const code = await runCli(['validate'], { cwd: '/nonexistent', env: {}, output });
    expect(code).toBe(70);
    expect(output.out).toBe('');
    expect(output.err).toMatch(/^ferry validate: internal error/);
    expect(output.err).toMatch(/bug in ferry/);
    expect(output.err).toMatch(/Please report it/);
    expect(output.err).toContain('simulated bug in the loader');
    expect(output.err).toMatch(/\n\s+at /); // the stack trace
  });
});
