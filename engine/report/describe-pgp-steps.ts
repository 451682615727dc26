/**
 * Which PGP keys a pipeline's run uses, as plan lines: keys by fingerprint, algorithm and user id,
 * never the key. Shared by the text and Markdown renderings.
 */
import type { PlanPgpKey, Step } from '../plan/plan-model.js';

function describeKey(key: PlanPgpKey): string {
  return `${key.fingerprint} (${key.algorithm}${key.userId !== undefined ? `, ${key.userId}` : ''})`;
}

const list = (keys: readonly PlanPgpKey[]) => keys.map(describeKey).join(', ') || 'no key';

/** "decrypt  with …" / "encrypt  to …" lines, label padded to the text plan's 9 columns. */
export function describePgpSteps(steps: readonly Step[]): string[] {
  const lines: string[] = [];
  for (const step of steps) {
    if (step.kind === 'fetch' && step.decrypt) {
      const { keys, requireSignature, verifyWith } = step.decrypt;
      lines.push(
        `decrypt  with ${list(keys)}; ${requireSignature ? `signature required from ${list(verifyWith)}` : 'signatures not checked'}`,
      );
    }
    if (step.kind === 'write-files' && step.encrypt) {
      const { recipients, signedBy, armor } = step.encrypt;
      lines.push(
        `encrypt  to ${list(recipients)}; ${signedBy ? `signed by ${describeKey(signedBy)}` : 'not signed'}${armor ? '; armored' : ''}`,
      );
    }
  }
  return lines;
}
