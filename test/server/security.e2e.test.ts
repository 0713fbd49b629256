import { deflateSync } from 'node:zlib';
import { createApp } from '../../apps/server/src/app.factory';
import { pngImage, startServer, TestClient } from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG header claiming width×height, with a tiny compressed body: decoding it would need ~30 GB. */
function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

type ErrorReply = {
  error: {
    kind: string;
    code: string;
    message: string;
    field?: string;
    nodeId?: string;
    issues?: Array<Record<string, unknown>>;
  };
};

describe('bad input is a clear 4xx, and the server stays healthy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ maxUploadBytes: 1024 * 1024, maxPixels: 4_000_000 });
  });
  afterAll(() => server?.close());
  afterEach(async () => {
    expect((await server.api.get('/api/health')).status).toBe(200);
  });

  it('malformed JSON', async () => {
    const r = await server.api.request<ErrorReply>('POST', '/api/runs', undefined, {
      raw: '{"workflow": {',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ kind: 'user', code: 'malformed-json' });
  });

  it('wrong types', async () => {
    const r = await server.api.post<ErrorReply>('/api/runs', { workflow: 5 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid-request', field: 'workflow' });
    const both = await server.api.post<ErrorReply>('/api/runs', {
      workflowId: 'x',
      workflow: { version: 1, nodes: [] },
    });
    expect(both.status).toBe(400);
    const list = await server.api.get<ErrorReply>('/api/runs?limit=abc&status=sleeping');
    expect(list.status).toBe(400);
    expect(list.body.error.issues!.map((i) => i.field).sort()).toEqual(['limit', 'status']);
    const inputs = await server.api.post<ErrorReply>('/api/runs', {
      workflowId: 'remove-object-classical',
      inputs: { nope: 1 },
    });
    expect(inputs.status).toBe(400);
    expect(inputs.body.error.message).toContain('exposes "image", "box", "grow", "method"');
  });

  it('an invalid graph: 400 listing every issue with node id and field', async () => {
    const r = await server.api.post<ErrorReply>('/api/runs', {
      workflow: {
        version: 1,
        nodes: [
          { id: 'a', type: 'Nope' },
          { id: 's', type: 'Add', params: { offset: 'x' } },
        ],
        edges: [],
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid-workflow');
    expect(r.body.error.issues!.map((i) => [i.code, i.nodeId, i.field])).toEqual([
      ['unknown-type', 'a', 'type'],
      ['invalid-param', 's', 'offset'],
      ['missing-input', 's', 'a'],
    ]);
  });

  it('an oversized graph and an oversized body', async () => {
    const nodes = Array.from({ length: 501 }, (_, i) => ({ id: `n${i}`, type: 'Const', params: {} }));
    const r = await server.api.post<ErrorReply>('/api/runs', { workflow: { version: 1, nodes, edges: [] } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ field: 'workflow.nodes' });
    const huge = await server.api.post<ErrorReply>('/api/workflows', {
      name: 'x',
      description: 'y'.repeat(3 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload-too-large');
  });

  it('a decompression bomb is refused from its header', async () => {
    const bomb = pngBomb(100_000, 100_000);
    expect(bomb.length).toBeLessThan(2000);
    const r = await server.api.upload<ErrorReply>(bomb, 'bomb.png');
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too-many-pixels', field: 'file' });
    expect(r.body.error.message).toContain('100000×100000');
  });

  it('non-images, oversized files and missing files are refused', async () => {
    const text = await server.api.upload<ErrorReply>(Buffer.from('#!/bin/sh\nrm -rf /\n'), 'photo.png');
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('not-an-image');
    const svg = await server.api.upload<ErrorReply>(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'),
      'x.svg',
    );
    expect(svg.status).toBe(415);
    const pdf = await server.api.upload<ErrorReply>(
      Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'),
      'x.pdf',
    );
    expect(pdf.status).toBe(415);
    const big = await server.api.upload<ErrorReply>(
      Buffer.concat([await pngImage(8, 8), Buffer.alloc(1.5 * 1024 * 1024)]),
      'big.png',
    );
    expect(big.status).toBe(413);
    const truncated = (await pngImage(64, 64, true)).subarray(0, 200);
    const corrupt = await server.api.upload<ErrorReply>(truncated, 'cut.png');
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.code).toBe('corrupt-image');
    const none = await server.api.request<ErrorReply>('POST', '/api/artifacts', undefined, {
      raw: '',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(none.status).toBe(400);
  });

  it('uploads are re-encoded: EXIF orientation applied, metadata stripped', async () => {
    const sharp = (await import('sharp')).default;
    // 40×20 stored, orientation 6 (rotate 90° clockwise) → 20×40 shown; with a GPS-bearing EXIF block.
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#888' } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'secret place' } } })
      .toBuffer();
    const r = await server.api.upload<{ id: string; width: number; height: number; mime: string }>(
      jpeg,
      'me.jpg',
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ width: 20, height: 40, mime: 'image/jpeg' });
    const file = await server.api.download(r.body.id);
    const meta = await sharp(file.bytes).metadata();
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    expect(file.bytes.includes(Buffer.from('secret place'))).toBe(false);
  });

  it('path traversal strings in ids and refs', async () => {
    const traversal = encodeURIComponent('../../etc/passwd');
    for (const p of [
      `/api/artifacts/${traversal}`,
      `/api/artifacts/${traversal}/thumbnail`,
      `/api/workflows/${traversal}`,
      `/api/runs/${traversal}`,
    ]) {
      const r = await server.api.get<ErrorReply>(p);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid-request');
    }
    const ref = await server.api.post<ErrorReply>('/api/runs', {
      workflow: {
        version: 1,
        nodes: [{ id: 'load', type: 'LoadImage', params: { image: '../../etc/passwd' } }],
        edges: [],
      },
    });
    expect(ref.status).toBe(400);
    expect(ref.body.error.issues).toEqual([
      expect.objectContaining({ code: 'invalid-param', nodeId: 'load', field: 'image' }),
    ]);
    const absolute = await server.api.post<ErrorReply>('/api/runs', {
      workflowId: 'remove-object-classical',
      inputs: { image: '/etc/passwd' },
    });
    expect(absolute.status).toBe(400);
    const missing = await server.api.post<ErrorReply>('/api/runs', {
      workflowId: 'remove-object-classical',
      inputs: { image: 'a'.repeat(64) },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues![0].message).toContain('does not exist');
    const byId = await server.api.post<ErrorReply>('/api/runs', { workflowId: '../../etc/passwd' });
    expect(byId.status).toBe(400);
    const unknownArtifact = await server.api.get<ErrorReply>(`/api/artifacts/${'b'.repeat(64)}`);
    expect(unknownArtifact.status).toBe(404);
    const unknownRoute = await server.api.get<ErrorReply>('/api/../../etc/passwd');
    expect(unknownRoute.status).toBe(404);
  });

  it('bad socket messages get an error acknowledgement, never a crash', async () => {
    const client = await TestClient.connect(server.url);
    try {
      expect(await client.send('subscribe', { runId: 5 })).toMatchObject({
        error: { code: 'invalid-message', field: 'runId' },
      });
      expect(await client.send('subscribe', 'garbage')).toMatchObject({ error: { code: 'invalid-message' } });
      expect(await client.send('subscribe', { runId: '00000000-0000-4000-8000-000000000000' })).toMatchObject(
        { error: { code: 'not-found' } },
      );
      expect(await client.send('run.submit', { workflowId: '../../etc/passwd' })).toMatchObject({
        error: { code: 'invalid-message', field: 'workflowId' },
      });
      expect(
        await client.send('run.submit', { workflow: { version: 1, nodes: [{ id: 'a', type: 'Nope' }] } }),
      ).toMatchObject({
        error: { code: 'invalid-workflow', issues: [{ code: 'unknown-type', nodeId: 'a' }] },
      });
      expect(await client.send('run.cancel', {})).toMatchObject({ error: { code: 'invalid-message' } });
      const noAck = new Promise<unknown>((resolve) => client.socket.once('protocol.error', resolve));
      client.socket.emit('subscribe', { runId: 'nope' });
      expect(await noAck).toMatchObject({ error: { code: 'invalid-message' } });
      client.socket.emit('no.such.message', { x: 1 });
      expect(client.socket.connected).toBe(true);
    } finally {
      client.close();
    }
  });

  it('refuses cross-origin socket handshakes (WebSockets are not covered by CORS)', async () => {
    await expect(
      TestClient.connect(server.url, { headers: { origin: 'http://evil.example' } }),
    ).rejects.toThrow();
    const same = await TestClient.connect(server.url, { headers: { origin: server.url } });
    same.close();
  });
});

describe('access token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ token: 's3cret' });
  });
  afterAll(() => server?.close());

  it('is required on REST except /api/health', async () => {
    expect((await server.api.get('/api/health', { token: null })).status).toBe(200);
    for (const p of [
      '/api/workflows',
      '/api/runs',
      '/api/nodes',
      '/api/system',
      `/api/artifacts/${'a'.repeat(64)}`,
    ]) {
      const r = await server.api.get<ErrorReply>(p, { token: null });
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ kind: 'user', code: 'unauthorized' });
    }
    expect((await server.api.get('/api/workflows', { token: 'wrong' })).status).toBe(401);
    expect((await server.api.get('/api/workflows')).status).toBe(200);
    expect((await server.api.get('/api/workflows?token=s3cret', { token: null })).status).toBe(200);
    const post = await server.api.request(
      'POST',
      '/api/runs',
      { workflowId: 'remove-object-classical' },
      { token: null },
    );
    expect(post.status).toBe(401);
  });

  it('is required on socket.io (auth.token)', async () => {
    await expect(TestClient.connect(server.url)).rejects.toThrow(/unauthorized/);
    await expect(TestClient.connect(server.url, { token: 'wrong' })).rejects.toThrow(/unauthorized/);
    const ok = await TestClient.connect(server.url, { token: 's3cret' });
    ok.close();
  });
});

describe('binding', () => {
  it('refuses to listen on a non-loopback address without a token, with a clear message', async () => {
    await expect(createApp({ host: '0.0.0.0', port: 0, token: undefined, logger: false })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without an access token: set MASKFLOW_TOKEN/,
    );
  });
});
