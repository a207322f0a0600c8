/** The target types the master accepts (protocol's `TargetType`). */
export const TARGET_TYPES = ['glob', 'list', 'pcre', 'grain', 'grain_pcre', 'ipcidr', 'nodegroup', 'compound'] as const;
