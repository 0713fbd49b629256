import { KeyedLock } from './keyed-lock';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedLock', () => {
  it('runs holders of the same key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const hold = (name: string, keys: string[], ms: number) =>
      lock.run(keys, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([hold('a', ['x'], 20), hold('b', ['x', 'y'], 5), hold('c', ['y'], 1)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(lock.size).toBe(0);
  });

  it('lets holders of other keys through, and releases a key when its holder throws', async () => {
    const lock = new KeyedLock();
    let release!: () => void;
    const slow = lock.run(['x'], () => new Promise<void>((r) => (release = r)));
    await tick();
    await expect(lock.run(['y'], async () => 'other')).resolves.toBe('other');
    release();
    await slow;
    await expect(
      lock.run(['x', 'x'], async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(lock.run(['x'], async () => 'after')).resolves.toBe('after');
    expect(lock.size).toBe(0);
  });

  it('takes several keys at once, so overlapping sets never wait on each other', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    await Promise.all([
      lock.run(['a', 'b'], async () => {
        await tick();
        order.push('ab');
      }),
      lock.run(['b', 'a'], async () => {
        order.push('ba');
      }),
    ]);
    expect(order).toEqual(['ab', 'ba']);
  });
});
