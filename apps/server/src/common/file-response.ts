import type { ReadStream } from 'node:fs';
import { StreamableFile } from '@nestjs/common';

function disposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function jsonDownload({ filename, doc }: { filename: string; doc: unknown }): StreamableFile {
  return new StreamableFile(Buffer.from(`${JSON.stringify(doc, null, 2)}\n`), {
    type: 'application/json',
    disposition: disposition('attachment', filename),
  });
}

export function fileResponse(
  body: ReadStream | Buffer,
  meta: { mime: string; bytes?: number; name?: string | null },
): StreamableFile {
  const options = {
    type: meta.mime,
    ...(meta.bytes === undefined ? {} : { length: meta.bytes }),
    ...(meta.name ? { disposition: disposition('inline', meta.name) } : {}),
  };
  return Buffer.isBuffer(body) ? new StreamableFile(body, options) : new StreamableFile(body, options);
}
