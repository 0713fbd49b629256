import { readFileSync } from 'node:fs';
import { EnvironmentError } from '@maskflow/workflow';
import { manifestSchema } from './manifest.schema';
import type { Manifest } from './manifest.schema';

/** Validates a manifest object; every problem is listed in one error. */
export function parseManifest(json: unknown, source = 'manifest'): Manifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new EnvironmentError(`${source} is invalid:\n${problems}`, { code: 'manifest-invalid' });
  }
  return parsed.data;
}

export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvironmentError(`cannot read the model manifest ${file}: ${(err as Error).message}`, {
      code: 'manifest-missing',
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EnvironmentError(`${file} is not valid JSON: ${(err as Error).message}`, {
      code: 'manifest-invalid',
      cause: err,
    });
  }
  return parseManifest(json, file);
}
