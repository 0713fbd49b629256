import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelFilesServer } from '../../libs/models/test/support/model-files.server';
import { startServer } from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

interface ModelView {
  id: string;
  state: string;
  missing: string[];
  pull?: { status: string; bytes: number; total: number | null; error?: { kind: string; message: string } };
}

const REPO = 'maskflow/tiny-sam';
const encoder = randomBytes(300_000);
const decoder = randomBytes(20_000);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Polls GET /api/models/:id until its pull has ended. */
async function pulled(server: TestServer, id: string): Promise<ModelView> {
  for (let i = 0; i < 200; i++) {
    const r = await server.api.get<ModelView>(`/api/models/${id}`);
    if (r.body.pull && r.body.pull.status !== 'downloading') return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`the pull of ${id} did not end`);
}

describe('models REST: status and pull with progress', () => {
  const saved = { ...process.env };
  let files: ModelFilesServer;
  let server: TestServer;
  let modelsDir: string;

  beforeAll(async () => {
    files = new ModelFilesServer();
    files.serve(`/${REPO}/resolve/main/encoder.onnx`, encoder);
    files.serve(`/${REPO}/resolve/main/decoder.onnx`, decoder);
    await files.start();
    modelsDir = mkdtempSync(path.join(tmpdir(), 'maskflow-server-models-'));
    const manifestFile = path.join(modelsDir, 'manifest.test.json');
    const file = (role: string, p: string, b: Buffer, checksum = sha(b)) => ({
      role,
      path: p,
      size: b.length,
      sha256: checksum,
    });
    writeFileSync(
      manifestFile,
      JSON.stringify({
        version: 1,
        models: {
          'tiny-sam': {
            title: 'Tiny SAM',
            kind: 'sam',
            format: 'onnx',
            source: { type: 'huggingface', repo: REPO, revision: 'main' },
            files: [file('encoder', 'encoder.onnx', encoder)],
            defaultVariant: 'multi',
            variants: { multi: { dtype: 'fp32', files: [file('decoder', 'decoder.onnx', decoder)] } },
          },
          'corrupt-sam': {
            title: 'Checksum mismatch',
            kind: 'sam',
            format: 'onnx',
            source: { type: 'huggingface', repo: REPO, revision: 'main' },
            files: [file('encoder', 'encoder.onnx', encoder, sha(decoder))],
            defaultVariant: 'multi',
            variants: { multi: { dtype: 'fp32', files: [file('decoder', 'decoder.onnx', decoder)] } },
          },
        },
      }),
    );
    Object.assign(process.env, {
      MASKFLOW_MANIFEST: manifestFile,
      MASKFLOW_MODELS_DIR: modelsDir,
      HF_ENDPOINT: files.url,
    });
    delete process.env.MASKFLOW_MODEL_PATHS;
    delete process.env.HF_TOKEN;
    server = await startServer();
  });

  afterAll(async () => {
    await server?.close();
    await files?.close();
    process.env = saved;
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('lists models from the manifest with their missing files', async () => {
    const r = await server.api.get<{ models: ModelView[] }>('/api/models');
    expect(r.status).toBe(200);
    expect(r.body.models.find((m) => m.id === 'tiny-sam')).toMatchObject({
      state: 'missing',
      missing: expect.arrayContaining(['encoder.onnx', 'decoder.onnx']) as unknown,
    });
  });

  it('downloads a model in the background, reporting progress, then lists it installed', async () => {
    const started = await server.api.post<{ id: string; pull: { status: string } }>(
      '/api/models/tiny-sam/pull',
      {},
    );
    expect(started.status).toBe(202);
    expect(started.body.pull.status).toBe('downloading');
    const done = await pulled(server, 'tiny-sam');
    expect(done.pull).toMatchObject({ status: 'done', bytes: encoder.length + decoder.length });
    expect(done.state).toBe('installed');
    expect(readFileSync(path.join(modelsDir, 'tiny-sam', 'encoder.onnx')).equals(encoder)).toBe(true);
  });

  it('reports a failed download on the model, with the reason, and keeps no corrupt file', async () => {
    const started = await server.api.post('/api/models/corrupt-sam/pull', {});
    expect(started.status).toBe(202);
    const failed = await pulled(server, 'corrupt-sam');
    expect(failed.pull?.status).toBe('failed');
    expect(failed.pull?.error).toMatchObject({ kind: 'environment' });
    expect(failed.pull?.error?.message).toMatch(/sha256|checksum/i);
    expect(existsSync(path.join(modelsDir, 'corrupt-sam', 'encoder.onnx'))).toBe(false);
    expect((await server.api.get('/api/health')).status).toBe(200);
  });

  it('answers 404 for an unknown model and 400 for a malformed id', async () => {
    const unknown = await server.api.post<{ error: { code: string } }>('/api/models/nope/pull', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not-found');
    const bad = await server.api.get<{ error: { code: string } }>('/api/models/..%2F..%2Fetc');
    expect(bad.status).toBe(400);
  });
});
