/**
 * How much memory a model will take, estimated from its files: the graph plus
 * the external-data files exporters put beside it. File bytes are a fair proxy
 * for weights in memory and need no parsing of multi-GB protobufs.
 */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';

export interface ModelFootprint {
  /** model.onnx plus its external data files, in bytes. */
  bytes: number;
  files: string[];
}

/**
 * External-data files that belong to `modelFile` by the exporters' naming:
 * `model.onnx_data` / `model.onnx.data` (torch.onnx, Optimum, onnx's
 * save_as_external_data), `model_fp16.onnx_data` beside `model_fp16.onnx`
 * (Hugging Face layouts with several variants in one folder), and `weights.pb`
 * (diffusers' UNet export, one model per folder).
 */
export function isExternalDataOf(modelFile: string, candidate: string): boolean {
  const name = path.basename(modelFile);
  if (candidate === name) return false;
  if (candidate === 'weights.pb') return true;
  const stem = name.replace(/\.onnx$/i, '');
  return [`${name}_data`, `${name}.data`, `${stem}.onnx_data`, `${stem}.data`].some(
    (prefix) =>
      candidate === prefix || candidate.startsWith(`${prefix}_`) || candidate.startsWith(`${prefix}.`),
  );
}

export async function modelFootprint(modelFile: string): Promise<ModelFootprint> {
  const main = await stat(modelFile);
  const dir = path.dirname(modelFile);
  const files = [modelFile];
  let bytes = main.size;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !isExternalDataOf(modelFile, entry.name)) continue;
    const p = path.join(dir, entry.name);
    bytes += (await stat(p)).size;
    files.push(p);
  }
  return { bytes, files };
}
