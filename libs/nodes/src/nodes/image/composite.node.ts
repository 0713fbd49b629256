import { z } from 'zod';
import { defineNode, imageValue, port } from '../../contract';
import { assertSameSize, resizeImageExact, resizeMaskExact } from './image-utils';

/** Aspect ratios further apart than this get a warning when stretched to the base. */
const ASPECT_TOLERANCE = 0.01;

export const CompositeNode = defineNode({
  type: 'Composite',
  version: 1,
  title: 'Composite',
  category: 'inpaint',
  description:
    'Lays the overlay over the base through the mask: 255 takes the overlay, 0 keeps the base byte for byte, ' +
    'soft values blend. An overlay with alpha only shows where it is opaque. With resizeOverlay (default) an ' +
    'overlay or mask of another size is stretched to the base (e.g. an inpainting made at 512×512); ' +
    'without it, a size mismatch is an error.',
  inputs: {
    base: port('IMAGE'),
    overlay: port('IMAGE'),
    mask: port('MASK', { description: 'Where the overlay replaces the base' }),
  },
  outputs: { image: port('IMAGE') },
  params: z.object({
    resizeOverlay: z
      .boolean()
      .default(true)
      .describe('Stretch an overlay or mask of another size to the base instead of failing'),
  }),

  async execute({ inputs: { base, overlay: overlayIn, mask: maskIn }, params, ctx }) {
    let overlay = overlayIn;
    let mask = maskIn;
    if (params.resizeOverlay) {
      const baseAspect = base.width / base.height;
      for (const [what, v] of [
        ['overlay', overlay],
        ['mask', mask],
      ] as const) {
        if (Math.abs(v.width / v.height / baseAspect - 1) > ASPECT_TOLERANCE) {
          ctx.warn(
            `the ${what} (${v.width}×${v.height}) has another aspect ratio than the base (${base.width}×${base.height}); it is stretched`,
          );
        }
      }
      overlay = await resizeImageExact(overlay, base.width, base.height);
      mask = await resizeMaskExact(mask, base.width, base.height);
    } else {
      assertSameSize(base, overlay, 'overlay', 'the overlay');
      assertSameSize(base, mask, 'mask', 'the mask');
    }

    const bc = base.channels;
    const oc = overlay.channels;
    const b = base.data;
    const o = overlay.data;
    const m = mask.data;
    const out = Uint8Array.from(b);
    for (let i = 0, p = 0, q = 0; i < m.length; i++, p += bc, q += oc) {
      if (m[i] === 0) continue;
      // The overlay's own alpha narrows the mask; t = 1 copies the overlay exactly.
      const t = oc === 4 ? (m[i] * o[q + 3]) / 65025 : m[i] / 255;
      if (t === 0) continue;
      out[p] = b[p] + Math.round((o[q] - b[p]) * t);
      out[p + 1] = b[p + 1] + Math.round((o[q + 1] - b[p + 1]) * t);
      out[p + 2] = b[p + 2] + Math.round((o[q + 2] - b[p + 2]) * t);
      // Where the overlay lands it is opaque, so transparent base areas become visible (inpainted holes).
      if (bc === 4) out[p + 3] = b[p + 3] + Math.round((255 - b[p + 3]) * t);
    }
    return { image: imageValue(base.width, base.height, bc, out) };
  },
});
