import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * `<model dir>/.maskflow-lock.json`: what was downloaded, from where, with which
 * sha256. Lets `models verify` detect later corruption of files whose checksum
 * the manifest does not know.
 */
export const LOCK_FILE = '.maskflow-lock.json';

export interface LockedFile {
  sha256: string;
  size: number;
  url: string;
  revision: string;
  downloadedAt: string;
}

export interface LockFile {
  version: 1;
  files: Record<string, LockedFile>;
}

// One writer per folder at a time inside this process; the file is replaced atomically.
const queues = new Map<string, Promise<unknown>>();

export async function readLock(modelDir: string): Promise<LockFile> {
  try {
    const parsed = JSON.parse(await readFile(path.join(modelDir, LOCK_FILE), 'utf8')) as Partial<LockFile>;
    if (parsed && parsed.version === 1 && parsed.files && typeof parsed.files === 'object') {
      return { version: 1, files: parsed.files };
    }
  } catch {
    // Missing or unreadable: treat as empty, the lock is only a cache of facts.
  }
  return { version: 1, files: {} };
}

export function recordInLock(modelDir: string, relativePath: string, entry: LockedFile): Promise<void> {
  const key = path.resolve(modelDir);
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(async () => {
    const lock = await readLock(modelDir);
    lock.files[relativePath] = entry;
    const file = path.join(modelDir, LOCK_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(lock, null, 2)}\n`);
    await rename(tmp, file);
  });
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}
