import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import { MODEL_KINDS } from '../model.types';
import type { ModelKind } from '../model.types';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const LOCAL_MODELS_FILE = 'local.json';
export const PULL_COMMAND = 'npx maskflow models pull';

/** A folder the user registered for a model id, in the layout of its kind. */
export interface LocalModelConfig {
  path: string;
  /** Needed only when the id is not in the manifest and the kind cannot be guessed from the files. */
  kind?: ModelKind;
  /** Default variant to pick inside the folder (e.g. fp16, single). */
  variant?: string;
  /** Where the registration came from, for messages. */
  origin: string;
}

/** The repository root: the nearest ancestor with models/manifest.json, from this file or the cwd. */
export function findRepoRoot(start: string = __dirname): string {
  for (const from of [start, process.cwd()]) {
    let dir = path.resolve(from);
    for (;;) {
      if (existsSync(path.join(dir, 'models', 'manifest.json'))) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return process.cwd();
}

export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MASKFLOW_MODELS_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(findRepoRoot(), 'models');
}

export function defaultManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MASKFLOW_MANIFEST?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(findRepoRoot(), 'models', 'manifest.json');
}

/** HF_ENDPOINT without a trailing slash (mirrors such as hf-mirror.com set it). */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

/**
 * Parses MASKFLOW_MODEL_PATHS: `id=/path/a;id2=/path/b` (`;` or newlines between
 * entries, because `:` appears in Windows paths). Relative paths resolve from `cwd`.
 */
export function parseModelPathsEnv(
  value: string | undefined,
  cwd: string = process.cwd(),
): Record<string, LocalModelConfig> {
  const out: Record<string, LocalModelConfig> = {};
  if (!value) return out;
  for (const raw of value.split(/[;\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw new UserError(
        `MASKFLOW_MODEL_PATHS: "${entry}" is not of the form id=/path/to/folder (entries separated by ";")`,
        {
          code: 'model-config-invalid',
        },
      );
    }
    const id = entry.slice(0, eq).trim();
    out[id] = { path: path.resolve(cwd, entry.slice(eq + 1).trim()), origin: 'MASKFLOW_MODEL_PATHS' };
  }
  return out;
}

const localFileSchema = z.object({
  models: z.record(
    z.string().min(1),
    z.object({
      path: z.string().min(1),
      kind: z.enum(MODEL_KINDS).optional(),
      variant: z.string().min(1).optional(),
    }),
  ),
});

/** Reads `<modelsDir>/local.json` ({ "models": { id: { path, kind?, variant? } } }); paths relative to that file. */
export function readLocalModelsFile(file: string): Record<string, LocalModelConfig> {
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file} is not valid JSON: ${(err as Error).message}`, {
      code: 'model-config-invalid',
      cause: err,
    });
  }
  const parsed = localFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new UserError(`${file} is invalid: ${problems}`, { code: 'model-config-invalid' });
  }
  const out: Record<string, LocalModelConfig> = {};
  for (const [id, entry] of Object.entries(parsed.data.models)) {
    out[id] = {
      path: path.resolve(path.dirname(file), entry.path),
      kind: entry.kind,
      variant: entry.variant,
      origin: file,
    };
  }
  return out;
}
