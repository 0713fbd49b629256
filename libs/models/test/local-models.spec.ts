import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EnvironmentError, UserError } from '@maskflow/workflow';
import { hfResolveUrl, ModelManager, parseModelPathsEnv } from '@maskflow/models';
import type { ManifestInput } from '@maskflow/models';
import { generateTinyModels } from '../../../test/fixtures/generate-tiny-models';
import type { TinyModelPaths } from '../../../test/fixtures/generate-tiny-models';

const emptyManifest: ManifestInput = { version: 1, models: {} };
let tiny: TinyModelPaths;
let modelsDir: string;

beforeAll(async () => {
  tiny = await generateTinyModels();
});

beforeEach(() => {
  modelsDir = mkdtempSync(path.join(tmpdir(), 'maskflow-local-'));
});

afterEach(() => {
  rmSync(modelsDir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('local model folders', () => {
  it('resolves folders registered in MASKFLOW_MODEL_PATHS by their kind layout', async () => {
    const m = new ModelManager({
      modelsDir,
      manifest: emptyManifest,
      env: {
        MASKFLOW_MODEL_PATHS: [
          `dino=${tiny.groundingDino.dir}`,
          `sam=${tiny.sam.dir}`,
          `sam-nchw=${tiny.samNchw.dir}`,
          `sd=${tiny.sdInpaint.dir}`,
          `sd-optimum=${tiny.sdInpaintInt64.dir}`,
        ].join(';'),
      },
    });
    const dino = await m.resolve('dino', { kind: 'grounding-dino' });
    expect(dino.origin).toBe('local');
    expect(dino.files).toEqual({
      model: tiny.groundingDino.model,
      preprocessorConfig: tiny.groundingDino.preprocessorConfig,
      tokenizer: tiny.groundingDino.tokenizer,
      tokenizerConfig: tiny.groundingDino.tokenizerConfig,
      config: tiny.groundingDino.config,
      specialTokensMap: tiny.groundingDino.specialTokensMap,
      vocab: tiny.groundingDino.vocab,
    });

    const sam = await m.resolve('sam', { kind: 'sam' });
    expect(sam.files).toEqual({ encoder: tiny.sam.encoder, decoder: tiny.sam.decoder });
    expect((await m.resolve('sam', { variant: 'single' })).files).toEqual({
      encoder: tiny.sam.encoder,
      decoder: tiny.sam.decoderSingle,
    });
    expect((await m.resolve('sam-nchw', { kind: 'sam' })).files).toEqual({
      encoder: tiny.samNchw.encoder,
      decoder: tiny.samNchw.decoder,
    });

    const sd = await m.resolve('sd', { kind: 'sd-inpaint' });
    expect(sd.files.unet).toBe(tiny.sdInpaint.unet);
    expect(sd.files.unetWeights).toBe(tiny.sdInpaint.unetWeights);
    expect(sd.files.tokenizerMerges).toBe(tiny.sdInpaint.tokenizerMerges);
    expect((await m.resolve('sd-optimum', { kind: 'sd-inpaint' })).files.unetWeights).toBe(
      tiny.sdInpaintInt64.unetWeights,
    );

    const statuses = await m.list();
    expect(statuses.map((s) => [s.id, s.kind, s.state])).toEqual([
      ['dino', 'grounding-dino', 'installed'],
      ['sam', 'sam', 'installed'],
      ['sam-nchw', 'sam', 'installed'],
      ['sd', 'sd-inpaint', 'installed'],
      ['sd-optimum', 'sd-inpaint', 'installed'],
    ]);
  });

  it('says which file of the layout is missing', async () => {
    const copy = path.join(modelsDir, 'copy-of-sd');
    cpSync(tiny.sdInpaint.dir, copy, { recursive: true });
    rmSync(path.join(copy, 'vae_decoder'), { recursive: true });
    const m = new ModelManager({
      modelsDir: path.join(modelsDir, 'weights'),
      manifest: emptyManifest,
      env: { MASKFLOW_MODEL_PATHS: `broken=${copy}` },
    });
    const err = await rejection(m.resolve('broken'));
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).code).toBe('model-layout-invalid');
    expect(err.message).toContain('vae_decoder/model.onnx');
    expect(err.message).toContain(copy);
    expect(err.message).toContain('MASKFLOW_MODEL_PATHS');
    expect((await m.list())[0]).toMatchObject({ id: 'broken', state: 'invalid' });
    expect((await m.verify('broken'))[0].ok).toBe(false);
  });

  it('reads <modelsDir>/local.json with paths relative to it, and a registration overrides the manifest id', async () => {
    writeFileSync(
      path.join(modelsDir, 'local.json'),
      JSON.stringify({
        models: { 'mobile-sam': { path: path.relative(modelsDir, tiny.sam.dir), variant: 'single' } },
      }),
    );
    const manifest: ManifestInput = {
      version: 1,
      models: {
        'mobile-sam': {
          title: 'MobileSAM',
          kind: 'sam',
          format: 'onnx',
          source: { type: 'huggingface', repo: 'Acly/MobileSAM', revision: 'main' },
          files: [{ role: 'encoder', path: 'mobile_sam_image_encoder.onnx' }],
          defaultVariant: 'multi',
          variants: { multi: { files: [{ role: 'decoder', path: 'sam_mask_decoder_multi.onnx' }] } },
        },
      },
    };
    const m = new ModelManager({ modelsDir, manifest, env: {}, endpoint: 'http://127.0.0.1:9' });
    const r = await m.resolve('mobile-sam', { kind: 'sam' });
    expect(r.origin).toBe('local');
    expect(r.title).toBe('MobileSAM');
    expect(r.files.decoder).toBe(tiny.sam.decoderSingle);
  });

  it('accepts a folder dropped into the models dir without any registration', async () => {
    cpSync(tiny.groundingDinoStatic.dir, path.join(modelsDir, 'my-dino'), { recursive: true });
    const m = new ModelManager({ modelsDir, manifest: emptyManifest, env: {} });
    const r = await m.resolve('my-dino');
    expect(r.kind).toBe('grounding-dino');
    expect(r.dir).toBe(path.join(modelsDir, 'my-dino'));
  });

  it('asks for the kind when it cannot be guessed', async () => {
    const odd = path.join(modelsDir, 'odd');
    mkdirSync(odd);
    writeFileSync(path.join(odd, 'weights.onnx'), 'x');
    const m = new ModelManager({ modelsDir, manifest: emptyManifest, env: {} });
    const err = await rejection(m.resolve('odd'));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('local.json');
  });

  it('rejects a malformed MASKFLOW_MODEL_PATHS entry', () => {
    expect(() => parseModelPathsEnv('just-a-path')).toThrow(/id=\/path\/to\/folder/);
    expect(parseModelPathsEnv(' a=/x ; b=rel/y ;', '/base')).toEqual({
      a: { path: '/x', origin: 'MASKFLOW_MODEL_PATHS' },
      b: { path: '/base/rel/y', origin: 'MASKFLOW_MODEL_PATHS' },
    });
  });

  it('builds Hugging Face resolve URLs', () => {
    expect(
      hfResolveUrl(
        'https://huggingface.co/',
        'botp/stable-diffusion-v1-5-inpainting',
        'onnx',
        'unet/weights.pb',
      ),
    ).toBe('https://huggingface.co/botp/stable-diffusion-v1-5-inpainting/resolve/onnx/unet/weights.pb');
    expect(hfResolveUrl('https://hf-mirror.com', 'a/b', 'refs/pr/1', 'x y.json')).toBe(
      'https://hf-mirror.com/a/b/resolve/refs%2Fpr%2F1/x%20y.json',
    );
  });
});
