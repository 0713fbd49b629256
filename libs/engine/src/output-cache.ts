import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { valueBytes } from '@maskflow/nodes';

export type NodeOutputs = Record<string, unknown>;

interface Entry {
  outputs: NodeOutputs;
  bytes: number;
}

function envMb(name: string, fallback: number): number {
  const mb = Number(process.env[name]);
  return (process.env[name] !== undefined && Number.isFinite(mb) && mb >= 0 ? mb : fallback) * 1024 * 1024;
}

/** Default budget for cached node outputs in memory: MASKFLOW_CACHE_MB or 2 GiB. */
export function defaultCacheBytes(): number {
  return envMb('MASKFLOW_CACHE_MB', 2048);
}

export interface OutputCacheOptions {
  /** In-memory byte budget. */
  budgetBytes?: number;
  /**
   * A directory where outputs are also kept between processes (the CLI uses
   * it so a re-run after one param change re-executes only what changed).
   */
  diskDir?: string;
  /** Byte budget of the disk directory (MASKFLOW_DISK_CACHE_MB or 4 GiB). */
  diskBudgetBytes?: number;
}

/**
 * Node outputs keyed by the node's cache key, least recently used evicted
 * first once the byte budget is exceeded. A Map keeps insertion order, so
 * re-inserting on every hit makes its first key the least recently used.
 */
export class OutputCache {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  readonly budgetBytes: number;
  private readonly diskDir?: string;
  private readonly diskBudgetBytes: number;
  hits = 0;
  misses = 0;

  constructor(opts: OutputCacheOptions | number = {}) {
    const o = typeof opts === 'number' ? { budgetBytes: opts } : opts;
    this.budgetBytes = o.budgetBytes ?? defaultCacheBytes();
    this.diskDir = o.diskDir;
    this.diskBudgetBytes = o.diskBudgetBytes ?? envMb('MASKFLOW_DISK_CACHE_MB', 4096);
    if (this.diskDir) mkdirSync(this.diskDir, { recursive: true });
  }

  async get(key: string): Promise<NodeOutputs | undefined> {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
      this.hits++;
      return e.outputs;
    }
    const fromDisk = await this.readDisk(key);
    if (fromDisk) {
      this.hits++;
      this.remember(key, fromDisk);
      return fromDisk;
    }
    this.misses++;
    return undefined;
  }

  async set(key: string, outputs: NodeOutputs): Promise<void> {
    this.remember(key, outputs);
    await this.writeDisk(key, outputs);
  }

  private remember(key: string, outputs: NodeOutputs): void {
    const bytes = valueBytes(outputs);
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.bytes;
      this.entries.delete(key);
    }
    if (bytes > this.budgetBytes) return;
    this.entries.set(key, { outputs, bytes });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.budgetBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }

  private file(key: string): string {
    return path.join(this.diskDir!, `${key}.v8`);
  }

  private async readDisk(key: string): Promise<NodeOutputs | undefined> {
    if (!this.diskDir) return undefined;
    try {
      const buf = await readFile(this.file(key));
      const now = new Date();
      await utimes(this.file(key), now, now).catch(() => undefined);
      return deserialize(buf) as NodeOutputs;
    } catch {
      return undefined; // absent or unreadable: a miss, never an error
    }
  }

  private async writeDisk(key: string, outputs: NodeOutputs): Promise<void> {
    if (!this.diskDir) return;
    const buf = serialize(outputs);
    if (buf.length > this.diskBudgetBytes) return;
    const tmp = `${this.file(key)}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, buf);
      await rename(tmp, this.file(key));
      await this.trimDisk();
    } catch {
      await unlink(tmp).catch(() => undefined); // a full disk must not fail the run
    }
  }

  /** Deletes the least recently used files until the directory fits its budget. */
  private async trimDisk(): Promise<void> {
    const files = readdirSync(this.diskDir!)
      .filter((f) => f.endsWith('.v8'))
      .map((f) => {
        const s = statSync(path.join(this.diskDir!, f));
        return { f, size: s.size, t: s.mtimeMs };
      });
    let total = files.reduce((s, x) => s + x.size, 0);
    files.sort((a, b) => a.t - b.t);
    for (const x of files) {
      if (total <= this.diskBudgetBytes) break;
      await unlink(path.join(this.diskDir!, x.f)).catch(() => undefined);
      total -= x.size;
    }
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.total;
  }
}
