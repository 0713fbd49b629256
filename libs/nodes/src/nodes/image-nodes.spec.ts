import { NodeRegistry } from '../contract';
import { imageNodes } from './image-nodes';

describe('imageNodes', () => {
  const registry = new NodeRegistry(imageNodes);

  it('registers every image and mask node once, at version 1, in a known category', () => {
    expect(registry.list().map((d) => d.type)).toEqual([
      'LoadImage',
      'SaveImage',
      'ImageResize',
      'BoxesToMask',
      'MaskInvert',
      'MaskCombine',
      'MaskOverlay',
      'MaskToImage',
      'ImageToMask',
      'Composite',
      'MaskFill',
    ]);
    for (const def of registry.list()) {
      expect(def.version).toBe(1);
      expect(['image', 'mask', 'inpaint']).toContain(def.category);
      expect(def.title.length).toBeGreaterThan(0);
      expect(def.description.length).toBeGreaterThan(20);
    }
  });

  it('serialises to JSON Schema with defaults and UI hints for the palette', () => {
    const specs = Object.fromEntries(registry.toJSON().map((s) => [s.type, s]));
    type Props = Record<string, Record<string, unknown>>;
    const props = (type: string) => (specs[type].params as { properties: Props }).properties;
    expect(props('LoadImage').image).toMatchObject({ type: 'string', widget: 'image-upload' });
    expect(props('LoadImage').maxPixels).toMatchObject({ default: 64_000_000 });
    expect(props('SaveImage').quality).toMatchObject({
      default: 95,
      minimum: 1,
      maximum: 100,
      widget: 'slider',
    });
    expect(props('SaveImage').format).toMatchObject({ enum: ['png', 'jpeg', 'webp'], default: 'png' });
    expect(props('MaskOverlay').color).toMatchObject({ default: '#ff0000', widget: 'color' });
    expect(props('MaskFill').method).toMatchObject({ enum: ['telea', 'ns', 'blur', 'color'] });
    expect(specs.SaveImage.output).toBe(true);
    expect(specs.BoxesToMask.inputs).toEqual([
      expect.objectContaining({ name: 'image', type: 'IMAGE' }),
      expect.objectContaining({ name: 'boxes', type: 'BOXES', optional: true }),
    ]);
    expect(JSON.parse(JSON.stringify(specs))).toEqual(specs);
  });

  it('checks params through the catalog, so the validator sees bad values', () => {
    const info = registry.catalog('MaskFill')!;
    expect(info.checkParams({ method: 'telea' })).toEqual([]);
    expect(info.checkParams({ method: 'magic' }).map((p) => p.path)).toEqual(['method']);
    expect(
      registry
        .catalog('ImageResize')!
        .checkParams({ width: 0 })
        .map((p) => p.path),
    ).toEqual(['width']);
  });
});
