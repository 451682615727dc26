/**
 * The service's HTTP endpoints (node:http, no framework): /healthz (the process is alive),
 * /readyz (configuration loaded, state backend reachable, not draining), /metrics (Prometheus text),
 * /status (JSON). GET and HEAD only; nothing here changes anything.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FerryError } from '../errors/ferry-error.js';

export interface ProbeResult {
  ok: boolean;
  body: unknown;
}

export interface ServeHttpHandlers {
  healthz(): ProbeResult;
  readyz(): Promise<ProbeResult>;
  metrics(): Promise<{ contentType: string; body: string }>;
  status(): unknown;
}

export interface ServeHttp {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startServeHttp(options: {
  host: string;
  port: number;
  handlers: ServeHttpHandlers;
}): Promise<ServeHttp> {
  const server = createServer((request, response) => {
    handle(request, response, options.handlers).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new FerryError(
          error.code === 'EADDRINUSE' ? 'SERVE_PORT_IN_USE' : 'SERVE_LISTEN_FAILED',
          `Cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}.`,
          { cause: error, hint: 'Choose another --port (0 picks a free one) or --host.' },
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, handlers: ServeHttpHandlers) {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    response.end('method not allowed\n');
    return;
  }
  const send = (status: number, contentType: string, body: string) => {
    response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  const json = (status: number, value: unknown) =>
    send(status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n');
  switch (path) {
    case '/healthz': {
      const result = handlers.healthz();
      json(result.ok ? 200 : 503, result.body);
      return;
    }
    case '/readyz': {
      const result = await handlers.readyz();
      json(result.ok ? 200 : 503, result.body);
      return;
    }
    case '/metrics': {
      const metrics = await handlers.metrics();
      send(200, metrics.contentType, metrics.body);
      return;
    }
    case '/status':
      json(200, handlers.status());
      return;
    default:
      send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics or /status\n');
  }
}
