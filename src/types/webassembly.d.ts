/**
 * The slice of the WebAssembly JS API this project uses. TypeScript ships these types only
 * in lib.dom, and @types/node (20) does not declare them; pulling in the whole DOM lib
 * would let browser globals (window, document, ...) type-check in a Node program.
 */
declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  type ExportValue = Function | Global | Memory;
  type Exports = Record<string, ExportValue>;

  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }

  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }

  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  class Global<T = number> {
    constructor(descriptor: { value: 'i32' | 'i64' | 'f32' | 'f64'; mutable?: boolean }, value?: T);
    value: T;
    valueOf(): T;
  }

  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
