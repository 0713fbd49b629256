import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';

export interface Point {
  x: number;
  y: number;
}

/** Drives the editor like a user: palette, handles, widgets, keys. Selectors only, no app internals. */
export class EditorPage {
  /** `prefix` starts every screenshot's name, for test files sharing a screenshots folder. */
  constructor(
    readonly page: Page,
    readonly shotsDir: string,
    readonly prefix = '',
  ) {}

  private shot = 0;

  async screenshot(name: string): Promise<string> {
    const file = path.join(
      this.shotsDir,
      `${this.prefix}${String(++this.shot).padStart(2, '0')}-${name}.png`,
    );
    await this.page.screenshot({ path: file });
    return file;
  }

  canvas(): Locator {
    return this.page.getByTestId('canvas');
  }

  node(id: string): Locator {
    return this.page.locator(`.react-flow__node[data-id="${id}"]`);
  }

  nodes(): Locator {
    return this.page.locator('.react-flow__node');
  }

  edges(): Locator {
    return this.page.locator('.react-flow__edge');
  }

  handle(nodeId: string, handleId: string, kind: 'source' | 'target'): Locator {
    return this.page.locator(
      `.react-flow__handle.${kind}[data-nodeid="${nodeId}"][data-handleid="${handleId}"]`,
    );
  }

  param(nodeId: string, name: string): Locator {
    return this.page.locator(`[id="${nodeId}.${name}"]`);
  }

  status(nodeId: string): Locator {
    return this.page.locator(`.mf-node[data-node-id="${nodeId}"]`);
  }

  /**
   * Drags a palette entry onto the canvas at `at` (relative to the canvas's
   * top-left corner) with real HTML5 drag and drop, and checks that the node
   * landed there (a drag that degrades to a click would add it mid-canvas).
   */
  async dragFromPalette(type: string, at: Point): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search nodes' }).fill('');
    const before = await this.nodes().count();
    const item = this.page.locator(`.mf-palette-item[data-node-type="${type}"]`);
    const from = await this.center(item);
    const canvas = await this.canvas().boundingBox();
    if (!canvas) throw new Error('no canvas');
    const to = { x: canvas.x + at.x, y: canvas.y + at.y };
    const m = this.page.mouse;
    await m.move(from.x, from.y);
    await m.down();
    await m.move(from.x + 12, from.y + 4, { steps: 3 });
    await m.move(to.x, to.y, { steps: 12 });
    await m.up();
    const added = this.nodes().nth(before);
    await added.waitFor();
    const box = await added.boundingBox();
    if (!box || Math.abs(box.x - (to.x - 110)) > 40 || Math.abs(box.y - (to.y - 20)) > 40) {
      throw new Error(
        `${type} landed at ${JSON.stringify(box)}, not at the drop point ${JSON.stringify(to)}`,
      );
    }
  }

  async center(l: Locator): Promise<Point> {
    const box = await l.boundingBox();
    if (!box) throw new Error('element is not visible');
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  /**
   * Drags a connection from an output handle to an input handle with the
   * mouse. Returns what the target handle looked like just before the drop
   * (React Flow marks it `valid` when isValidConnection accepts).
   */
  async dragConnection(
    from: [string, string],
    to: [string, string],
  ): Promise<{ validWhileDragging: boolean }> {
    const a = await this.center(this.handle(from[0], from[1], 'source'));
    const b = await this.center(this.handle(to[0], to[1], 'target'));
    const m = this.page.mouse;
    await m.move(a.x, a.y);
    await m.down();
    await m.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
    await m.move(b.x, b.y, { steps: 8 });
    const target = this.handle(to[0], to[1], 'target');
    const cls = (await target.getAttribute('class')) ?? '';
    await m.up();
    return { validWhileDragging: /\bvalid\b/.test(cls) };
  }

  async press(keys: string): Promise<void> {
    await this.page.keyboard.press(keys);
  }

  /** Clicks an empty spot of the canvas (clears the selection, takes focus away from fields). */
  async clickCanvasBackground(): Promise<void> {
    const pane = this.page.locator('.react-flow__pane');
    const box = await pane.boundingBox();
    if (!box) throw new Error('no pane');
    await this.page.mouse.click(box.x + box.width - 30, box.y + 30);
  }

  toast(text: string | RegExp): Locator {
    return this.page.locator('.mf-toast', { hasText: text });
  }
}
