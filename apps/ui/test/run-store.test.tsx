import { beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '@maskflow/workflow';
import { FrameBatcher } from '../src/store/frame-batcher';
import { applyRunEvent, emptyRun } from '../src/store/run-events';
import { runEventBatcher, useRunStore } from '../src/store/run.store';
import { ev, resetStores } from './test-utils';

const RUN = '11111111-1111-4111-8111-111111111111';
const ART = 'b'.repeat(64);

describe('run events → per-node state', () => {
  beforeEach(resetStores);

  it('follows a run through queued, running with progress and preview, cached, done', () => {
    let r = emptyRun(RUN);
    r = applyRunEvent(r, ev(RUN, 1, 'run.queued', { workflowId: null, target: null, position: 1 }));
    expect(r.status).toBe('queued');
    r = applyRunEvent(r, ev(RUN, 2, 'run.started', { nodes: ['load', 'inpaint', 'save'] }));
    expect(r.status).toBe('running');
    expect(Object.values(r.nodes).map((n) => n.status)).toEqual(['queued', 'queued', 'queued']);
    r = applyRunEvent(r, ev(RUN, 3, 'node.cached', { key: 'k' }, 'load'));
    r = applyRunEvent(r, ev(RUN, 4, 'node.started', { type: 'FakeInpaint' }, 'inpaint'));
    r = applyRunEvent(
      r,
      ev(
        RUN,
        5,
        'node.progress',
        {
          value: 3,
          max: 20,
          phase: 'denoise',
          preview: {
            kind: 'image',
            mime: 'image/jpeg',
            width: 64,
            height: 64,
            url: 'data:image/jpeg;base64,AAAA',
          },
        },
        'inpaint',
      ),
    );
    expect(r.nodes.inpaint).toMatchObject({
      status: 'running',
      value: 3,
      max: 20,
      phase: 'denoise',
      preview: { url: 'data:image/jpeg;base64,AAAA', width: 64 },
    });
    r = applyRunEvent(
      r,
      ev(
        RUN,
        6,
        'node.finished',
        { ms: 1234, outputs: { image: { kind: 'image', width: 64, height: 64 }, seed: 42 } },
        'inpaint',
      ),
    );
    expect(r.nodes.inpaint).toMatchObject({ status: 'done', ms: 1234, usedSeed: 42 });
    expect(r.nodes.inpaint.preview).toBeUndefined();
    r = applyRunEvent(r, ev(RUN, 7, 'node.started', {}, 'save'));
    r = applyRunEvent(
      r,
      ev(
        RUN,
        8,
        'node.finished',
        { ms: 5, outputs: { artifact: { kind: 'artifact', id: ART, mime: 'image/png' } } },
        'save',
      ),
    );
    r = applyRunEvent(
      r,
      ev(RUN, 9, 'run.finished', {
        ms: 1300,
        nodes: {
          load: { status: 'cached', cached: true },
          inpaint: { status: 'done', ms: 1234 },
          save: { status: 'done', ms: 5 },
        },
      }),
    );
    expect(r.status).toBe('finished');
    expect(Object.fromEntries(Object.entries(r.nodes).map(([k, v]) => [k, v.status]))).toEqual({
      load: 'cached',
      inpaint: 'done',
      save: 'done',
    });
    expect(r.outputs.save).toEqual({ artifact: { kind: 'artifact', id: ART, mime: 'image/png' } });
    expect(r.lastSeq).toBe(9);
  });

  it('ignores duplicates and keeps the failure message on the failed node', () => {
    let r = applyRunEvent(emptyRun(RUN), ev(RUN, 1, 'run.started', { nodes: ['a', 'b'] }));
    const error = {
      kind: 'user',
      code: 'bad-input',
      message: 'the value is out of range',
      nodeId: 'a',
      field: 'kind',
    };
    r = applyRunEvent(r, ev(RUN, 2, 'node.started', {}, 'a'));
    r = applyRunEvent(r, ev(RUN, 3, 'node.failed', { ms: 3, error }, 'a'));
    const same = applyRunEvent(r, ev(RUN, 3, 'node.started', {}, 'a'));
    expect(same).toBe(r);
    r = applyRunEvent(
      r,
      ev(RUN, 4, 'run.failed', {
        error,
        nodes: { a: { status: 'failed', error }, b: { status: 'pending' } },
      }),
    );
    expect(r.status).toBe('failed');
    expect(r.nodes.a).toMatchObject({ status: 'failed', error: { message: 'the value is out of range' } });
    expect(r.nodes.b.status).toBe('skipped');
  });

  it('marks an interrupted run and a cancelled one', () => {
    let r = applyRunEvent(emptyRun(RUN), ev(RUN, 1, 'run.started', { nodes: ['a'] }));
    r = applyRunEvent(r, ev(RUN, 2, 'node.started', {}, 'a'));
    const c = applyRunEvent(
      r,
      ev(RUN, 3, 'run.cancelled', {
        error: { kind: 'user', code: 'cancelled', message: 'cancelled by request' },
      }),
    );
    expect(c.status).toBe('cancelled');
    expect(c.nodes.a.status).toBe('cancelled');
    const i = applyRunEvent(
      r,
      ev(RUN, 3, 'run.failed', {
        status: 'interrupted',
        error: { kind: 'environment', code: 'interrupted', message: 'the server stopped' },
      }),
    );
    expect(i.status).toBe('interrupted');
  });

  it('tolerates malformed data without throwing', () => {
    let r = applyRunEvent(
      emptyRun(RUN),
      ev(RUN, 1, 'node.progress', { value: 'x', preview: { url: 'javascript:alert(1)' } }, 'a'),
    );
    expect(r.nodes.a).toBeUndefined();
    r = applyRunEvent(
      r,
      ev(RUN, 2, 'node.progress', { value: 1, max: 2, preview: { url: 'javascript:alert(1)' } }, 'a'),
    );
    expect(r.nodes.a).toMatchObject({ value: 1, max: 2 });
    expect(r.nodes.a.preview).toBeUndefined();
  });
});

describe('node outputs with previews', () => {
  beforeEach(resetStores);

  const MASK_URL = 'data:image/png;base64,iVBORw0KGgo=';
  const IMAGE_URL = 'data:image/jpeg;base64,/9j/4AAQ';
  const boxes = {
    kind: 'boxes',
    width: 1800,
    height: 1200,
    boxes: [{ x1: 1, y1: 2, x2: 30, y2: 40, score: 0.5, label: 'dog' }],
  };
  const mask = {
    kind: 'mask',
    width: 1800,
    height: 1200,
    preview: { url: MASK_URL, mime: 'image/png', width: 512, height: 341 },
  };

  it('a cached node keeps its outputs, previews included, as a finished one does', () => {
    let r = applyRunEvent(emptyRun(RUN), ev(RUN, 1, 'run.started', { nodes: ['detect', 'sam', 'save'] }));
    r = applyRunEvent(r, ev(RUN, 2, 'node.cached', { key: 'k1', outputs: { boxes } }, 'detect'));
    r = applyRunEvent(
      r,
      ev(
        RUN,
        3,
        'node.cached',
        { key: 'k2', outputs: { mask, masks: { ...mask, kind: 'masks', count: 3 } } },
        'sam',
      ),
    );
    expect(r.nodes.detect).toMatchObject({ status: 'cached', outputs: { boxes } });
    expect(r.outputs.detect).toEqual({ boxes });
    expect(r.nodes.sam.status).toBe('cached');
    expect(r.nodes.sam.outputs?.mask).toEqual(mask);
    expect(r.outputs.sam.masks).toMatchObject({ count: 3, preview: { url: MASK_URL } });
    // A cached event without outputs (an older server) still marks the node cached, with nothing invented.
    r = applyRunEvent(r, ev(RUN, 4, 'node.cached', { key: 'k3' }, 'save'));
    expect(r.nodes.save.status).toBe('cached');
    expect(r.nodes.save.outputs).toBeUndefined();
    expect(r.outputs.save).toBeUndefined();
    // The run's summary (described values without previews) does not replace what the nodes sent.
    r = applyRunEvent(
      r,
      ev(RUN, 5, 'run.finished', {
        nodes: { detect: { status: 'cached' }, sam: { status: 'cached' }, save: { status: 'cached' } },
        outputs: {
          sam: { mask: { kind: 'mask', width: 1800, height: 1200 } },
          save: { artifact: { kind: 'artifact', id: ART } },
        },
      }),
    );
    expect(r.outputs.sam.mask).toEqual(mask);
    expect(r.outputs.save).toEqual({ artifact: { kind: 'artifact', id: ART } });
    expect(Object.values(r.nodes).map((n) => n.status)).toEqual(['cached', 'cached', 'cached']);
  });

  it('drops a malformed preview and keeps the value; a malformed outputs field costs nothing else', () => {
    let r = applyRunEvent(emptyRun(RUN), ev(RUN, 1, 'run.started', { nodes: ['a', 'b', 'c'] }));
    const bad = [
      { url: 'javascript:alert(1)', mime: 'image/png' },
      { url: 'data:text/html;base64,PHNjcmlwdD4=' },
      { url: MASK_URL, width: 'wide' },
      'data:image/png;base64,AAAA',
      null,
    ];
    r = applyRunEvent(
      r,
      ev(
        RUN,
        2,
        'node.finished',
        {
          ms: 7,
          outputs: {
            ...Object.fromEntries(
              bad.map((preview, i) => [`m${i}`, { kind: 'mask', width: 4, height: 3, preview }]),
            ),
            image: { kind: 'image', width: 4, height: 3, channels: 3, preview: { url: IMAGE_URL, width: 4 } },
          },
        },
        'a',
      ),
    );
    const outs = r.nodes.a.outputs!;
    for (let i = 0; i < bad.length; i++) expect(outs[`m${i}`]).toEqual({ kind: 'mask', width: 4, height: 3 });
    expect(outs.image).toEqual({
      kind: 'image',
      width: 4,
      height: 3,
      channels: 3,
      preview: { url: IMAGE_URL, width: 4 },
    });
    expect(r.outputs.a).toBe(outs);
    expect(r.nodes.a).toMatchObject({ status: 'done', ms: 7 });
    // Outputs that are not an object at all are ignored; the event still counts.
    r = applyRunEvent(r, ev(RUN, 3, 'node.cached', { key: 'k', outputs: 'nope' }, 'b'));
    r = applyRunEvent(r, ev(RUN, 4, 'node.finished', { ms: 2, outputs: [1, 2] }, 'c'));
    expect(r.nodes.b).toMatchObject({ status: 'cached' });
    expect(r.nodes.b.outputs).toBeUndefined();
    expect(r.nodes.c).toMatchObject({ status: 'done', ms: 2 });
    expect(r.outputs.b).toBeUndefined();
  });

  it('checks previews in a run record re-opened from the history', () => {
    const record: RunRecord = {
      id: RUN,
      workflowId: null,
      status: 'finished',
      target: 'sam',
      inputs: {},
      provider: 'cpu',
      nodes: { sam: { status: 'done', ms: 3 } },
      outputs: {
        sam: { mask, masks: { kind: 'masks', width: 4, height: 3, count: 2, preview: { url: 'x' } } },
      },
      error: null,
      lastSeq: 9,
      createdAt: '2026-01-01T00:00:00Z',
      startedAt: null,
      finishedAt: null,
    };
    useRunStore.getState().hydrate(record);
    const view = useRunStore.getState().runs[RUN];
    expect(view.outputs.sam.mask).toEqual(mask);
    expect(view.outputs.sam.masks).toEqual({ kind: 'masks', width: 4, height: 3, count: 2 });
    expect(view.nodes.sam.outputs?.masks).toEqual({ kind: 'masks', width: 4, height: 3, count: 2 });
  });
});

describe('run store batching', () => {
  beforeEach(resetStores);

  it('applies any number of events between two frames as one store update', () => {
    let frame: (() => void) | undefined;
    const batcher = new FrameBatcher<ReturnType<typeof ev>>(
      (events) => useRunStore.getState().applyEvents(events),
      (cb) => {
        frame = cb;
        return () => (frame = undefined);
      },
    );
    let updates = 0;
    const unsub = useRunStore.subscribe(() => updates++);
    batcher.push(ev(RUN, 1, 'run.started', { nodes: ['a'] }), ev(RUN, 2, 'node.started', {}, 'a'));
    for (let i = 1; i <= 100; i++) batcher.push(ev(RUN, 2 + i, 'node.progress', { value: i, max: 100 }, 'a'));
    expect(updates).toBe(0);
    expect(batcher.size).toBe(102);
    frame?.();
    unsub();
    expect(updates).toBe(1);
    expect(useRunStore.getState().runs[RUN].nodes.a).toMatchObject({
      status: 'running',
      value: 100,
      max: 100,
    });
  });

  it('a node selector only changes for the node an event is about', () => {
    useRunStore.setState({ currentRunId: RUN });
    runEventBatcher.push(ev(RUN, 1, 'run.started', { nodes: ['a', 'b'] }));
    runEventBatcher.flushNow();
    const before = useRunStore.getState().runs[RUN].nodes.b;
    runEventBatcher.push(
      ev(RUN, 2, 'node.started', {}, 'a'),
      ev(RUN, 3, 'node.progress', { value: 1, max: 4 }, 'a'),
    );
    runEventBatcher.flushNow();
    expect(useRunStore.getState().runs[RUN].nodes.b).toBe(before);
    expect(useRunStore.getState().runs[RUN].nodes.a.status).toBe('running');
  });
});
