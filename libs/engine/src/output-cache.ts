import { valueBytes } from '@maskflow/nodes';

export type NodeOutputs = Record<string, unknown>;

interface Entry {
  outputs: NodeOutputs;
  bytes: number;
}

/** Default budget for cached node outputs: MASKFLOW_CACHE_MB or 2 GiB. */
export function defaultCacheBytes(): number {
  const mb = Number(process.env.MASKFLOW_CACHE_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 2048) * 1024 * 1024;
}

/**
 * Node outputs keyed by the node's cache key, least recently used evicted
 * first once the byte budget is exceeded. A Map keeps insertion order, so
 * re-inserting on every hit makes its first key the least recently used.
 */
export class OutputCache {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number = defaultCacheBytes()) {}

  get(key: string): NodeOutputs | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    return e.outputs;
  }

  set(key: string, outputs: NodeOutputs): void {
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
