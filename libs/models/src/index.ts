export * from './model.types';
export * from './manifest/manifest.schema';
export { loadManifest, parseManifest } from './manifest/manifest.loader';
export { MODEL_LAYOUTS, matchLayout, inferKind } from './layout/model-layouts.registry';
export type { LayoutRole, LayoutMatch } from './layout/model-layouts.registry';
export {
  DEFAULT_HF_ENDPOINT,
  PULL_COMMAND,
  LOCAL_MODELS_FILE,
  defaultModelsDir,
  defaultManifestPath,
  findRepoRoot,
  hfEndpoint,
  parseModelPathsEnv,
  readLocalModelsFile,
} from './config/models.config';
export type { LocalModelConfig } from './config/models.config';
export { downloadFile, sha256File, DownloadError } from './download/file.downloader';
export type { DownloadFileOptions, DownloadFileResult, DownloadFailure } from './download/file.downloader';
export { hfResolveUrl } from './download/hf-url.util';
export { ModelManager, listFiles, LOCK_FILE } from './manager/model.manager';
export type {
  ModelManagerOptions,
  ModelStatus,
  ModelVariantStatus,
  VerifyFileResult,
  VerifyOptions,
  VerifyReport,
  VerifyStatus,
  RemoveResult,
} from './manager/model.manager';
export { ModelMissingError, pullCommand } from './manager/model.errors';
export type { MissingFile } from './manager/model.errors';
export { formatBytes } from './util/bytes.util';
