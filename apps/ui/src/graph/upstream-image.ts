import { artifactIdSchema } from '@maskflow/workflow';
import type { AppEdge, AppNode } from './flow-types';

/** The node type whose uploaded file the region widgets can show. */
export const LOAD_IMAGE_TYPE = 'LoadImage';

/** What reaches a node's image input, as far as the editor can show it. */
export type UpstreamImage =
  | { kind: 'ok'; artifactId: string; sourceId: string }
  | { kind: 'unconnected' }
  | { kind: 'not-load-image'; sourceId: string; sourceType: string }
  | { kind: 'no-upload'; sourceId: string };

/**
 * Follows the edge into `nodeId`'s `port` back to its source: a Load Image
 * node with an uploaded file (an artifact id) gives that artifact, whose
 * pixels are the ones the node receives (the upload is stored already
 * oriented and Load Image does not resize). Any other source is only named:
 * its image exists only while a run computes it.
 */
export function upstreamImageOf(
  nodes: readonly AppNode[],
  edges: readonly AppEdge[],
  nodeId: string | undefined,
  port = 'image',
): UpstreamImage {
  if (!nodeId) return { kind: 'unconnected' };
  const edge = edges.find((e) => e.target === nodeId && (e.targetHandle ?? '') === port);
  if (!edge) return { kind: 'unconnected' };
  const source = nodes.find((n) => n.id === edge.source);
  if (!source) return { kind: 'unconnected' };
  if (source.data.type !== LOAD_IMAGE_TYPE)
    return { kind: 'not-load-image', sourceId: source.id, sourceType: source.data.type };
  const id = source.data.params.image;
  if (typeof id === 'string' && artifactIdSchema.safeParse(id).success)
    return { kind: 'ok', artifactId: id, sourceId: source.id };
  return { kind: 'no-upload', sourceId: source.id };
}

/** The same as a string (for store selectors, which compare by value). */
export function upstreamImageKey(
  nodes: readonly AppNode[],
  edges: readonly AppEdge[],
  nodeId: string | undefined,
  port = 'image',
): string {
  return JSON.stringify(upstreamImageOf(nodes, edges, nodeId, port));
}
