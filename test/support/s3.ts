/**
 * A throwaway S3 endpoint for tests: s3rver in this process on 127.0.0.1 (port 0), storing objects in a temp
 * directory. `env` holds the AWS variables a destination needs to reach it (s3rver's fixed key pair).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';

/** The part of s3rver's API used here (the package ships no types). */
interface S3rverServer {
  run(): Promise<{ address: string; port: number }>;
  readonly httpServer?: { keepAliveTimeout: number };
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string; port: number; directory: string; silent: boolean;
}) => S3rverServer;

export interface TestS3 {
  readonly endpoint: string;
  /** AWS_* variables pointing at this server with valid credentials. */
  readonly env: NodeJS.ProcessEnv;
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Keys under `prefix`, sorted. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  getText(bucket: string, key: string): Promise<string>;
  /** Downloads the objects under `prefix` into a new folder below `parent` (a reader's view of the bucket). */
  mirror(bucket: string, prefix: string, parent: string): Promise<string>;
  close(): Promise<void>;
}

/** s3rver's built-in account. */
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

export async function startS3(): Promise<TestS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const directory = mkdtempSync(join(tmpdir(), 'acsync-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  // Node's 5 s keep-alive lets the server close an idle connection just as the SDK reuses it; the lake store retries
  // that (test/s3-retry.test.ts drops connections on purpose), and the other tests keep their connections.
  if (server.httpServer) server.httpServer.keepAliveTimeout = 120_000;
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  };
  const s3: TestS3 = {
    endpoint,
    env,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async keys(bucket, prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async getText(bucket, key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    },
    async mirror(bucket, prefix, parent) {
      const dir = mkdtempSync(join(parent, 'mirror-'));
      for (const key of await s3.keys(bucket, prefix)) {
        const path = join(dir, ...key.slice(prefix.length).split('/'));
        mkdirSync(dirname(path), { recursive: true });
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        writeFileSync(path, await object.Body!.transformToByteArray());
      }
      return dir;
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return s3;
}
