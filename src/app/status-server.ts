import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface StatusServerOptions {
  readonly registry: Registry;
  /** Readiness: true once the node has been labelled from a readable devicetree. */
  readonly ready: () => boolean;
}

/**
 * /metrics (Prometheus text), /healthz (liveness: the process answers) and /readyz (readiness). Kept apart
 * from the reconcile loop so metrics are served while the API server is unreachable.
 */
export function createStatusServer(options: StatusServerOptions): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'not ready\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
}
