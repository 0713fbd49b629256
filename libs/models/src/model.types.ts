/** Model kinds Maskflow knows how to run; each has a fixed folder layout (see layout/). */
export const MODEL_KINDS = ['grounding-dino', 'sam', 'sd-inpaint'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Absolute paths of a GroundingDINO folder (Hugging Face / transformers.js layout). */
export interface GroundingDinoFiles {
  /** onnx/model.onnx or the dtype variant's onnx/model_<dtype>.onnx */
  model: string;
  preprocessorConfig: string;
  tokenizer: string;
  tokenizerConfig: string;
  config?: string;
  specialTokensMap?: string;
  vocab?: string;
}

/** Absolute paths of a Segment Anything split export (encoder + decoder). */
export interface SamFiles {
  encoder: string;
  decoder: string;
}

/** Absolute paths of a Stable Diffusion inpainting ONNX folder (diffusers / Optimum layout). */
export interface SdInpaintFiles {
  schedulerConfig: string;
  tokenizerVocab: string;
  tokenizerMerges: string;
  textEncoder: string;
  unet: string;
  vaeEncoder: string;
  vaeDecoder: string;
  modelIndex?: string;
  tokenizerConfig?: string;
  specialTokensMap?: string;
  /** unet/weights.pb or unet/model.onnx_data: external weights next to unet/model.onnx */
  unetWeights?: string;
}

export interface KindFiles {
  'grounding-dino': GroundingDinoFiles;
  sam: SamFiles;
  'sd-inpaint': SdInpaintFiles;
}

export type ModelRole<K extends ModelKind = ModelKind> = { [P in K]: keyof KindFiles[P] & string }[K];

export interface ResolvedFile {
  role: string;
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the model folder, with forward slashes. */
  relativePath: string;
  size: number;
}

interface ResolvedModelBase {
  id: string;
  title: string | null;
  format: 'onnx';
  /** The variant that was resolved (manifest variant name, or the local folder's requested variant). */
  variant: string | null;
  dtype: string | null;
  /** The model's folder. */
  dir: string;
  /** 'manifest': a manifest entry in the models dir; 'local': a user-registered or hand-placed folder. */
  origin: 'manifest' | 'local';
  fileList: ResolvedFile[];
}

/** A model ready to load: every required file exists on disk. */
export type ResolvedModel<K extends ModelKind = ModelKind> = {
  [P in K]: ResolvedModelBase & { kind: P; files: KindFiles[P] };
}[K];

/** Progress of one file, and of everything the current call downloads. */
export interface DownloadProgress {
  modelId: string;
  /** Path of the file inside the model folder. */
  file: string;
  status: 'queued' | 'downloading' | 'done';
  fileBytes: number;
  fileTotal: number | null;
  /** Sum over all files of this call. */
  bytes: number;
  /** Null while some file's size is still unknown. */
  total: number | null;
}

export interface ResolveOptions<K extends ModelKind = ModelKind> {
  /** Variant name from the manifest (e.g. fp16, q4f16, single); default: the manifest's defaultVariant. */
  variant?: string;
  /** Download missing files; default: the manager's autoDownload option. */
  download?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Assert the model's kind (a UserError if it differs) and narrow the result type. */
  kind?: K;
}
