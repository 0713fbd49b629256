import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunEvent, RunRecord } from '@maskflow/workflow';
import {
  Api,
  isTerminal,
  pngImage,
  range,
  REPO_ROOT,
  seqs,
  sleep,
  TestClient,
} from './helpers/server.harness';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The real entry point in a child process, as `npm start` would run it (through tsx, from the sources). */
function startProcess(dataDir: string, port: number): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('apps', 'server', 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      MASKFLOW_DATA_DIR: dataDir,
      MASKFLOW_HOST: '127.0.0.1',
      MASKFLOW_PORT: String(port),
      MASKFLOW_QUEUE_CONCURRENCY: '1',
      MASKFLOW_TOKEN: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (process.env.DEBUG_SERVER) process.stderr.write(d);
  });
  return child;
}

async function waitHealthy(api: Api, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await api.get('/api/health')).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error('server did not become healthy');
}

async function waitStatus(
  api: Api,
  runId: string,
  done: (s: string) => boolean,
  timeoutMs = 60_000,
): Promise<RunRecord> {
  const t0 = Date.now();
  for (;;) {
    const r = await api.get<RunRecord>(`/api/runs/${runId}`);
    if (done(r.body.status)) return r.body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${runId} stuck in ${r.body.status}`);
    await sleep(200);
  }
}

describe('the server process killed mid-queue and restarted', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maskflow-restart-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks the running run interrupted, runs the queued ones, loses nothing', async () => {
    const port = await freePort();
    const api = new Api(`http://127.0.0.1:${port}`);
    child = startProcess(dataDir, port);
    await waitHealthy(api, child);

    // Large holes make MaskFill take seconds, so the later runs are still queued at the kill.
    const up = await api.upload<{ id: string }>(await pngImage(1200, 900, true));
    expect(up.status).toBe(201);
    const box = (x: number) => [{ x1: x, y1: 100, x2: x + 500, y2: 700 }];
    const client = await TestClient.connect(api.url);
    const ids: string[] = [];
    for (const x of [100, 150, 200]) {
      const ack = await client.send('run.submit', {
        workflowId: 'remove-object-classical',
        inputs: { image: up.body.id, box: box(x), grow: 16 },
      });
      if ('error' in ack) throw new Error(JSON.stringify(ack.error));
      ids.push(ack.runId);
    }
    await client.waitFor((evs) => evs.some((e) => e.runId === ids[0] && e.type === 'node.started'));
    client.close();
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));

    child = startProcess(dataDir, port);
    await waitHealthy(api, child);

    // Normally the first run was cut off; on a very slow machine the kill may land in the second.
    const statuses = await Promise.all(
      ids.map(async (id) => (await api.get<RunRecord>(`/api/runs/${id}`)).body),
    );
    const cut = statuses.findIndex((r) => r.status === 'interrupted');
    expect(cut).toBeGreaterThanOrEqual(0);
    expect(cut).toBeLessThan(ids.length - 1);
    expect(statuses.filter((r) => r.status === 'interrupted')).toHaveLength(1);
    const interrupted = statuses[cut];
    expect(interrupted.error).toMatchObject({ kind: 'environment', code: 'interrupted' });
    expect(interrupted.error!.message).toMatch(/server stopped while this run was executing/);
    const cutEvents = (await api.get<{ events: RunEvent[] }>(`/api/runs/${ids[cut]}/events`)).body.events;
    expect(seqs(cutEvents)).toEqual(range(1, cutEvents.length));
    expect(cutEvents.at(-1)).toMatchObject({ type: 'run.failed', data: { status: 'interrupted' } });

    // Every other run finishes, each with one complete, gapless event history.
    for (const id of ids.filter((_, i) => i !== cut)) {
      const run = await waitStatus(api, id, (s) => s !== 'queued' && s !== 'running');
      expect(run.status).toBe('finished');
      const events = (await api.get<{ events: RunEvent[] }>(`/api/runs/${id}/events`)).body.events;
      expect(seqs(events)).toEqual(range(1, events.length));
      expect(events[0].type).toBe('run.queued');
      expect(events.filter(isTerminal).map((e) => e.type)).toEqual(['run.finished']);
      expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
    }
    const list = await api.get<{ total: number }>('/api/runs');
    expect(list.body.total).toBe(3);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }, 120_000);
});
