/**
 * Splits a byte stream into text lines, across chunk boundaries and split UTF-8 sequences.
 * Made per stream (its buffer is that stream's own).
 */
export function lineSplitter(): { push(chunk: Uint8Array): string[]; end(): string[] } {
  const decoder = new TextDecoder();
  let buf = '';
  const take = (): string[] => {
    const lines = buf.split('\n');
    buf = lines.pop()!;
    return lines;
  };
  return {
    push: (chunk) => {
      buf += decoder.decode(chunk, { stream: true });
      return take();
    },
    end: () => {
      buf += decoder.decode();
      const rest = buf;
      buf = '';
      return rest === '' ? [] : [rest];
    },
  };
}

/**
 * Groups text lines into SSE messages (`event:` and `data:` fields up to a blank line); a
 * message with no data is a comment or heartbeat and yields nothing.
 */
export function sseParser(): (line: string) => { event?: string; data: string } | undefined {
  let event: string | undefined;
  let data: string[] = [];
  return (raw) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      const msg = data.length > 0 ? { ...(event === undefined ? {} : { event }), data: data.join('\n') } : undefined;
      event = undefined;
      data = [];
      return msg;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };
}
