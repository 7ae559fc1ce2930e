/**
 * Which engines exist here, which one to use by default, and how to make one.
 * Every engine this module hands out is already wrapped by `verifiedEngine()` (except
 * node-crypto, which is the reference the others are checked against).
 */
import { ENGINE_NAMES, type Engine, type EngineName } from './engine.js';
import { createJsEngine } from './js-engine.js';
import { createNodeCryptoEngine } from './node-crypto.js';
import { verifiedEngine } from './verify.js';
import { type WasmFlavor, createWasmEngine, simdSupported, wasmModule } from './wasm.js';

/** The WASM flavour behind each WASM engine name. */
export function wasmFlavorOf(name: EngineName): WasmFlavor | null {
  if (name === 'wasm') return 'scalar';
  if (name === 'wasm-simd') return 'simd';
  return null;
}

/**
 * The compiled module for a WASM engine, or null when the build is missing or does not
 * compile here (wasmModule() throws a clear Error in that case; availability is a
 * question here, not a failure).
 */
export function tryWasmModule(flavor: WasmFlavor): WebAssembly.Module | null {
  if (flavor === 'simd' && !simdSupported()) return null;
  try {
    return wasmModule(flavor);
  } catch {
    return null;
  }
}

/** Engines that work in this process, fastest first. */
export function availableEngines(): EngineName[] {
  return ENGINE_NAMES.filter((name) => {
    const flavor = wasmFlavorOf(name);
    return flavor === null || tryWasmModule(flavor) !== null;
  });
}

/** The fastest engine that works here: wasm-simd > wasm > js > node-crypto. */
export function defaultEngine(): EngineName {
  // ENGINE_NAMES is ordered fastest first and js always works.
  return availableEngines()[0] ?? 'js';
}

/**
 * A verified engine. `module` lets a worker thread reuse the module the main thread
 * compiled (it arrives by postMessage) instead of compiling its own.
 */
export function createEngine(name: EngineName, module?: WebAssembly.Module): Engine {
  return name === 'node-crypto' ? createNodeCryptoEngine() : verifiedEngine(createUnverifiedEngine(name, module));
}

/** The bare engine, unchecked: for benchmarks of the raw loop and for tests of the checks. */
export function createUnverifiedEngine(name: EngineName, module?: WebAssembly.Module): Engine {
  switch (name) {
    case 'node-crypto':
      return createNodeCryptoEngine();
    case 'js':
      return createJsEngine();
    case 'wasm':
    case 'wasm-simd': {
      const flavor = wasmFlavorOf(name)!;
      return createWasmEngine(flavor, module ?? wasmModule(flavor));
    }
  }
}
