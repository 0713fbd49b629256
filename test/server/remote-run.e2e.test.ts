import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { runRemote } from '../../apps/cli/src/commands/remote-run';
import { runBatch } from '../../apps/cli/src/commands/run.command';
import type { RunRecord } from '@maskflow/workflow';
import { pngImage, REPO_ROOT, slowChain, startServer } from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

describe('maskflow run --server (runRemote)', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServer({ token: 'tok' });
    dir = mkdtempSync(path.join(tmpdir(), 'maskflow-remote-'));
    writeFileSync(path.join(dir, 'photo.png'), await pngImage(200, 150, true));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const base = () => ({
    server: server.url,
    token: 'tok',
    set: [] as string[],
    json: true,
    out: path.join(dir, 'out'),
  });

  it('uploads @file inputs, runs a saved workflow by id over the socket and downloads the outputs', async () => {
    const result = await runRemote('remove-object-classical', {
      ...base(),
      input: [`image=@${path.join(dir, 'photo.png')}`, 'box=[{"x1":20,"y1":20,"x2":90,"y2":80}]', 'grow=4'],
    });
    expect(result.status).toBe('finished');
    expect(result.files).toEqual([path.join(dir, 'out', 'removed.png')]);
    const meta = await sharp(readFileSync(result.files[0])).metadata();
    expect([meta.width, meta.height]).toEqual([200, 150]);
    expect(Object.values(result.nodes).map((n) => n.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
    ]);
    const run = await server.api.get<RunRecord>(`/api/runs/${result.runId}`);
    expect(run.body).toMatchObject({
      status: 'finished',
      workflowId: 'remove-object-classical',
      inputs: { grow: 4 },
    });
  });

  it('runs a workflow file with --set, and reports a failure with its node', async () => {
    const file = path.join(REPO_ROOT, 'workflows', 'remove-object-classical.json');
    const result = await runRemote(file, {
      ...base(),
      input: [`image=@${path.join(dir, 'photo.png')}`],
      set: ['save.format="jpeg"', 'save.filenamePrefix="fox"'],
    });
    expect(result.status).toBe('finished');
    expect(result.files).toEqual([path.join(dir, 'out', 'fox.jpg')]);

    const graphFile = path.join(dir, 'fail.json');
    writeFileSync(
      graphFile,
      JSON.stringify({ version: 1, nodes: [{ id: 'bad', type: 'Fail', params: {} }], edges: [] }),
    );
    const failed = await runRemote(graphFile, { ...base(), input: [] });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ nodeId: 'bad', kind: 'user' });
    expect(failed.files).toEqual([]);
  });

  it('refuses an invalid graph before running, listing the issues', async () => {
    const graphFile = path.join(dir, 'slow.json');
    writeFileSync(graphFile, JSON.stringify(slowChain(1, 10)));
    await expect(runRemote(graphFile, { ...base(), input: [], set: ['s1.offset="x"'] })).rejects.toThrow(
      /node "s1", field "offset"/,
    );
    await expect(runRemote('no-such-workflow', { ...base(), input: [] })).rejects.toThrow(
      /workflow "no-such-workflow" does not exist/,
    );
    await expect(runRemote('../no/such/file.json', { ...base(), input: [] })).rejects.toThrow(
      /neither a workflow file nor a saved workflow id/,
    );
    await expect(
      runRemote('remove-object-classical', { ...base(), token: 'wrong', input: [] }),
    ).rejects.toThrow(/unauthorized/);
    await expect(
      runRemote('remove-object-classical', { ...base(), input: [`image=@${path.join(dir, 'fail.json')}`] }),
    ).rejects.toThrow(/not-an-image|not a recognised|accepted are/);
  });

  /*
   *   photos/a.png b.png c.png (text)  +  masks/a.png b.png c.png
   *   each pair uploaded and run on the server; out/a-removed.png, out/a-mask.png, …; c fails, the rest run
   */
  it('runs a batch on the server (--batch with --server): files uploaded per run, outputs named after them', async () => {
    const photos = path.join(dir, 'photos');
    const masks = path.join(dir, 'masks');
    mkdirSync(photos);
    mkdirSync(masks);
    for (const [name, x] of [
      ['a', 20],
      ['b', 100],
    ] as const) {
      writeFileSync(path.join(photos, `${name}.png`), await pngImage(160, 120, true));
      const m = Buffer.alloc(160 * 120);
      for (let y = 30; y < 70; y++) m.fill(255, y * 160 + x, y * 160 + x + 40);
      await sharp(m, { raw: { width: 160, height: 120, channels: 1 } })
        .png()
        .toFile(path.join(masks, `${name}.png`));
    }
    writeFileSync(path.join(photos, 'c.png'), 'not an image');
    writeFileSync(path.join(masks, 'c.png'), await pngImage(160, 120));
    const out = path.join(dir, 'batch-out');
    const batch = await runBatch(path.join(REPO_ROOT, 'workflows', 'remove-with-mask-file.json'), {
      ...base(),
      input: [],
      out,
      cache: true,
      batch: [`image=${photos}`, `mask=${masks}`],
    });
    expect(batch.status).toBe('failed');
    expect(batch.counts).toEqual({ finished: 2, failed: 1, cancelled: 0, notRun: 0 });
    expect(batch.items.map((i) => [i.stem, i.status])).toEqual([
      ['a', 'finished'],
      ['b', 'finished'],
      ['c', 'failed'],
    ]);
    expect((batch.items[2].error as { message: string }).message).toMatch(/accepted are PNG/);
    expect(readdirSync(out).sort()).toEqual(['a-mask.png', 'a-removed.png', 'b-mask.png', 'b-removed.png']);
    // Each run's saved mask is its own mask file's rectangle, grown: the pairs were not mixed up.
    for (const [name, x] of [
      ['a', 20],
      ['b', 100],
    ] as const) {
      const saved = await sharp(path.join(out, `${name}-mask.png`))
        .extractChannel(0)
        .raw()
        .toBuffer();
      expect(saved[50 * 160 + x + 20]).toBe(255);
      expect(saved[50 * 160 + (x === 20 ? 120 : 40)]).toBe(0);
    }
    const runs = await server.api.get<{ items: RunRecord[] }>('/api/runs');
    expect(runs.body.items.filter((r) => r.status === 'finished').length).toBeGreaterThanOrEqual(2);
  });
});
