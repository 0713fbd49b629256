/**
 * What a model node needs from its host (the inference runtime and the model
 * manager, reached through `ctx.services`), the identity of a resolved model
 * for cache keys, and a small registry that keeps loaded pipelines warm
 * between runs. Shared by the GroundingDINO and SAM nodes.
 */
import { stat } from 'node:fs/promises';
import { EnvironmentError } from '@maskflow/workflow';
import type { InferenceService } from '@maskflow/inference';
import type { DownloadProgress, ModelKind, ResolvedModel, ResolveOptions } from '@maskflow/models';

/** The part of ModelManager a node uses. */
export interface ModelResolver {
  resolve<K extends ModelKind = ModelKind>(
    modelId: string,
    options?: ResolveOptions<K>,
  ): Promise<ResolvedModel<K>>;
}

export interface ModelHost {
  inference: InferenceService;
  models: ModelResolver;
}

function hasMethods(x: unknown, names: readonly string[]): boolean {
  if (typeof x !== 'object' || x === null) return false;
  return names.every((n) => n in x && typeof (x as Record<string, unknown>)[n] === 'function');
}

function isInferenceService(x: unknown): x is InferenceService {
  return hasMethods(x, ['load', 'run', 'unload']);
}

function isModelResolver(x: unknown): x is ModelResolver {
  return hasMethods(x, ['resolve']);
}

/**
 * Reads the inference runtime (`services.inference`) and the model manager
 * (`services.models`) from a node context's services, checking their shape,
 * so a host that lacks them gets an operator-facing error instead of a crash.
 */
export function modelHostFrom(services: object, nodeType: string): ModelHost {
  const inference: unknown = 'inference' in services ? services.inference : undefined;
  const models: unknown = 'models' in services ? services.models : undefined;
  const missing: string[] = [];
  if (!isInferenceService(inference)) missing.push('the inference runtime (services.inference)');
  if (!isModelResolver(models)) missing.push('the model manager (services.models)');
  if (missing.length > 0 || !isInferenceService(inference) || !isModelResolver(models)) {
    throw new EnvironmentError(
      `${nodeType} needs ${missing.join(' and ')}, which this host does not provide`,
      {
        code: 'services-missing',
      },
    );
  }
  return { inference, models };
}

/** Just the model manager (no inference runtime is touched, so none is started): for cache fingerprints. */
export function modelResolverFrom(services: object): ModelResolver | undefined {
  const models: unknown = 'models' in services ? services.models : undefined;
  return isModelResolver(models) ? models : undefined;
}

/**
 * The identity of a resolved model: id, variant and each file's path, size and
 * modification time. Used both in the node's cache fingerprint and in the SAM
 * embedding cache key, so replacing a file under the same id invalidates both.
 */
export async function modelFingerprint(model: ResolvedModel): Promise<string> {
  const files = await Promise.all(
    [...model.fileList]
      .sort((a, b) => a.role.localeCompare(b.role))
      .map(async (f) => {
        const s = await stat(f.path);
        return `${f.role}=${f.relativePath}:${s.size}:${Math.trunc(s.mtimeMs)}`;
      }),
  );
  return `${model.id}@${model.variant ?? 'default'}[${files.join(';')}]`;
}

/** The fingerprint without downloading anything; a model that is not installed yet gets a placeholder. */
export async function tryModelFingerprint(
  models: ModelResolver,
  id: string,
  kind: ModelKind,
  variant: string | undefined,
): Promise<string> {
  try {
    return await modelFingerprint(await models.resolve(id, { kind, variant, download: false }));
  } catch {
    return `${id}@${variant ?? 'default'}[not installed]`;
  }
}

/** Adapts model-download progress to a node's progress callback (bytes of bytes, phase "download"). */
export function downloadProgress(
  report: (value: number, max: number, phase: string) => void,
): (p: DownloadProgress) => void {
  return (p) => report(p.bytes, p.total ?? 0, 'download');
}

interface RegistryEntry<T> {
  group: string;
  value: Promise<T>;
}

/**
 * Loaded pipelines by (runtime, fingerprint). Holding a pipeline keeps its
 * runtime handles, and the runtime itself unloads idle sessions under memory
 * pressure and reloads them on their next run; so pipelines are kept until the
 * same model (group) resolves to a different fingerprint, when the old one is
 * disposed.
 */
export class PipelineRegistry<T extends { dispose(): Promise<void> }> {
  private readonly byRuntime = new WeakMap<InferenceService, Map<string, RegistryEntry<T>>>();

  async get(runtime: InferenceService, group: string, key: string, load: () => Promise<T>): Promise<T> {
    let entries = this.byRuntime.get(runtime);
    if (!entries) {
      entries = new Map();
      this.byRuntime.set(runtime, entries);
    }
    const hit = entries.get(key);
    if (hit) return hit.value;
    for (const [k, e] of entries) {
      if (e.group === group) {
        entries.delete(k);
        void e.value.then((p) => p.dispose()).catch(() => undefined);
      }
    }
    const value = load();
    entries.set(key, { group, value });
    // A failed load is not kept: the next run tries again (the user may fix the files meanwhile).
    value.catch(() => {
      if (entries.get(key)?.value === value) entries.delete(key);
    });
    return value;
  }

  /** Disposes every pipeline loaded on `runtime`. */
  async clear(runtime: InferenceService): Promise<void> {
    const entries = this.byRuntime.get(runtime);
    if (!entries) return;
    this.byRuntime.delete(runtime);
    await Promise.all(
      [...entries.values()].map((e) => e.value.then((p) => p.dispose()).catch(() => undefined)),
    );
  }
}
