import { createHash } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import type { ArtifactRef, ArtifactStore, InputFile } from '@maskflow/nodes';
import type { ArtifactRecord } from '@maskflow/workflow';
import { artifactIdSchema, UserError } from '@maskflow/workflow';
import { ApiError } from '../common/api.error';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import type { ArtifactEntity } from '../database/entities';
import { ArtifactRepository } from '../repositories/artifact.repository';
import { ImageRepository } from '../repositories/image.repository';
import type { EncodedFormat } from '../repositories/image.repository';
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
  /** The engine's door to files: uploaded artifacts in, content-addressed outputs out. */
  readonly store: ArtifactStore;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(ArtifactRepository) private readonly artifacts: ArtifactRepository,
    @Inject(StorageRepository) private readonly storage: StorageRepository,
    @Inject(ImageRepository) private readonly images: ImageRepository,
  ) {
    this.store = {
      readInput: (ref) => this.readInput(ref),
      fingerprintInput: (ref) => this.fingerprintInput(ref),
      save: (bytes, meta) => this.saveOutput(bytes, meta),
    };
  }

  async upload(file: UploadedFile | undefined): Promise<ArtifactRecord> {
    if (!file?.buffer?.length) {
      throw ApiError.badRequest(
        'missing-file',
        'send the image as a multipart/form-data field named "file"',
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
      throw ApiError.badRequest('corrupt-image', `the image cannot be read: ${(err as Error).message}`, {
        field: 'file',
      });
    }
    const pixels = header.width * header.height;
    if (!header.width || !header.height)
      throw ApiError.badRequest('corrupt-image', 'the image has no size in its header', { field: 'file' });
    // Checked on the header, before a single pixel is decoded: a 100000×100000 PNG is a few KB on the wire.
    if (pixels > this.config.maxPixels) {
      throw ApiError.user(
        413,
        'too-many-pixels',
        `the image is ${header.width}×${header.height} = ${pixels} pixels; the limit is ${this.config.maxPixels} (MASKFLOW_MAX_PIXELS)`,
        { field: 'file' },
      );
    }
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
      await this.persist(encoded.bytes, MIME[format].mime, name, encoded.width, encoded.height),
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

  async thumbnail(id: string, size: number): Promise<Buffer> {
    await this.get(id);
    return this.images.thumbnail(await this.storage.readArtifact(id), size);
  }

  private async persist(
    bytes: Buffer,
    mime: string,
    name: string | null,
    width?: number,
    height?: number,
  ): Promise<ArtifactEntity> {
    const id = createHash('sha256').update(bytes).digest('hex');
    await this.storage.writeArtifact(id, bytes);
    await this.artifacts.insertIfAbsent({
      id,
      mime,
      bytes: bytes.length,
      width: width ?? null,
      height: height ?? null,
      name,
      createdAt: Date.now(),
    });
    return (await this.artifacts.get(id))!;
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
    bytes: Buffer,
    meta: { mime: string; ext: string; name?: string; width?: number; height?: number },
  ): Promise<ArtifactRef> {
    const name = `${(meta.name ?? 'output').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200)}.${meta.ext}`;
    const a = await this.persist(bytes, meta.mime, name, meta.width, meta.height);
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

  /** Whether an id names a stored artifact (for checking graphs before they run). */
  async exists(id: string): Promise<boolean> {
    return (await this.artifacts.get(id)) !== null;
  }
}
