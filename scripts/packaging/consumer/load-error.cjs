// Bad installs: prints the error that loading the addon gives, as JSON, for the test to judge.
// `require('taosjs')` itself never needs the addon; the first connection or server loads it.
const taosjs = require('taosjs')
const { TestServer } = require('taosjs/testing')

TestServer.start().then(
  async (server) => {
    await server.close()
    console.log(JSON.stringify({ loaded: true }))
  },
  (err) => console.log(JSON.stringify({ loaded: false, name: err.name, isTaosjsError: err instanceof taosjs.Error, message: err.message })),
)
