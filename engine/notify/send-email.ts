/**
 * A notification as an email over SMTP (nodemailer). The password is resolved from its reference only
 * here; the connection goes to an address checked against the metadata-address rules (the host name
 * stays the TLS server name, so certificates are still verified against it). Transient failures (no
 * connection, timeouts, 4xx replies) are retried with backoff; 5xx replies and refused logins are not.
 */
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import type { SmtpTarget } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { backoffDelayMs, realSleep, type Sleep } from './backoff.js';
import type { NotifyEvent } from './notify-event.js';
import { renderNotificationEmail } from './render-notification-email.js';
import { resolveNotifyReferences } from './resolve-notify-references.js';
import { resolveTargetAddress, type HostResolver } from './resolve-target-address.js';

export const SMTP_MAX_ATTEMPTS = 3;

export interface SendEmailDeps {
  env: NodeJS.ProcessEnv;
  projectDir: string;
  sleep?: Sleep;
  resolveHost?: HostResolver;
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
}

export async function sendEmail(
  target: SmtpTarget,
  event: NotifyEvent,
  options: { to?: readonly string[] },
  deps: SendEmailDeps,
): Promise<{ attempts: number; recipients: number }> {
  const to = [...(options.to ?? target.to)];
  if (to.length === 0) {
    throw new FerryError('NOTIFY_EMAIL_FAILED', `Notification target "${target.name}" has no recipients.`, {
      context: { target: target.name },
      hint: `Add to: [...] to notifications.${target.name} in ferry.yaml.`,
    });
  }
  const pass = target.password
    ? resolveNotifyReferences(target.password.ref, {
        env: deps.env,
        projectDir: deps.projectDir,
        target: target.name,
        field: 'password',
      })
    : undefined;
  const { subject, text } = renderNotificationEmail(event);
  const sleep = deps.sleep ?? realSleep;
  let lastError: FerryError | undefined;
  for (let attempt = 1; attempt <= SMTP_MAX_ATTEMPTS; attempt++) {
    try {
      const { address } = await resolveTargetAddress(target.host, {
        target: target.name,
        ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
      });
      const transport = createTransport({
        host: address,
        port: target.port,
        secure: target.secure,
        requireTLS: !target.secure && target.starttls === 'required',
        ignoreTLS: !target.secure && target.starttls === 'off',
        opportunisticTLS: target.starttls === 'opportunistic',
        tls: {
          rejectUnauthorized: target.tlsRejectUnauthorized,
          // SNI and the certificate check use the configured name, not the address connected to.
          ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        },
        ...(target.username !== undefined ? { auth: { user: target.username, pass: pass ?? '' } } : {}),
        connectionTimeout: target.timeoutMs,
        greetingTimeout: target.timeoutMs,
        socketTimeout: target.timeoutMs,
        logger: false,
        debug: false,
      });
      try {
        await transport.sendMail({ from: target.from, to, subject, text });
      } finally {
        transport.close();
      }
      return { attempts: attempt, recipients: to.length };
    } catch (error) {
      lastError = toFerryError(error, target, attempt);
    }
    if (!lastError.retryable || attempt === SMTP_MAX_ATTEMPTS) break;
    await sleep(backoffDelayMs(attempt));
  }
  throw (
    lastError ?? new FerryError('NOTIFY_EMAIL_FAILED', `Notification target "${target.name}": no email sent.`)
  );
}

function toFerryError(error: unknown, target: SmtpTarget, attempt: number): FerryError {
  if (error instanceof FerryError) {
    error.context['attempts'] = attempt;
    return error;
  }
  const failure = error as SmtpFailure;
  const reply = failure.responseCode;
  const retryable =
    (reply !== undefined && reply >= 400 && reply < 500) ||
    (reply === undefined && ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS'].includes(failure.code ?? ''));
  // nodemailer's own message can quote the server's reply; ferry's names the code and the reply number only.
  return new FerryError(
    'NOTIFY_EMAIL_FAILED',
    `Notification target "${target.name}": the email was not sent (${failure.code ?? 'error'}${reply !== undefined ? `, SMTP reply ${reply}` : ''}).`,
    {
      context: {
        target: target.name,
        attempts: attempt,
        ...(failure.code !== undefined ? { smtpError: failure.code } : {}),
        ...(reply !== undefined ? { smtpReply: reply } : {}),
      },
      cause: error,
      retryable,
      hint:
        failure.code === 'EAUTH'
          ? 'Check username and the password reference.'
          : failure.code === 'ETLS' || /STARTTLS/i.test(String((error as Error).message))
            ? 'The server did not upgrade to TLS: check port, secure and starttls.'
            : 'Check host, port and the mail server’s logs.',
    },
  );
}
