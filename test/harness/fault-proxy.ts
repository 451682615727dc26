/**
 * A small HTTP proxy of ours in front of s3rver that injects the failures real networks and real S3
 * produce (RELIABILITY.md, "Faults to inject"): error statuses with S3 XML bodies, connection resets,
 * bodies cut short or stalled, servers that never answer, responses lost after the server committed.
 * Rules match on method, bucket, key and query parameters; every request is recorded so tests can
 * assert how many attempts were made. Everything it holds open is destroyed by close().
 */

import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /**
   * Answer with this status and an S3 XML error body (no body for HEAD). `echoHeaders`: the message
   * is the values of these request headers, as a careless server that echoes credentials would send.
   */
  | { kind: 'status'; status: number; code: string; message?: string; echoHeaders?: readonly string[] }
  /** Reset the connection instead of answering (after reading the request). */
  | { kind: 'reset' }
  /** Forward, then send the headers (full Content-Length) and only `afterBytes` of the body, then reset. */
  | { kind: 'truncate'; afterBytes: number }
  /** Forward, then send the headers and `afterBytes` of the body, then nothing more. */
  | { kind: 'stall'; afterBytes: number }
  /** Read the request and never answer. */
  | { kind: 'hang' }
  /** Forward (the server commits the change), then reset the connection instead of answering. */
  | { kind: 'drop-response' }
  /** Forward, but replace these response headers (e.g. to fake what HeadObject reports). */
  | { kind: 'override-headers'; headers: Record<string, string> }
  /** Forward after `ms` milliseconds (a slow server: something to interrupt). */
  | { kind: 'delay'; ms: number }
  /** Forward with the first byte of the request body inverted (damaged in transit), length kept. */
  | { kind: 'corrupt-request-body' }
  /**
   * Hold matching requests until `until` of them are held, then forward them all: proves that many
   * are sent at once (a caller that sends one at a time never gets an answer).
   */
  | { kind: 'gate'; until: number }
  /** Hold matching requests until `releaseHeld()` is called, then forward them (a step to interrupt). */
  | { kind: 'hold' };

export interface RequestMatch {
  method?: string;
  bucket?: string;
  key?: string;
  keyIncludes?: string;
  /** Query parameters that must be present, e.g. `partNumber`, `uploadId`, `continuation-token`. */
  hasQuery?: readonly string[];
  /** Query parameters that must be absent. */
  lacksQuery?: readonly string[];
}

export interface FaultRuleSpec {
  match: RequestMatch;
  fault: Fault;
  /** How many matching requests get the fault; forever when omitted. */
  times?: number;
  /** Let this many matching requests through untouched first (e.g. fail listing page 3: skip 2). */
  skip?: number;
}

export interface FaultRule {
  /** Matching requests seen while the rule was active (skipped ones included). */
  readonly seen: number;
  /** Requests that received the fault. */
  readonly hits: number;
  remove: () => void;
}

export interface ProxiedRequest {
  method: string;
  /** Request headers, without `authorization`. */
  headers: Record<string, string | string[] | undefined>;
  bucket: string;
  key: string | undefined;
  query: Record<string, string>;
  fault: Fault['kind'] | undefined;
  /** The upstream's status, for requests forwarded without a fault (set when its headers arrive). */
  status?: number;
  /** Requests in flight at the proxy when this one arrived, itself included. */
  inFlight: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  addRule: (spec: FaultRuleSpec) => FaultRule;
  clearRules: () => void;
  /** Forwards every request a `hold` fault holds; returns how many there were. */
  releaseHeld: () => number;
  /** Every request received, in order. */
  readonly requests: readonly ProxiedRequest[];
  /** Requests received that match, faulted or not. */
  count: (match: RequestMatch) => number;
  close: () => Promise<void>;
}

interface ActiveRule {
  spec: FaultRuleSpec;
  seen: number;
  hits: number;
}

function parseTarget(rawUrl: string): Omit<ProxiedRequest, 'fault' | 'method' | 'headers' | 'inFlight'> {
  const url = new URL(rawUrl, 'http://proxy.invalid');
  const path = url.pathname.slice(1);
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash === -1 ? path : path.slice(0, slash));
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  return {
    bucket,
    key: rawKey === '' ? undefined : decodeURIComponent(rawKey),
    query: Object.fromEntries(url.searchParams),
  };
}

function matches(
  match: RequestMatch,
  request: Omit<ProxiedRequest, 'fault' | 'headers' | 'inFlight'>,
): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false;
  if (match.bucket !== undefined && match.bucket !== request.bucket) return false;
  if (match.key !== undefined && match.key !== request.key) return false;
  if (match.keyIncludes !== undefined && !(request.key ?? '').includes(match.keyIncludes)) return false;
  if (match.hasQuery?.some((name) => !(name in request.query)) === true) return false;
  if (match.lacksQuery?.some((name) => name in request.query) === true) return false;
  return true;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Starts the proxy on 127.0.0.1:0 in front of `upstream` (e.g. the s3rver endpoint). */
export async function startFaultProxy(options: { upstream: string }): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let requestCounter = 0;
  let inFlight = 0;
  const gates = new Map<Fault, Array<() => void>>();
  const held: Array<() => void> = [];

  const drain = (req: IncomingMessage, then: () => void): void => {
    if (req.complete) {
      then();
      return;
    }
    req.on('end', then);
    req.resume();
  };

  const reset = (res: ServerResponse): void => {
    const socket = res.socket;
    if (socket === null) return;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };

  /** Sends the request upstream and hands over the full response (status, headers, body). */
  const forwardBuffered = (
    req: IncomingMessage,
    res: ServerResponse,
    onResponse: (status: number, headers: IncomingMessage['headers'], body: Buffer) => void,
  ): void => {
    const upstreamReq = forwardRequest(req, res);
    upstreamReq.on('response', (upstreamRes) => {
      const chunks: Buffer[] = [];
      upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
      upstreamRes.on('end', () =>
        onResponse(upstreamRes.statusCode ?? 502, upstreamRes.headers, Buffer.concat(chunks)),
      );
      upstreamRes.on('error', () => res.destroy());
    });
  };

  /** `body`: send this instead of the request's own body (already read). */
  const forwardRequest = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const headers = { ...req.headers };
    delete headers.expect;
    const upstreamReq = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    upstreamReq.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (body === undefined) req.pipe(upstreamReq);
    else upstreamReq.end(body);
    return upstreamReq;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record?: ProxiedRequest,
    body?: Buffer,
  ): void => {
    const upstreamReq = forwardRequest(req, res, body);
    upstreamReq.on('response', (upstreamRes) => {
      if (record && upstreamRes.statusCode !== undefined) record.status = upstreamRes.statusCode;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.rawHeaders);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
  };

  const sendPartialBody = (
    res: ServerResponse,
    status: number,
    headers: IncomingMessage['headers'],
    body: Buffer,
    afterBytes: number,
    then: () => void,
  ): void => {
    const outHeaders = { ...headers, 'content-length': String(body.length) };
    delete outHeaders['transfer-encoding'];
    res.writeHead(status, outHeaders);
    res.write(body.subarray(0, Math.min(afterBytes, body.length)), then);
  };

  const applyFault = (fault: Fault, req: IncomingMessage, res: ServerResponse, requestId: string): void => {
    switch (fault.kind) {
      case 'status':
        drain(req, () => {
          const body =
            req.method === 'HEAD'
              ? ''
              : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(
                  fault.echoHeaders
                    ? fault.echoHeaders.map((name) => `${name}: ${String(req.headers[name])}`).join('; ')
                    : (fault.message ?? `Injected ${fault.code} by the ferry fault proxy`),
                )}</Message><RequestId>${requestId}</RequestId></Error>`;
          res.writeHead(fault.status, {
            'content-type': 'application/xml',
            'content-length': String(Buffer.byteLength(body)),
            'x-amz-request-id': requestId,
          });
          res.end(body);
        });
        return;
      case 'reset':
        drain(req, () => reset(res));
        return;
      case 'hang':
        req.resume();
        return;
      case 'truncate':
        forwardBuffered(req, res, (status, headers, body) =>
          sendPartialBody(res, status, headers, body, fault.afterBytes, () => reset(res)),
        );
        return;
      case 'stall':
        forwardBuffered(req, res, (status, headers, body) =>
          sendPartialBody(res, status, headers, body, fault.afterBytes, () => undefined),
        );
        return;
      case 'drop-response':
        forwardBuffered(req, res, () => reset(res));
        return;
      case 'delay': {
        const timer = setTimeout(() => forward(req, res), fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'corrupt-request-body': {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          if (body.length > 0) body[0] = (body[0] ?? 0) ^ 0xff;
          forward(req, res, undefined, body);
        });
        return;
      }
      case 'gate': {
        const held = gates.get(fault) ?? [];
        gates.set(fault, held);
        held.push(() => forward(req, res));
        if (held.length >= fault.until) for (const release of held.splice(0)) release();
        return;
      }
      case 'hold':
        held.push(() => forward(req, res));
        return;
      case 'override-headers':
        forwardBuffered(req, res, (status, headers, body) => {
          res.writeHead(status, { ...headers, ...fault.headers });
          res.end(req.method === 'HEAD' ? undefined : body);
        });
        return;
    }
  };

  const server = createServer((req, res) => {
    requestCounter += 1;
    const requestId = `FERRYPROXY${String(requestCounter).padStart(6, '0')}`;
    const target = { method: (req.method ?? 'GET').toUpperCase(), ...parseTarget(req.url ?? '/') };
    let fault: Fault | undefined;
    for (const rule of rules) {
      if (rule.spec.times !== undefined && rule.hits >= rule.spec.times) continue;
      if (!matches(rule.spec.match, target)) continue;
      rule.seen += 1;
      if (rule.seen > (rule.spec.skip ?? 0)) {
        rule.hits += 1;
        fault = rule.spec.fault;
      }
      break;
    }
    const { authorization: _authorization, ...headers } = req.headers;
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    const record: ProxiedRequest = { ...target, headers, fault: fault?.kind, inFlight };
    requests.push(record);
    if (fault === undefined) forward(req, res, record);
    else applyFault(fault, req, res, requestId);
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
    port,
    addRule: (spec) => {
      const rule: ActiveRule = { spec, seen: 0, hits: 0 };
      rules.push(rule);
      return {
        get seen() {
          return rule.seen;
        },
        get hits() {
          return rule.hits;
        },
        remove: () => {
          const index = rules.indexOf(rule);
          if (index !== -1) rules.splice(index, 1);
        },
      };
    },
    clearRules: () => {
      rules.length = 0;
      gates.clear();
    },
    releaseHeld: () => {
      const waiting = held.splice(0);
      for (const release of waiting) release();
      return waiting.length;
    },
    requests,
    count: (match) => requests.filter((request) => matches(match, request)).length,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
