// The parser of ARM template expressions (`[func(args).prop[idx]]`) for test/infra/arm.ts: string,
// integer and function-call literals, property access and indexing. `__bicep.name(...)` is a
// Bicep user-defined function.

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'prop'; obj: Node; name: string }
  | { k: 'index'; obj: Node; idx: Node };

export function parseExpression(src: string): Node {
  let i = 0;
  const ws = (): void => {
    while (/\s/.test(src[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at ${i} in ${src}`);
  };
  const expr = (): Node => {
    ws();
    let node: Node;
    if (src[i] === "'") {
      let v = '';
      for (i++; ; ) {
        if (i >= src.length) fail('unterminated string');
        if (src[i] === "'" && src[i + 1] === "'") {
          v += "'"; // '' is an escaped quote
          i += 2;
        } else if (src[i] === "'") break;
        else v += src[i++];
      }
      i++;
      node = { k: 'lit', v };
    } else if (/[-\d]/.test(src[i] ?? '')) {
      const m = /^-?\d+/.exec(src.slice(i)) ?? fail('number');
      i += m[0].length;
      node = { k: 'lit', v: Number(m[0]) };
    } else {
      const m = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?/.exec(src.slice(i)) ?? fail('function name'); // __bicep.f: a user-defined function
      i += m[0].length;
      ws();
      if (src[i++] !== '(') fail('(');
      const args: Node[] = [];
      ws();
      if (src[i] === ')') i++;
      else
        for (;;) {
          args.push(expr());
          ws();
          const c = src[i++];
          if (c === ')') break;
          if (c !== ',') fail(', or )');
        }
      node = { k: 'call', name: m[0].toLowerCase(), args };
    }
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const m = /^[\w$#]+/.exec(src.slice(i)) ?? fail('property');
        i += m[0].length;
        node = { k: 'prop', obj: node, name: m[0] };
      } else if (src[i] === '[') {
        i++;
        const idx = expr();
        ws();
        if (src[i++] !== ']') fail(']');
        node = { k: 'index', obj: node, idx };
      } else return node;
    }
  };
  const node = expr();
  ws();
  if (i !== src.length) fail('trailing text');
  return node;
}
