/**
 * `taosjs/testing` in browsers: the embedded server is part of the native addon, which browsers
 * cannot load, so `TestServer.start()` rejects with a `NotSupportedError` that names the runtime
 * and where to start a server instead; so does `TestProxy.start()` (a TCP proxy: pages cannot
 * listen on sockets). (Types: `testing.ts`.)
 *
 * @module
 */
import { NotSupportedError } from './errors.js'
import { runtimeName } from './runtime.js'
import type { TestProxyOptions, TestServerOptions } from './testing.js'
import { testServerUnavailable } from './session-driver.js'

export type { TestProxyOptions, TestServerOptions }

/** No embedded server in browsers: {@link TestServer.start} says where to start one. */
export class TestServer {
  private constructor() {}

  static async start(_options: TestServerOptions = {}): Promise<TestServer> {
    await testServerUnavailable()
    throw new Error('unreachable')
  }
}

/** No TCP proxy in browsers: {@link TestProxy.start} says where to run one. */
export class TestProxy {
  private constructor() {}

  static async start(_options: TestProxyOptions): Promise<TestProxy> {
    throw new NotSupportedError(
      `TestProxy is not available in ${runtimeName()}: it is a TCP proxy, and a page cannot listen on a socket. ` +
        'Start it in Node.js (`TestProxy.start()` from taosjs/testing) and connect the page to its ws:// DSN',
    )
  }
}
