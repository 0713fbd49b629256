import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { batchFiles, expandBatch } from './batch';

/** A folder with these (empty) files in it. */
function folder(root: string, name: string, files: string[]): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f), '');
  return dir;
}

describe('--batch files', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'maskflow-batch-'));
  folder(root, 'photos', ['b.JPG', 'a.png', 'img10.webp', 'img9.jpeg', 'notes.txt', 'wf.json']);
  mkdirSync(path.join(root, 'photos', 'sub.png')); // a folder named like an image is not a file
  folder(root, 'masks', ['a.png', 'b.png', 'img9.png', 'img10.png', 'extra.png']);
  folder(root, 'empty', ['readme.md']);

  it('takes every image in a folder (any case of extension), in natural order, and nothing else', async () => {
    const files = await batchFiles('image', 'photos', root);
    expect(files.map((f) => path.basename(f))).toEqual(['a.png', 'b.JPG', 'img9.jpeg', 'img10.webp']);
    expect(files.every((f) => path.isAbsolute(f))).toBe(true);
  });

  it('takes the names matching a pattern (* and ?), whatever their extension', async () => {
    const files = await batchFiles('image', 'photos/img*', root);
    expect(files.map((f) => path.basename(f))).toEqual(['img9.jpeg', 'img10.webp']);
    expect((await batchFiles('image', 'photos/?.*', root)).map((f) => path.basename(f))).toEqual([
      'a.png',
      'b.JPG',
    ]);
  });

  it('says when a folder is missing or holds no image', async () => {
    await expect(batchFiles('image', 'nowhere', root)).rejects.toThrow('--batch image: no folder "nowhere"');
    await expect(batchFiles('image', 'empty', root)).rejects.toThrow('"empty" holds no image');
    await expect(batchFiles('image', 'photos/*.gif', root)).rejects.toThrow(
      'holds no file matching the pattern',
    );
  });

  /*
   *   photos/a.png ─┐              a:  image=photos/a.png  mask=masks/a.png
   *   masks/a.png ──┘ same name →  b:  image=photos/b.JPG  mask=masks/b.png   (masks/extra.png unused)
   */
  it('pairs the other batch inputs with the first by file name, extension aside', async () => {
    const items = await expandBatch(['image=photos', 'mask=masks'], root);
    expect(items.map((i) => i.stem)).toEqual(['a', 'b', 'img9', 'img10']);
    expect(items[1].files).toEqual({
      image: path.join(root, 'photos', 'b.JPG'),
      mask: path.join(root, 'masks', 'b.png'),
    });
  });

  it('refuses a missing partner before anything runs, naming the files', async () => {
    folder(root, 'few-masks', ['a.png']);
    await expect(expandBatch(['image=photos', 'mask=few-masks'], root)).rejects.toThrow(
      "--batch: no file with the same name (extension aside) as image's: mask for b.JPG, mask for img9.jpeg, mask for img10.webp",
    );
  });

  it('refuses two files of one name, an input given twice and a malformed spec', async () => {
    folder(root, 'twins', ['a.png', 'a.jpg', 'b.png']);
    await expect(expandBatch(['image=photos', 'mask=twins'], root)).rejects.toThrow(
      '--batch mask: "a.jpg" and "a.png" have the same name',
    );
    await expect(expandBatch(['image=twins'], root)).rejects.toThrow(
      '--batch image: "a.jpg" and "a.png" have the same name',
    );
    await expect(expandBatch(['image=photos', 'image=masks'], root)).rejects.toThrow(
      '--batch image is given twice',
    );
    await expect(expandBatch(['photos'], root)).rejects.toThrow('must look like <input>=<folder>');
    await expect(expandBatch(['image='], root)).rejects.toThrow('must look like <input>=<folder>');
  });
});
