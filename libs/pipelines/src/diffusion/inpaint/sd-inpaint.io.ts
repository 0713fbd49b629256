/**
 * How each SD export wants to be fed, read from its sessions' metadata
 * rather than assumed (model-contracts.md lists the variants):
 * - text_encoder: `input_ids` int32 (diffusers' script) or int64 (Optimum);
 *   `last_hidden_state` [B, 77, 768 | 1024];
 * - unet: `sample` [B, 9, h, w] float32 or float16, `timestep` int64 [B],
 *   float [B] or float scalar [], `encoder_hidden_states`, optionally
 *   `timestep_cond` [B, d] (LCM-distilled UNets) → `out_sample`;
 * - vae_encoder: `sample` → `latent_sample` [B, 4, h, w] or
 *   `latent_parameters` [B, 8, h, w] (mean, log-variance);
 * - vae_decoder: `latent_sample` → `sample`.
 */
import type { Tensor, TensorMetadata, ValueMetadata } from '@maskflow/inference';
import type { ModelSession } from '../../sam/model-session';
import { findValue, findValueByNames, floatFeed, intFeed, unsupportedExport } from '../../sam/model-session';

function tensors(list: readonly ValueMetadata[]): TensorMetadata[] {
  return list.filter((m): m is TensorMetadata => m.isTensor);
}

function isFloat(m: TensorMetadata): boolean {
  return m.type === 'float32' || m.type === 'float16';
}

function isInt(m: TensorMetadata): boolean {
  return m.type === 'int64' || m.type === 'int32';
}

/** A fixed dim, or undefined for a symbolic/unknown one. */
function fixed(m: TensorMetadata, axis: number): number | undefined {
  const d = m.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/** The largest batch a tensor takes: its fixed batch dim, or unlimited. */
function batchLimit(m: TensorMetadata): number {
  return fixed(m, 0) ?? Number.POSITIVE_INFINITY;
}

export interface TextEncoderIo {
  ids: TensorMetadata;
  output: string;
  /** Prompts per call (1 for exports with a fixed batch of 1). */
  maxBatch: number;
  idsFeed(ids: readonly number[], batch: number, length: number): Tensor;
}

export function textEncoderIo(session: ModelSession): TextEncoderIo {
  const ids = findValue(session.inputMetadata, 'input_ids') ?? tensors(session.inputMetadata).find(isInt);
  if (!ids || !isInt(ids))
    throw unsupportedExport(session, 'a CLIP text encoder', 'no int32/int64 input_ids input');
  const out =
    findValueByNames(session.outputMetadata, ['last_hidden_state', 'text_embeds', 'hidden_states']) ??
    tensors(session.outputMetadata).find((m) => m.shape.length === 3);
  if (!out)
    throw unsupportedExport(
      session,
      'a CLIP text encoder',
      'no [B, 77, hidden] output such as last_hidden_state',
    );
  return {
    ids,
    output: out.name,
    maxBatch: batchLimit(ids),
    idsFeed: (values, batch, length) => intFeed(ids, [batch, length], values),
  };
}

export interface UnetIo {
  sample: TensorMetadata;
  timestep: TensorMetadata;
  text: TensorMetadata;
  timestepCond?: TensorMetadata;
  output: string;
  /** float32 or float16: what sample, encoder_hidden_states and out_sample carry. */
  dtype: 'float32' | 'float16';
  maxBatch: number;
  /** Latent h, w when the graph fixes them. */
  fixedLatent?: { height: number; width: number };
  /** The text width the UNet was built for, when fixed (768 SD 1.x, 1024 SD 2.x). */
  hiddenSize?: number;
  /** Width of `timestep_cond` (LCM's guidance embedding), when the UNet has it. */
  condDim?: number;
  timestepFeed(t: number, batch: number): Tensor;
}

export function unetIo(session: ModelSession): UnetIo {
  const what = 'an SD inpainting UNet';
  const sample = findValue(session.inputMetadata, 'sample');
  const timestep = findValue(session.inputMetadata, 'timestep');
  const text = findValue(session.inputMetadata, 'encoder_hidden_states');
  if (!sample || !timestep || !text)
    throw unsupportedExport(session, what, 'it needs inputs sample, timestep and encoder_hidden_states');
  if (!isFloat(sample) || !isFloat(text))
    throw unsupportedExport(session, what, 'sample and encoder_hidden_states must be float32 or float16');
  if (!isFloat(timestep) && !isInt(timestep))
    throw unsupportedExport(session, what, `timestep is ${timestep.type}`);
  const channels = fixed(sample, 1);
  if (channels !== undefined && channels !== 9) {
    throw unsupportedExport(
      session,
      what,
      channels === 4
        ? 'its sample has 4 channels: this is a text-to-image UNet; inpainting needs an inpainting model (9 channels: latents, mask, masked-image latents)'
        : `its sample has ${channels} channels, expected 9`,
    );
  }
  const output =
    findValueByNames(session.outputMetadata, ['out_sample', 'sample', 'noise_pred']) ??
    tensors(session.outputMetadata)[0];
  if (!output) throw unsupportedExport(session, what, 'no output');
  const timestepCond = findValue(session.inputMetadata, 'timestep_cond');
  const h = fixed(sample, 2);
  const w = fixed(sample, 3);
  const scalar = timestep.shape.length === 0;
  const tsBatch = fixed(timestep, 0);
  return {
    sample,
    timestep,
    text,
    timestepCond,
    output: output.name,
    dtype: sample.type === 'float16' ? 'float16' : 'float32',
    maxBatch: Math.min(
      batchLimit(sample),
      batchLimit(text),
      timestepCond ? batchLimit(timestepCond) : Number.POSITIVE_INFINITY,
    ),
    fixedLatent: h !== undefined && w !== undefined ? { height: h, width: w } : undefined,
    hiddenSize: fixed(text, 2),
    condDim: timestepCond ? (fixed(timestepCond, 1) ?? 256) : undefined,
    timestepFeed(t, batch) {
      // Integer exports get the timestep truncated, as numpy's astype in diffusers' ONNX pipeline does.
      const value = isInt(timestep) ? Math.trunc(t) : t;
      const count = scalar ? 1 : (tsBatch ?? batch);
      const dims = scalar ? [] : [count];
      const values = new Array<number>(count).fill(value);
      return isInt(timestep)
        ? intFeed(timestep, dims, values)
        : floatFeed(timestep, dims, Float32Array.from(values));
    },
  };
}

export interface VaeEncoderIo {
  input: TensorMetadata;
  output: string;
  /** latent_sample: already sampled [B,4,h,w]; latent_parameters: (mean, logvar) [B,8,h,w]. */
  kind: 'latent_sample' | 'latent_parameters';
}

export function vaeEncoderIo(session: ModelSession): VaeEncoderIo {
  const input = findValue(session.inputMetadata, 'sample') ?? tensors(session.inputMetadata).find(isFloat);
  if (!input || !isFloat(input))
    throw unsupportedExport(session, 'an SD VAE encoder', 'no float sample input');
  const params = findValue(session.outputMetadata, 'latent_parameters');
  if (params) return { input, output: params.name, kind: 'latent_parameters' };
  const latent = findValue(session.outputMetadata, 'latent_sample') ?? tensors(session.outputMetadata)[0];
  if (!latent)
    throw unsupportedExport(session, 'an SD VAE encoder', 'no latent_sample or latent_parameters output');
  // An unnamed 8-channel output is (mean, logvar) too.
  return { input, output: latent.name, kind: fixed(latent, 1) === 8 ? 'latent_parameters' : 'latent_sample' };
}

export interface VaeDecoderIo {
  input: TensorMetadata;
  output: string;
}

export function vaeDecoderIo(session: ModelSession): VaeDecoderIo {
  const input =
    findValue(session.inputMetadata, 'latent_sample') ?? tensors(session.inputMetadata).find(isFloat);
  if (!input || !isFloat(input))
    throw unsupportedExport(session, 'an SD VAE decoder', 'no float latent_sample input');
  const out = findValue(session.outputMetadata, 'sample') ?? tensors(session.outputMetadata)[0];
  if (!out) throw unsupportedExport(session, 'an SD VAE decoder', 'no output');
  return { input, output: out.name };
}
