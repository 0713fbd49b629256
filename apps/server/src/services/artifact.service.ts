import { createHash } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ArtifactRef, ArtifactStore, InputFile } from '@maskflow/nodes';
import type { ArtifactRecord } from '@maskflow/workflow';
import { artifactIdSchema, UserError } from '@maskflow/workflow';
import { ApiError } from '../common/api.error';
import { KeyedLock } from '../common/keyed-lock';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import type { ArtifactEntity } from '../database/entities';
import { ArtifactRepository } from '../repositories/artifact.repository';
import { ImageRepository } from '../repositories/image.repository';
import type { EncodedFormat } from '../repositories/image.repository';
import { RunArtifactRepository } from '../repositories/run-artifact.repository';
import { StorageRepository } from '../repositories/storage.repository';

/** Sniffed types we accept, and what each is re-encoded to (lossless stays lossless). */
const ACCEPTED: Record<string, EncodedFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
  'image/gif': 'png',
  'image/tiff': 'png',
  'image/avif': 'png',
  'image/heic': 'png',
};
const MIME: Record<EncodedFormat, { mime: string; ext: string }> = {
  png: { mime: 'image/png', ext: 'png' },
  jpeg: { mime: 'image/jpeg', ext: 'jpg' },
  webp: { mime: 'image/webp', ext: 'webp' },
};

/** Uploads pruned per transaction (and per statement's id list). */
const PRUNE_BATCH = 200;

export interface UploadedFile {
  buffer: Buffer;
  originalname?: string;
}

export function toArtifactRecord(a: ArtifactEntity): ArtifactRecord {
  return {
    id: a.id,
    mime: a.mime,
    bytes: a.bytes,
    width: a.width,
    height: a.height,
    name: a.name,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

function safeName(name: string | undefined): string | null {
  if (!name) return null;
  // Display only; still keep it printable and short.
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\- ]/g, '_').slice(0, 200);
  return clean || null;
}

@Injectable()
export class ArtifactService {
  /**
   * Held per artifact id while its file and row are written, a run's use of
   * it is recorded, or a run deletion decides whether to delete it: a file is
   * never deleted between another run's check that it exists and its use.
   */
  private readonly locks = new KeyedLock();
  private readonly log = new Logger('Artifacts');

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(ArtifactRepository) private readonly artifacts: ArtifactRepository,
    @Inject(RunArtifactRepository) private readonly runArtifacts: RunArtifactRepository,
    @Inject(StorageRepository) private readonly storage: StorageRepository,
    @Inject(ImageRepository) private readonly images: ImageRepository,
  ) {}

  /**
   * The engine's door to files for one run: uploaded artifacts in,
   * content-addressed outputs out, each output recorded as the run's.
   */
  storeFor(runId: string): ArtifactStore {
    return {
      readInput: (ref) => this.readInput(ref),
      fingerprintInput: (ref) => this.fingerprintInput(ref),
      save: (bytes, meta) => this.saveOutput(runId, bytes, meta),
    };
  }

  async upload(upload: UploadedFile | undefined): Promise<ArtifactRecord> {
    const { file, format } = await this.checkedImage(upload, 'image');
    let encoded;
    try {
      encoded = await this.images.reencode(file.buffer, format, this.config.maxPixels);
    } catch (err) {
      throw ApiError.badRequest('corrupt-image', `the image cannot be decoded: ${(err as Error).message}`, {
        field: 'file',
      });
    }
    const ext = MIME[format].ext;
    const original = safeName(file.originalname);
    const name = original ? original.replace(/\.[^.]*$/, '') + `.${ext}` : `upload.${ext}`;
    return toArtifactRecord(
      await this.persist(
        encoded.bytes,
        { mime: MIME[format].mime, name, width: encoded.width, height: encoded.height },
        { upload: true },
      ),
    );
  }

  /**
   * A new upload: the image `id` with the uploaded mask (white = masked) as
   * its alpha, for Load Image's mask output. The original stays as it was.
   */
  async withMask(id: string, upload: UploadedFile | undefined): Promise<ArtifactRecord> {
    const source = await this.get(id);
    if (!source.mime.startsWith('image/') || !source.width || !source.height)
      throw ApiError.badRequest('not-an-image', `artifact ${id} is not an image`, { field: 'id' });
    const { file, ...header } = await this.checkedImage(upload, 'mask');
    if (header.width !== source.width || header.height !== source.height) {
      throw ApiError.badRequest(
        'mask-size',
        `the mask is ${header.width}×${header.height} but the image is ${source.width}×${source.height}; paint the mask at the image's size`,
        { field: 'file' },
      );
    }
    let encoded;
    try {
      encoded = await this.images.withMaskAsAlpha(
        await this.storage.readArtifact(id),
        file.buffer,
        this.config.maxPixels,
      );
    } catch (err) {
      throw ApiError.badRequest('corrupt-image', `the mask cannot be decoded: ${(err as Error).message}`, {
        field: 'file',
      });
    }
    const base = (source.name ?? 'upload').replace(/\.[^.]*$/, '').replace(/-masked$/, '');
    return toArtifactRecord(
      await this.persist(
        encoded.bytes,
        { mime: 'image/png', name: `${base}-masked.png`, width: encoded.width, height: encoded.height },
        { upload: true },
      ),
    );
  }

  async get(id: string): Promise<ArtifactEntity> {
    const a = await this.artifacts.get(id);
    if (!a || !(await this.storage.artifactExists(id))) throw ApiError.notFound('artifact', id);
    return a;
  }

  async open(id: string): Promise<{ artifact: ArtifactEntity; stream: ReadStream }> {
    const artifact = await this.get(id);
    return { artifact, stream: this.storage.streamArtifact(id) };
  }

  /** The image's colour channels as PNG, alpha dropped (the mask painter shows what is under a mask). */
  async rgb(id: string): Promise<Buffer> {
    const a = await this.get(id);
    if (!a.mime.startsWith('image/'))
      throw ApiError.badRequest('not-an-image', `artifact ${id} is not an image`, { field: 'id' });
    return this.images.withoutAlpha(await this.storage.readArtifact(id), this.config.maxPixels);
  }

  async thumbnail(id: string, size: number): Promise<Buffer> {
    await this.get(id);
    return this.images.thumbnail(await this.storage.readArtifact(id), size);
  }

  /**
   * The checks every uploaded image passes before a pixel is decoded: there is
   * a file, its bytes say it is an image we accept, its header is readable
   * and within the pixel limit.
   */
  private async checkedImage(
    file: UploadedFile | undefined,
    what: 'image' | 'mask',
  ): Promise<{ file: UploadedFile; format: EncodedFormat; width: number; height: number }> {
    if (!file?.buffer?.length) {
      throw ApiError.badRequest(
        'missing-file',
        `send the ${what} as a multipart/form-data field named "file"`,
        { field: 'file' },
      );
    }
    const sniffed = await this.images.sniff(file.buffer);
    const format = sniffed ? ACCEPTED[sniffed.mime] : undefined;
    if (!format) {
      throw ApiError.user(
        415,
        'not-an-image',
        `the upload is ${sniffed ? sniffed.mime : 'not a recognised file type'}; accepted are PNG, JPEG, WebP, GIF, TIFF and AVIF images`,
        { field: 'file' },
      );
    }
    let header;
    try {
      header = await this.images.header(file.buffer);
    } catch (err) {
      throw ApiError.badRequest('corrupt-image', `the ${what} cannot be read: ${(err as Error).message}`, {
        field: 'file',
      });
    }
    const pixels = header.width * header.height;
    if (!header.width || !header.height)
      throw ApiError.badRequest('corrupt-image', `the ${what} has no size in its header`, { field: 'file' });
    // Checked on the header, before a single pixel is decoded: a 100000×100000 PNG is a few KB on the wire.
    if (pixels > this.config.maxPixels) {
      throw ApiError.user(
        413,
        'too-many-pixels',
        `the ${what} is ${header.width}×${header.height} = ${pixels} pixels; the limit is ${this.config.maxPixels} (MASKFLOW_MAX_PIXELS)`,
        { field: 'file' },
      );
    }
    return { file, format, width: header.width, height: header.height };
  }

  /**
   * Writes the file (unless the same bytes are there already) and its row;
   * marks an upload as one, records a run's output as the run's.
   */
  private async persist(
    bytes: Buffer,
    meta: { mime: string; name: string | null; width?: number; height?: number },
    origin: { upload: true } | { runId: string },
  ): Promise<ArtifactEntity> {
    const id = createHash('sha256').update(bytes).digest('hex');
    return this.locks.run([id], async () => {
      const now = Date.now();
      const uploadedAt = 'upload' in origin ? now : null;
      await this.storage.writeArtifact(id, bytes);
      await this.artifacts.insertIfAbsent({
        id,
        mime: meta.mime,
        bytes: bytes.length,
        width: meta.width ?? null,
        height: meta.height ?? null,
        name: meta.name,
        createdAt: now,
        uploadedAt,
      });
      if ('runId' in origin) await this.runArtifacts.link(origin.runId, [id], 'output');
      else await this.artifacts.markUploaded(id, now);
      return (await this.artifacts.get(id))!;
    });
  }

  /**
   * Records that a run reads these artifacts, if they exist; answers the ids
   * that do not. Checked and recorded under the artifacts' locks, so a
   * run deletion cannot delete one in between.
   */
  async claimInputs(runId: string, ids: string[]): Promise<string[]> {
    return this.locks.run(ids, async () => {
      const missing: string[] = [];
      const present: string[] = [];
      for (const id of new Set(ids)) {
        const found = (await this.artifacts.get(id)) !== null && (await this.storage.artifactExists(id));
        (found ? present : missing).push(id);
      }
      await this.runArtifacts.link(runId, present, 'input');
      return missing;
    });
  }

  /**
   * Deletes uploads last uploaded more than `olderThanHours` ago that no run
   * reads or saved and no saved workflow names (the age spares what an
   * editor holds in a graph it has not saved yet). Each batch is checked
   * again under the artifacts' locks, so a run submitted meanwhile keeps its
   * input. `dryRun` only lists them.
   */
  async pruneUploads(
    olderThanHours: number,
    dryRun: boolean,
  ): Promise<{ dryRun: boolean; olderThanHours: number; count: number; bytes: number; ids: string[] }> {
    const before = Date.now() - olderThanHours * 3_600_000;
    const out = { dryRun, olderThanHours, count: 0, bytes: 0, ids: [] as string[] };
    const skipped = new Set<string>();
    for (;;) {
      const batch = (await this.artifacts.unreferencedUploads(before, PRUNE_BATCH + skipped.size)).filter(
        (a) => !skipped.has(a.id),
      );
      if (!batch.length) break;
      const size = new Map(batch.map((a) => [a.id, a.bytes]));
      let gone: string[];
      if (dryRun) gone = [...size.keys()];
      else {
        gone = await this.locks.run([...size.keys()], async () => {
          const deleted = await this.artifacts.deleteUnreferencedUploads([...size.keys()], before);
          await this.removeFiles(deleted);
          return deleted;
        });
      }
      for (const id of gone) {
        out.ids.push(id);
        out.bytes += size.get(id) ?? 0;
      }
      // A dry run deletes nothing, and one claimed meanwhile stays: neither is listed again.
      for (const id of size.keys()) skipped.add(id);
      if (batch.length < PRUNE_BATCH) break;
    }
    out.count = out.ids.length;
    if (!dryRun && out.count)
      this.log.log(
        `pruned ${out.count} unreferenced uploads (${out.bytes} bytes) older than ${olderThanHours} h`,
      );
    return out;
  }

  /** Runs `fn` holding the locks of these artifacts (a run deletion deciding which of them to delete). */
  withLocks<T>(ids: string[], fn: () => Promise<T>): Promise<T> {
    return this.locks.run(ids, fn);
  }

  /**
   * Deletes artifact files whose rows are gone. A file already missing is
   * fine; any other failure is logged, not thrown: the database is already
   * consistent, and a file without a row is never served (and is simply
   * reused if the same bytes are saved again).
   */
  async removeFiles(ids: string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.storage.removeArtifact(id);
      } catch (err) {
        this.log.warn(
          `could not delete the file of artifact ${id}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  // ── ArtifactStore ──────────────────────────────────────────────────────

  /** Only the id of an uploaded artifact: never a path, whatever the graph says. */
  private async readInput(ref: string): Promise<InputFile> {
    if (!artifactIdSchema.safeParse(ref).success) {
      throw new UserError(
        ref
          ? `"${ref.slice(0, 100)}" is not an artifact id: upload the image with POST /api/artifacts and pass the id it returns`
          : 'no image given: upload one with POST /api/artifacts and pass its id',
        { code: 'invalid-artifact-ref' },
      );
    }
    const a = await this.artifacts.get(ref);
    if (!a || !(await this.storage.artifactExists(ref))) {
      throw new UserError(`artifact ${ref} does not exist (upload it first)`, { code: 'unknown-artifact' });
    }
    return { bytes: await this.storage.readArtifact(ref), name: a.name ?? ref };
  }

  /** An artifact id is already the sha256 of its content. */
  private async fingerprintInput(ref: string): Promise<string> {
    return artifactIdSchema.safeParse(ref).success
      ? ref
      : `invalid:${createHash('sha256').update(ref).digest('hex')}`;
  }

  private async saveOutput(
    runId: string,
    bytes: Buffer,
    meta: { mime: string; ext: string; name?: string; width?: number; height?: number },
  ): Promise<ArtifactRef> {
    const name = `${(meta.name ?? 'output').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200)}.${meta.ext}`;
    const a = await this.persist(
      bytes,
      { mime: meta.mime, name, width: meta.width, height: meta.height },
      { runId },
    );
    return {
      kind: 'artifact',
      id: a.id,
      mime: meta.mime,
      bytes: bytes.length,
      width: meta.width,
      height: meta.height,
      name,
    };
  }
}
