/**
 * Connector secrets at rest: the ActiveCampaign key (and a destination URI, which may carry a password) are
 * stored only as AES-256-GCM ciphertext. The master key comes from ACSYNC_MASTER_KEY or from a file the service
 * generates once in its data folder, readable by its owner only.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';

export const MASTER_KEY_FILE = 'master.key';
const FORMAT = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.key = masterKey;
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts; a fresh random IV each time. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const [format, iv, tag, data] = sealed.split('.');
    if (format !== FORMAT || iv === undefined || tag === undefined || data === undefined) throw new Error('unknown secret format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new ConfigError('a stored secret cannot be decrypted: the master key (ACSYNC_MASTER_KEY or master.key in the data folder) is not the one it was saved with');
    }
  }
}

/**
 * The master key: ACSYNC_MASTER_KEY (any string of 16 or more characters, hashed to 32 bytes, so every process of
 * one service shares it), else `master.key` in the data folder, created on first use with mode 0600.
 */
export function loadMasterKey(dataDir: string, env = process.env): Buffer {
  const fromEnv = env.ACSYNC_MASTER_KEY;
  if (fromEnv !== undefined) {
    if (fromEnv.trim().length < 16) throw new ConfigError('ACSYNC_MASTER_KEY must be at least 16 characters (e.g. openssl rand -hex 32)');
    return createHash('sha256').update(fromEnv.trim()).digest();
  }
  const file = join(dataDir, MASTER_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // `wx`: two processes starting at once cannot both write one.
    try {
      writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError(`${file} is not a master key (64 hex digits): restore it, or set ACSYNC_MASTER_KEY`);
  return Buffer.from(hex, 'hex');
}

/** How a key is shown: never itself, only its last four characters. */
export function maskKey(key: string): string {
  return `••••${key.slice(-4)}`;
}
