// Request bodies are decoded the way moby's httputils.ReadJSON does (Go's encoding/json
// Decoder): the first JSON value is taken, trailing content is refused, and syntax errors are
// reported with Go's wording ("invalid JSON: invalid character 'i' looking for beginning of
// object key string"), because those are the texts Docker users and scripts already know.

import { invalid } from '../errors.js';

class GoSyntaxError extends Error {}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Go's scanner quoteChar: how an offending byte is shown. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  // Go's strconv.Quote writes other control bytes as \xNN where JSON writes \u00NN.
  const q = JSON.stringify(c).slice(1, -1).replace(/^\\u00/, '\\x');
  return `'${q}'`;
}

/**
 * Finds where the first JSON value in `text` ends, failing with Go's scanner messages.
 * Only called when JSON.parse has refused the text, to explain why in Go's words.
 */
class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  private fail(c: string, context: string): never {
    throw new GoSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
  }

  private peek(): string {
    const c = this.text[this.i];
    if (c === undefined) throw new GoSyntaxError('unexpected EOF');
    return c;
  }

  private skipSpace(): void {
    while (this.i < this.text.length && isSpace(this.text[this.i]!)) this.i++;
  }

  /** Index just past the first value; throws GoSyntaxError. */
  firstValueEnd(): number {
    this.value();
    return this.i;
  }

  private value(): void {
    this.skipSpace();
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || isDigit(c)) return this.number();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    this.fail(c, 'looking for beginning of value');
  }

  private object(): void {
    this.i++;
    this.skipSpace();
    if (this.peek() === '}') {
      this.i++;
      return;
    }
    for (;;) {
      const k = this.peek();
      if (k !== '"') this.fail(k, 'looking for beginning of object key string');
      this.string();
      this.skipSpace();
      const colon = this.peek();
      if (colon !== ':') this.fail(colon, 'after object key');
      this.i++;
      this.value();
      this.skipSpace();
      const next = this.peek();
      this.i++;
      if (next === '}') return;
      if (next !== ',') this.fail(next, 'after object key:value pair');
      this.skipSpace();
    }
  }

  private array(): void {
    this.i++;
    this.skipSpace();
    if (this.peek() === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const next = this.peek();
      this.i++;
      if (next === ']') return;
      if (next !== ',') this.fail(next, 'after array element');
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.peek();
      this.i++;
      if (c === '"') return;
      if (c === '\\') {
        const e = this.peek();
        this.i++;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            if (!isHex(h)) this.fail(h, 'in \\u hexadecimal character escape');
            this.i++;
          }
        } else if (!'"\\/bfnrt'.includes(e)) {
          this.fail(e, 'in string escape code');
        }
      } else if (c < ' ') {
        this.fail(c, 'in string literal');
      }
    }
  }

  private number(): void {
    const at = () => this.text[this.i];
    if (at() === '-') {
      this.i++;
      const c = this.peek();
      if (!isDigit(c)) this.fail(c, 'in numeric literal');
    }
    if (at() === '0') this.i++;
    else while (isDigit(at())) this.i++;
    if (at() === '.') {
      this.i++;
      const c = this.peek();
      if (!isDigit(c)) this.fail(c, 'after decimal point in numeric literal');
      while (isDigit(at())) this.i++;
    }
    if (at() === 'e' || at() === 'E') {
      this.i++;
      if (at() === '+' || at() === '-') this.i++;
      const c = this.peek();
      if (!isDigit(c)) this.fail(c, 'in exponent of numeric literal');
      while (isDigit(at())) this.i++;
    }
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) {
      const c = this.peek();
      if (c !== word[k]) this.fail(c, `in literal ${word} (expecting ${quoteChar(word[k]!)})`);
      this.i++;
    }
  }
}

/**
 * Decode a request body like Go's json.Decoder + moby's ReadJSON; throws WeftError 'invalid'.
 * An empty (all-space) body is Go's io.EOF.
 */
export function decodeJson(text: string): unknown {
  if (text.trim() === '') throw invalid('invalid JSON: got EOF while reading request body');
  try {
    return JSON.parse(text);
  } catch {
    // Explain below in Go's words; JSON.parse also refuses values followed by more content.
  }
  let end: number;
  try {
    end = new Scanner(text).firstValueEnd();
  } catch (err) {
    if (err instanceof GoSyntaxError) throw invalid(`invalid JSON: ${err.message}`);
    throw err;
  }
  const rest = text.slice(end).trimStart();
  // Go's Decoder.More() treats a closing bracket as "no more values".
  if (rest !== '' && rest[0] !== '}' && rest[0] !== ']') throw invalid('unexpected content after JSON');
  return JSON.parse(text.slice(0, end));
}

/** Go's name for the JSON kind of a value, as in "cannot unmarshal string into …". */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}
