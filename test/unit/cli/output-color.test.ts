/**
 * Colour per stream and progress only for a person: each stream's terminal decides its colour;
 * NO_COLOR (non-empty, no-color.org) and --no-color turn it off, FORCE_COLOR on; progress needs a
 * terminal on stderr and no CI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../engine/cli/main.js';
import { decideColor, decideProgress, type Output } from '../../../engine/cli/output.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('decideColor', () => {
  it.each([
    [{}, tty, {}, true],
    [{}, pipe, {}, false],
    [{ NO_COLOR: '1' }, tty, {}, false],
    [{ NO_COLOR: '' }, tty, {}, true],
    [{}, tty, { noColorFlag: true }, false],
    [{ FORCE_COLOR: '1' }, pipe, {}, true],
    [{ FORCE_COLOR: '0' }, tty, {}, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, pipe, {}, true],
    [{ FORCE_COLOR: '1' }, tty, { noColorFlag: true }, false],
  ])('env %j, %j, %j → %s', (env, stream, options, expected) => {
    expect(decideColor(env, stream, options)).toBe(expected);
  });
});

describe('decideProgress', () => {
  it.each([
    [{}, tty, true],
    [{}, pipe, false],
    [{ CI: 'true' }, tty, false],
    [{ CI: '1' }, tty, false],
    [{ CI: 'false' }, tty, true],
  ])('env %j, %j → %s', (env, stream, expected) => {
    expect(decideProgress(env, stream)).toBe(expected);
  });
});

describe('the CLI writes colour on a stream only when that stream has it', () => {
  const invalidProject = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-color-'));
    writeFileSync(join(dir, 'ferry.yaml'), 'version: 1\nno_such_key: 1\n');
    return dir;
  };
  const capture = (color: boolean, stderrColor: boolean) => {
    const seen = { stdout: '', stderr: '' };
    const output: Output = {
      stdout: (t) => void (seen.stdout += t),
      stderr: (t) => void (seen.stderr += t),
      color,
      stderrColor,
    };
    return { seen, output };
  };
  const ESC = '\u001b[';

  it('problems on stderr follow stderr, not stdout', async () => {
    const dir = invalidProject();
    const plain = capture(true, false);
    expect(await runCli(['validate'], { cwd: dir, env: {}, output: plain.output })).toBe(3);
    expect(plain.seen.stderr).toMatch(/^ {2}2:1 /m);
    expect(plain.seen.stderr).not.toContain(ESC);
    const coloured = capture(false, true);
    expect(await runCli(['validate'], { cwd: dir, env: {}, output: coloured.output })).toBe(3);
    expect(coloured.seen.stderr).toContain(ESC);
  });

  it('--no-color turns colour off on both streams, wherever it stands', async () => {
    const dir = invalidProject();
    const both = capture(true, true);
    expect(await runCli(['validate', '--no-color'], { cwd: dir, env: {}, output: both.output })).toBe(3);
    expect(both.seen.stderr).toMatch(/^ {2}2:1 /m);
    expect(both.seen.stderr).not.toContain(ESC);
  });
});
