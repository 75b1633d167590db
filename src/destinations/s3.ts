/**
 * The Parquet lake on S3 (`s3://bucket/prefix`, parsed by ./lake-uri.ts): ./parquet.ts writes every file into a
 * local cache directory first, and this store uploads it. The lake writer publishes in an order that keeps readers safe (batch files
 * before the state naming them; a version's data files before its manifest; the manifest before the state),
 * and this store uploads each `publish` completely before returning, so the bucket sees the same order.
 * State and manifests are read from the bucket, and a file the cache lacks (a pass resumed on another
 * machine, the previous version of an incremental pass) is downloaded; a cached copy is used only when its
 * MD5 matches the object's ETag.
 *
 * Credentials, region and endpoint come from the usual AWS variables (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 /
 * AWS_ENDPOINT_URL; without keys in the environment, the SDK's default chain: profile, SSO, instance role).
 * An endpoint implies path-style addressing (MinIO, s3rver, …).
 *
 * Every request survives a dropped or reset connection and transient 5xx / SlowDown answers: the SDK retries it
 * with backoff (AWS_MAX_ATTEMPTS attempts, default MAX_ATTEMPTS), which it can do only when it can replay the
 * body, so files up to BUFFERED_UPLOAD_BYTES are uploaded from memory. S3-compatible endpoints close idle
 * keep-alive connections on their own schedule, and a request that reuses one just then fails with
 * "socket hang up"; a retry takes a new connection.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../core/errors.js';
import { localPath } from './lake-files.js';
import { LakeLock } from './lake-lock.js';
import { prepareLakeDirectory } from './lake-store.js';
import type { LakeStore } from './lake-store.js';

/** The SDK, loaded on open: DuckDB and PostgreSQL users do not pay for its start-up. */
type S3Module = typeof S3Sdk;

/** Uploads, downloads and deletes in flight at once for one call. */
const PARALLEL_TRANSFERS = 4;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/**
 * Attempts per request (AWS_MAX_ATTEMPTS overrides). The SDK's standard backoff (random, doubling from 50 ms)
 * spreads 8 attempts over at most ~6 s; throttling (SlowDown) starts from 1 s.
 */
const MAX_ATTEMPTS = 8;
/** Files up to this size are uploaded from a Buffer, which the SDK can resend; larger ones stream from disk. */
const BUFFERED_UPLOAD_BYTES = 32 * 1024 * 1024;
/** A connection that cannot be opened in this time, or a request silent for this long, fails (and is retried). */
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

export interface S3LakeOptions {
  readonly bucket: string;
  /** Key prefix of the lake, without leading or trailing `/` ('' for the bucket's root). */
  readonly prefix: string;
  /** Local cache directory; default: a directory per bucket and prefix under the OS temp directory. */
  readonly cacheDir?: string;
  /** Where the AWS variables are read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Files up to this size are uploaded from memory (default BUFFERED_UPLOAD_BYTES); larger ones stream. */
  readonly bufferedUploadBytes?: number;
}

export class S3LakeStore implements LakeStore {
  readonly location: string;
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly endpoint: string | undefined;
  private readonly region: string;
  private client: S3Client | null = null;
  private s3: S3Module | null = null;
  private lock: LakeLock | null = null;
  private readonly explicitCache: boolean;
  private readonly maxAttempts: number;
  private readonly bufferedUploadBytes: number;

  constructor(options: S3LakeOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.env = options.env ?? process.env;
    this.endpoint = this.env.AWS_ENDPOINT_URL_S3 || this.env.AWS_ENDPOINT_URL || undefined;
    this.region = this.env.AWS_REGION || this.env.AWS_DEFAULT_REGION || 'us-east-1';
    this.explicitCache = options.cacheDir !== undefined;
    const attempts = Number(this.env.AWS_MAX_ATTEMPTS);
    this.maxAttempts = Number.isInteger(attempts) && attempts >= 1 ? attempts : MAX_ATTEMPTS;
    this.bufferedUploadBytes = options.bufferedUploadBytes ?? BUFFERED_UPLOAD_BYTES;
    const digest = createHash('sha256').update(`${this.endpoint ?? 'aws'}\n${this.bucket}\n${this.prefix}`).digest('hex').slice(0, 12);
    this.root = resolve(options.cacheDir ?? join(tmpdir(), 'acsync-s3-cache', `${this.bucket}-${digest}`));
  }

  async open(): Promise<void> {
    if (!this.explicitCache) mkdirSync(dirname(this.root), { recursive: true });
    prepareLakeDirectory(this.root, 's3://<bucket>/<prefix>?cache=<dir>');
    this.lock = LakeLock.take(this.root, `${this.location} (cache ${this.root})`);
    try {
      await this.connect();
      await this.checkAccess();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /**
   * Connects for reading the lake back (acsync query, status): no writer's lock and nothing written to the
   * bucket, so it works beside a running sync and with a read-only key. Files fetched go to `root`.
   */
  async openForReading(): Promise<void> {
    try {
      await this.connect();
      const { client, s3 } = this.connected();
      await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      await this.close();
      throw this.openError(error);
    }
  }

  private async connect(): Promise<void> {
    // The SDK warns on every start that its releases from 2027 on need Node 22; acsync pins its version,
    // so the warning would only be noise on the user's terminal.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const s3 = await import('@aws-sdk/client-s3');
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    this.s3 = s3;
    this.client = new s3.S3Client({
      region: this.region,
      ...(this.endpoint && { endpoint: this.endpoint, forcePathStyle: true }),
      ...(accessKeyId && secretAccessKey && {
        credentials: { accessKeyId, secretAccessKey, ...(this.env.AWS_SESSION_TOKEN && { sessionToken: this.env.AWS_SESSION_TOKEN }) },
      }),
      // Checksums only where S3 requires them: S3-compatible stores do not all know the newer trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: this.maxAttempts,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_SOCKET_TIMEOUT_MS },
    });
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = null;
    this.lock?.release();
    this.lock = null;
  }

  async readText(path: string): Promise<string | null> {
    try {
      return await this.readObject(path, async (body) => (await body?.transformToString('utf8')) ?? '');
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.failure('read', path, error);
    }
  }

  async list(folder: string): Promise<string[]> {
    const names = new Set<string>(listLocal(localPath(this.root, folder)));
    const prefix = `${this.key(folder)}/`;
    for await (const page of this.listPages(prefix, `${folder}/`, '/')) {
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix) names.add(common.Prefix.slice(prefix.length).replace(/\/$/, ''));
      }
      for (const object of page.Contents ?? []) if (object.Key) names.add(object.Key.slice(prefix.length));
    }
    return [...names].filter((name) => name !== '').sort();
  }

  async publish(paths: readonly string[]): Promise<void> {
    const { client, s3 } = this.connected();
    await inParallel(paths, async (path) => {
      const file = localPath(this.root, path);
      const size = statSync(file).size;
      const put = (body: Buffer | Readable) => client.send(new s3.PutObjectCommand({
        Bucket: this.bucket, Key: this.key(path), Body: body, ContentLength: size,
        ...(path.endsWith('.json') && { ContentType: 'application/json' }),
      }));
      try {
        // The SDK retries a Buffer itself. It cannot rewind a stream, so a large file gets a new stream per attempt.
        if (size <= this.bufferedUploadBytes) await put(readFileSync(file));
        else await retryTransient(this.maxAttempts, () => put(createReadStream(file)));
      } catch (error) {
        throw this.failure('upload', path, error);
      }
    });
  }

  async fetch(path: string): Promise<void> {
    const { client, s3 } = this.connected();
    const file = localPath(this.root, path);
    let etag: string | undefined;
    try {
      etag = (await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }))).ETag;
    } catch (error) {
      if (isMissing(error)) {
        throw new Error(`the Parquet lake ${this.location} lacks ${path}, which its manifest or state lists; run the table in full mode to rebuild it`);
      }
      throw this.failure('read', path, error);
    }
    const expected = etag?.replaceAll('"', '');
    if (expected && (await localMd5(file)) === expected) return;
    mkdirSync(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.download`;
    try {
      await this.readObject(path, (body) => pipeline(body as Readable, createWriteStream(temporary)));
      renameSync(temporary, file);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw this.failure('download', path, error);
    }
  }

  async removeFiles(paths: readonly string[]): Promise<void> {
    for (const path of paths) rmSync(localPath(this.root, path), { force: true });
    await this.deleteKeys(paths.map((path) => this.key(path)), paths[0] ?? '');
  }

  async removeFolder(path: string): Promise<void> {
    rmSync(localPath(this.root, path), { recursive: true, force: true });
    const keys: string[] = [];
    for await (const page of this.listPages(`${this.key(path)}/`, `${path}/`)) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
    await this.deleteKeys(keys, `${path}/`);
  }

  // -------------------------------------------------------------------------------------------------

  private key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  /**
   * GetObject of `path`, its body handed to `read`. The SDK retries until the response headers arrive; a
   * connection dropped while the body streams fails after that, so the whole GetObject is made again.
   */
  private async readObject<T>(path: string, read: (body: S3Sdk.GetObjectCommandOutput['Body']) => Promise<T>): Promise<T> {
    const { client, s3 } = this.connected();
    for (let attempt = 1; ; attempt++) {
      const object = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      try {
        return await read(object.Body);
      } catch (error) {
        if (attempt >= this.maxAttempts || !isTransient(error)) throw withAttempts(error, attempt);
        await backoff(attempt);
      }
    }
  }

  /** The pages of a ListObjectsV2 listing of `prefix`; `what` names the folder in errors. */
  private async *listPages(prefix: string, what: string, delimiter?: string): AsyncGenerator<S3Sdk.ListObjectsV2CommandOutput> {
    const { client, s3 } = this.connected();
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new s3.ListObjectsV2Command({
          Bucket: this.bucket, Prefix: prefix, ...(delimiter && { Delimiter: delimiter }), ...(token && { ContinuationToken: token }),
        }));
      } catch (error) {
        throw this.failure('list', what, error);
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private connected(): { client: S3Client; s3: S3Module } {
    if (!this.client || !this.s3) throw new Error(`the S3 lake ${this.location} is not open`);
    return { client: this.client, s3: this.s3 };
  }

  private async deleteKeys(keys: readonly string[], what: string): Promise<void> {
    const { client, s3 } = this.connected();
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const objects = keys.slice(start, start + DELETE_BATCH).map((Key) => ({ Key }));
      try {
        const result = await client.send(new s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }));
        const failed = result.Errors?.[0];
        if (failed) throw new Error(`${failed.Key ?? '?'}: ${failed.Code ?? ''} ${failed.Message ?? ''}`.trim());
      } catch (error) {
        throw this.failure('delete', what, error);
      }
    }
  }

  /** HeadBucket, then a small object saying who writes the lake: finds a wrong bucket or key before any work. */
  private async checkAccess(): Promise<void> {
    const { client, s3 } = this.connected();
    try {
      await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
      await client.send(new s3.PutObjectCommand({
        Bucket: this.bucket, Key: this.key('_acsync/writer.json'), ContentType: 'application/json',
        Body: JSON.stringify({ tool: 'acsync', cache: this.root, openedAt: new Date().toISOString() }),
      }));
    } catch (error) {
      throw this.openError(error);
    }
  }

  private openError(error: unknown): ConfigError {
    const where = this.endpoint ? `at ${this.endpoint}` : `in region ${this.region}`;
    const { name, status, code, message } = describeError(error);
    if (name === 'CredentialsProviderError' || (/credential/i.test(message) && status === undefined)) {
      return new ConfigError(`no AWS credentials for ${this.location}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)`);
    }
    if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
      return new ConfigError(`the S3 bucket "${this.bucket}" does not exist ${where}; create it or fix --dest s3://<bucket>/<prefix>`);
    }
    if (status === 301 || name === 'PermanentRedirect') {
      return new ConfigError(`the S3 bucket "${this.bucket}" is in another region than ${this.region}; set AWS_REGION to the bucket's region`);
    }
    if (status === 401 || status === 403) {
      return new ConfigError(`S3 refused access to the bucket "${this.bucket}" ${where} (HTTP ${status}${name && name !== 'Unknown' ? ` ${name}` : ''}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the key's permission to read and write the bucket`);
    }
    if (code && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)$/.test(code)) {
      return new ConfigError(`cannot reach S3 ${where} (${code}); check AWS_ENDPOINT_URL and the network`);
    }
    return new ConfigError(`cannot open the Parquet lake ${this.location}: ${message}`);
  }

  private failure(action: string, path: string, error: unknown): Error {
    const { status, message, attempts } = describeError(error);
    const tries = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
    return new Error(`S3 ${action} of ${this.location}/${path} failed${tries}${status ? ` (HTTP ${status})` : ''}: ${message}`);
  }
}

interface ErrorFacts {
  name: string; status: number | undefined; code: string | undefined; message: string; attempts: number | undefined;
}

function describeError(error: unknown): ErrorFacts {
  const value = error as {
    name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number; attempts?: number }; cause?: { code?: unknown };
  };
  const name = typeof value?.name === 'string' ? value.name : '';
  const code = typeof value?.code === 'string' ? value.code : typeof value?.cause?.code === 'string' ? value.cause.code : undefined;
  const raw = typeof value?.message === 'string' && value.message && value.message !== 'UnknownError' ? value.message : name || String(error);
  return { name, status: value?.$metadata?.httpStatusCode, code, message: raw.split('\n')[0] ?? raw, attempts: value?.$metadata?.attempts };
}

/** What the SDK's standard strategy retries: a dropped, reset or silent connection, 5xx, throttling. */
function isTransient(error: unknown): boolean {
  const { name, status, code } = describeError(error);
  return (code !== undefined && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ERR_STREAM_PREMATURE_CLOSE)$/.test(code))
    || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'SlowDown' || name === 'Throttling'
    || (status !== undefined && [429, 500, 502, 503, 504].includes(status));
}

/** Records the attempts made on `error` where the SDK records its own (`$metadata.attempts`), for the message. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (error && typeof error === 'object') {
    const value = error as { $metadata?: { attempts?: number } };
    value.$metadata = { ...value.$metadata, attempts };
  }
  return error;
}

/** The SDK's standard backoff: random up to 50 ms doubled per attempt made, at most 20 s. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50 * 2 ** attempt, 20_000)));
}

/**
 * `attempt` made up to `attempts` times while it fails transiently. Hand-written because the SDK will not retry
 * a request whose body is a stream (it cannot rewind it); each call here opens a new stream.
 */
async function retryTransient<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (error) {
      if (made >= attempts || !isTransient(error)) throw withAttempts(error, made);
      await backoff(made);
    }
  }
}

function isMissing(error: unknown): boolean {
  const { name, status } = describeError(error);
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

function listLocal(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

async function localMd5(path: string): Promise<string | null> {
  try {
    const hash = createHash('md5');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return null;
  }
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_TRANSFERS, items.length) }, worker));
}
