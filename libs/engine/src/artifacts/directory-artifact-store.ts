import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ArtifactRef, ArtifactStore, InputFile } from '@maskflow/nodes';
import { UserError } from '@maskflow/workflow';

/** Inputs larger than this are refused before reading (bytes). */
export const MAX_INPUT_BYTES = 200 * 1024 * 1024;

/**
 * The CLI's store: inputs are paths relative to `inputDir`, outputs are files
 * in `outDir` named after the node that saved them (after `namePrefix` and a
 * dash when given: a batch names each run's files after its input).
 */
export class DirectoryArtifactStore implements ArtifactStore {
  private readonly names = new Set<string>();

  constructor(
    private readonly inputDir: string,
    private readonly outDir: string,
    private readonly namePrefix?: string,
  ) {}

  private resolve(ref: string): string {
    if (!ref) throw new UserError('no input file given', { code: 'missing-file' });
    return path.resolve(this.inputDir, ref);
  }

  async readInput(ref: string): Promise<InputFile> {
    const file = this.resolve(ref);
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) throw new UserError(`"${ref}" is not a file`, { code: 'missing-file' });
      size = s.size;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot read "${ref}": no such file`, { code: 'missing-file', cause: err });
    }
    if (size > MAX_INPUT_BYTES) {
      throw new UserError(`"${ref}" is ${size} bytes; the limit is ${MAX_INPUT_BYTES}`, {
        code: 'too-large',
      });
    }
    return { bytes: await readFile(file), name: path.basename(file) };
  }

  async fingerprintInput(ref: string): Promise<string> {
    try {
      return createHash('sha256')
        .update(await readFile(this.resolve(ref)))
        .digest('hex');
    } catch {
      // Missing files fail later in execute with a clear message; the key just must not collide.
      return `missing:${randomUUID()}`;
    }
  }

  async save(
    bytes: Buffer,
    meta: { mime: string; ext: string; name?: string; width?: number; height?: number },
  ): Promise<ArtifactRef> {
    await mkdir(this.outDir, { recursive: true });
    const named = this.namePrefix ? `${this.namePrefix}-${meta.name ?? 'output'}` : (meta.name ?? 'output');
    const base = named.replace(/[^A-Za-z0-9_.-]/g, '_');
    let name = `${base}.${meta.ext}`;
    for (let i = 2; this.names.has(name); i++) name = `${base}-${i}.${meta.ext}`;
    this.names.add(name);
    const file = path.join(this.outDir, name);
    await writeFile(file, bytes);
    const id = createHash('sha256').update(bytes).digest('hex');
    return {
      kind: 'artifact',
      id,
      mime: meta.mime,
      bytes: bytes.length,
      width: meta.width,
      height: meta.height,
      path: file,
      name,
    };
  }
}
