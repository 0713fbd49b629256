import type { ModelKind } from '../model.types';

/**
 * One file of a kind's folder layout. Local folders are matched against these
 * rules (exporters name files differently), manifest entries name their files
 * explicitly but must use the same roles.
 */
export interface LayoutRole {
  role: string;
  required: boolean;
  /** How the file is usually named, for error messages. */
  expected: string;
  /** Picks the file among the folder's files (relative, forward slashes), or undefined. */
  pick(files: readonly string[], variant?: string): string | undefined;
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function exact(...candidates: string[]): (files: readonly string[]) => string | undefined {
  return (files) => candidates.find((c) => files.includes(c));
}

/** Prefers a file whose name contains the variant, then the given order. */
function preferVariant(ordered: string[], variant: string | undefined): string | undefined {
  if (variant) {
    const v = variant.toLowerCase();
    const hit = ordered.find((f) => base(f).toLowerCase().includes(v));
    if (hit) return hit;
  }
  return ordered[0];
}

function onnxNamed(word: 'encoder' | 'decoder'): LayoutRole['pick'] {
  return (files, variant) => {
    const hits = files
      .filter((f) => !f.includes('/') && f.endsWith('.onnx') && base(f).toLowerCase().includes(word))
      .sort();
    // The plain name first, then the multi-mask decoder (mask 0 is the single answer, see model-contracts.md).
    const rank = (f: string): number => (f === `${word}.onnx` ? 0 : f.includes('multi') ? 1 : 2);
    hits.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    return preferVariant(hits, variant);
  };
}

function groundingDinoModel(files: readonly string[], variant?: string): string | undefined {
  if (variant && variant !== 'fp32') {
    const named = [`onnx/model_${variant}.onnx`, `model_${variant}.onnx`].find((c) => files.includes(c));
    if (named) return named;
  }
  const plain = ['onnx/model.onnx', 'model.onnx'].find((c) => files.includes(c));
  if (plain) return plain;
  const any = files.filter((f) => /^onnx\/model[^/]*\.onnx$/.test(f)).sort();
  return preferVariant(any, variant);
}

export const MODEL_LAYOUTS: Record<ModelKind, readonly LayoutRole[]> = {
  'grounding-dino': [
    {
      role: 'model',
      required: true,
      expected: 'onnx/model.onnx (or onnx/model_<dtype>.onnx)',
      pick: groundingDinoModel,
    },
    {
      role: 'preprocessorConfig',
      required: true,
      expected: 'preprocessor_config.json',
      pick: exact('preprocessor_config.json'),
    },
    { role: 'tokenizer', required: true, expected: 'tokenizer.json', pick: exact('tokenizer.json') },
    {
      role: 'tokenizerConfig',
      required: true,
      expected: 'tokenizer_config.json',
      pick: exact('tokenizer_config.json'),
    },
    { role: 'config', required: false, expected: 'config.json', pick: exact('config.json') },
    {
      role: 'specialTokensMap',
      required: false,
      expected: 'special_tokens_map.json',
      pick: exact('special_tokens_map.json'),
    },
    { role: 'vocab', required: false, expected: 'vocab.txt', pick: exact('vocab.txt') },
  ],
  sam: [
    {
      role: 'encoder',
      required: true,
      expected: 'encoder.onnx (any *encoder*.onnx)',
      pick: onnxNamed('encoder'),
    },
    {
      role: 'decoder',
      required: true,
      expected: 'decoder.onnx (any *decoder*.onnx)',
      pick: onnxNamed('decoder'),
    },
  ],
  'sd-inpaint': [
    {
      role: 'schedulerConfig',
      required: true,
      expected: 'scheduler/scheduler_config.json',
      pick: exact('scheduler/scheduler_config.json'),
    },
    {
      role: 'tokenizerVocab',
      required: true,
      expected: 'tokenizer/vocab.json',
      pick: exact('tokenizer/vocab.json'),
    },
    {
      role: 'tokenizerMerges',
      required: true,
      expected: 'tokenizer/merges.txt',
      pick: exact('tokenizer/merges.txt'),
    },
    {
      role: 'textEncoder',
      required: true,
      expected: 'text_encoder/model.onnx',
      pick: exact('text_encoder/model.onnx'),
    },
    { role: 'unet', required: true, expected: 'unet/model.onnx', pick: exact('unet/model.onnx') },
    {
      role: 'vaeEncoder',
      required: true,
      expected: 'vae_encoder/model.onnx',
      pick: exact('vae_encoder/model.onnx'),
    },
    {
      role: 'vaeDecoder',
      required: true,
      expected: 'vae_decoder/model.onnx',
      pick: exact('vae_decoder/model.onnx'),
    },
    { role: 'modelIndex', required: false, expected: 'model_index.json', pick: exact('model_index.json') },
    {
      role: 'tokenizerConfig',
      required: false,
      expected: 'tokenizer/tokenizer_config.json',
      pick: exact('tokenizer/tokenizer_config.json'),
    },
    {
      role: 'specialTokensMap',
      required: false,
      expected: 'tokenizer/special_tokens_map.json',
      pick: exact('tokenizer/special_tokens_map.json'),
    },
    {
      role: 'unetWeights',
      required: false,
      expected: 'unet/weights.pb or unet/model.onnx_data',
      pick: exact('unet/weights.pb', 'unet/model.onnx_data'),
    },
  ],
};

export interface LayoutMatch {
  /** role → relative path */
  found: Record<string, string>;
  /** Required roles with no file, with the name that was expected. */
  missing: Array<{ role: string; expected: string }>;
}

export function matchLayout(kind: ModelKind, files: readonly string[], variant?: string): LayoutMatch {
  const found: Record<string, string> = {};
  const missing: LayoutMatch['missing'] = [];
  for (const spec of MODEL_LAYOUTS[kind]) {
    const hit = spec.pick(files, variant);
    if (hit !== undefined) found[spec.role] = hit;
    else if (spec.required) missing.push({ role: spec.role, expected: spec.expected });
  }
  return { found, missing };
}

/** Guesses the kind of an unregistered folder from its files; undefined when it cannot tell. */
export function inferKind(files: readonly string[]): ModelKind | undefined {
  if (files.includes('unet/model.onnx') || files.includes('model_index.json')) return 'sd-inpaint';
  if (files.includes('preprocessor_config.json') || files.some((f) => /^onnx\/model[^/]*\.onnx$/.test(f)))
    return 'grounding-dino';
  const top = files.filter((f) => !f.includes('/') && f.endsWith('.onnx')).map((f) => f.toLowerCase());
  if (top.some((f) => f.includes('encoder')) && top.some((f) => f.includes('decoder'))) return 'sam';
  return undefined;
}
