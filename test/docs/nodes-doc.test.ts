import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createNodeRegistry } from '@maskflow/nodes';
import { nodesMarkdown } from '../../apps/cli/src/commands/nodes.command';

describe('docs/nodes.md', () => {
  it('is the current node reference (regenerate: npx maskflow nodes --markdown > docs/nodes.md)', () => {
    const committed = readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'nodes.md'), 'utf8');
    expect(committed).toBe(nodesMarkdown(createNodeRegistry().toJSON()));
  });

  it('lists every built-in node type', () => {
    const doc = nodesMarkdown(createNodeRegistry().toJSON());
    for (const t of [
      'LoadImage',
      'SaveImage',
      'MaskDilate',
      'MaskFill',
      'GroundingDINO',
      'SAM',
      'SDInpaint',
    ]) {
      expect(doc).toContain(`### ${t} (v`);
    }
  });
});
