/** `${endpoint}/${repo}/resolve/${revision}/${path}`, the URL form huggingface_hub uses. */
export function hfResolveUrl(endpoint: string, repo: string, revision: string, filePath: string): string {
  const encodedPath = filePath.split('/').map(encodeURIComponent).join('/');
  // A revision such as refs/pr/1 is one path segment, so its slashes are encoded.
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}
