import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CancelledError, EnvironmentError, UserError } from '@maskflow/workflow';
import {
  defaultManifestPath,
  defaultModelsDir,
  hfEndpoint,
  LOCAL_MODELS_FILE,
  parseModelPathsEnv,
  readLocalModelsFile,
} from '../config/models.config';
import type { LocalModelConfig } from '../config/models.config';
import { Coalescer } from '../download/download.coalescer';
import { DownloadError, downloadFile, sha256File } from '../download/file.downloader';
import type { DownloadFileResult } from '../download/file.downloader';
import { hfResolveUrl } from '../download/hf-url.util';
import { inferKind, matchLayout, MODEL_LAYOUTS } from '../layout/model-layouts.registry';
import { loadManifest, parseManifest } from '../manifest/manifest.loader';
import { MODEL_ID_PATTERN } from '../manifest/manifest.schema';
import type { Manifest, ManifestFile, ManifestInput, ManifestModel } from '../manifest/manifest.schema';
import type {
  DownloadProgress,
  ModelKind,
  ResolvedFile,
  ResolvedModel,
  ResolveOptions,
} from '../model.types';
import { formatBytes } from '../util/bytes.util';
import { LOCK_FILE, readLock, recordInLock } from './model-lock.store';
import { ModelMissingError, pullCommand } from './model.errors';
import type { MissingFile } from './model.errors';

export interface ModelManagerOptions {
  /** Where manifest models live (`<dir>/<model id>/...`); default MASKFLOW_MODELS_DIR or `<repo>/models`. */
  modelsDir?: string;
  /** A manifest object or the path of one; default MASKFLOW_MANIFEST or `<repo>/models/manifest.json`. */
  manifest?: Manifest | ManifestInput | string;
  /** Extra local folders, on top of MASKFLOW_MODEL_PATHS and `<modelsDir>/local.json`. */
  localModels?: Record<string, Omit<LocalModelConfig, 'origin'> & { origin?: string }>;
  /** Default HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Default HF_TOKEN; sent as `Authorization: Bearer`. */
  token?: string | null;
  /** Whether resolve() downloads missing files when the caller does not say; default MASKFLOW_AUTO_DOWNLOAD=1, else false. */
  autoDownload?: boolean;
  /** Environment to read the variables above from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Files downloaded in parallel by one call. */
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  stallTimeoutMs?: number;
}

export interface ModelVariantStatus {
  name: string;
  dtype: string | null;
  installed: boolean;
  /** Bytes of the variant (shared files included), exact or approximate; null when unknown. */
  size: number | null;
}

export interface ModelStatus {
  id: string;
  title: string | null;
  kind: ModelKind | null;
  origin: 'manifest' | 'local';
  /** installed: the default variant is complete; partial: some files; invalid: a local folder that fails its layout. */
  state: 'installed' | 'partial' | 'missing' | 'invalid';
  dir: string;
  source: string | null;
  defaultVariant: string | null;
  variants: ModelVariantStatus[];
  missing: string[];
  problem?: string;
}

export type VerifyStatus = 'ok' | 'missing' | 'size-mismatch' | 'sha256-mismatch' | 'unverified';

export interface VerifyFileResult {
  path: string;
  absolutePath: string;
  status: VerifyStatus;
  expected?: string;
  actual?: string;
  /** Where the expected checksum came from. */
  checksumSource?: 'manifest' | 'lock';
}

export interface VerifyReport {
  id: string;
  origin: 'manifest' | 'local';
  dir: string;
  ok: boolean;
  files: VerifyFileResult[];
  problem?: string;
}

export interface VerifyOptions {
  variant?: string;
  /** Delete files whose size or sha256 is wrong, so the next pull fetches them again. */
  removeCorrupt?: boolean;
  /** Called before each file is hashed. */
  onFile?: (modelId: string, file: string) => void;
}

export interface RemoveResult {
  id: string;
  dir: string;
  removed: boolean;
  bytes: number;
}

interface PlannedFile extends ManifestFile {
  local: string;
  absolutePath: string;
  url: string;
}

interface FileProgress {
  bytes: number;
  total: number | null;
  status: DownloadProgress['status'];
}

/** One download per destination file across every manager in the process. */
const downloads = new Coalescer<DownloadFileResult, FileProgress>();

const PROGRESS_INTERVAL_MS = 100;

/**
 * Finds model files on disk, downloads what is missing, and says clearly what
 * is wrong when it cannot. Nodes call `resolve(id, { kind })` and get absolute
 * paths by role (`files.encoder`, `files.unet`, ...), whatever the folder came from.
 */
export class ModelManager {
  readonly modelsDir: string;
  readonly endpoint: string;
  readonly autoDownload: boolean;
  private readonly token: string | null;
  private readonly env: NodeJS.ProcessEnv;
  private readonly manifestInput: ModelManagerOptions['manifest'];
  private loadedManifest?: Manifest;
  private readonly extraLocal: Record<string, LocalModelConfig>;
  private readonly opts: ModelManagerOptions;

  constructor(opts: ModelManagerOptions = {}) {
    this.opts = opts;
    this.env = opts.env ?? process.env;
    this.modelsDir = path.resolve(opts.modelsDir ?? defaultModelsDir(this.env));
    this.endpoint = (opts.endpoint ?? hfEndpoint(this.env)).replace(/\/+$/, '');
    this.token =
      opts.token !== undefined
        ? opts.token
        : this.env.HF_TOKEN?.trim() || this.env.HUGGING_FACE_HUB_TOKEN?.trim() || null;
    this.autoDownload = opts.autoDownload ?? /^(1|true|yes)$/i.test(this.env.MASKFLOW_AUTO_DOWNLOAD ?? '');
    this.manifestInput = opts.manifest;
    this.extraLocal = {};
    for (const [id, cfg] of Object.entries(opts.localModels ?? {})) {
      this.extraLocal[id] = {
        ...cfg,
        path: path.resolve(cfg.path),
        origin: cfg.origin ?? 'ModelManager options',
      };
    }
  }

  get manifest(): Manifest {
    if (!this.loadedManifest) {
      const input = this.manifestInput;
      if (input === undefined) this.loadedManifest = loadManifest(defaultManifestPath(this.env));
      else if (typeof input === 'string') this.loadedManifest = loadManifest(input);
      else this.loadedManifest = parseManifest(input, 'the manifest given to ModelManager');
    }
    return this.loadedManifest;
  }

  /** Manifest ids plus every registered local id. */
  ids(): string[] {
    return [...new Set([...Object.keys(this.manifest.models), ...Object.keys(this.localModels())])].sort();
  }

  /** True when `resolve` can at least try (known id or a folder in the models dir). */
  has(modelId: string): boolean {
    return (
      modelId in this.manifest.models ||
      modelId in this.localModels() ||
      this.handPlacedDir(modelId) !== undefined
    );
  }

  /** User-registered folders: options, then `<modelsDir>/local.json`, then MASKFLOW_MODEL_PATHS (later wins). */
  localModels(): Record<string, LocalModelConfig> {
    return {
      ...this.extraLocal,
      ...readLocalModelsFile(path.join(this.modelsDir, LOCAL_MODELS_FILE)),
      ...parseModelPathsEnv(this.env.MASKFLOW_MODEL_PATHS),
    };
  }

  /** The URL a manifest file is fetched from. */
  urlFor(modelId: string, filePath: string): string {
    const entry = this.requireManifestEntry(modelId);
    return hfResolveUrl(this.endpoint, entry.source.repo, entry.source.revision, filePath);
  }

  async resolve<K extends ModelKind = ModelKind>(
    modelId: string,
    options: ResolveOptions<K> = {},
  ): Promise<ResolvedModel<K>> {
    const local = this.localModels()[modelId];
    if (local) return this.resolveLocal(modelId, local, options);
    const entry = this.manifest.models[modelId];
    if (entry) return this.resolveManifest(modelId, entry, options);
    const handPlaced = this.handPlacedDir(modelId);
    if (handPlaced)
      return this.resolveLocal(
        modelId,
        { path: handPlaced, origin: `the models dir (${this.modelsDir})` },
        options,
      );
    throw this.unknownModel(modelId);
  }

  /** resolve() with downloading on. */
  pull<K extends ModelKind = ModelKind>(
    modelId: string,
    options: Omit<ResolveOptions<K>, 'download'> = {},
  ): Promise<ResolvedModel<K>> {
    return this.resolve(modelId, { ...options, download: true });
  }

  async list(): Promise<ModelStatus[]> {
    const out: ModelStatus[] = [];
    const locals = this.localModels();
    for (const [id, entry] of Object.entries(this.manifest.models)) {
      if (locals[id]) continue;
      out.push(await this.manifestStatus(id, entry));
    }
    for (const [id, cfg] of Object.entries(locals)) out.push(this.localStatus(id, cfg));
    for (const id of this.handPlacedIds()) {
      if (!(id in this.manifest.models) && !locals[id]) {
        out.push(this.localStatus(id, { path: path.join(this.modelsDir, id), origin: 'models dir' }));
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Checks sizes and sha256 (manifest, else the one recorded at download) of installed files. */
  async verify(modelId?: string, options: VerifyOptions = {}): Promise<VerifyReport[]> {
    const locals = this.localModels();
    let ids: string[];
    if (modelId !== undefined) {
      if (!this.has(modelId)) throw this.unknownModel(modelId);
      ids = [modelId];
    } else {
      ids = [
        ...Object.keys(this.manifest.models).filter(
          (id) => !locals[id] && existsSync(path.join(this.modelsDir, id)),
        ),
        ...Object.keys(locals),
      ];
    }
    const reports: VerifyReport[] = [];
    for (const id of ids) {
      const local = locals[id];
      const entry = this.manifest.models[id];
      if (local) reports.push(this.verifyLocal(id, local));
      else if (entry) reports.push(await this.verifyManifest(id, entry, options));
      else reports.push(this.verifyLocal(id, { path: path.join(this.modelsDir, id), origin: 'models dir' }));
    }
    return reports;
  }

  /** Deletes a downloaded model's folder. Never touches user-registered folders. */
  async remove(modelId: string): Promise<RemoveResult> {
    const local = this.localModels()[modelId];
    if (local) {
      throw new UserError(
        `Model "${modelId}" is the local folder ${local.path} registered in ${local.origin}; Maskflow does not delete your folders. Remove the registration instead.`,
        { code: 'model-local' },
      );
    }
    if (!MODEL_ID_PATTERN.test(modelId)) throw this.unknownModel(modelId);
    const dir = path.join(this.modelsDir, modelId);
    if (!(modelId in this.manifest.models) && !existsSync(dir)) throw this.unknownModel(modelId);
    if (!existsSync(dir)) return { id: modelId, dir, removed: false, bytes: 0 };
    const bytes = folderBytes(dir);
    await rm(dir, { recursive: true, force: true });
    return { id: modelId, dir, removed: true, bytes };
  }

  // ---------------------------------------------------------------------------

  private requireManifestEntry(modelId: string): ManifestModel {
    const entry = this.manifest.models[modelId];
    if (!entry) throw this.unknownModel(modelId);
    return entry;
  }

  private unknownModel(modelId: string): UserError {
    return new UserError(
      `Unknown model "${modelId}". Known models: ${this.ids().join(', ') || '(none)'}. ` +
        `To use your own folder, register it: MASKFLOW_MODEL_PATHS="${modelId}=/path/to/folder" or an entry in ${path.join(this.modelsDir, LOCAL_MODELS_FILE)}.`,
      { code: 'model-unknown' },
    );
  }

  private handPlacedDir(modelId: string): string | undefined {
    if (!MODEL_ID_PATTERN.test(modelId)) return undefined;
    const dir = path.join(this.modelsDir, modelId);
    return isDir(dir) ? dir : undefined;
  }

  private handPlacedIds(): string[] {
    if (!isDir(this.modelsDir)) return [];
    return readdirSync(this.modelsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && MODEL_ID_PATTERN.test(d.name))
      .map((d) => d.name);
  }

  private checkKind<K extends ModelKind>(modelId: string, kind: ModelKind, wanted: K | undefined): void {
    if (wanted !== undefined && kind !== wanted) {
      throw new UserError(`Model "${modelId}" is a ${kind} model, not ${wanted}.`, {
        code: 'model-wrong-kind',
      });
    }
  }

  private resolveLocal<K extends ModelKind>(
    modelId: string,
    cfg: LocalModelConfig,
    options: ResolveOptions<K>,
  ): ResolvedModel<K> {
    const problem = this.localProblem(modelId, cfg, options.variant);
    if (problem.error) throw problem.error;
    const { kind, found } = problem;
    this.checkKind(modelId, kind, options.kind);
    const fileList: ResolvedFile[] = Object.entries(found).map(([role, rel]) => {
      const abs = path.join(cfg.path, rel);
      return { role, path: abs, relativePath: rel, size: statSync(abs).size };
    });
    return this.buildResolved<K>({
      id: modelId,
      kind,
      title: this.manifest.models[modelId]?.title ?? null,
      variant: options.variant ?? cfg.variant ?? null,
      dtype: null,
      dir: cfg.path,
      origin: 'local',
      fileList,
    });
  }

  /** Validates a local folder against its kind's layout. */
  private localProblem(
    modelId: string,
    cfg: LocalModelConfig,
    variant: string | undefined,
  ):
    | { error: EnvironmentError | UserError; kind?: undefined; found?: undefined }
    | { error?: undefined; kind: ModelKind; found: Record<string, string> } {
    if (!isDir(cfg.path)) {
      return {
        error: new EnvironmentError(
          `Model "${modelId}": the folder ${cfg.path} (registered in ${cfg.origin}) does not exist or is not a folder.`,
          { code: 'model-missing' },
        ),
      };
    }
    const files = listFiles(cfg.path);
    const kind = cfg.kind ?? this.manifest.models[modelId]?.kind ?? inferKind(files);
    if (!kind) {
      return {
        error: new UserError(
          `Model "${modelId}": cannot tell what kind of model the folder ${cfg.path} holds. ` +
            `Give its kind (grounding-dino, sam or sd-inpaint) in ${path.join(this.modelsDir, LOCAL_MODELS_FILE)}.`,
          { code: 'model-kind-unknown' },
        ),
      };
    }
    const match = matchLayout(kind, files, variant ?? cfg.variant);
    if (match.missing.length > 0) {
      const layout = MODEL_LAYOUTS[kind].map((r) => `  ${r.required ? '*' : ' '} ${r.expected}`).join('\n');
      return {
        error: new EnvironmentError(
          `Model "${modelId}" (${kind}) in ${cfg.path} (registered in ${cfg.origin}) is incomplete. Missing:\n` +
            match.missing.map((m) => `  - ${m.expected}`).join('\n') +
            `\nA ${kind} folder holds (* = required):\n${layout}`,
          { code: 'model-layout-invalid' },
        ),
      };
    }
    return { kind, found: match.found };
  }

  private planFiles(modelId: string, entry: ManifestModel, variantName: string): PlannedFile[] {
    const variant = entry.variants[variantName];
    const dir = path.join(this.modelsDir, modelId);
    return [...entry.files, ...variant.files].map((f) => {
      const local = f.local ?? f.path;
      return {
        ...f,
        local,
        absolutePath: path.join(dir, ...local.split('/')),
        url: hfResolveUrl(this.endpoint, entry.source.repo, entry.source.revision, f.path),
      };
    });
  }

  private pickVariant(modelId: string, entry: ManifestModel, wanted: string | undefined): string {
    const name = wanted ?? entry.defaultVariant;
    if (!(name in entry.variants)) {
      throw new UserError(
        `Model "${modelId}" has no variant "${name}"; its variants are: ${Object.keys(entry.variants).join(', ')}.`,
        { code: 'model-variant-unknown' },
      );
    }
    return name;
  }

  private async resolveManifest<K extends ModelKind>(
    modelId: string,
    entry: ManifestModel,
    options: ResolveOptions<K>,
  ): Promise<ResolvedModel<K>> {
    this.checkKind(modelId, entry.kind, options.kind);
    const variantName = this.pickVariant(modelId, entry, options.variant);
    const planned = this.planFiles(modelId, entry, variantName);
    const missing = await missingFiles(planned);
    const dir = path.join(this.modelsDir, modelId);
    if (missing.length > 0) {
      const download = options.download ?? this.autoDownload;
      if (!download) {
        throw this.missingError(modelId, entry, variantName, missing, {
          reason: undefined,
          hint: 'Downloading on first use is off (pass download: true, or set MASKFLOW_AUTO_DOWNLOAD=1).',
        });
      }
      await this.download(modelId, entry, variantName, missing, options);
    }
    const fileList: ResolvedFile[] = [];
    for (const f of planned) {
      fileList.push({
        role: f.role,
        path: f.absolutePath,
        relativePath: f.local,
        size: (await stat(f.absolutePath)).size,
      });
    }
    // unet/weights.pb sits next to unet/model.onnx; onnxruntime finds it by itself.
    return this.buildResolved<K>({
      id: modelId,
      kind: entry.kind,
      title: entry.title,
      variant: variantName,
      dtype: entry.variants[variantName].dtype ?? null,
      dir,
      origin: 'manifest',
      fileList,
    });
  }

  private buildResolved<K extends ModelKind>(r: {
    id: string;
    kind: ModelKind;
    title: string | null;
    variant: string | null;
    dtype: string | null;
    dir: string;
    origin: 'manifest' | 'local';
    fileList: ResolvedFile[];
  }): ResolvedModel<K> {
    const files: Record<string, string> = {};
    for (const f of r.fileList) files[f.role] = f.path;
    // The layout check above guarantees every required role of r.kind is in `files`.
    return { ...r, format: 'onnx', files } as unknown as ResolvedModel<K>;
  }

  private missingError(
    modelId: string,
    entry: ManifestModel,
    variantName: string,
    missing: Array<PlannedFile & { problem?: string }>,
    extra: { reason?: string; hint?: string; cause?: unknown },
  ): ModelMissingError {
    const dir = path.join(this.modelsDir, modelId);
    const regs = [path.join(this.modelsDir, LOCAL_MODELS_FILE), 'MASKFLOW_MODEL_PATHS'];
    const variantArg = variantName === entry.defaultVariant ? null : variantName;
    const files: MissingFile[] = missing.map((f) => ({
      path: f.local,
      absolutePath: f.absolutePath,
      size: f.size ?? f.approxSize ?? null,
      problem: f.problem,
    }));
    return new ModelMissingError({
      modelId,
      title: entry.title,
      variant: variantName,
      missing: files,
      searched: [
        `${dir} (in the models dir; change it with MASKFLOW_MODELS_DIR)`,
        `local folders registered for "${modelId}" in ${regs.join(' or ')}: none`,
      ],
      command: pullCommand(modelId, variantArg),
      reason: extra.reason,
      hint:
        `Source: Hugging Face ${entry.source.repo}@${entry.source.revision} via ${this.endpoint}. ` +
        (extra.hint ? `${extra.hint} ` : '') +
        `Offline? Copy the files into ${dir}, or point MASKFLOW_MODEL_PATHS="${modelId}=/path/to/folder" at a copy.`,
      cause: extra.cause,
    });
  }

  private async download<K extends ModelKind>(
    modelId: string,
    entry: ManifestModel,
    variantName: string,
    files: PlannedFile[],
    options: ResolveOptions<K>,
  ): Promise<void> {
    const dir = path.join(this.modelsDir, modelId);
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const progress = new Map<string, FileProgress>();
    for (const f of files) progress.set(f.local, { bytes: 0, total: f.size, status: 'queued' });
    const lastEmit = new Map<string, number>();
    const emit = (file: string, force: boolean): void => {
      if (!options.onProgress) return;
      const now = Date.now();
      if (!force && now - (lastEmit.get(file) ?? 0) < PROGRESS_INTERVAL_MS) return;
      lastEmit.set(file, now);
      let bytes = 0;
      let total: number | null = 0;
      for (const p of progress.values()) {
        bytes += p.bytes;
        total = total === null || p.total === null ? null : total + p.total;
      }
      const p = progress.get(file);
      if (!p) return;
      options.onProgress({
        modelId,
        file,
        status: p.status,
        fileBytes: p.bytes,
        fileTotal: p.total,
        bytes,
        total,
      });
    };
    for (const f of files) emit(f.local, true);

    // One failure stops the other files of this call (their .part files stay for a resume).
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop.abort();
    const errors: unknown[] = [];
    const queue = [...files];
    const worker = async (): Promise<void> => {
      for (let f = queue.shift(); f !== undefined && !stop.signal.aborted; f = queue.shift()) {
        const file = f;
        try {
          await downloads.run(
            file.absolutePath,
            async (signal, share) => {
              const result = await downloadFile({
                url: file.url,
                dest: file.absolutePath,
                sha256: file.sha256,
                size: file.size,
                headers,
                signal,
                retries: this.opts.retries,
                retryDelayMs: this.opts.retryDelayMs,
                stallTimeoutMs: this.opts.stallTimeoutMs,
                onProgress: (bytes, total) => share({ bytes, total, status: 'downloading' }),
              });
              await recordInLock(dir, file.local, {
                sha256: result.sha256,
                size: result.size,
                url: file.url,
                revision: entry.source.revision,
                downloadedAt: new Date().toISOString(),
              });
              share({ bytes: result.size, total: result.size, status: 'done' });
              return result;
            },
            {
              signal: stop.signal,
              onProgress: (p) => {
                progress.set(file.local, p);
                emit(file.local, p.status !== 'downloading');
              },
            },
          );
        } catch (err) {
          errors.push(err);
          stop.abort();
        }
      }
    };
    const concurrency = Math.max(1, this.opts.concurrency ?? 3);
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, () => worker()));
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted) throw new CancelledError(`download of model "${modelId}" cancelled`);
    const first = errors.find((e) => !(e instanceof CancelledError)) ?? errors[0];
    if (first !== undefined) throw this.downloadFailure(modelId, entry, variantName, files, first);
  }

  private downloadFailure(
    modelId: string,
    entry: ManifestModel,
    variantName: string,
    files: PlannedFile[],
    err: unknown,
  ): Error {
    if (!(err instanceof DownloadError)) return err instanceof Error ? err : new Error(String(err));
    const file = files.find((f) => f.url === err.url);
    const name = file?.local ?? err.url;
    const retry = pullCommand(modelId, variantName === entry.defaultVariant ? null : variantName);
    switch (err.reason) {
      case 'offline': {
        // Report everything still missing, not only the file that hit the error.
        const still = files.filter((f) => !existsSync(f.absolutePath));
        return this.missingError(modelId, entry, variantName, still.length > 0 ? still : files, {
          reason: `downloading failed, ${err.message}`,
          cause: err,
        });
      }
      case 'http': {
        const s = err.status ?? 0;
        const what =
          s === 404
            ? `was not found (HTTP 404). The manifest entry (repo ${entry.source.repo}, revision ${entry.source.revision}, path ${file?.path ?? '?'}) may be out of date, or the endpoint ${this.endpoint} does not mirror it.`
            : s === 401 || s === 403
              ? `needs authorization (HTTP ${s}): set HF_TOKEN to a Hugging Face token that can read ${entry.source.repo} (gated repositories also need their licence accepted on the website).`
              : `failed with HTTP ${s}.`;
        return new EnvironmentError(`Model "${modelId}": ${name} from ${err.url} ${what}`, {
          code: 'model-download-failed',
          cause: err,
        });
      }
      case 'checksum':
        return new EnvironmentError(
          `Model "${modelId}": ${name} did not match its checksum. ${err.message}. Run \`${retry}\` to try again; if it keeps failing, the upstream file changed and the manifest needs updating.`,
          { code: 'model-checksum-mismatch', cause: err },
        );
      case 'size':
        return new EnvironmentError(
          `Model "${modelId}": ${name}: ${err.message}. Run \`${retry}\` to try again.`,
          {
            code: 'model-download-failed',
            cause: err,
          },
        );
      default:
        return new EnvironmentError(
          `Model "${modelId}": downloading ${name} failed: ${err.message}. The partial file is kept; run \`${retry}\` to resume.`,
          { code: 'model-download-failed', cause: err },
        );
    }
  }

  private async manifestStatus(id: string, entry: ManifestModel): Promise<ModelStatus> {
    const variants: ModelVariantStatus[] = [];
    let defaultMissing: string[] = [];
    let anyPresent = false;
    for (const name of Object.keys(entry.variants)) {
      const planned = this.planFiles(id, entry, name);
      const missing = await missingFiles(planned);
      if (missing.length < planned.length) anyPresent = true;
      if (name === entry.defaultVariant) defaultMissing = missing.map((m) => m.local);
      const sizes = planned.map((f) => f.size ?? f.approxSize ?? null);
      variants.push({
        name,
        dtype: entry.variants[name].dtype ?? null,
        installed: missing.length === 0,
        size: sizes.some((s) => s === null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0),
      });
    }
    const state = defaultMissing.length === 0 ? 'installed' : anyPresent ? 'partial' : 'missing';
    return {
      id,
      title: entry.title,
      kind: entry.kind,
      origin: 'manifest',
      state,
      dir: path.join(this.modelsDir, id),
      source: `${entry.source.repo}@${entry.source.revision}`,
      defaultVariant: entry.defaultVariant,
      variants,
      missing: defaultMissing,
    };
  }

  private localStatus(id: string, cfg: LocalModelConfig): ModelStatus {
    const r = this.localProblem(id, cfg, cfg.variant);
    const base = {
      id,
      title: this.manifest.models[id]?.title ?? null,
      origin: 'local' as const,
      dir: cfg.path,
      source: cfg.origin,
      defaultVariant: cfg.variant ?? null,
      variants: [],
    };
    if (r.error) {
      const kind = cfg.kind ?? this.manifest.models[id]?.kind ?? null;
      return { ...base, kind, state: 'invalid', missing: [], problem: r.error.message };
    }
    return { ...base, kind: r.kind, state: 'installed', missing: [] };
  }

  private verifyLocal(id: string, cfg: LocalModelConfig): VerifyReport {
    const r = this.localProblem(id, cfg, cfg.variant);
    if (r.error)
      return { id, origin: 'local', dir: cfg.path, ok: false, files: [], problem: r.error.message };
    const files: VerifyFileResult[] = Object.values(r.found).map((rel) => ({
      path: rel,
      absolutePath: path.join(cfg.path, rel),
      status: 'unverified',
    }));
    return {
      id,
      origin: 'local',
      dir: cfg.path,
      ok: true,
      files,
      problem: 'local folder: layout checked, no checksums to compare',
    };
  }

  private async verifyManifest(
    id: string,
    entry: ManifestModel,
    options: VerifyOptions,
  ): Promise<VerifyReport> {
    const dir = path.join(this.modelsDir, id);
    let variantNames: string[];
    if (options.variant !== undefined) {
      variantNames = [this.pickVariant(id, entry, options.variant)];
    } else {
      // The variants that are (partly) on disk; the default one when none is.
      variantNames = [];
      for (const name of Object.keys(entry.variants)) {
        const own = entry.variants[name].files;
        const present = (
          own.length > 0
            ? this.planFiles(id, entry, name).slice(entry.files.length)
            : this.planFiles(id, entry, name)
        ).some((f) => existsSync(f.absolutePath));
        if (present) variantNames.push(name);
      }
      if (variantNames.length === 0) variantNames = [entry.defaultVariant];
    }
    const seen = new Set<string>();
    const planned = variantNames
      .flatMap((n) => this.planFiles(id, entry, n))
      .filter((f) => !seen.has(f.local) && seen.add(f.local));
    const lock = await readLock(dir);
    const files: VerifyFileResult[] = [];
    for (const f of planned) {
      const base = { path: f.local, absolutePath: f.absolutePath };
      let size: number;
      try {
        size = (await stat(f.absolutePath)).size;
      } catch {
        files.push({ ...base, status: 'missing' });
        continue;
      }
      const locked = lock.files[f.local];
      const expectedSize = f.size ?? (f.sha256 === null && locked ? locked.size : null);
      if (expectedSize !== null && size !== expectedSize) {
        files.push({
          ...base,
          status: 'size-mismatch',
          expected: String(expectedSize),
          actual: String(size),
        });
        continue;
      }
      options.onFile?.(id, f.local);
      const actual = await sha256File(f.absolutePath);
      const expected = f.sha256 ?? locked?.sha256 ?? null;
      if (expected === null) files.push({ ...base, status: 'unverified', actual });
      else
        files.push({
          ...base,
          status: actual === expected ? 'ok' : 'sha256-mismatch',
          expected,
          actual,
          checksumSource: f.sha256 ? 'manifest' : 'lock',
        });
    }
    if (options.removeCorrupt) {
      for (const f of files)
        if (f.status === 'size-mismatch' || f.status === 'sha256-mismatch')
          await rm(f.absolutePath, { force: true });
    }
    const ok = files.every((f) => f.status === 'ok' || f.status === 'unverified');
    return { id, origin: 'manifest', dir, ok, files };
  }
}

/** Files that are absent, or present with a size other than the manifest's. */
async function missingFiles(planned: PlannedFile[]): Promise<Array<PlannedFile & { problem?: string }>> {
  const out: Array<PlannedFile & { problem?: string }> = [];
  for (const f of planned) {
    try {
      const s = await stat(f.absolutePath);
      if (f.size !== null && s.size !== f.size)
        out.push({ ...f, problem: `size ${formatBytes(s.size)}, expected ${formatBytes(f.size)}` });
    } catch {
      out.push(f);
    }
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Relative paths (forward slashes) of the files under `dir`, skipping partial downloads and our lock file. */
export function listFiles(dir: string, maxDepth = 3): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.endsWith('.part')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < maxDepth) walk(path.join(abs, e.name), r, depth + 1);
      } else if (e.isFile() || e.isSymbolicLink()) {
        out.push(r);
      }
    }
  };
  walk(dir, '', 1);
  return out.sort();
}

function folderBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

export { LOCK_FILE };
