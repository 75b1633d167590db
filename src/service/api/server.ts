/**
 * The API on a port: the app over the service's database and queue, listening on 127.0.0.1 unless told
 * otherwise; beyond loopback it refuses to start without a bearer token.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { ConfigError } from '../../core/errors.js';
import type { JobQueue, ServiceDb } from '../jobs.js';
import { createApp } from './app.js';
import { migrateApi } from './schema.js';
import { SecretBox, loadMasterKey } from './secrets.js';
import { setGlobalWebhook } from './webhooks.js';

export interface ApiServerOptions {
  readonly db: ServiceDb;
  readonly queue: JobQueue;
  readonly dataDir: string;
  /** 0: any free port. */
  readonly port: number;
  readonly host: string;
  readonly token: string | null;
  /** The service-wide webhook (`--webhook`); null clears it, undefined leaves it as stored. */
  readonly webhook?: string | null;
  readonly pollMs?: number;
}

export interface ApiServer {
  /** `http://host:port` */
  readonly url: string;
  readonly box: SecretBox;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Opens the master key and the API's tables: what both the API and a worker need first. */
export async function prepareApi(db: ServiceDb, dataDir: string): Promise<SecretBox> {
  const box = new SecretBox(loadMasterKey(dataDir));
  await migrateApi(db);
  return box;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  if (!isLoopbackHost(options.host) && options.token === null) {
    throw new ConfigError(`listening on ${options.host} (beyond this machine) needs a bearer token: set ACSYNC_API_TOKEN or pass --token-file`);
  }
  if (options.token !== null && options.token.length < 16) throw new ConfigError('the API token must be at least 16 characters');
  const box = await prepareApi(options.db, options.dataDir);
  if (options.webhook !== undefined) await setGlobalWebhook(options.db, options.webhook);
  const app = createApp({
    db: options.db,
    queue: options.queue,
    box,
    dataDir: options.dataDir,
    token: options.token,
    ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    box,
    close: () =>
      new Promise<void>((resolve) => {
        // Event streams stay open until their runs end: cut them.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
