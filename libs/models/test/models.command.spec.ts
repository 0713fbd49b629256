import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { ManifestInput } from '@maskflow/models';
import { registerModelsCommand } from '../../../apps/cli/src/commands/models.command';
import { closedPort, ModelFilesServer, randomFile } from './support/model-files.server';

const REPO = 'acme/tiny-dino';
const model = randomFile(250_000);
const config = Buffer.from('{"model_type":"grounding-dino"}');
const small = Buffer.from('{}');

const manifest: ManifestInput = {
  version: 1,
  models: {
    'tiny-dino': {
      title: 'Tiny DINO',
      kind: 'grounding-dino',
      format: 'onnx',
      source: { type: 'huggingface', repo: REPO, revision: 'main' },
      files: [
        { role: 'config', path: 'config.json' },
        { role: 'preprocessorConfig', path: 'preprocessor_config.json' },
        { role: 'tokenizer', path: 'tokenizer.json' },
        { role: 'tokenizerConfig', path: 'tokenizer_config.json' },
      ],
      defaultVariant: 'fp32',
      variants: {
        fp32: {
          dtype: 'fp32',
          files: [{ role: 'model', path: 'onnx/model.onnx', size: model.body.length, sha256: model.sha256 }],
        },
      },
    },
  },
};

let server: ModelFilesServer;
let work: string;
const savedEnv = { ...process.env };

beforeEach(async () => {
  server = new ModelFilesServer();
  const at = (p: string): string => `/${REPO}/resolve/main/${p}`;
  server.serve(at('onnx/model.onnx'), model.body, { cutAfterBytes: 60_000 });
  server.serve(at('config.json'), config);
  for (const p of ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'])
    server.serve(at(p), small);
  await server.start();
  work = mkdtempSync(path.join(tmpdir(), 'maskflow-cli-'));
  writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest));
  process.env.MASKFLOW_MODELS_DIR = path.join(work, 'models');
  process.env.MASKFLOW_MANIFEST = path.join(work, 'manifest.json');
  process.env.HF_ENDPOINT = server.url;
  delete process.env.HF_TOKEN;
  delete process.env.MASKFLOW_MODEL_PATHS;
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

interface CliRun {
  out: string;
  err: string;
  exitCode: number;
}

/** Runs `maskflow models ...` in-process on a fresh program. */
async function cli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const program = new Command('maskflow').exitOverride().configureOutput({
    writeOut: (s) => (out += s),
    writeErr: (s) => (err += s),
  });
  registerModelsCommand(program);
  try {
    await program.parseAsync(['node', 'maskflow', 'models', ...args]);
    return { out, err, exitCode: 0 };
  } catch (e) {
    if (e instanceof CommanderError) return { out, err, exitCode: e.exitCode };
    throw e;
  }
}

describe('maskflow models', () => {
  it('pull downloads (resuming a cut connection), verify checks, list shows, remove deletes', async () => {
    const listed = await cli('list');
    expect(listed.exitCode).toBe(0);
    expect(listed.out).toMatch(/tiny-dino\s+grounding-dino\s+missing/);

    const pulled = await cli('pull', 'tiny-dino');
    expect(pulled.err).toBe('');
    expect(pulled.exitCode).toBe(0);
    expect(pulled.out).toContain('tiny-dino (fp32) is ready: 5 files');
    const file = path.join(work, 'models', 'tiny-dino', 'onnx', 'model.onnx');
    expect(readFileSync(file).equals(model.body)).toBe(true);
    const reqs = server.requestsFor(`/${REPO}/resolve/main/onnx/model.onnx`);
    expect(reqs.map((r) => r.status)).toEqual([200, 206]);
    expect(reqs[1].headers.range).toMatch(/^bytes=[1-9]\d*-$/);

    const verified = await cli('verify', 'tiny-dino');
    expect(verified.exitCode).toBe(0);
    expect(verified.out).toContain('tiny-dino: OK');
    expect(verified.out).toMatch(/ok\s+onnx\/model\.onnx \(sha256 from manifest\)/);
    expect((await cli('list')).out).toMatch(/tiny-dino\s+grounding-dino\s+installed/);

    writeFileSync(file, Buffer.alloc(model.body.length, 1));
    const corrupt = await cli('verify');
    expect(corrupt.exitCode).toBe(1);
    expect(corrupt.out).toContain('CORRUPT   onnx/model.onnx');
    expect(corrupt.err).toContain('tiny-dino failed verification');
    const fixed = await cli('verify', '--fix');
    expect(fixed.exitCode).toBe(0);
    expect(readFileSync(file).equals(model.body)).toBe(true);

    const removed = await cli('remove', 'tiny-dino');
    expect(removed.out).toContain('removed tiny-dino');
    expect(existsSync(path.join(work, 'models', 'tiny-dino'))).toBe(false);
  });

  it('fails with the offline message and a non-zero exit code when the endpoint is unreachable', async () => {
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli('pull', 'tiny-dino');
    expect(r.exitCode).toBe(1);
    expect(r.err).toContain(
      'error: Model "tiny-dino" (Tiny DINO) is not installed: downloading failed, cannot reach',
    );
    expect(r.err).toContain('onnx/model.onnx');
    expect(r.err).toContain('npx maskflow models pull tiny-dino');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown model readably', async () => {
    const r = await cli('pull', 'nope');
    expect(r.exitCode).toBe(1);
    expect(r.err).toContain('Unknown model "nope". Known models: tiny-dino');
  });

  it('exits non-zero from a real process, without a stack trace', async () => {
    const env = { ...process.env, HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}` };
    const entry = path.join(__dirname, 'support', 'models-cli.entry.ts');
    const tsx = path.join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [entry, 'models', 'pull', 'tiny-dino'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot reach');
    expect(r.stderr).toContain('npx maskflow models pull tiny-dino');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
