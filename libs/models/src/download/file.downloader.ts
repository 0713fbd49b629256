import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CancelledError, EnvironmentError } from '@maskflow/workflow';

/** Why a download failed: decides the message and whether another attempt makes sense. */
export type DownloadFailure = 'http' | 'offline' | 'network' | 'checksum' | 'size';

export class DownloadError extends EnvironmentError {
  readonly reason: DownloadFailure;
  readonly url: string;
  readonly status?: number;
  readonly networkCode?: string;

  constructor(
    message: string,
    reason: DownloadFailure,
    url: string,
    opts: { status?: number; networkCode?: string; cause?: unknown } = {},
  ) {
    super(message, { code: `download-${reason}`, cause: opts.cause });
    this.reason = reason;
    this.url = url;
    this.status = opts.status;
    this.networkCode = opts.networkCode;
  }

  get retryable(): boolean {
    if (this.reason === 'network') return true;
    return (
      this.reason === 'http' &&
      this.status !== undefined &&
      (this.status >= 500 || this.status === 429 || this.status === 408)
    );
  }
}

export interface DownloadFileOptions {
  url: string;
  /** Final path; bytes go to `${dest}.part` first and are renamed when complete and verified. */
  dest: string;
  sha256?: string | null;
  size?: number | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number | null) => void;
  /** Further attempts after a dropped connection or a 5xx (each resumes from the .part file). */
  retries?: number;
  retryDelayMs?: number;
  /** Abort an attempt that receives nothing for this long. */
  stallTimeoutMs?: number;
}

export interface DownloadFileResult {
  path: string;
  size: number;
  sha256: string;
  /** Bytes that were already in the .part file when this call started (0: fresh download). */
  resumedFrom: number;
  attempts: number;
}

/** Connection errors that mean "cannot reach the host at all": retrying will not help. */
const OFFLINE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface HashState {
  hash: Hash;
  bytes: number;
}

export async function downloadFile(o: DownloadFileOptions): Promise<DownloadFileResult> {
  const part = `${o.dest}.part`;
  await mkdir(path.dirname(o.dest), { recursive: true });
  const retries = o.retries ?? 4;
  const retryDelayMs = o.retryDelayMs ?? 1000;
  const resumedFrom = await fileSize(part);
  // Shared with attempt(): after a dropped connection the running hash still matches the .part bytes.
  const holder: { state: HashState } = { state: { hash: createHash('sha256'), bytes: 0 } };
  let attempts = 0;
  let restarts = 0;

  for (;;) {
    throwIfAborted(o.signal, o.url);
    attempts++;
    try {
      const outcome = await attempt(o, part, holder);
      if (outcome === 'restart') {
        // The server refused our range; start over once or twice, never forever.
        if (++restarts > 2)
          throw new DownloadError(`${o.url}: the server keeps rejecting range requests`, 'network', o.url);
        attempts--;
        continue;
      }
      break;
    } catch (err) {
      if (o.signal?.aborted)
        throw new CancelledError(`download of ${o.url} cancelled (partial file kept for resume)`);
      const e = toDownloadError(err, o.url);
      if (!e.retryable || attempts > retries) throw e;
      await sleep(retryDelayMs * 2 ** (attempts - 1), o.signal);
    }
  }

  const state = holder.state;
  const size = state.bytes;
  if (o.size != null && size !== o.size) {
    await rm(part, { force: true });
    throw new DownloadError(
      `${o.url}: got ${size} bytes, expected ${o.size}; the partial file was deleted`,
      'size',
      o.url,
    );
  }
  const sha256 = state.hash.digest('hex');
  if (o.sha256 && sha256 !== o.sha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new DownloadError(
      `${o.url}: sha256 mismatch: got ${sha256}, expected ${o.sha256}; the downloaded file was deleted`,
      'checksum',
      o.url,
    );
  }
  await rename(part, o.dest);
  return { path: o.dest, size, sha256, resumedFrom, attempts };
}

async function attempt(
  o: DownloadFileOptions,
  part: string,
  holder: { state: HashState },
): Promise<'complete' | 'restart'> {
  let partSize = await fileSize(part);
  if (o.size != null && partSize > o.size) {
    await rm(part, { force: true });
    partSize = 0;
  }
  // Reuse the running hash when it covers exactly the bytes on disk; otherwise re-read them.
  if (holder.state.bytes !== partSize) holder.state = await hashFile(part, partSize);
  const state = holder.state;
  if (o.size != null && partSize === o.size) return 'complete';

  const controller = new AbortController();
  const onUserAbort = (): void => controller.abort();
  o.signal?.addEventListener('abort', onUserAbort, { once: true });
  let stalled = false;
  const stallMs = o.stallTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const armStallTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, stallMs);
  };

  try {
    armStallTimer();
    const headers: Record<string, string> = {
      'User-Agent': 'maskflow-models/0.1',
      // Byte counts and ranges must refer to the stored bytes, not a compressed transfer.
      'Accept-Encoding': 'identity',
      ...o.headers,
    };
    if (partSize > 0) headers.Range = `bytes=${partSize}-`;
    let res: Response;
    try {
      res = await fetch(o.url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      if (stalled)
        throw new DownloadError(`${o.url}: no response within ${stallMs / 1000} s`, 'network', o.url, {
          cause: err,
        });
      throw err;
    }

    let total: number | null;
    const contentLength = parseIntOrNull(res.headers.get('content-length'));
    if (res.status === 416 && partSize > 0) {
      await res.body?.cancel().catch(() => undefined);
      const whole = parseContentRange(res.headers.get('content-range'))?.total ?? null;
      if (whole === partSize) return 'complete';
      await rm(part, { force: true });
      holder.state = { hash: createHash('sha256'), bytes: 0 };
      return 'restart';
    }
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get('content-range'));
      if (!range || range.start !== partSize) {
        await res.body?.cancel().catch(() => undefined);
        await rm(part, { force: true });
        holder.state = { hash: createHash('sha256'), bytes: 0 };
        return 'restart';
      }
      total = range.total ?? (contentLength === null ? null : partSize + contentLength);
    } else if (res.ok) {
      // A 200 to a range request: the server sends the whole file, so drop what we had.
      if (partSize > 0) {
        await rm(part, { force: true });
        partSize = 0;
      }
      state.hash = createHash('sha256');
      state.bytes = 0;
      total = contentLength ?? o.size ?? null;
    } else {
      await res.body?.cancel().catch(() => undefined);
      throw new DownloadError(`${o.url}: HTTP ${res.status} ${res.statusText}`.trim(), 'http', o.url, {
        status: res.status,
      });
    }

    if (o.size != null && total !== null && total !== o.size) {
      await res.body?.cancel().catch(() => undefined);
      await rm(part, { force: true });
      throw new DownloadError(
        `${o.url}: the server has ${total} bytes, the manifest expects ${o.size}`,
        'size',
        o.url,
      );
    }

    o.onProgress?.(state.bytes, total);
    if (!res.body) throw new DownloadError(`${o.url}: empty response body`, 'network', o.url);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const fh = await open(part, 'a');
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (stalled)
            throw new DownloadError(`${o.url}: no data for ${stallMs / 1000} s`, 'network', o.url, {
              cause: err,
            });
          throw err;
        }
        if (chunk.done) break;
        armStallTimer();
        await fh.write(chunk.value);
        state.hash.update(chunk.value);
        state.bytes += chunk.value.byteLength;
        o.onProgress?.(state.bytes, total);
      }
    } finally {
      await fh.close();
    }
    if (total !== null && state.bytes < total) {
      throw new DownloadError(
        `${o.url}: connection closed after ${state.bytes} of ${total} bytes`,
        'network',
        o.url,
      );
    }
    return 'complete';
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onUserAbort);
  }
}

/** Maps fetch/undici failures onto DownloadError so callers see one vocabulary. */
export function toDownloadError(err: unknown, url: string): DownloadError {
  if (err instanceof DownloadError) return err;
  const code = networkCode(err);
  const detail = describeCause(err);
  if (code !== undefined && OFFLINE_CODES.has(code)) {
    return new DownloadError(`cannot reach ${new URL(url).origin} (${detail})`, 'offline', url, {
      networkCode: code,
      cause: err,
    });
  }
  return new DownloadError(`${url}: ${detail}`, 'network', url, { networkCode: code, cause: err });
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const rec = e as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof rec.code === 'string' && rec.code !== 'ERR_INVALID_STATE') return rec.code;
    if (Array.isArray(rec.errors) && rec.errors.length > 0) {
      const inner = networkCode(rec.errors[0]);
      if (inner) return inner;
    }
    e = rec.cause;
  }
  return undefined;
}

function describeCause(err: unknown): string {
  // Duck-typed: fetch errors may come from another realm (e.g. under jest), where instanceof Error fails.
  const messageOf = (e: unknown): string | undefined =>
    e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string'
      ? (e as { message: string }).message
      : undefined;
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const m = messageOf(e);
    if (m && !parts.includes(m)) parts.push(m);
    const inner: unknown = (e as { errors?: unknown }).errors;
    const first = Array.isArray(inner) ? messageOf(inner[0]) : undefined;
    if (first && !parts.includes(first)) parts.push(first);
    e = (e as { cause?: unknown }).cause;
  }
  // "fetch failed" says nothing the cause does not.
  const useful = parts.filter((p) => p !== 'fetch failed');
  return useful.length > 0 ? useful.join(': ') : parts.join(': ') || String(err);
}

function parseContentRange(v: string | null): { start: number; total: number | null } | null {
  if (!v) return null;
  const full = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim());
  if (full) return { start: Number(full[1]), total: full[3] === '*' ? null : Number(full[3]) };
  const unsatisfied = /^bytes \*\/(\d+)$/.exec(v.trim());
  if (unsatisfied) return { start: -1, total: Number(unsatisfied[1]) };
  return null;
}

function parseIntOrNull(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v)) return null;
  return Number(v);
}

async function fileSize(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

async function hashFile(p: string, bytes: number): Promise<HashState> {
  const hash = createHash('sha256');
  if (bytes > 0) {
    for await (const chunk of createReadStream(p, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  }
  return { hash, bytes };
}

/** sha256 of a whole file, streamed. */
export async function sha256File(p: string, onBytes?: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(p)) {
    const b = chunk as Buffer;
    hash.update(b);
    n += b.byteLength;
    onBytes?.(n);
  }
  return hash.digest('hex');
}

function throwIfAborted(signal: AbortSignal | undefined, url: string): void {
  if (signal?.aborted) throw new CancelledError(`download of ${url} cancelled`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
