/**
 * A real SMTP server for notification tests (smtp-server from npm) on 127.0.0.1:0. It keeps every
 * message it accepts, with the login that sent it, and decodes the text part (quoted-printable or
 * base64: long links are wrapped) so tests can assert on what a person would read.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  /** True when the session was upgraded with STARTTLS (or was TLS from the start). */
  secure: boolean;
  raw: string;
  subject: string;
  text: string;
}

export interface SmtpReceiver {
  port: number;
  messages: ReceivedMail[];
  /** Logins the server saw (user and password), to check the password reference was resolved. */
  logins: Array<{ username: string; password: string }>;
  stop: () => Promise<void>;
}

function decodeBody(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function headerValue(raw: string, name: string): string {
  const headers = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1]?.trim() ?? '';
}

export async function startSmtpReceiver(
  options: { starttls?: boolean; users?: Record<string, string> } = {},
): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const logins: SmtpReceiver['logins'] = [];
  const users = options.users;
  const config: SMTPServerOptions = {
    secure: false,
    logger: false,
    disabledCommands: options.starttls === false ? ['STARTTLS'] : [],
    authOptional: users === undefined,
    allowInsecureAuth: options.starttls === false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      if (users && auth.username !== undefined && users[auth.username] === auth.password) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom;
        messages.push({
          from: from === false ? undefined : from.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          raw,
          subject: headerValue(raw, 'subject'),
          text: decodeBody(raw),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    logins,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
