import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '@maskflow/workflow';

/** What a folder of inputs may hold; anything else in it (a .txt, a .json) is left out. */
export const BATCH_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
]);

/** One run of a batch: the file each batch input takes, and the name its outputs are prefixed with. */
export interface BatchItem {
  stem: string;
  files: Record<string, string>;
}

function splitSpec(spec: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1)
    throw new UserError(`--batch "${spec}" must look like <input>=<folder> or <input>=<folder>/<pattern>`, {
      field: '--batch',
    });
  return [spec.slice(0, i), spec.slice(i + 1)];
}

/** `*` and `?` in a file name pattern, nothing else special (no shell needed, none of its quoting). */
function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The image files a `--batch` value names: every image in a folder, or the names in it matching a pattern. */
export async function batchFiles(name: string, where: string, cwd = process.cwd()): Promise<string[]> {
  const full = path.resolve(cwd, where);
  const isDir = await stat(full).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir && !/[*?]/.test(path.basename(full)))
    throw new UserError(
      `--batch ${name}: no folder "${where}" (give a folder, or a pattern such as photos/*.jpg)`,
      {
        field: '--batch',
      },
    );
  const dir = isDir ? full : path.dirname(full);
  const match = isDir ? undefined : patternRegExp(path.basename(full));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new UserError(`--batch ${name}: no folder "${isDir ? where : path.dirname(where)}"`, {
      field: '--batch',
    });
  }
  const files = names
    .filter((n) => (match ? match.test(n) : BATCH_EXTENSIONS.has(path.extname(n).toLowerCase())))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => path.join(dir, n));
  const regular = (
    await Promise.all(files.map(async (f) => ((await stat(f)).isFile() ? f : undefined)))
  ).filter((f): f is string => !!f);
  if (!regular.length)
    throw new UserError(
      `--batch ${name}: "${where}" holds no ${match ? 'file matching the pattern' : `image (${[...BATCH_EXTENSIONS].join(' ')})`}`,
      { field: '--batch' },
    );
  return regular;
}

const stemOf = (file: string) => path.basename(file, path.extname(file));

/**
 * The runs of a batch. The first `--batch` input decides them, one per file;
 * every other batch input takes the file with the same name (extension aside)
 * from its own folder, as IOPaint pairs an image folder with a mask folder.
 * A missing partner is an error before anything runs, naming the files.
 */
export async function expandBatch(specs: string[], cwd = process.cwd()): Promise<BatchItem[]> {
  const inputs: Array<[string, string[]]> = [];
  for (const spec of specs) {
    const [name, where] = splitSpec(spec);
    if (inputs.some(([n]) => n === name))
      throw new UserError(`--batch ${name} is given twice`, { field: '--batch' });
    inputs.push([name, await batchFiles(name, where, cwd)]);
  }
  // Names are unique within each input: they pair the files and name the outputs.
  const [lead, leadFiles] = inputs[0];
  const byStem = inputs.map(([name, files]) => {
    const m = new Map<string, string>();
    for (const f of files) {
      const s = stemOf(f);
      if (m.has(s))
        throw new UserError(
          `--batch ${name}: "${path.basename(m.get(s)!)}" and "${path.basename(f)}" have the same name`,
          {
            field: '--batch',
          },
        );
      m.set(s, f);
    }
    return [name, m] as const;
  });
  const missing: string[] = [];
  const items = leadFiles.map((file): BatchItem => {
    const stem = stemOf(file);
    const files: Record<string, string> = { [lead]: file };
    for (const [name, m] of byStem.slice(1)) {
      const partner = m.get(stem);
      if (partner) files[name] = partner;
      else missing.push(`${name} for ${path.basename(file)}`);
    }
    return { stem, files };
  });
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ');
    throw new UserError(
      `--batch: no file with the same name (extension aside) as ${lead}'s: ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      { field: '--batch' },
    );
  }
  return items;
}
