import { act, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEditorStore } from '../src/store/editor.store';
import { runEventBatcher, useRunStore } from '../src/store/run.store';
import { useUiStore } from '../src/store/ui.store';
import { renderCanvas } from './flow-canvas';
import { ev, resetStores } from './test-utils';

const RUN = '33333333-3333-4333-8333-333333333333';
const ART = 'c'.repeat(64);

function mount() {
  return renderCanvas();
}

function feed(...events: ReturnType<typeof ev>[]) {
  act(() => {
    runEventBatcher.push(...events);
    runEventBatcher.flushNow();
  });
}

describe('a node on the canvas', () => {
  beforeEach(() => {
    resetStores();
    useEditorStore.getState().load(
      {
        version: 1,
        nodes: [
          {
            id: 'inpaint',
            type: 'FakeInpaint',
            params: { prompt: 'a red fox', seed: -1, steps: 20 },
            position: { x: 0, y: 0 },
          },
          { id: 'save', type: 'SaveImage', params: {}, position: { x: 400, y: 0 } },
        ],
        edges: [],
        inputs: { prompt: { node: 'inpaint', param: 'prompt' } },
      },
      { name: 'n', description: '' },
    );
    useRunStore.setState({ currentRunId: RUN });
    useUiStore.setState({ issues: [] });
  });

  it('shows ports coloured by type, its widgets and which params are exposed', () => {
    mount();
    const handle = document.querySelector(
      '.react-flow__handle[data-nodeid="inpaint"][data-handleid="mask"]',
    ) as HTMLElement;
    expect(handle.style.background).toBe('rgb(129, 199, 132)');
    expect(screen.getByLabelText('Prompt').tagName).toBe('TEXTAREA');
    expect(screen.getByLabelText('Stop exposing prompt')).toBeTruthy();
    // Unconnected required inputs are marked.
    expect(document.querySelectorAll('.mf-node[data-node-id="inpaint"] .mf-port-missing')).toHaveLength(2);
  });

  it('follows the run: queued, running with a bar and a step preview, done with the used seed', () => {
    mount();
    const node = () => document.querySelector('.mf-node[data-node-id="inpaint"]') as HTMLElement;
    expect(node().dataset.status).toBe('idle');
    feed(ev(RUN, 1, 'run.started', { nodes: ['inpaint', 'save'] }));
    expect(node().dataset.status).toBe('queued');
    feed(
      ev(RUN, 2, 'node.started', {}, 'inpaint'),
      ev(
        RUN,
        3,
        'node.progress',
        { value: 5, max: 20, phase: 'denoise', preview: { url: 'data:image/jpeg;base64,AAAA' } },
        'inpaint',
      ),
    );
    expect(node().dataset.status).toBe('running');
    const bar = node().querySelector('[role=progressbar]') as HTMLElement;
    expect(bar.getAttribute('aria-valuenow')).toBe('5');
    expect((bar.querySelector('.mf-progress-fill') as HTMLElement).style.width).toBe('25%');
    expect(screen.getByTestId('node-preview').getAttribute('src')).toBe('data:image/jpeg;base64,AAAA');
    feed(
      ev(
        RUN,
        4,
        'node.finished',
        { ms: 900, outputs: { image: { kind: 'image', width: 512, height: 512 }, seed: 31337 } },
        'inpaint',
      ),
    );
    expect(node().dataset.status).toBe('done');
    expect(screen.queryByTestId('node-preview')).toBeNull();
    expect(screen.getByTestId('used-seed').textContent).toContain('31337');
    expect(node().textContent).toContain('image 512×512');
  });

  it('shows a saved image on its node and a failure message on the failed node', () => {
    mount();
    feed(
      ev(RUN, 1, 'run.started', { nodes: ['inpaint', 'save'] }),
      ev(
        RUN,
        2,
        'node.finished',
        {
          ms: 3,
          outputs: { artifact: { kind: 'artifact', id: ART, mime: 'image/png', width: 8, height: 8 } },
        },
        'save',
      ),
      ev(
        RUN,
        3,
        'node.failed',
        {
          error: {
            kind: 'environment',
            code: 'model-missing',
            message: 'model sd-inpaint is not downloaded: run maskflow models pull sd-inpaint',
          },
        },
        'inpaint',
      ),
    );
    expect(screen.getByTestId('node-output-image').getAttribute('src')).toBe(
      `/api/artifacts/${ART}/thumbnail?size=256`,
    );
    expect(screen.getByTestId('node-error').textContent).toBe(
      'model sd-inpaint is not downloaded: run maskflow models pull sd-inpaint',
    );
  });

  it('marks validation problems on the param they concern', () => {
    useUiStore.setState({
      issues: [
        {
          code: 'invalid-param',
          nodeId: 'inpaint',
          field: 'steps',
          message: 'Too big: expected number to be <=150',
        },
      ],
    });
    mount();
    const param = document.querySelector(
      '.mf-node[data-node-id="inpaint"] [data-param="steps"]',
    ) as HTMLElement;
    expect(param.className).toContain('mf-param-problem');
    expect(param.textContent).toContain('Too big');
  });
});
