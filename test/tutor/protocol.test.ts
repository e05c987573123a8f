import { describe, expect, it } from 'vitest';
import { isReservedType, maxNestingDepth, parseClientMessage, parseResume } from '../../src/tutor/protocol.ts';

describe('parseClientMessage', () => {
  it('accepts an object with a free-form type and keeps every field', () => {
    expect(parseClientMessage('{"type":"chat","text":"hi","to":"u2","n":[1]}')).toEqual({
      kind: 'room',
      message: { type: 'chat', text: 'hi', to: 'u2', n: [1] },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'a'.repeat(64) })).kind).toBe('room');
    expect(parseClientMessage('{"type":"whiteboardish"}').kind).toBe('room');
  });

  it('accepts nesting up to maxNestingDepth and refuses one level more; brackets in strings do not count', () => {
    const nested = (depth: number) => `{"type":"t","d":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(parseClientMessage(nested(maxNestingDepth)).kind).toBe('room');
    expect(parseClientMessage(nested(maxNestingDepth + 1))).toEqual({
      kind: 'invalid',
      reason: `message is nested deeper than ${maxNestingDepth} levels`,
    });
    const brackets = JSON.stringify({ type: 't', text: `"\\${'[{'.repeat(100)}` });
    expect(parseClientMessage(brackets).kind).toBe('room');
  });

  it('recognises ping', () => {
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ kind: 'ping' });
  });

  it.each([
    ['{', 'not valid JSON'],
    ['[]', 'JSON object'],
    ['"x"', 'JSON object'],
    ['3', 'JSON object'],
    ['null', 'JSON object'],
    ['{}', 'string "type"'],
    ['{"type":""}', 'string "type"'],
    ['{"type":null}', 'string "type"'],
    [JSON.stringify({ type: 'a'.repeat(65) }), 'longer than 64'],
    ['{"type":"welcome"}', 'reserved'],
    ['{"type":"whiteboard.restored"}', 'reserved'],
    ['{"type":"server.x"}', 'reserved'],
    ['{"type":"chat","to":""}', '"to"'],
    ['{"type":"chat","to":{"userId":"x"}}', '"to"'],
  ])('rejects %s', (text, reason) => {
    const frame = parseClientMessage(text);
    expect(frame.kind).toBe('invalid');
    expect(frame.kind === 'invalid' && frame.reason).toContain(reason);
  });
});

describe('isReservedType', () => {
  it('reserves the server types and namespaces, nothing else', () => {
    for (const type of ['welcome', 'presence', 'pong', 'error', 'whiteboard.', 'whiteboard.restored', 'server.shutdown']) {
      expect(isReservedType(type)).toBe(true);
    }
    for (const type of ['ping', 'chat', 'Welcome', 'whiteboard', 'servers.x', 'errors']) expect(isReservedType(type)).toBe(false);
  });
});

describe('parseResume', () => {
  const url = (query: string) => new URL(`http://x/ws/v2/session/s?${query}`);
  it('reads since and epoch', () => {
    expect(parseResume(url('since=12&epoch=e1'))).toEqual({ since: 12, epoch: 'e1' });
    expect(parseResume(url('token=t'))).toEqual({ epoch: undefined });
    expect(parseResume(url('since=0'))).toEqual({ since: 0, epoch: undefined });
  });
  it('refuses a malformed since', () => {
    for (const since of ['-1', '1.5', 'abc', '1e3', '9999999999999999']) expect(typeof parseResume(url(`since=${since}`))).toBe('string');
  });
});
