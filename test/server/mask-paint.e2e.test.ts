/**
 * Painting a mask on an uploaded image (what the editor's mask painter
 * sends): POST /api/artifacts/:id/mask turns a same-size mask into the alpha
 * of a new upload, and Load Image gives exactly that mask back:
 *
 *   loadimage ──mask──► masktoimage ──image──► saveimage
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { ArtifactRecord, RunRecord } from '@maskflow/workflow';
import { pngImage, REPO_ROOT, sleep, startServer } from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

const PHOTO = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'images', 'coco139.jpg');

type ErrorReply = { error: { code: string; message: string; field?: string } };

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ maxPixels: 4_000_000 });
});
afterAll(() => server?.close());

async function raw(bytes: Buffer) {
  return sharp(bytes).raw().toBuffer({ resolveWithObject: true });
}

/** A grayscale PNG: white in a disc of radius r at (cx, cy), a grey ring around it, black elsewhere. */
async function discMask(w: number, h: number, cx: number, cy: number, r: number) {
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - cx, y - cy);
      px[y * w + x] = d <= r ? 255 : d <= r + 4 ? 100 : 0;
    }
  return {
    px,
    png: await sharp(px, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer(),
  };
}

async function runMaskGraph(imageId: string): Promise<Buffer> {
  const workflow = {
    version: 1,
    nodes: [
      { id: 'loadimage', type: 'LoadImage', params: { image: imageId } },
      { id: 'masktoimage', type: 'MaskToImage', params: {} },
      { id: 'saveimage', type: 'SaveImage', params: { format: 'png' } },
    ],
    edges: [
      { source: 'loadimage', sourceHandle: 'mask', target: 'masktoimage', targetHandle: 'mask' },
      { source: 'masktoimage', sourceHandle: 'image', target: 'saveimage', targetHandle: 'image' },
    ],
  };
  const queued = await server.api.post<RunRecord>('/api/runs', { workflow });
  expect(queued.status).toBe(202);
  let run: RunRecord = queued.body;
  for (let i = 0; i < 200 && !['finished', 'failed', 'cancelled'].includes(run.status); i++) {
    await sleep(50);
    run = (await server.api.get<RunRecord>(`/api/runs/${queued.body.id}`)).body;
  }
  expect(run.status).toBe('finished');
  const art = Object.values(run.outputs.saveimage ?? {}).find(
    (v) => (v as { kind?: string })?.kind === 'artifact',
  ) as { id: string };
  const file = await server.api.download(art.id);
  return file.bytes;
}

describe('POST /api/artifacts/:id/mask', () => {
  let photo: Buffer;
  let source: ArtifactRecord;
  beforeAll(async () => {
    if (existsSync(PHOTO)) photo = readFileSync(PHOTO);
    else {
      console.warn(`${PHOTO} is absent (../shared not beside the repo): using a generated picture`);
      photo = await sharp(await pngImage(640, 426, true))
        .jpeg()
        .toBuffer();
    }
    const up = await server.api.upload<ArtifactRecord>(photo, 'photo.jpg');
    expect(up.status).toBe(201);
    source = up.body;
  });

  it('makes a new upload whose alpha is the inverse of the mask, with the RGB untouched; Load Image gives the mask back', async () => {
    const { width: w, height: h } = source as { width: number; height: number };
    const mask = await discMask(w, h, w / 2, h / 3, 50);
    const res = await server.api.upload<ArtifactRecord>(
      mask.png,
      'mask.png',
      `/api/artifacts/${source.id}/mask`,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ mime: 'image/png', width: w, height: h, name: 'photo-masked.png' });
    expect(res.body.id).not.toBe(source.id);

    const before = await raw((await server.api.download(source.id)).bytes);
    const after = await raw((await server.api.download(res.body.id)).bytes);
    expect(after.info).toMatchObject({ width: w, height: h, channels: 4 });
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++)
        if (after.data[i * 4 + c] !== before.data[i * before.info.channels + c])
          throw new Error(`RGB changed at pixel ${i}`);
      if (after.data[i * 4 + 3] !== 255 - mask.px[i]) throw new Error(`alpha wrong at pixel ${i}`);
    }

    // Its colour channels alone (what the mask painter shows under the mask): the original's RGB, exactly.
    const rgbRes = await server.api.request('GET', `/api/artifacts/${res.body.id}/rgb`);
    expect(rgbRes.status).toBe(200);
    expect(rgbRes.headers.get('content-type')).toBe('image/png');
    const rgb = await fetch(`${server.url}/api/artifacts/${res.body.id}/rgb`).then(async (r) =>
      raw(Buffer.from(await r.arrayBuffer())),
    );
    expect(rgb.info).toMatchObject({ width: w, height: h, channels: 3 });
    for (let i = 0; i < w * h * 3; i++)
      if (rgb.data[i] !== before.data[Math.floor(i / 3) * before.info.channels + (i % 3)])
        throw new Error(`rgb differs at byte ${i}`);

    // Load Image reads it back as the painted mask, grey edge included.
    const saved = await sharp(await runMaskGraph(res.body.id))
      .extractChannel(0)
      .raw()
      .toBuffer();
    expect(Buffer.compare(saved, mask.px)).toBe(0);

    // The original upload is still there, unchanged.
    expect((await server.api.get(`/api/artifacts/${source.id}/thumbnail?size=32`)).status).toBe(200);
  });

  it('paints again over a painted upload: the alpha is replaced and the name does not grow', async () => {
    const { width: w, height: h } = source as { width: number; height: number };
    const first = await discMask(w, h, 100, 100, 30);
    const painted = await server.api.upload<ArtifactRecord>(
      first.png,
      'm.png',
      `/api/artifacts/${source.id}/mask`,
    );
    const second = await discMask(w, h, 300, 200, 20);
    const again = await server.api.upload<ArtifactRecord>(
      second.png,
      'm.png',
      `/api/artifacts/${painted.body.id}/mask`,
    );
    expect(again.status).toBe(201);
    expect(again.body.name).toBe('photo-masked.png');
    const saved = await sharp(await runMaskGraph(again.body.id))
      .extractChannel(0)
      .raw()
      .toBuffer();
    expect(Buffer.compare(saved, second.px)).toBe(0);
  });

  it('refuses a mask of another size, a non-image, a missing file and an unknown id, naming what is wrong', async () => {
    const { width: w, height: h } = source as { width: number; height: number };
    const small = await discMask(w - 1, h, 10, 10, 5);
    const wrong = await server.api.upload<ErrorReply>(small.png, 'm.png', `/api/artifacts/${source.id}/mask`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'mask-size', field: 'file' });
    expect(wrong.body.error.message).toContain(`the mask is ${w - 1}×${h} but the image is ${w}×${h}`);

    const text = await server.api.upload<ErrorReply>(
      Buffer.from('not a mask'),
      'm.png',
      `/api/artifacts/${source.id}/mask`,
    );
    expect(text.status).toBe(415);
    expect(text.body.error).toMatchObject({ code: 'not-an-image', field: 'file' });

    const none = await server.api.request<ErrorReply>('POST', `/api/artifacts/${source.id}/mask`);
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain('send the mask as a multipart/form-data field named "file"');

    const missing = await server.api.upload<ErrorReply>(
      small.png,
      'm.png',
      `/api/artifacts/${'0'.repeat(64)}/mask`,
    );
    expect(missing.status).toBe(404);
    const bad = await server.api.upload<ErrorReply>(small.png, 'm.png', '/api/artifacts/..%2Fetc/mask');
    expect(bad.status).toBe(400);
    expect((await server.api.get('/api/health')).status).toBe(200);
  });
});
