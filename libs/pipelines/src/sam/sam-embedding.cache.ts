/**
 * Image embeddings by (image content, encoder identity). The encoder is the
 * expensive half of SAM; with the embedding cached, new boxes or clicks on the
 * same image run only the decoder. Bounded by bytes, least recently used out.
 */
import { createHash } from 'node:crypto';
import type { PlaneSize, RgbImage } from './image-resample';

export interface SamEmbedding {
  /** image_embeddings as float32 (e.g. [1,256,64,64]). Never handed to a session: feed a copy. */
  data: Float32Array;
  dims: number[];
  /** The resized (long side 1024) size the encoder saw. */
  resized: PlaneSize;
}

const contentHashes = new WeakMap<Uint8Array, string>();

/**
 * sha256 of an image's size, channel count and pixels. Memoized per pixel
 * buffer: values between nodes are immutable, so a buffer's hash never changes.
 */
export function imageContentHash(image: RgbImage): string {
  const memo = contentHashes.get(image.data);
  const head = `${image.width}x${image.height}x${image.channels}`;
  if (memo?.startsWith(`${head}:`)) return memo;
  const h = createHash('sha256').update(head).update(image.data).digest('hex');
  const key = `${head}:${h}`;
  contentHashes.set(image.data, key);
  return key;
}

/** The cache key: the model's fingerprint (see modelFingerprint) and the image content. */
export function embeddingKey(modelFingerprint: string, image: RgbImage): string {
  return createHash('sha256')
    .update(modelFingerprint)
    .update('\0')
    .update(imageContentHash(image))
    .digest('hex');
}

export interface EmbeddingCacheStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  hits: number;
  misses: number;
}

export class SamEmbeddingCache {
  private readonly entries = new Map<string, SamEmbedding>();
  private used = 0;
  hits = 0;
  misses = 0;

  /** Default 64 MiB: sixteen 256×64×64 float32 embeddings. */
  constructor(readonly budgetBytes: number = 64 * 1024 * 1024) {}

  get(key: string): SamEmbedding | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert: Map order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: SamEmbedding): void {
    const old = this.entries.get(key);
    if (old) {
      this.used -= old.data.byteLength;
      this.entries.delete(key);
    }
    if (value.data.byteLength > this.budgetBytes) return;
    this.entries.set(key, value);
    this.used += value.data.byteLength;
    for (const [k, e] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.entries.delete(k);
      this.used -= e.data.byteLength;
    }
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
    this.hits = 0;
    this.misses = 0;
  }

  stats(): EmbeddingCacheStats {
    return {
      entries: this.entries.size,
      bytes: this.used,
      budgetBytes: this.budgetBytes,
      hits: this.hits,
      misses: this.misses,
    };
  }
}

/** The process-wide cache the SAM node uses. */
export const samEmbeddingCache = new SamEmbeddingCache();
