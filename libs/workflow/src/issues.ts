/** One problem found in a workflow, tied to where it is. */
export interface WorkflowIssue {
  code:
    | 'format'
    | 'duplicate-id'
    | 'unknown-type'
    | 'unknown-version'
    | 'missing-migration'
    | 'invalid-param'
    | 'missing-input'
    | 'dangling-edge'
    | 'unknown-handle'
    | 'type-mismatch'
    | 'duplicate-edge'
    | 'cycle'
    | 'exposed-input'
    | 'unknown-model'
    | 'unknown-target';
  message: string;
  nodeId?: string;
  /** The param name (dotted path), port handle or document path concerned. */
  field?: string;
  /** For cycles: the node ids on the cycle, in order. */
  nodes?: string[];
}

export function formatIssue(issue: WorkflowIssue): string {
  const where = [issue.nodeId ? `node "${issue.nodeId}"` : '', issue.field ? `field "${issue.field}"` : '']
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${issue.message}` : issue.message;
}
