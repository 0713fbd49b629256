import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '@maskflow/workflow';
import { ApiRequestError } from '../src/api/http';
import { RunChannel } from '../src/api/run-channel';
import { ev, FAKE_RUN, FakeSocket } from './test-utils';

const RUN = FAKE_RUN;

function setup(stored: RunEvent[] = []) {
  const socket = new FakeSocket();
  const delivered: RunEvent[] = [];
  const fetchEvents = vi.fn(async (_runId: string, after: number) => stored.filter((e) => e.seq > after));
  const states: string[] = [];
  const channel = new RunChannel({
    socket,
    onEvents: (es) => delivered.push(...es),
    fetchEvents,
    onConnection: (s) => states.push(s),
  });
  socket.connect();
  return { socket, channel, delivered, fetchEvents, states };
}

const seqs = (es: RunEvent[]) => es.map((e) => e.seq);

describe('RunChannel: every event once, in order, across reconnects', () => {
  it('delivers in order and drops duplicates', () => {
    const { socket, delivered } = setup();
    for (const s of [1, 2, 2, 3, 1])
      socket.fire('run.event', ev(RUN, s, s === 1 ? 'run.queued' : 'node.progress', { value: s }, 'n'));
    expect(seqs(delivered)).toEqual([1, 2, 3]);
  });

  it('ignores malformed messages', () => {
    const { socket, delivered } = setup();
    socket.fire('run.event', { type: 'node.exploded', runId: RUN, seq: 1, ts: 0, data: {} });
    socket.fire('run.event', 'garbage');
    expect(delivered).toEqual([]);
  });

  it('fills a gap over REST before delivering what came after it', async () => {
    const stored = [1, 2, 3, 4, 5].map((s) => ev(RUN, s, 'node.progress', { value: s }, 'n'));
    const { socket, delivered, fetchEvents } = setup(stored);
    socket.fire('run.event', stored[0]);
    socket.fire('run.event', stored[3]);
    socket.fire('run.event', stored[4]);
    expect(seqs(delivered)).toEqual([1]);
    await vi.waitFor(() => expect(seqs(delivered)).toEqual([1, 2, 3, 4, 5]));
    expect(fetchEvents).toHaveBeenCalledWith(RUN, 1);
  });

  it('after a reconnect subscribes again from the last seq it delivered, and the replay fills in', async () => {
    const { socket, channel, delivered, states } = setup();
    await channel.follow(RUN, 0);
    expect(socket.sent.at(-1)).toEqual({ event: 'subscribe', payload: { runId: RUN, afterSeq: 0 } });
    socket.fire('run.event', ev(RUN, 1, 'run.started', { nodes: ['n'] }));
    socket.fire('run.event', ev(RUN, 2, 'node.started', {}, 'n'));
    socket.drop();
    expect(states.at(-1)).toBe('reconnecting');
    socket.connect();
    await vi.waitFor(() =>
      expect(socket.sent.at(-1)).toEqual({ event: 'subscribe', payload: { runId: RUN, afterSeq: 2 } }),
    );
    // The server replays 3..4 then goes live with 5; an overlapping 2 is dropped.
    for (const s of [2, 3, 4]) socket.fire('run.event', ev(RUN, s, 'node.progress', { value: s }, 'n'));
    socket.fire('run.event', ev(RUN, 5, 'run.finished', {}));
    expect(seqs(delivered)).toEqual([1, 2, 3, 4, 5]);
    expect(states.at(-1)).toBe('connected');
    // A finished run is not subscribed again on the next reconnect.
    const before = socket.sent.length;
    socket.drop();
    socket.connect();
    await Promise.resolve();
    expect(socket.sent.length).toBe(before);
  });

  it('submits over the socket and reports a refused graph with its problems', async () => {
    const { socket, channel } = setup();
    socket.answer = (event) =>
      event === 'run.submit'
        ? { runId: RUN, status: 'queued' }
        : { ok: true, runId: RUN, status: 'queued', lastSeq: 0 };
    await expect(
      channel.submit({ workflow: { version: 1, nodes: [], edges: [], inputs: {} } }),
    ).resolves.toEqual({ runId: RUN, status: 'queued' });
    expect(socket.sent.at(-1)?.payload).toMatchObject({ subscribe: true });
    socket.answer = () => ({
      error: {
        kind: 'user',
        code: 'invalid-workflow',
        message: 'the workflow has 1 problem',
        issues: [
          { code: 'missing-input', nodeId: 'fill', field: 'mask', message: 'input "mask" is not connected' },
        ],
      },
    });
    const err = await channel
      .submit({ workflow: { version: 1, nodes: [], edges: [], inputs: {} } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as ApiRequestError).issues).toEqual([
      { code: 'missing-input', nodeId: 'fill', field: 'mask', message: 'input "mask" is not connected' },
    ]);
  });

  it('catches up over REST when the socket is down', async () => {
    const stored = [
      ev(RUN, 1, 'run.queued'),
      ev(RUN, 2, 'run.started', { nodes: [] }),
      ev(RUN, 3, 'run.finished', {}),
    ];
    const { socket, channel, delivered } = setup(stored);
    socket.drop();
    await channel.follow(RUN, 0);
    expect(seqs(delivered)).toEqual([1, 2, 3]);
  });
});
