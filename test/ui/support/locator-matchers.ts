import type { Locator } from 'playwright-core';

/**
 * Auto-waiting assertions on Playwright locators for jest (Playwright's own
 * `expect` belongs to @playwright/test, which we do not use): each polls until
 * the condition holds or the timeout passes, then fails with what it last saw.
 */

const DEFAULT_TIMEOUT = 15_000;

async function poll(
  check: () => Promise<{ ok: boolean; seen: string }>,
  timeout = DEFAULT_TIMEOUT,
): Promise<{ ok: boolean; seen: string }> {
  const end = Date.now() + timeout;
  let last = { ok: false, seen: '(not checked)' };
  for (;;) {
    try {
      last = await check();
    } catch (err) {
      last = { ok: false, seen: err instanceof Error ? err.message.split('\n')[0] : String(err) };
    }
    if (last.ok || Date.now() > end) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function result(ok: boolean, isNot: boolean, what: string, seen: string) {
  return { pass: ok, message: () => `expected locator ${isNot ? 'not ' : ''}${what}; last seen: ${seen}` };
}

/** Waits until `get()` satisfies `ok`, returning the value. */
export async function eventually<T>(
  get: () => Promise<T>,
  ok: (v: T) => boolean,
  timeout = DEFAULT_TIMEOUT,
): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

expect.extend({
  async toHaveCount(this: jest.MatcherContext, l: Locator, n: number) {
    const r = await poll(async () => {
      const c = await l.count();
      return { ok: (c === n) !== (this.isNot === true), seen: String(c) };
    });
    return result(r.ok !== (this.isNot === true), this.isNot === true, `to have count ${n}`, r.seen);
  },
  async toBeVisible(this: jest.MatcherContext, l: Locator) {
    const r = await poll(async () => {
      const v = await l.first().isVisible();
      return { ok: v !== (this.isNot === true), seen: v ? 'visible' : 'hidden' };
    });
    return result(r.ok !== (this.isNot === true), this.isNot === true, 'to be visible', r.seen);
  },
  async toHaveValue(this: jest.MatcherContext, l: Locator, value: string) {
    const r = await poll(async () => {
      const v = await l.inputValue({ timeout: 1000 });
      return { ok: (v === value) !== (this.isNot === true), seen: JSON.stringify(v) };
    });
    return result(
      r.ok !== (this.isNot === true),
      this.isNot === true,
      `to have value ${JSON.stringify(value)}`,
      r.seen,
    );
  },
  async toHaveText(this: jest.MatcherContext, l: Locator, text: string) {
    const r = await poll(async () => {
      const v = ((await l.first().textContent({ timeout: 1000 })) ?? '').trim();
      return { ok: (v === text) !== (this.isNot === true), seen: JSON.stringify(v) };
    });
    return result(
      r.ok !== (this.isNot === true),
      this.isNot === true,
      `to have text ${JSON.stringify(text)}`,
      r.seen,
    );
  },
  async toContainText(this: jest.MatcherContext, l: Locator, text: string) {
    const r = await poll(async () => {
      const v = (await l.first().textContent({ timeout: 1000 })) ?? '';
      return { ok: v.includes(text) !== (this.isNot === true), seen: JSON.stringify(v.slice(0, 300)) };
    });
    return result(
      r.ok !== (this.isNot === true),
      this.isNot === true,
      `to contain text ${JSON.stringify(text)}`,
      r.seen,
    );
  },
  async toHaveAttribute(
    this: jest.MatcherContext,
    l: Locator,
    name: string,
    value: string,
    opts: { timeout?: number } = {},
  ) {
    const r = await poll(async () => {
      const v = await l.first().getAttribute(name, { timeout: 1000 });
      return { ok: (v === value) !== (this.isNot === true), seen: `${name}=${JSON.stringify(v)}` };
    }, opts.timeout);
    return result(
      r.ok !== (this.isNot === true),
      this.isNot === true,
      `to have ${name}=${JSON.stringify(value)}`,
      r.seen,
    );
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveCount(n: number): Promise<R>;
      toBeVisible(): Promise<R>;
      toHaveValue(value: string): Promise<R>;
      toHaveText(text: string): Promise<R>;
      toContainText(text: string): Promise<R>;
      toHaveAttribute(name: string, value: string, opts?: { timeout?: number }): Promise<R>;
    }
  }
}
