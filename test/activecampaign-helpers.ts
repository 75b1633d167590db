import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** One request as the scripted server saw it. */
export interface SeenRequest {
  readonly method: string;
  /** Path without the query string, e.g. '/api/3/lists'. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** performance-style clock: milliseconds since the server started. */
  readonly at: number;
}

export type Handler = (request: SeenRequest, res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

export interface ScriptedServer {
  /** 'http://127.0.0.1:<port>' */
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0, answering with `handler`; it records every request. */
export async function startScriptedServer(handler: Handler): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const started = performance.now();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      at: performance.now() - started,
    };
    requests.push(seen);
    Promise.resolve(handler(seen, res, req)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A server answering the n-th request (0-based) with script[n] (the last entry repeats). */
export function sequence(...script: Handler[]): Handler {
  let index = 0;
  return (request, res, req) => {
    const step = script[Math.min(index, script.length - 1)] as Handler;
    index += 1;
    return step(request, res, req);
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_request, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
}

export function raw(status: number, text: string, headers: Record<string, string> = {}): Handler {
  return (_request, res) => {
    res.writeHead(status, headers);
    res.end(text);
  };
}

/** Closes the connection without any answer. */
export const reset: Handler = (_request, res) => {
  res.socket?.destroy();
};

/** `serve(handler)` for one test file: every server it starts is closed when the file's tests end. */
export function serverPool(): (handler: Handler) => Promise<ScriptedServer> {
  const servers: ScriptedServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));
  return async (handler) => {
    const server = await startScriptedServer(handler);
    servers.push(server);
    return server;
  };
}
