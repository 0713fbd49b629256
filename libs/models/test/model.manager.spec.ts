import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancelledError, EnvironmentError, UserError } from '@maskflow/workflow';
import { LOCK_FILE, ModelManager, ModelMissingError, parseManifest } from '@maskflow/models';
import type { DownloadProgress, ManifestInput } from '@maskflow/models';
import { closedPort, ModelFilesServer, randomFile } from './support/model-files.server';

const REPO = 'acme/tiny-sam';
const encoder = randomFile(300_000);
const decoder = randomFile(120_000);
const decoderSingle = randomFile(80_000);
const filePath = (p: string, revision = 'main'): string => `/${REPO}/resolve/${revision}/${p}`;

function manifest(
  overrides: { encoderSha?: string | null; encoderSize?: number | null; decoderPath?: string } = {},
): ManifestInput {
  return {
    version: 1,
    models: {
      'tiny-sam': {
        title: 'Tiny SAM',
        kind: 'sam',
        format: 'onnx',
        source: { type: 'huggingface', repo: REPO, revision: 'main' },
        files: [
          {
            role: 'encoder',
            path: 'encoder.onnx',
            size: overrides.encoderSize === undefined ? encoder.body.length : overrides.encoderSize,
            sha256: overrides.encoderSha === undefined ? encoder.sha256 : overrides.encoderSha,
          },
        ],
        defaultVariant: 'multi',
        variants: {
          multi: {
            dtype: 'fp32',
            files: [
              { role: 'decoder', path: overrides.decoderPath ?? 'decoder.onnx', size: null, sha256: null },
            ],
          },
          single: {
            dtype: 'fp32',
            files: [
              {
                role: 'decoder',
                path: 'sub/decoder_single.onnx',
                local: 'decoder_single.onnx',
                size: decoderSingle.body.length,
                sha256: decoderSingle.sha256,
              },
            ],
          },
        },
      },
    },
  };
}

let server: ModelFilesServer;
let modelsDir: string;

beforeEach(async () => {
  server = new ModelFilesServer();
  server.serve(filePath('encoder.onnx'), encoder.body);
  server.serve(filePath('decoder.onnx'), decoder.body);
  server.serve(filePath('sub/decoder_single.onnx'), decoderSingle.body);
  await server.start();
  modelsDir = mkdtempSync(path.join(tmpdir(), 'maskflow-models-'));
});

afterEach(async () => {
  await server.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

function manager(
  opts: { manifest?: ManifestInput; env?: NodeJS.ProcessEnv; endpoint?: string } = {},
): ModelManager {
  return new ModelManager({
    modelsDir,
    manifest: opts.manifest ?? manifest(),
    endpoint: opts.endpoint ?? server.url,
    env: opts.env ?? {},
    retryDelayMs: 10,
  });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('ModelManager downloads', () => {
  it('downloads every file, verifies sha256, reports progress and records the lock', async () => {
    // Slow enough that throttled progress (every 100 ms) shows intermediate values.
    server.serve(filePath('encoder.onnx'), encoder.body, { chunkSize: 50_000, chunkDelayMs: 60 });
    const events: DownloadProgress[] = [];
    const m = manager();
    const r = await m.resolve('tiny-sam', { download: true, kind: 'sam', onProgress: (p) => events.push(p) });
    expect(r.kind).toBe('sam');
    expect(r.origin).toBe('manifest');
    expect(r.variant).toBe('multi');
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
    expect(readFileSync(r.files.decoder).equals(decoder.body)).toBe(true);
    expect(r.files.encoder).toBe(path.join(modelsDir, 'tiny-sam', 'encoder.onnx'));
    expect(existsSync(`${r.files.encoder}.part`)).toBe(false);

    const done = events.filter((e) => e.status === 'done');
    expect(done.map((e) => e.file).sort()).toEqual(['decoder.onnx', 'encoder.onnx']);
    const last = events[events.length - 1];
    expect(last.bytes).toBe(encoder.body.length + decoder.body.length);
    expect(last.total).toBe(encoder.body.length + decoder.body.length);
    expect(
      events.some((e) => e.status === 'downloading' && e.fileBytes > 0 && e.fileBytes < (e.fileTotal ?? 0)),
    ).toBe(true);

    const lock = JSON.parse(readFileSync(path.join(modelsDir, 'tiny-sam', LOCK_FILE), 'utf8')) as {
      files: Record<string, { sha256: string }>;
    };
    expect(lock.files['decoder.onnx'].sha256).toBe(decoder.sha256);

    // Present files are not fetched again.
    const before = server.requests.length;
    await m.resolve('tiny-sam');
    expect(server.requests.length).toBe(before);
  });

  it('downloads a variant to its local path', async () => {
    const r = await manager().pull('tiny-sam', { variant: 'single', kind: 'sam' });
    expect(r.variant).toBe('single');
    expect(r.files).toEqual({
      encoder: path.join(modelsDir, 'tiny-sam', 'encoder.onnx'),
      decoder: path.join(modelsDir, 'tiny-sam', 'decoder_single.onnx'),
    });
    expect(server.requestsFor(filePath('sub/decoder_single.onnx'))).toHaveLength(1);
  });

  it('resumes with a Range request after the connection is cut mid-body', async () => {
    server.serve(filePath('encoder.onnx'), encoder.body, { cutAfterBytes: 100_000 });
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    const reqs = server.requestsFor(filePath('encoder.onnx'));
    expect(reqs).toHaveLength(2);
    expect(reqs[0].headers.range).toBeUndefined();
    const range = /^bytes=(\d+)-$/.exec(String(reqs[1].headers.range));
    expect(range).not.toBeNull();
    expect(Number(range?.[1])).toBeGreaterThan(0);
    expect(reqs[1].status).toBe(206);
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
  });

  it('resumes a .part file left by an earlier run', async () => {
    const dir = path.join(modelsDir, 'tiny-sam');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'encoder.onnx.part'), encoder.body.subarray(0, 123_456));
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    const reqs = server.requestsFor(filePath('encoder.onnx'));
    expect(reqs.map((q) => q.headers.range)).toEqual(['bytes=123456-']);
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
  });

  it('starts over when the server ignores Range', async () => {
    server.serve(filePath('encoder.onnx'), encoder.body, { ignoreRange: true });
    const dir = path.join(modelsDir, 'tiny-sam');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'encoder.onnx.part'), Buffer.alloc(5000, 7));
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
  });

  it('finishes a complete .part without downloading (416)', async () => {
    const dir = path.join(modelsDir, 'tiny-sam');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'decoder.onnx.part'), decoder.body);
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    expect(server.requestsFor(filePath('decoder.onnx')).map((q) => q.status)).toEqual([416]);
    expect(readFileSync(r.files.decoder).equals(decoder.body)).toBe(true);
  });

  it('deletes a file whose sha256 does not match and says so', async () => {
    const wrong = 'f'.repeat(64);
    const err = await rejection(manager({ manifest: manifest({ encoderSha: wrong }) }).pull('tiny-sam'));
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).code).toBe('model-checksum-mismatch');
    expect(err.message).toContain('tiny-sam');
    expect(err.message).toContain('encoder.onnx');
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(encoder.sha256);
    expect(err.message).toContain('npx maskflow models pull tiny-sam');
    const dir = path.join(modelsDir, 'tiny-sam');
    expect(existsSync(path.join(dir, 'encoder.onnx'))).toBe(false);
    expect(existsSync(path.join(dir, 'encoder.onnx.part'))).toBe(false);
  });

  it('names the URL and the model on a 404', async () => {
    const err = await rejection(
      manager({ manifest: manifest({ decoderPath: 'nope/decoder.onnx' }) }).pull('tiny-sam'),
    );
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).code).toBe('model-download-failed');
    expect(err.message).toContain('Model "tiny-sam"');
    expect(err.message).toContain(`${server.url}${filePath('nope/decoder.onnx')}`);
    expect(err.message).toContain('404');
  });

  it('gives one clear error when offline', async () => {
    const port = await closedPort();
    const err = await rejection(manager({ endpoint: `http://127.0.0.1:${port}` }).pull('tiny-sam'));
    expect(err).toBeInstanceOf(ModelMissingError);
    const e = err as ModelMissingError;
    expect(e.kind).toBe('environment');
    expect(e.modelId).toBe('tiny-sam');
    expect(e.missing.map((f) => f.path).sort()).toEqual(['decoder.onnx', 'encoder.onnx']);
    expect(e.message).toContain(`cannot reach http://127.0.0.1:${port}`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain(path.join(modelsDir, 'tiny-sam'));
    expect(e.message).toContain('npx maskflow models pull tiny-sam');
    expect(e.message).toContain('encoder.onnx');
  });

  it('does not download unless asked, and says how to fetch', async () => {
    const err = await rejection(manager().resolve('tiny-sam', { variant: 'single' }));
    expect(err).toBeInstanceOf(ModelMissingError);
    expect(err.message).toContain('npx maskflow models pull tiny-sam --variant single');
    expect(err.message).toContain('decoder_single.onnx');
    expect(server.requests).toHaveLength(0);
  });

  it('treats a file of the wrong size as missing', async () => {
    const dir = path.join(modelsDir, 'tiny-sam');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'encoder.onnx'), Buffer.alloc(10));
    writeFileSync(path.join(dir, 'decoder.onnx'), decoder.body);
    const err = await rejection(manager().resolve('tiny-sam'));
    expect(err.message).toMatch(/encoder\.onnx .*\[size 10 B, expected 300 KB\]/);
  });

  it('coalesces concurrent requests for the same file into one download', async () => {
    server.serve(filePath('encoder.onnx'), encoder.body, { chunkSize: 20_000, chunkDelayMs: 5 });
    const m1 = manager();
    const m2 = manager();
    const progressA: number[] = [];
    const [a, b, c] = await Promise.all([
      m1.pull('tiny-sam', {
        kind: 'sam',
        onProgress: (p) => p.file === 'encoder.onnx' && progressA.push(p.fileBytes),
      }),
      m1.pull('tiny-sam', { kind: 'sam' }),
      m2.pull('tiny-sam', { variant: 'single', kind: 'sam' }),
    ]);
    expect(server.requestsFor(filePath('encoder.onnx'))).toHaveLength(1);
    expect(server.requestsFor(filePath('decoder.onnx'))).toHaveLength(1);
    expect(a.files.encoder).toBe(b.files.encoder);
    expect(c.files.encoder).toBe(a.files.encoder);
    expect(readFileSync(a.files.encoder).equals(encoder.body)).toBe(true);
    expect(progressA[progressA.length - 1]).toBe(encoder.body.length);
  });

  it('keeps a shared download going when only one of its callers cancels', async () => {
    server.serve(filePath('encoder.onnx'), encoder.body, { chunkSize: 20_000, chunkDelayMs: 10 });
    const m = manager();
    const controller = new AbortController();
    const leaving = m.pull('tiny-sam', { kind: 'sam', signal: controller.signal });
    const staying = m.pull('tiny-sam', {
      kind: 'sam',
      onProgress: (p) => p.file === 'encoder.onnx' && p.fileBytes >= 40_000 && controller.abort(),
    });
    expect(await rejection(leaving)).toBeInstanceOf(CancelledError);
    const r = await staying;
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
    expect(server.requestsFor(filePath('encoder.onnx'))).toHaveLength(1);
  });

  it('sends HF_TOKEN as a bearer token', async () => {
    await manager({ env: { HF_TOKEN: 'hf_secret' } }).pull('tiny-sam');
    for (const r of server.requests) expect(r.headers.authorization).toBe('Bearer hf_secret');
  });

  it('follows redirects', async () => {
    server.serve(filePath('encoder.onnx'), Buffer.alloc(0), { redirectTo: '/cdn/encoder-blob' });
    server.serve('/cdn/encoder-blob', encoder.body);
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
    expect(server.requestsFor('/cdn/encoder-blob')).toHaveLength(1);
  });

  it('cancels through the abort signal and keeps the partial file', async () => {
    server.serve(filePath('encoder.onnx'), encoder.body, { chunkSize: 10_000, chunkDelayMs: 20 });
    const controller = new AbortController();
    const pending = manager().pull('tiny-sam', {
      kind: 'sam',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.file === 'encoder.onnx' && p.fileBytes >= 30_000) controller.abort();
      },
    });
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(CancelledError);
    const part = path.join(modelsDir, 'tiny-sam', 'encoder.onnx.part');
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(part)).toBe(true);
    expect(existsSync(path.join(modelsDir, 'tiny-sam', 'encoder.onnx'))).toBe(false);
    // The next pull resumes from it.
    server.serve(filePath('encoder.onnx'), encoder.body);
    const r = await manager().pull('tiny-sam', { kind: 'sam' });
    expect(readFileSync(r.files.encoder).equals(encoder.body)).toBe(true);
    expect(server.requestsFor(filePath('encoder.onnx')).at(-1)?.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('reports an unknown model and an unknown variant as user errors', async () => {
    const m = manager();
    const unknown = await rejection(m.resolve('nope'));
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown.message).toContain('tiny-sam');
    const variant = await rejection(m.resolve('tiny-sam', { variant: 'fp64' }));
    expect(variant).toBeInstanceOf(UserError);
    expect(variant.message).toContain('multi, single');
    const kind = await rejection(m.resolve('tiny-sam', { kind: 'sd-inpaint' }));
    expect(kind.message).toContain('is a sam model');
  });
});

describe('ModelManager list, verify, remove', () => {
  it('lists states and variants', async () => {
    const m = manager();
    expect((await m.list()).map((s) => [s.id, s.state])).toEqual([['tiny-sam', 'missing']]);
    await m.pull('tiny-sam', { variant: 'single' });
    const [s] = await m.list();
    expect(s.state).toBe('partial');
    expect(s.variants.map((v) => [v.name, v.installed])).toEqual([
      ['multi', false],
      ['single', true],
    ]);
    await m.pull('tiny-sam');
    expect((await m.list())[0].state).toBe('installed');
  });

  it('verifies against manifest and lock checksums and finds corruption', async () => {
    const m = manager();
    await m.pull('tiny-sam');
    const [ok] = await m.verify('tiny-sam');
    expect(ok.ok).toBe(true);
    expect(ok.files.map((f) => [f.path, f.status, f.checksumSource])).toEqual([
      ['encoder.onnx', 'ok', 'manifest'],
      ['decoder.onnx', 'ok', 'lock'],
    ]);
    const file = path.join(modelsDir, 'tiny-sam', 'decoder.onnx');
    const bytes = readFileSync(file);
    bytes[10] ^= 0xff;
    writeFileSync(file, bytes);
    const [bad] = await m.verify();
    expect(bad.ok).toBe(false);
    expect(bad.files.find((f) => f.path === 'decoder.onnx')?.status).toBe('sha256-mismatch');
    await m.verify('tiny-sam', { removeCorrupt: true });
    expect(existsSync(file)).toBe(false);
    await m.pull('tiny-sam');
    expect((await m.verify('tiny-sam'))[0].ok).toBe(true);
  });

  it('removes a downloaded model but never a registered local folder', async () => {
    const m = manager();
    await m.pull('tiny-sam');
    const r = await m.remove('tiny-sam');
    expect(r.removed).toBe(true);
    expect(r.bytes).toBeGreaterThanOrEqual(encoder.body.length + decoder.body.length);
    expect(existsSync(path.join(modelsDir, 'tiny-sam'))).toBe(false);
    expect((await m.remove('tiny-sam')).removed).toBe(false);

    const folder = mkdtempSync(path.join(tmpdir(), 'maskflow-local-'));
    try {
      writeFileSync(path.join(folder, 'encoder.onnx'), 'x');
      writeFileSync(path.join(folder, 'decoder.onnx'), 'x');
      const local = manager({ env: { MASKFLOW_MODEL_PATHS: `mine=${folder}` } });
      const err = await rejection(local.remove('mine'));
      expect(err).toBeInstanceOf(UserError);
      expect(existsSync(path.join(folder, 'encoder.onnx'))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the repository manifest', () => {
  it('is valid and covers the three kinds', () => {
    const repoManifest = parseManifest(
      JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'models', 'manifest.json'), 'utf8')),
    );
    const kinds = new Set(Object.values(repoManifest.models).map((m) => m.kind));
    expect([...kinds].sort()).toEqual(['grounding-dino', 'sam', 'sd-inpaint']);
    expect(repoManifest.models['grounding-dino-tiny'].source).toEqual({
      type: 'huggingface',
      repo: 'onnx-community/grounding-dino-tiny-ONNX',
      revision: 'main',
    });
    expect(repoManifest.models['sd-1.5-inpainting'].source.revision).toBe('onnx');
    expect(Object.keys(repoManifest.models['grounding-dino-tiny'].variants)).toEqual(
      expect.arrayContaining(['fp32', 'fp16', 'q4f16', 'quantized']),
    );
  });

  it('rejects entries that break the kind layout', () => {
    const broken = manifest();
    const entry = broken.models['tiny-sam'];
    entry.variants = { multi: { files: [{ role: 'decodr', path: 'd.onnx', size: null, sha256: null }] } };
    expect(() => parseManifest(broken)).toThrow(
      /role "decodr" is not a sam role[\s\S]*lacks a file with role "decoder"/,
    );
    const badSha = manifest({ encoderSha: 'abc' });
    expect(() => parseManifest(badSha)).toThrow(/64 lower-case hex/);
  });
});
