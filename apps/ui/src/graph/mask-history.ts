/**
 * Undo and redo inside the mask painter, one step per stroke (or Clear, or
 * Invert). A step keeps only the pixels it changed, before and after, so a
 * small stroke on a large picture costs a few kilobytes.
 */
import type { MaskBuffer, PixelRect } from './mask-paint';
import { cropMask, pasteMask } from './mask-paint';

interface MaskEdit {
  rect: PixelRect;
  before: Uint8Array;
  after: Uint8Array;
}

/** Oldest steps are forgotten past this many bytes: a few full-image Clears of a large photo. */
const DEFAULT_BUDGET = 256 * 1024 * 1024;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export class MaskHistory {
  private done: MaskEdit[] = [];
  private undone: MaskEdit[] = [];
  private bytes = 0;

  constructor(private readonly budget = DEFAULT_BUDGET) {}

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /**
   * One step: the mask as it is now against `before`, a copy of the whole
   * mask taken when the step began, within `rect` (where it may have
   * changed). A step that changed nothing (erasing where nothing was painted)
   * is not one. Returns whether it was recorded.
   */
  record(before: Uint8Array, mask: MaskBuffer, rect: PixelRect): boolean {
    const edit = {
      rect,
      before: cropMask(before, mask.width, rect),
      after: cropMask(mask.data, mask.width, rect),
    };
    if (sameBytes(edit.before, edit.after)) return false;
    this.undone = [];
    this.done.push(edit);
    this.bytes = this.done.reduce((n, e) => n + e.before.length * 2, 0);
    while (this.bytes > this.budget && this.done.length > 1) {
      const old = this.done.shift()!;
      this.bytes -= old.before.length * 2;
    }
    return true;
  }

  /** Takes the last step back; returns where the mask changed. */
  undo(mask: MaskBuffer): PixelRect | undefined {
    const edit = this.done.pop();
    if (!edit) return undefined;
    pasteMask(mask, edit.rect, edit.before);
    this.undone.push(edit);
    return edit.rect;
  }

  /** Does the last undone step again; returns where the mask changed. */
  redo(mask: MaskBuffer): PixelRect | undefined {
    const edit = this.undone.pop();
    if (!edit) return undefined;
    pasteMask(mask, edit.rect, edit.after);
    this.done.push(edit);
    return edit.rect;
  }
}
