import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type { ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';

/**
 * Files under the data dir. Artifact files are addressed by their sha256 id
 * only (checked by the caller), so no client string ever becomes a path.
 */
@Injectable()
export class StorageRepository {
  private readonly artifactsDir: string;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.artifactsDir = path.join(config.dataDir, 'artifacts');
  }

  artifactPath(id: string): string {
    return path.join(this.artifactsDir, id.slice(0, 2), id);
  }

  /** Writes through a temp file and a rename, so a crash never leaves a half file under a valid id. */
  async writeArtifact(id: string, bytes: Buffer): Promise<void> {
    const file = this.artifactPath(id);
    if (existsSync(file)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }

  readArtifact(id: string): Promise<Buffer> {
    return readFile(this.artifactPath(id));
  }

  streamArtifact(id: string): ReadStream {
    return createReadStream(this.artifactPath(id));
  }

  async artifactExists(id: string): Promise<boolean> {
    try {
      return (await stat(this.artifactPath(id))).isFile();
    } catch {
      return false;
    }
  }

  /** Deletes an artifact's file; one already gone is not an error. */
  async removeArtifact(id: string): Promise<void> {
    try {
      await unlink(this.artifactPath(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** The `*.json` files of a directory, by name; an absent directory has none. */
  async readJsonFiles(dir: string): Promise<Array<{ name: string; text: string }>> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    } catch {
      return [];
    }
    return Promise.all(
      names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })),
    );
  }

  exists(file: string): boolean {
    return existsSync(file);
  }
}
