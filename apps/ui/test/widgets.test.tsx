import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParamWidget } from '../src/components/widgets/param.widget';
import type { ParamField } from '../src/graph/param-fields';
import { paramField, paramFields } from '../src/graph/param-fields';
import { useModelsStore } from '../src/store/models.store';
import { jsonResponse, spec } from './test-utils';

function field(type: string, name: string): ParamField {
  const f = paramFields(spec(type)).find((x) => x.name === name);
  if (!f) throw new Error(`${type} has no param ${name}`);
  return f;
}

function mount(f: ParamField, value: unknown, extra: { usedSeed?: number } = {}) {
  const onChange = vi.fn<(v: unknown) => void>();
  const view = render(
    <ParamWidget field={f} value={value} onChange={onChange} idPrefix={`n.${f.name}`} {...extra} />,
  );
  return { onChange, ...view };
}

const ARTIFACT = 'a'.repeat(64);

afterEach(() => vi.unstubAllGlobals());

describe('widgets generated from the param schema', () => {
  it('picks the widget kind from each property and its UI hints', () => {
    expect(field('MaskFill', 'radius').kind).toBe('slider');
    expect(field('MaskFill', 'method')).toMatchObject({
      kind: 'select',
      options: ['telea', 'ns', 'blur', 'color'],
    });
    expect(field('MaskFill', 'color').kind).toBe('color');
    expect(field('LoadImage', 'image')).toMatchObject({ kind: 'image', required: true });
    expect(field('LoadImage', 'maxPixels')).toMatchObject({
      kind: 'number',
      integer: true,
      min: 1,
      step: 1_000_000,
    });
    expect(field('ImageResize', 'scale')).toMatchObject({
      kind: 'slider',
      min: 0,
      exclusiveMin: true,
      max: 16,
    });
    expect(field('BoxesToMask', 'boxes').kind).toBe('boxes');
    expect(field('SAM', 'points').kind).toBe('points');
    expect(field('Composite', 'resizeOverlay').kind).toBe('boolean');
    expect(field('FakeInpaint', 'prompt')).toMatchObject({ kind: 'text', multiline: true });
    expect(field('FakeInpaint', 'seed')).toMatchObject({ kind: 'seed', min: -1 });
  });

  it('a slider shows its limits and commits clamped values', () => {
    const f = field('MaskFill', 'radius');
    const { onChange } = mount(f, 5);
    const slider = screen.getByLabelText('Radius slider');
    expect(slider.getAttribute('min')).toBe('1');
    expect(slider.getAttribute('max')).toBe('100');
    fireEvent.change(slider, { target: { value: '42' } });
    expect(onChange).toHaveBeenLastCalledWith(42);
    const box = screen.getByLabelText('Radius');
    fireEvent.change(box, { target: { value: '500' } });
    expect(box.getAttribute('aria-invalid')).toBe('true');
    fireEvent.blur(box, { target: { value: '500' } });
    expect(onChange).toHaveBeenLastCalledWith(100);
  });

  it('a number field keeps a half-typed value and refuses what is outside an exclusive minimum', () => {
    const f = field('ImageResize', 'scale');
    const { onChange } = mount(f, 1);
    const box = screen.getByLabelText('Scale');
    fireEvent.change(box, { target: { value: '-' } });
    expect((box as HTMLInputElement).value).toBe('');
    fireEvent.change(box, { target: { value: '0' } });
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.blur(box, { target: { value: '0' } });
    expect(onChange).toHaveBeenLastCalledWith(0.05);
  });

  it('a select maps the picked option back to its value', () => {
    const { onChange } = mount(field('MaskFill', 'method'), 'telea');
    fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'ns' } });
    expect(onChange).toHaveBeenCalledWith('ns');
  });

  it('a prompt is a multiline text area', () => {
    const { onChange } = mount(field('FakeInpaint', 'prompt'), 'a red fox');
    const area = screen.getByLabelText('Prompt');
    expect(area.tagName).toBe('TEXTAREA');
    fireEvent.change(area, { target: { value: 'a red fox\nsitting on grass' } });
    expect(onChange).toHaveBeenCalledWith('a red fox\nsitting on grass');
  });

  it('a seed randomizes within its limits, can be random per run, and shows the seed the last run used', () => {
    const f = field('FakeInpaint', 'seed');
    const { onChange, rerender } = mount(f, 1234, { usedSeed: 987 });
    fireEvent.click(screen.getByLabelText('Randomize seed'));
    const picked = onChange.mock.calls.at(-1)?.[0] as number;
    expect(Number.isInteger(picked) && picked >= 0 && picked <= 4294967295).toBe(true);
    expect(screen.getByTestId('used-seed').textContent).toContain('987');
    fireEvent.click(screen.getByText('keep'));
    expect(onChange).toHaveBeenLastCalledWith(987);
    fireEvent.click(screen.getByLabelText('Random seed each run'));
    expect(onChange).toHaveBeenLastCalledWith(-1);
    rerender(<ParamWidget field={f} value={-1} onChange={onChange} idPrefix="n.seed" />);
    expect((screen.getByLabelText('Seed') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByLabelText('Seed').getAttribute('placeholder')).toBe('random each run');
  });

  it('an image is uploaded when picked and the param holds the artifact id', async () => {
    const fetch = vi.fn(async () =>
      jsonResponse({
        id: ARTIFACT,
        mime: 'image/png',
        bytes: 10,
        width: 4,
        height: 3,
        name: 'cat.png',
        createdAt: new Date().toISOString(),
      }),
    );
    vi.stubGlobal('fetch', fetch);
    const { onChange, container } = mount(field('LoadImage', 'image'), '');
    const input = container.querySelector('input[type=file]') as HTMLInputElement;
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'cat.png', { type: 'image/png' });
    await act(async () => {
      fireEvent.change(input, { target: { files: [file] } });
    });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(ARTIFACT));
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/artifacts');
    expect(init.method).toBe('POST');
    expect((init.body as FormData).get('file')).toBeInstanceOf(File);
    expect(screen.getByText(/cat\.png/)).toBeTruthy();
  });

  it('an image can be dropped, and a refused upload says why', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(
          { error: { kind: 'user', code: 'not-an-image', message: 'the upload is text/plain' } },
          415,
        ),
      ),
    );
    const { onChange } = mount(field('LoadImage', 'image'), ARTIFACT);
    expect(screen.getByRole('img').getAttribute('src')).toBe(`/api/artifacts/${ARTIFACT}/thumbnail?size=192`);
    const file = new File(['hello'], 'notes.png', { type: 'image/png' });
    await act(async () => {
      fireEvent.drop(screen.getByTestId('image-drop'), { dataTransfer: { types: ['Files'], files: [file] } });
    });
    await waitFor(() => expect(screen.getByText('the upload is text/plain')).toBeTruthy());
    expect(onChange).not.toHaveBeenCalled();
  });

  it('a list param is edited as JSON and committed only when it parses', () => {
    const { onChange } = mount(field('BoxesToMask', 'boxes'), []);
    const area = screen.getByLabelText('Boxes');
    fireEvent.change(area, { target: { value: '[{"x1":1' } });
    fireEvent.blur(area, { target: { value: '[{"x1":1' } });
    expect(onChange).not.toHaveBeenCalled();
    expect(area.className).toContain('mf-invalid');
    const boxes = '[{"x1":1,"y1":2,"x2":30,"y2":40}]';
    fireEvent.change(area, { target: { value: boxes } });
    fireEvent.blur(area, { target: { value: boxes } });
    expect(onChange).toHaveBeenCalledWith([{ x1: 1, y1: 2, x2: 30, y2: 40 }]);
  });

  it('colour and boolean params', () => {
    const color = mount(field('MaskFill', 'color'), '#808080');
    fireEvent.change(screen.getByLabelText('Color'), { target: { value: '#ff0000' } });
    expect(color.onChange).toHaveBeenCalledWith('#ff0000');
    color.unmount();
    const bool = mount(field('Composite', 'resizeOverlay'), true);
    fireEvent.click(screen.getByLabelText('Resize overlay'));
    expect(bool.onChange).toHaveBeenCalledWith(false);
  });

  it('a model is picked from the manifest models of its kind, saying which are not downloaded', async () => {
    useModelsStore.setState({ status: 'idle', models: [] });
    const fetch = vi.fn(async () =>
      jsonResponse({
        models: [
          { id: 'mobile-sam', title: 'MobileSAM', kind: 'sam', state: 'installed', missing: [] },
          { id: 'sam-vit-b', title: 'SAM ViT-B', kind: 'sam', state: 'missing', missing: ['encoder.onnx'] },
          {
            id: 'grounding-dino-tiny',
            title: 'GroundingDINO tiny',
            kind: 'grounding-dino',
            state: 'installed',
            missing: [],
          },
        ],
      }),
    );
    vi.stubGlobal('fetch', fetch);
    const f = paramField(
      'model',
      { type: 'string', default: 'mobile-sam', widget: 'model', kind: 'sam', minLength: 1 },
      false,
    );
    const { onChange } = mount(f, 'mobile-sam');
    await waitFor(() => expect(screen.getByLabelText('Model').tagName).toBe('SELECT'));
    const options = [...(screen.getByLabelText('Model') as HTMLSelectElement).options].map(
      (o) => o.textContent,
    );
    expect(options).toEqual(['MobileSAM (mobile-sam)', 'SAM ViT-B (sam-vit-b) (not downloaded)']);
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'sam-vit-b' } });
    expect(onChange).toHaveBeenCalledWith('sam-vit-b');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('an optional param without a default can be cleared (left out)', () => {
    const iou = paramField(
      'nmsIou',
      { type: 'number', minimum: 0, maximum: 1, widget: 'slider', step: 0.05 },
      false,
    );
    const n = mount(iou, 0.5);
    const box = screen.getByLabelText('Nms iou');
    fireEvent.change(box, { target: { value: '' } });
    fireEvent.blur(box, { target: { value: '' } });
    expect(n.onChange).toHaveBeenLastCalledWith(undefined);
    n.unmount();
    const variant = paramField('variant', { type: 'string', minLength: 1 }, false);
    const t = mount(variant, 'fp16');
    fireEvent.change(screen.getByLabelText('Variant'), { target: { value: '' } });
    expect(t.onChange).toHaveBeenLastCalledWith(undefined);
    expect(screen.getByLabelText('Variant').className).not.toContain('mf-invalid');
  });
});
