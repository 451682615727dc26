/**
 * Notification secrets (SMTP password, webhook secret, header values, the URL) are resolved only
 * when sending, and registered with the redactor then: an error that quotes them (a receiver's
 * answer, a network library's message) must not get them printed (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../engine/errors/redact-secrets.js';
import { resolveNotifyReferences } from '../../../engine/notify/resolve-notify-references.js';

const context = (env: NodeJS.ProcessEnv) => ({ env, projectDir: '/nonexistent', target: 'hook', field: 'f' });

describe('resolveNotifyReferences', () => {
  it('registers each referenced value and the whole value for redaction', () => {
    const token = `tok${randomBytes(8).toString('hex')}`;
    const host = `host${randomBytes(4).toString('hex')}`;
    const value = resolveNotifyReferences('Bearer ${env:T} at ${env:H}', context({ T: token, H: host }));
    expect(value).toBe(`Bearer ${token} at ${host}`);
    expect(redactSecrets(`sent ${token}`)).toBe('sent ***');
    expect(redactSecrets(`to ${host}`)).toBe('to ***');
  });

  it('does not register a value without references (a literal header is no secret)', () => {
    const literal = `application/x-${randomBytes(4).toString('hex')}`;
    expect(resolveNotifyReferences(literal, context({}))).toBe(literal);
    expect(redactSecrets(literal)).toBe(literal);
  });
});
