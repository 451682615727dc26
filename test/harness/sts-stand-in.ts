/**
 * A local stand-in for AWS STS (the query protocol: form-encoded POST, XML answers) that answers
 * AssumeRole and GetCallerIdentity, so assume-role is tested through the real SDK on the wire. Every
 * request is recorded with its parameters, the access key id it was signed with and its session token.
 * Signatures are not verified: the point is what ferry sends and what it does with the answer.
 *
 * Session credentials default to s3rver's key pair (so the S3 requests signed with them succeed) and a
 * numbered session token `session-<n>`, which tests look for on the S3 requests.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { S3RVER_CREDENTIALS } from './test-connection.js';

export interface StsRequest {
  action: string;
  params: Record<string, string>;
  /** From the Authorization header's Credential=…; the secret is never on the wire. */
  accessKeyId: string | undefined;
  securityToken: string | undefined;
}

export interface StsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface StsStandInOptions {
  /** The account GetCallerIdentity reports for the caller. Default 111111111111. */
  callerAccount?: string;
  /** AssumeRole answers 403 AccessDenied unless the request carries exactly this ExternalId. */
  requireExternalId?: string;
  /** How long each session lasts; default the requested DurationSeconds. */
  sessionLifetimeMs?: number;
}

export interface StsStandIn {
  endpoint: string;
  readonly requests: readonly StsRequest[];
  /** The sessions handed out, in order (session n has token `session-n`). */
  readonly sessions: readonly StsSession[];
  close: () => Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorXml(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

export async function startStsStandIn(options: StsStandInOptions = {}): Promise<StsStandIn> {
  const requests: StsRequest[] = [];
  const sessions: StsSession[] = [];
  const sockets = new Set<Socket>();
  const callerAccount = options.callerAccount ?? '111111111111';

  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const action = params['Action'] ?? '';
      const authorization = req.headers.authorization ?? '';
      const token = req.headers['x-amz-security-token'];
      requests.push({
        action,
        params,
        accessKeyId: /Credential=([^/]+)\//.exec(authorization)?.[1],
        securityToken: typeof token === 'string' ? token : undefined,
      });
      const requestId = `sts-stand-in-${requests.length}`;
      const send = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(xml);
      };
      if (action === 'GetCallerIdentity') {
        send(
          200,
          `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>arn:aws:iam::${callerAccount}:user/ferry-source</Arn><UserId>AIDASTANDIN</UserId><Account>${callerAccount}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
        return;
      }
      if (action !== 'AssumeRole') {
        send(400, errorXml('InvalidAction', `Could not find operation ${action}`, requestId));
        return;
      }
      if (options.requireExternalId !== undefined && params['ExternalId'] !== options.requireExternalId) {
        send(403, errorXml('AccessDenied', 'Not authorized to perform sts:AssumeRole', requestId));
        return;
      }
      const lifetimeMs = options.sessionLifetimeMs ?? Number(params['DurationSeconds'] ?? '3600') * 1000;
      const session: StsSession = {
        ...S3RVER_CREDENTIALS,
        sessionToken: `session-${sessions.length + 1}`,
        expiration: new Date(Date.now() + lifetimeMs),
      };
      sessions.push(session);
      const roleName = (params['RoleArn'] ?? '').split('/').pop() ?? '';
      const roleAccount = /::(\d{12}):/.exec(params['RoleArn'] ?? '')?.[1] ?? '';
      const sessionName = params['RoleSessionName'] ?? '';
      send(
        200,
        `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${session.secretAccessKey}</SecretAccessKey><SessionToken>${session.sessionToken}</SessionToken><Expiration>${session.expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROASTANDIN:${sessionName}</AssumedRoleId><Arn>arn:aws:sts::${roleAccount}:assumed-role/${roleName}/${sessionName}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    sessions,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
